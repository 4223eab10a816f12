// native/lb/family.h — the address family as a type (DESIGN principle 2): V4 and V6 name what
// the packet path (lb/process.cc) needs of each — its parsed view, its address type, where a
// connection keeps its addresses, the records' address fields, the header fields a routed hop
// changes, and the 64-bit key of an address that the hashing schedulers and the ownership rule
// read. Functions templated on a family are written once and instantiated twice; the burst
// chooses the family per frame at dispatch, never inside the path. Pure; the workers' threads.
#pragma once
#include <cstdint>
#include <cstring>

#include "abi/records.h"
#include "core/hash.h"
#include "core/ipv6_address.h"
#include "core/net.h"
#include "core/parse.h"
#include "core/parse6.h"
#include "lb/conn.h"
#include "lb/conn_table.h"
#include "lb/snapshot.h"

namespace xvs::lb {

struct V4 {
  using Addr = uint32_t;  // network order
  using View = core::PacketView;
  using Tuple = ConnTuple;
  static constexpr bool kIpv6 = false;
  static constexpr uint8_t kIcmp = core::kIpProtoIcmp;
  static constexpr auto kFamily = abi::AddressFamily::ipv4;

  static Addr saddr(const View& p) { return p.ip->saddr; }
  static Addr daddr(const View& p) { return p.ip->daddr; }
  static Addr quoted_saddr(const View& p) { return p.quoted.ip->saddr; }
  static Addr quoted_daddr(const View& p) { return p.quoted.ip->daddr; }
  static uint8_t hop_limit(const View& p) { return p.ip->ttl; }
  // What ipvsadm counts: the IP datagram's length.
  static uint32_t ip_bytes(const View& p) { return core::ntohs(p.ip->total_length); }
  static bool is_zero(Addr a) { return a == 0; }

  static Addr vip(const abi::ServiceRecord& s) { return s.vip; }
  static Addr address(const abi::BackendRecord& b) { return b.address; }
  static Addr lip(const Snapshot& snap, uint32_t index) { return snap.lips[index]; }
  static Addr port_address(const abi::PortRecord& p) { return p.address; }
  static const Tuple& tuple(const ConnTable&, const Conn& c, Direction d) { return c.tuple[d]; }

  // The client network a persistence template stands for: `mask` is persist_mask(service).
  static uint32_t persist_mask(const abi::ServiceRecord& s) { return s.persist_netmask; }
  static Addr masked(Addr a, uint32_t netmask) { return a & netmask; }
  // nat ownership (lb/owner.h): the host-order address.
  static uint32_t owner_word(Addr a) { return core::ntohl(a); }
};

struct V6 {
  using Addr = core::Ipv6Address;
  using View = core::Packet6View;
  using Tuple = ConnTuple6;
  static constexpr bool kIpv6 = true;
  static constexpr uint8_t kIcmp = core::kIpProtoIcmpv6;
  static constexpr auto kFamily = abi::AddressFamily::ipv6;

  static Addr saddr(const View& p) { return Addr::load(p.ip->saddr); }
  static Addr daddr(const View& p) { return Addr::load(p.ip->daddr); }
  static Addr quoted_saddr(const View& p) { return Addr::load(p.quoted.ip->saddr); }
  static Addr quoted_daddr(const View& p) { return Addr::load(p.quoted.ip->daddr); }
  static uint8_t hop_limit(const View& p) { return p.ip->hop_limit; }
  static uint32_t ip_bytes(const View& p) { return sizeof(core::Ipv6Hdr) + core::ntohs(p.ip->payload_length); }
  static bool is_zero(const Addr& a) { return a.is_zero(); }

  static Addr vip(const abi::ServiceRecord& s) { return Addr::load(s.vip6.bytes); }
  static Addr address(const abi::BackendRecord& b) { return Addr::load(b.address6.bytes); }
  static Addr lip(const Snapshot& snap, uint32_t index) { return snap.lips6[index]; }
  static Addr port_address(const abi::PortRecord& p) { return Addr::load(p.address6.bytes); }
  static Tuple tuple(const ConnTable& table, const Conn& c, Direction d) { return table.tuple6(c, d); }

  static uint32_t persist_mask(const abi::ServiceRecord& s) { return s.persist_prefix6; }
  static Addr masked(const Addr& a, uint32_t prefix_length) {
    Addr out{};
    const uint32_t bits = prefix_length > 128 ? 128 : prefix_length;
    for (uint32_t i = 0; i < 16; ++i) {
      const uint32_t keep = bits > i * 8 ? bits - i * 8 : 0;
      out.bytes[i] = keep >= 8 ? a.bytes[i] : static_cast<uint8_t>(a.bytes[i] & (0xff00u >> keep));
    }
    return out;
  }
  // nat ownership: the XOR of the address's four host-order words (documented in native/README.md).
  static uint32_t owner_word(const Addr& a) {
    uint32_t out = 0;
    for (int i = 0; i < 16; i += 4) {
      uint32_t w;
      std::memcpy(&w, a.bytes + i, 4);
      out ^= core::ntohl(w);
    }
    return out;
  }
};

// The family of an address type: lets helpers taking an address deduce their family.
template <typename Addr>
struct FamilyOf;
template <>
struct FamilyOf<uint32_t> {
  using type = V4;
};
template <>
struct FamilyOf<core::Ipv6Address> {
  using type = V6;
};

// Where a frame's IPv6 header starts (after an optional 802.1Q tag), or 0 when its ethertype is
// not IPv6 (parse_packet has passed or dropped such a frame already).
inline uint32_t ipv6_header_offset(const uint8_t* frame, uint32_t len) {
  if (len < sizeof(core::EthHdr)) return 0;
  uint16_t type = reinterpret_cast<const core::EthHdr*>(frame)->type;
  uint32_t offset = sizeof(core::EthHdr);
  if (type == core::htons(core::kEthTypeVlan) && len >= sizeof(core::EthHdr) + sizeof(core::VlanHdr)) {
    type = reinterpret_cast<const core::VlanHdr*>(frame + sizeof(core::EthHdr))->type;
    offset += sizeof(core::VlanHdr);
  }
  return type == core::htons(core::kEthTypeIpv6) ? offset : 0;
}

}  // namespace xvs::lb
