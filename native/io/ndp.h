// native/io/ndp.h — IPv6 neighbour discovery over Ethernet (RFC 4861), arp.h's counterpart, with
// one optional 802.1Q tag: parse a neighbour solicitation or advertisement (validated as RFC 4861
// 7.1.1 and 7.1.2 ask: hop limit 255, code 0, the checksum, no multicast target, whole options),
// turn a solicitation into the advertisement answering it in place, build a solicitation (to the
// target's solicited-node multicast group) and an unsolicited advertisement (to all nodes).
// Pure functions on bytes; the DPDK backend's queues use them on the worker that owns the frame
// (answering for the data plane's IPv6 addresses, learning neighbours), where no kernel does it.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/checksum.h"
#include "core/ipv6_address.h"
#include "core/net.h"

namespace xvs::io::ndp {

inline constexpr uint8_t kNeighbourSolicit = 135;
inline constexpr uint8_t kNeighbourAdvert = 136;
inline constexpr uint8_t kOptionSourceLink = 1;
inline constexpr uint8_t kOptionTargetLink = 2;
inline constexpr uint8_t kHopLimit = 255;  // RFC 4861: anything else crossed a router
inline constexpr uint32_t kMessageLength = 24;       // type, code, checksum, flags, target
inline constexpr uint32_t kLinkOptionLength = 8;     // an Ethernet link-layer address option
inline constexpr uint32_t kFrameLength = sizeof(core::EthHdr) + sizeof(core::Ipv6Hdr) + kMessageLength + kLinkOptionLength;  // 86
inline constexpr uint8_t kFlagSolicited = 0x40, kFlagOverride = 0x20;

struct View {
  uint32_t l3 = 0;  // of the IPv6 header (14, or 18 with a VLAN tag)
  uint8_t type = 0;
  uint8_t flags = 0;  // an advertisement's R, S, O
  core::Ipv6Address source{};
  core::Ipv6Address target{};
  bool has_link = false;  // a source (solicitation) or target (advertisement) link-layer address option
  uint8_t link[6] = {};
  uint8_t eth_source[6] = {};
};

inline bool is_multicast(const core::Ipv6Address& a) { return a.bytes[0] == 0xff; }

// True when `frame` is a valid neighbour solicitation or advertisement (no extension headers:
// NDP sends none); anything else, including a truncated one, is not.
inline bool parse(const uint8_t* frame, uint32_t len, View& out) {
  if (len < sizeof(core::EthHdr)) return false;
  uint32_t l3 = 12;
  uint16_t type = static_cast<uint16_t>(frame[l3] << 8 | frame[l3 + 1]);
  l3 += 2;
  if (type == core::kEthTypeVlan) {
    if (len < l3 + 4) return false;
    type = static_cast<uint16_t>(frame[l3 + 2] << 8 | frame[l3 + 3]);
    l3 += 4;
  }
  if (type != core::kEthTypeIpv6 || len < l3 + sizeof(core::Ipv6Hdr) + kMessageLength) return false;
  const auto* ip = reinterpret_cast<const core::Ipv6Hdr*>(frame + l3);
  const uint32_t payload = core::ntohs(ip->payload_length);
  if (ip->version() != 6 || ip->next_header != core::kIpProtoIcmpv6 || ip->hop_limit != kHopLimit || payload < kMessageLength ||
      l3 + sizeof(core::Ipv6Hdr) + payload > len)
    return false;
  const uint8_t* m = frame + l3 + sizeof(core::Ipv6Hdr);
  if ((m[0] != kNeighbourSolicit && m[0] != kNeighbourAdvert) || m[1] != 0) return false;
  if (core::checksum_finish(core::checksum_partial(m, payload, core::ipv6_pseudo_sum(ip, payload, core::kIpProtoIcmpv6))) != 0) return false;
  View v;
  v.l3 = l3;
  v.type = m[0];
  v.flags = m[4];
  v.source = core::Ipv6Address::load(ip->saddr);
  v.target = core::Ipv6Address::load(m + 8);
  std::memcpy(v.eth_source, frame + 6, 6);
  if (is_multicast(v.target)) return false;
  const uint8_t wanted = v.type == kNeighbourSolicit ? kOptionSourceLink : kOptionTargetLink;
  for (uint32_t at = kMessageLength; at < payload;) {
    if (payload - at < 2 || m[at + 1] == 0 || m[at + 1] * 8u > payload - at) return false;  // RFC 4861 4.6: no zero-length option
    if (m[at] == wanted && m[at + 1] == 1) {
      v.has_link = true;
      std::memcpy(v.link, m + at + 2, 6);
    }
    at += m[at + 1] * 8u;
  }
  // A solicitation from the unspecified address (duplicate address detection) has no link address.
  if (v.type == kNeighbourSolicit && v.source.is_zero() && v.has_link) return false;
  out = v;
  return true;
}

namespace detail {

// Ethernet, IPv6 (hop limit 255) and the 24-byte message with one link-layer address option of
// `option`, checksummed. `out` holds kFrameLength bytes.
inline uint32_t write_message(uint8_t* out, const uint8_t eth_dst[6], const uint8_t mac[6], const core::Ipv6Address& source,
                              const core::Ipv6Address& destination, uint8_t type, uint8_t flags, const core::Ipv6Address& target,
                              uint8_t option) {
  std::memset(out, 0, kFrameLength);
  std::memcpy(out, eth_dst, 6);
  std::memcpy(out + 6, mac, 6);
  out[12] = 0x86;
  out[13] = 0xdd;
  auto* ip = reinterpret_cast<core::Ipv6Hdr*>(out + sizeof(core::EthHdr));
  ip->version_class = 0x60;
  ip->payload_length = core::htons(kMessageLength + kLinkOptionLength);
  ip->next_header = core::kIpProtoIcmpv6;
  ip->hop_limit = kHopLimit;
  source.store(ip->saddr);
  destination.store(ip->daddr);
  uint8_t* m = out + sizeof(core::EthHdr) + sizeof(core::Ipv6Hdr);
  m[0] = type;
  m[4] = flags;
  target.store(m + 8);
  m[24] = option;
  m[25] = 1;
  std::memcpy(m + 26, mac, 6);
  const uint16_t sum = core::ipv6_l4_checksum(ip, core::kIpProtoIcmpv6, m, kMessageLength + kLinkOptionLength);
  std::memcpy(m + 2, &sum, 2);
  return kFrameLength;
}

inline core::Ipv6Address all_nodes() {
  core::Ipv6Address a{};
  a.bytes[0] = 0xff, a.bytes[1] = 0x02, a.bytes[15] = 1;
  return a;
}

}  // namespace detail

// The solicited-node multicast group of `a` (ff02::1:ffXX:XXXX, RFC 4291 2.7.1) and its MAC.
inline core::Ipv6Address solicited_node(const core::Ipv6Address& a) {
  core::Ipv6Address g{};
  g.bytes[0] = 0xff, g.bytes[1] = 0x02, g.bytes[11] = 1, g.bytes[12] = 0xff;
  std::memcpy(g.bytes + 13, a.bytes + 13, 3);
  return g;
}
inline void multicast_mac(const core::Ipv6Address& group, uint8_t mac[6]) {
  mac[0] = 0x33, mac[1] = 0x33;
  std::memcpy(mac + 2, group.bytes + 12, 4);
}

// The link-local address of `mac` (fe80::/64 with its modified EUI-64, RFC 4291 2.5.1): the source
// of solicitations from a port whose host side has no IPv6 address.
inline core::Ipv6Address link_local(const uint8_t mac[6]) {
  core::Ipv6Address a{};
  a.bytes[0] = 0xfe, a.bytes[1] = 0x80;
  a.bytes[8] = mac[0] ^ 0x02, a.bytes[9] = mac[1], a.bytes[10] = mac[2], a.bytes[11] = 0xff;
  a.bytes[12] = 0xfe, a.bytes[13] = mac[3], a.bytes[14] = mac[4], a.bytes[15] = mac[5];
  return a;
}

// Turns the parsed solicitation in `frame` into the advertisement that `mac` holds its target
// (solicited and override set; to all nodes for duplicate address detection, RFC 4861 7.2.4),
// keeping its VLAN tag; returns the new length, or 0 when `capacity` cannot hold it.
inline uint32_t answer_in_place(uint8_t* frame, uint32_t capacity, const View& ns, const uint8_t mac[6]) {
  const uint32_t length = ns.l3 + (kFrameLength - sizeof(core::EthHdr));
  if (capacity < length) return 0;
  const bool dad = ns.source.is_zero();
  uint8_t eth_dst[6];
  if (dad) multicast_mac(detail::all_nodes(), eth_dst);
  else std::memcpy(eth_dst, ns.has_link ? ns.link : ns.eth_source, 6);
  // Written untagged at the frame's start, then the tag put back between the MACs and the type.
  uint8_t message[kFrameLength];
  detail::write_message(message, eth_dst, mac, ns.target, dad ? detail::all_nodes() : ns.source, kNeighbourAdvert,
                        dad ? kFlagOverride : kFlagSolicited | kFlagOverride, ns.target, kOptionTargetLink);
  std::memcpy(frame, message, 12);
  std::memcpy(frame + ns.l3 - 2, message + 12, kFrameLength - 12);
  return length;
}

// Writes a solicitation for `target` from `source` (the port's address) into `out`, which must
// hold kFrameLength bytes; returns its length.
inline uint32_t build_solicit(uint8_t* out, const uint8_t mac[6], const core::Ipv6Address& source, const core::Ipv6Address& target) {
  const core::Ipv6Address group = solicited_node(target);
  uint8_t eth_dst[6];
  multicast_mac(group, eth_dst);
  return detail::write_message(out, eth_dst, mac, source, group, kNeighbourSolicit, 0, target, kOptionSourceLink);
}

// Writes an unsolicited advertisement (to all nodes, override set, RFC 4861 7.2.6) that `mac`
// holds `address`, into `out` (kFrameLength bytes); returns its length.
inline uint32_t build_announcement(uint8_t* out, const uint8_t mac[6], const core::Ipv6Address& address) {
  uint8_t eth_dst[6];
  multicast_mac(detail::all_nodes(), eth_dst);
  return detail::write_message(out, eth_dst, mac, address, detail::all_nodes(), kNeighbourAdvert, kFlagOverride, address, kOptionTargetLink);
}

}  // namespace xvs::io::ndp
