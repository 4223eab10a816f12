// native/lb/nat64.h — RFC 7915 header translation for Full-NAT's NAT64 (an IPv6 VIP balanced
// over IPv4 servers through an IPv4 local-address pool, as DPVS does): a client's IPv6 TCP/UDP
// packet becomes an IPv4 packet towards its server, a server's IPv4 packet becomes IPv6 towards
// the client, in place in the frame (the L2 header moves; IPv4 to IPv6 grows into the headroom),
// and ICMP errors about a connection are translated both ways with their quoted packet (types and
// codes as RFC 7915 4.2 and 5.2 map them; what has no equivalent, parameter problems with a
// pointer among them, is refused for the caller to drop and count). Transport checksums are
// updated (RFC 1624: the two pseudo-headers differ only in their addresses), ICMP ones computed
// afresh; an IPv4 UDP datagram without a checksum gets one, which IPv6 requires. IPv6 extension
// headers are not carried over (RFC 7915 5.1); fragments are the caller's to refuse. Pure
// functions over one frame; the workers' threads.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/checksum.h"
#include "core/net.h"
#include "core/parse.h"
#include "core/parse6.h"
#include "io/frame.h"
#include "lb/conn.h"

namespace xvs::lb::nat64 {

// What the IPv6 header adds over IPv4's.
inline constexpr uint32_t kGrowth = sizeof(core::Ipv6Hdr) - sizeof(core::Ipv4Hdr);
// The largest ICMP error each family sends: IPv6's minimum MTU (RFC 4443 2.4), IPv4's 576 (RFC 1812 4.3.2.3).
inline constexpr uint32_t kMaxIcmpv6Error = 1280;
inline constexpr uint32_t kMaxIcmpv4Error = 576;

// The one's-complement delta that moves a checksum from addresses `old` (n_old bytes each) to `now`
// (n_new bytes each), as they lie in memory.
inline uint64_t address_delta(const void* old_src, const void* old_dst, uint32_t n_old, const void* new_src, const void* new_dst,
                              uint32_t n_new) {
  const auto minus = [](const void* p, uint32_t n) { return static_cast<uint64_t>(static_cast<uint16_t>(~core::checksum_fold(core::checksum_partial(p, n)))); };
  return minus(old_src, n_old) + minus(old_dst, n_old) + core::checksum_partial(new_src, n_new) + core::checksum_partial(new_dst, n_new);
}

inline uint32_t transport_checksum_at(uint8_t protocol) { return protocol == core::kIpProtoUdp ? 6 : 16; }

// A TCP/UDP header at `l4` (with `available` bytes of it present) gets ports `sport`/`dport` and its
// checksum `delta` more; a UDP checksum of zero stays zero (the caller decides what that means).
inline void retarget_transport(uint8_t* l4, uint32_t available, uint8_t protocol, uint64_t delta, uint16_t sport, uint16_t dport) {
  uint32_t old_ports;
  std::memcpy(&old_ports, l4, 4);
  const uint32_t new_ports = static_cast<uint32_t>(dport) << 16 | sport;
  const uint32_t at = transport_checksum_at(protocol);
  if (available >= at + 2) {
    const uint16_t sum = core::load16(l4 + at);
    delta += core::checksum_delta32(old_ports, new_ports);
    core::store16(l4 + at, protocol == core::kIpProtoUdp ? core::udp_checksum_apply(sum, delta) : core::checksum_apply(sum, delta));
  }
  core::store16(l4, sport);
  core::store16(l4 + 2, dport);
}

// The frame now starts at `start` (its L2 header there, `l2` bytes, followed by an IP packet of
// `l3_len` bytes of the family `ethertype`).
inline core::EthHdr* reframe(io::Frame& frame, uint8_t* start, uint32_t l2, uint32_t l3_len, uint16_t ethertype) {
  const auto shift = static_cast<int32_t>(start - frame.data);
  frame.data = start;
  frame.headroom = static_cast<uint32_t>(static_cast<int32_t>(frame.headroom) + shift);
  if (frame.capacity != 0) frame.capacity = static_cast<uint32_t>(static_cast<int32_t>(frame.capacity) - shift);
  frame.len = l2 + l3_len;
  core::store16(start + l2 - 2, core::htons(ethertype));  // the Ethernet type, or the 802.1Q tag's
  return reinterpret_cast<core::EthHdr*>(start);
}

inline uint8_t ipv6_traffic_class(const core::Ipv6Hdr* ip) {
  return static_cast<uint8_t>((ip->version_class << 4) | (ip->class_flow[0] >> 4));
}
inline void write_ipv6_header(core::Ipv6Hdr* ip, uint8_t traffic_class, uint32_t payload, uint8_t next, uint8_t hop_limit,
                              const core::Ipv6Address& saddr, const core::Ipv6Address& daddr) {
  ip->version_class = static_cast<uint8_t>(0x60 | traffic_class >> 4);
  ip->class_flow[0] = static_cast<uint8_t>(traffic_class << 4);
  ip->class_flow[1] = ip->class_flow[2] = 0;
  ip->payload_length = core::htons(static_cast<uint16_t>(payload));
  ip->next_header = next;
  ip->hop_limit = hop_limit;
  saddr.store(ip->saddr);
  daddr.store(ip->daddr);
}
inline void write_ipv4_header(core::Ipv4Hdr* ip, uint8_t tos, uint32_t total, uint16_t frag_off, uint8_t ttl, uint8_t protocol,
                              uint32_t saddr, uint32_t daddr, uint16_t id = 0) {
  ip->version_ihl = 0x45;
  ip->tos = tos;
  ip->total_length = core::htons(static_cast<uint16_t>(total));
  ip->id = core::htons(id);
  ip->frag_off = core::htons(frag_off);
  ip->ttl = ttl;
  ip->protocol = protocol;
  ip->saddr = saddr;
  ip->daddr = daddr;
  ip->checksum = 0;
  ip->checksum = core::ipv4_header_checksum(ip);
}

// A client's TCP/UDP packet (not a fragment) becomes IPv4 `to` with one hop less (RFC 7915 5.1;
// the caller has checked the hop limit). Above 1260 bytes DF is set (identification 0): an IPv4
// path that cannot take it answers, and the client, told 1280 or more, sends less. At or below,
// DF is clear and the identification `id`: an IPv4 link below 1280 may fragment what no IPv6
// client would make smaller. Returns the frame's L2 header, where it now is; nullptr, the frame
// unchanged, for an upper layer too long for IPv4.
inline constexpr uint32_t kLargestWithoutDf = 1260;
inline core::EthHdr* to_ipv4(io::Frame& frame, core::Packet6View& p, const ConnTuple& to, uint16_t id) {
  const uint32_t l2 = p.l3_offset, l4_len = p.l4_len;
  if (l4_len > 0xffff - sizeof(core::Ipv4Hdr)) return nullptr;
  const uint32_t total = sizeof(core::Ipv4Hdr) + l4_len;
  const uint8_t protocol = p.protocol, traffic_class = ipv6_traffic_class(p.ip), hop_limit = p.ip->hop_limit;
  retarget_transport(p.l4, l4_len, protocol, address_delta(p.ip->saddr, p.ip->daddr, 16, &to.saddr, &to.daddr, 4), to.sport, to.dport);
  auto* ip = reinterpret_cast<core::Ipv4Hdr*>(p.l4 - sizeof(core::Ipv4Hdr));
  uint8_t* start = reinterpret_cast<uint8_t*>(ip) - l2;
  std::memmove(start, frame.data, l2);  // over the IPv6 header, whose fields are read
  const bool df = total > kLargestWithoutDf;
  write_ipv4_header(ip, traffic_class, total, df ? core::kIpFlagDontFragment : 0, static_cast<uint8_t>(hop_limit - 1), protocol,
                    to.saddr, to.daddr, df ? 0 : id);
  return reframe(frame, start, l2, total, core::kEthTypeIpv4);
}

// A server's TCP/UDP packet (not a fragment; IPv4 options dropped) becomes IPv6 `to` with one
// hop less (RFC 7915 4.1). nullptr, the frame unchanged, when the headroom is too small.
inline core::EthHdr* to_ipv6(io::Frame& frame, core::PacketView& p, const ConnTuple6& to) {
  const uint32_t l2 = p.l3_offset, l4_len = p.l4_len;
  auto* ip6 = reinterpret_cast<core::Ipv6Hdr*>(p.l4 - sizeof(core::Ipv6Hdr));
  uint8_t* start = reinterpret_cast<uint8_t*>(ip6) - l2;
  if (start < frame.data - frame.headroom) return nullptr;
  const core::Ipv4Hdr old = *p.ip;
  const bool no_udp_checksum = p.protocol == core::kIpProtoUdp && p.l4_checksum() == 0;
  retarget_transport(p.l4, l4_len, p.protocol, address_delta(&old.saddr, &old.daddr, 4, to.saddr.bytes, to.daddr.bytes, 16), to.sport,
                     to.dport);
  std::memmove(start, frame.data, l2);
  write_ipv6_header(ip6, old.tos, l4_len, old.protocol, static_cast<uint8_t>(old.ttl - 1), to.saddr, to.daddr);
  if (no_udp_checksum) {
    const uint16_t sum = core::ipv6_l4_checksum(ip6, core::kIpProtoUdp, p.l4, l4_len);
    core::store16(p.l4 + 6, sum == 0 ? 0xffff : sum);
  }
  return reframe(frame, start, l2, sizeof(core::Ipv6Hdr) + l4_len, core::kEthTypeIpv6);
}

// ---- ICMP errors --------------------------------------------------------------------------

struct IcmpMapping {
  bool ok;
  uint8_t type, code;
  uint32_t rest;  // the 32 bits after the checksum, host order
};

// RFC 1191 7: what a router that reports no next-hop MTU most likely has, below the length of
// the datagram it refused.
inline uint32_t plateau_below(uint32_t length) {
  static constexpr uint16_t kPlateaus[] = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};
  for (uint16_t p : kPlateaus)
    if (p < length) return p;
  return 68;
}

// RFC 7915 4.2: an ICMPv4 error's ICMPv6 equivalent. `quoted_length`: the total length of the
// datagram it quotes; `client_mtu`: the MTU towards the client, which a packet too big may not
// exceed.
inline IcmpMapping icmpv6_for(uint8_t type, uint8_t code, uint16_t next_hop_mtu, uint32_t quoted_length, uint32_t client_mtu) {
  if (type == core::kIcmpTimeExceeded) return {code <= 1, core::kIcmpv6TimeExceeded, code, 0};
  if (type != core::kIcmpDestUnreachable) return {false, 0, 0, 0};
  switch (code) {
    case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12:
      return {true, core::kIcmpv6DestUnreachable, 0, 0};  // no route
    case 9: case 10: case 13: case 15:
      return {true, core::kIcmpv6DestUnreachable, 1, 0};  // administratively prohibited
    case 2:
      return {true, core::kIcmpv6ParameterProblem, 1, 6};  // unknown next header, at its offset
    case 3:
      return {true, core::kIcmpv6DestUnreachable, 4, 0};  // port unreachable
    case core::kIcmpCodeFragNeeded: {
      // The IPv6 path is 20 bytes longer for the same packet; no more than the client's link takes,
      // never below IPv6's minimum.
      const uint32_t mtu = std::min((next_hop_mtu != 0 ? next_hop_mtu : plateau_below(quoted_length)) + kGrowth, client_mtu);
      return {true, core::kIcmpv6PacketTooBig, 0, mtu < 1280 ? 1280 : mtu};
    }
    default:
      return {false, 0, 0, 0};
  }
}

// RFC 7915 5.2: an ICMPv6 error's ICMPv4 equivalent.
inline IcmpMapping icmpv4_for(uint8_t type, uint8_t code, uint32_t rest) {
  switch (type) {
    case core::kIcmpv6DestUnreachable:
      if (code == 0 || code == 2 || code == 3) return {true, core::kIcmpDestUnreachable, 1, 0};
      if (code == 1) return {true, core::kIcmpDestUnreachable, 10, 0};
      if (code == 4) return {true, core::kIcmpDestUnreachable, 3, 0};
      return {false, 0, 0, 0};
    case core::kIcmpv6PacketTooBig: {
      const uint32_t mtu = rest > kGrowth + 68 ? rest - kGrowth : 68;
      return {true, core::kIcmpDestUnreachable, core::kIcmpCodeFragNeeded, mtu > 0xffff ? 0xffff : mtu};
    }
    case core::kIcmpv6TimeExceeded:
      return {code <= 1, core::kIcmpTimeExceeded, code, 0};
    case core::kIcmpv6ParameterProblem:
      return {code == 1, core::kIcmpDestUnreachable, 2, 0};  // unknown next header: protocol unreachable
    default:
      return {false, 0, 0, 0};
  }
}

enum class IcmpResult : uint8_t { translated, untranslatable, no_room };

// The ICMP(v6) header of `m` at `msg`, its checksum field zero for the caller to fill.
inline void write_icmp_header(uint8_t* msg, const IcmpMapping& m) {
  msg[0] = m.type;
  msg[1] = m.code;
  core::store16(msg + 2, 0);
  const uint32_t rest = core::htonl(m.rest);
  std::memcpy(msg + 4, &rest, 4);
}

// Writes the new L3 packet (`bytes`, `len`) behind the frame's L2 header: in place when the frame
// has the room, else starting earlier in the headroom.
inline IcmpResult place(io::Frame& frame, uint32_t l2, const uint8_t* bytes, uint32_t len, uint16_t ethertype) {
  uint8_t* start = frame.data;
  const uint32_t room = frame.capacity > frame.len ? frame.capacity : frame.len;
  if (l2 + len > room) {
    const uint32_t back = l2 + len - room;
    if (back > frame.headroom) return IcmpResult::no_room;
    start -= back;
    std::memmove(start, frame.data, l2);
  }
  std::memcpy(start + l2, bytes, len);
  reframe(frame, start, l2, len, ethertype);
  return IcmpResult::translated;
}

// An ICMPv4 error about a server-side packet of a NAT64 connection becomes an ICMPv6 error from
// `from` to `to` (the VIP, the client) quoting the packet as the client sent it, `quoted`; one hop
// less. The quoted transport checksum follows when the quote reaches it. `client_mtu`: the MTU
// of the client's side (a packet too big never announces more).
inline IcmpResult icmp_to_ipv6(io::Frame& frame, core::PacketView& p, const core::Ipv6Address& from, const core::Ipv6Address& to,
                               const ConnTuple6& quoted, uint32_t client_mtu) {
  const auto* icmp = reinterpret_cast<const core::IcmpHdr*>(p.l4);
  const IcmpMapping m = icmpv6_for(icmp->type, icmp->code, core::ntohs(icmp->mtu), core::ntohs(p.quoted.ip->total_length), client_mtu);
  if (!m.ok) return IcmpResult::untranslatable;
  const core::QuotedPacket& q = p.quoted;
  const uint32_t q_ihl = q.ip->header_length();
  const uint32_t q_claimed = core::ntohs(q.ip->total_length) > q_ihl ? core::ntohs(q.ip->total_length) - q_ihl : 0;
  constexpr uint32_t kHeaders = sizeof(core::Ipv6Hdr) + sizeof(core::IcmpHdr) + sizeof(core::Ipv6Hdr);
  const uint32_t q_len = q.l4_len < kMaxIcmpv6Error - kHeaders ? q.l4_len : kMaxIcmpv6Error - kHeaders;

  uint8_t out[kMaxIcmpv6Error];
  auto* outer = reinterpret_cast<core::Ipv6Hdr*>(out);
  uint8_t* msg = out + sizeof(core::Ipv6Hdr);
  auto* inner = reinterpret_cast<core::Ipv6Hdr*>(msg + sizeof(core::IcmpHdr));
  uint8_t* inner_l4 = reinterpret_cast<uint8_t*>(inner) + sizeof(core::Ipv6Hdr);
  std::memcpy(inner_l4, q.l4, q_len);
  retarget_transport(inner_l4, q_len, q.protocol, address_delta(&q.ip->saddr, &q.ip->daddr, 4, quoted.saddr.bytes, quoted.daddr.bytes, 16),
                     quoted.sport, quoted.dport);
  write_ipv6_header(inner, q.ip->tos, q_claimed, q.protocol, q.ip->ttl, quoted.saddr, quoted.daddr);
  const uint32_t msg_len = sizeof(core::IcmpHdr) + sizeof(core::Ipv6Hdr) + q_len;
  write_ipv6_header(outer, p.ip->tos, msg_len, core::kIpProtoIcmpv6, static_cast<uint8_t>(p.ip->ttl - 1), from, to);
  write_icmp_header(msg, m);
  core::store16(msg + 2, core::ipv6_l4_checksum(outer, core::kIpProtoIcmpv6, msg, msg_len));
  return place(frame, p.l3_offset, out, sizeof(core::Ipv6Hdr) + msg_len, core::kEthTypeIpv6);
}

// An ICMPv6 error about a client-side packet of a NAT64 connection becomes an ICMPv4 error from
// `from` to `to` (the LIP, the server) quoting the packet as the server sent it, `quoted`; one hop
// less.
inline IcmpResult icmp_to_ipv4(io::Frame& frame, core::Packet6View& p, uint32_t from, uint32_t to, const ConnTuple& quoted) {
  uint32_t rest;
  std::memcpy(&rest, p.l4 + 4, 4);
  const IcmpMapping m = icmpv4_for(p.l4[0], p.l4[1], core::ntohl(rest));
  if (!m.ok) return IcmpResult::untranslatable;
  const core::Quoted6Packet& q = p.quoted;
  const auto q_headers = static_cast<uint32_t>(q.l4 - reinterpret_cast<const uint8_t*>(q.ip));
  const uint32_t q_payload = core::ntohs(q.ip->payload_length) + sizeof(core::Ipv6Hdr);
  const uint32_t q_claimed = q_payload > q_headers ? std::min<uint32_t>(q_payload - q_headers, 0xffff - sizeof(core::Ipv4Hdr)) : 0;
  constexpr uint32_t kHeaders = sizeof(core::Ipv4Hdr) + sizeof(core::IcmpHdr) + sizeof(core::Ipv4Hdr);
  const uint32_t q_len = q.l4_len < kMaxIcmpv4Error - kHeaders ? q.l4_len : kMaxIcmpv4Error - kHeaders;

  uint8_t out[kMaxIcmpv4Error];
  auto* outer = reinterpret_cast<core::Ipv4Hdr*>(out);
  uint8_t* msg = out + sizeof(core::Ipv4Hdr);
  auto* inner = reinterpret_cast<core::Ipv4Hdr*>(msg + sizeof(core::IcmpHdr));
  uint8_t* inner_l4 = reinterpret_cast<uint8_t*>(inner) + sizeof(core::Ipv4Hdr);
  std::memcpy(inner_l4, q.l4, q_len);
  retarget_transport(inner_l4, q_len, q.protocol, address_delta(q.ip->saddr, q.ip->daddr, 16, &quoted.saddr, &quoted.daddr, 4),
                     quoted.sport, quoted.dport);
  write_ipv4_header(inner, ipv6_traffic_class(q.ip), sizeof(core::Ipv4Hdr) + q_claimed, core::kIpFlagDontFragment, q.ip->hop_limit,
                    q.protocol, quoted.saddr, quoted.daddr);
  const uint32_t msg_len = sizeof(core::IcmpHdr) + sizeof(core::Ipv4Hdr) + q_len;
  write_icmp_header(msg, m);
  core::store16(msg + 2, core::checksum_finish(core::checksum_partial(msg, msg_len)));
  // At most 576 bytes: atomic (DF, identification 0; RFC 6864).
  write_ipv4_header(outer, ipv6_traffic_class(p.ip), sizeof(core::Ipv4Hdr) + msg_len, core::kIpFlagDontFragment,
                    static_cast<uint8_t>(p.ip->hop_limit - 1), core::kIpProtoIcmp, from, to);
  return place(frame, p.l3_offset, out, sizeof(core::Ipv4Hdr) + msg_len, core::kEthTypeIpv4);
}

}  // namespace xvs::lb::nat64
