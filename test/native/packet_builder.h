// test/native/packet_builder.h — builds Ethernet (802.1Q tags optional) / IPv4 / TCP, UDP, ICMP frames with from-scratch checksums, IPIP and ICMP-error frames, and verifies checksums by full recomputation.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "core/checksum.h"
#include "core/net.h"
#include "core/parse.h"

namespace xvs::test {

using Mac = std::array<uint8_t, 6>;

// a.b.c.d as it sits in a packet (network order).
constexpr uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return static_cast<uint32_t>(a) | static_cast<uint32_t>(b) << 8 | static_cast<uint32_t>(c) << 16 |
         static_cast<uint32_t>(d) << 24;
}
constexpr Mac mac_of(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e, uint8_t f) { return {a, b, c, d, e, f}; }

struct PacketSpec {
  Mac src_mac = mac_of(2, 0, 0, 0, 0xaa, 1);
  Mac dst_mac = mac_of(2, 0, 0, 0, 0xbb, 1);
  uint16_t ethertype = core::kEthTypeIpv4;  // host order
  uint32_t saddr = ipv4(198, 51, 100, 7);   // network order
  uint32_t daddr = ipv4(203, 0, 113, 10);
  uint16_t sport = 40000;  // host order
  uint16_t dport = 80;
  uint8_t protocol = core::kIpProtoTcp;
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t ip_id = 0x1234;
  uint16_t frag_off = 0;  // host order: flags | offset in 8-byte units
  uint8_t ip_option_words = 0;
  uint8_t tcp_flags = core::kTcpSyn;
  uint8_t tcp_option_words = 0;
  std::vector<uint8_t> tcp_options;  // written first in the option words (set both), NOPs after
  uint16_t window = 65535;
  uint32_t seq = 1000, ack = 0;
  std::vector<uint8_t> payload;
  bool udp_no_checksum = false;  // send UDP checksum 0 ("none")
  std::vector<uint16_t> vlan_tags;  // 802.1Q TCIs (host order), outermost first; each adds 4 bytes
  // ICMP (protocol 1): type, code and the 4 "rest of header" bytes; the payload follows.
  uint8_t icmp_type = 8, icmp_code = 0;
  uint16_t icmp_rest_hi = 0, icmp_rest_lo = 0;  // echo: id, sequence; frag-needed: 0, next-hop MTU
};

// `s` with these TCP option bytes (padded with NOPs to a 4-byte boundary).
inline PacketSpec with_tcp_options(PacketSpec s, std::vector<uint8_t> options) {
  s.tcp_option_words = static_cast<uint8_t>((options.size() + 3) / 4);
  s.tcp_options = std::move(options);
  return s;
}

inline uint32_t l4_header_size(const PacketSpec& s) {
  if (s.protocol == core::kIpProtoTcp) return sizeof(core::TcpHdr) + s.tcp_option_words * 4u;
  if (s.protocol == core::kIpProtoUdp) return sizeof(core::UdpHdr);
  if (s.protocol == core::kIpProtoIcmp) return sizeof(core::IcmpHdr);
  return 0;
}

// Bytes before the IPv4 header: Ethernet plus any 802.1Q tags.
inline uint32_t l2_size(const PacketSpec& s) { return 14 + 4 * static_cast<uint32_t>(s.vlan_tags.size()); }
inline uint32_t l3_offset_of(const std::vector<uint8_t>& f) {
  uint32_t at = 12;
  while (at + 2 <= f.size() && f[at] == 0x81 && f[at + 1] == 0x00) at += 4;
  return at + 2;
}

// Full recomputation of the TCP/UDP checksum field of an IPv4 datagram (whatever the field now
// holds), with UDP's "computed zero is sent as 0xffff".
inline uint16_t full_l4_checksum(const core::Ipv4Hdr* ip, const uint8_t* l4, uint32_t l4_len) {
  std::vector<uint8_t> copy(l4, l4 + l4_len);
  const size_t at = ip->protocol == core::kIpProtoTcp ? offsetof(core::TcpHdr, checksum) : offsetof(core::UdpHdr, checksum);
  copy[at] = copy[at + 1] = 0;
  const uint16_t sum = core::ipv4_l4_checksum(ip, copy.data(), l4_len);
  return ip->protocol == core::kIpProtoUdp && sum == 0 ? 0xffff : sum;
}

inline std::vector<uint8_t> build_frame(const PacketSpec& s) {
  const uint32_t ihl = sizeof(core::Ipv4Hdr) + s.ip_option_words * 4u;
  const uint32_t l4_hdr = l4_header_size(s);
  const uint32_t total = ihl + l4_hdr + static_cast<uint32_t>(s.payload.size());
  const uint32_t l2 = l2_size(s);
  std::vector<uint8_t> f(l2 + total, 0);

  auto* eth = reinterpret_cast<core::EthHdr*>(f.data());
  std::memcpy(eth->dst, s.dst_mac.data(), 6);
  std::memcpy(eth->src, s.src_mac.data(), 6);
  for (size_t t = 0; t < s.vlan_tags.size(); ++t) {
    uint8_t* tag = f.data() + 12 + 4 * t;
    tag[0] = 0x81, tag[1] = 0x00;
    tag[2] = static_cast<uint8_t>(s.vlan_tags[t] >> 8), tag[3] = static_cast<uint8_t>(s.vlan_tags[t]);
  }
  f[l2 - 2] = static_cast<uint8_t>(s.ethertype >> 8), f[l2 - 1] = static_cast<uint8_t>(s.ethertype);

  auto* ip = reinterpret_cast<core::Ipv4Hdr*>(f.data() + l2);
  ip->version_ihl = static_cast<uint8_t>(0x40 | (ihl / 4));
  ip->tos = s.tos;
  ip->total_length = core::htons(static_cast<uint16_t>(total));
  ip->id = core::htons(s.ip_id);
  ip->frag_off = core::htons(s.frag_off);
  ip->ttl = s.ttl;
  ip->protocol = s.protocol;
  ip->saddr = s.saddr;
  ip->daddr = s.daddr;
  uint8_t* options = reinterpret_cast<uint8_t*>(ip) + sizeof(core::Ipv4Hdr);
  for (uint32_t i = 0; i < s.ip_option_words * 4u; ++i) options[i] = static_cast<uint8_t>(0x01 + i * 37);  // arbitrary bytes

  uint8_t* l4 = reinterpret_cast<uint8_t*>(ip) + ihl;
  if (s.protocol == core::kIpProtoTcp) {
    auto* tcp = reinterpret_cast<core::TcpHdr*>(l4);
    tcp->sport = core::htons(s.sport);
    tcp->dport = core::htons(s.dport);
    tcp->seq = core::htonl(s.seq);
    tcp->ack_seq = core::htonl(s.ack);
    tcp->data_offset_reserved = static_cast<uint8_t>((l4_hdr / 4) << 4);
    tcp->flags = s.tcp_flags;
    tcp->window = core::htons(s.window);
    for (uint32_t i = sizeof(core::TcpHdr); i < l4_hdr; ++i) {
      const uint32_t o = i - sizeof(core::TcpHdr);
      l4[i] = o < s.tcp_options.size() ? s.tcp_options[o] : 0x01;  // NOP after the given options
    }
  } else if (s.protocol == core::kIpProtoUdp) {
    auto* udp = reinterpret_cast<core::UdpHdr*>(l4);
    udp->sport = core::htons(s.sport);
    udp->dport = core::htons(s.dport);
    udp->length = core::htons(static_cast<uint16_t>(l4_hdr + s.payload.size()));
  } else if (s.protocol == core::kIpProtoIcmp) {
    auto* icmp = reinterpret_cast<core::IcmpHdr*>(l4);
    icmp->type = s.icmp_type;
    icmp->code = s.icmp_code;
    icmp->unused = core::htons(s.icmp_rest_hi);
    icmp->mtu = core::htons(s.icmp_rest_lo);
  }
  if (!s.payload.empty()) std::memcpy(l4 + l4_hdr, s.payload.data(), s.payload.size());

  ip->checksum = core::ipv4_header_checksum(ip);
  const uint32_t l4_len = total - ihl;
  // Only an unfragmented datagram carries a checksum we can compute here (DF alone is not a fragment).
  const bool whole = (s.frag_off & (core::kIpFlagMoreFragments | core::kIpFragOffsetMask)) == 0;
  if (whole && (s.protocol == core::kIpProtoTcp || s.protocol == core::kIpProtoUdp)) {
    const uint16_t sum = s.udp_no_checksum ? 0 : full_l4_checksum(ip, l4, l4_len);
    std::memcpy(l4 + (s.protocol == core::kIpProtoTcp ? offsetof(core::TcpHdr, checksum) : offsetof(core::UdpHdr, checksum)),
                &sum, 2);
  }
  if (whole && s.protocol == core::kIpProtoIcmp) {
    const uint16_t sum = core::checksum_finish(core::checksum_partial(l4, l4_len));
    std::memcpy(l4 + offsetof(core::IcmpHdr, checksum), &sum, 2);
  }
  return f;
}

inline core::Ipv4Hdr* ip_of(std::vector<uint8_t>& f) { return reinterpret_cast<core::Ipv4Hdr*>(f.data() + l3_offset_of(f)); }
inline const core::Ipv4Hdr* ip_of(const std::vector<uint8_t>& f) {
  return reinterpret_cast<const core::Ipv4Hdr*>(f.data() + l3_offset_of(f));
}
inline uint8_t* l4_of(std::vector<uint8_t>& f) { return reinterpret_cast<uint8_t*>(ip_of(f)) + ip_of(f)->header_length(); }

// The IPv4 datagram of a frame (no L2 header), cut to at most `max_len` bytes: what an ICMP
// error quotes.
inline std::vector<uint8_t> datagram(const std::vector<uint8_t>& frame, size_t max_len = SIZE_MAX) {
  const size_t at = l3_offset_of(frame);
  return std::vector<uint8_t>(frame.begin() + at, frame.begin() + at + std::min(max_len, frame.size() - at));
}

// An ICMP error (type/code) carrying `quoted`; addresses and MACs from `outer`.
inline PacketSpec icmp_error(PacketSpec outer, const std::vector<uint8_t>& quoted, uint8_t type = core::kIcmpDestUnreachable,
                             uint8_t code = 1) {
  outer.protocol = core::kIpProtoIcmp;
  outer.icmp_type = type;
  outer.icmp_code = code;
  outer.payload = quoted;
  return outer;
}

// An IPIP frame: L2 of `l2_from` (its MACs replaced), outer header as RFC 2003 / IPVS build it
// from the inner datagram (TOS, TTL, DF and ID copied), then the inner datagram unchanged.
inline std::vector<uint8_t> ipip_frame(const std::vector<uint8_t>& inner_frame, uint32_t saddr, uint32_t daddr,
                                       const Mac& src_mac, const Mac& dst_mac) {
  const uint32_t l2 = l3_offset_of(inner_frame);
  const std::vector<uint8_t> inner = datagram(inner_frame);
  const auto* in = reinterpret_cast<const core::Ipv4Hdr*>(inner.data());
  std::vector<uint8_t> f(inner_frame.begin(), inner_frame.begin() + l2);
  std::memcpy(f.data(), dst_mac.data(), 6);
  std::memcpy(f.data() + 6, src_mac.data(), 6);
  core::Ipv4Hdr outer{};
  outer.version_ihl = 0x45;
  outer.tos = in->tos;
  outer.total_length = core::htons(static_cast<uint16_t>(inner.size() + 20));
  outer.id = in->id;
  outer.frag_off = in->frag_off & core::htons(core::kIpFlagDontFragment);
  outer.ttl = in->ttl;
  outer.protocol = core::kIpProtoIpip;
  outer.saddr = saddr;
  outer.daddr = daddr;
  outer.checksum = core::ipv4_header_checksum(&outer);
  const auto* o = reinterpret_cast<const uint8_t*>(&outer);
  f.insert(f.end(), o, o + 20);
  f.insert(f.end(), inner.begin(), inner.end());
  return f;
}

// Both checksums of a well-formed IPv4 TCP/UDP frame verify by full recomputation. A UDP
// checksum of zero ("none") is accepted only when `udp_zero_ok`.
// An ICMP message's checksum, and for errors the quoted IPv4 header's and (when the quoted
// datagram is complete) its TCP/UDP checksum, verify too; IPIP frames are checked inside.
inline ::testing::AssertionResult datagram_checksums_valid(const uint8_t* dgram, size_t available, bool udp_zero_ok);

inline ::testing::AssertionResult checksums_valid(const std::vector<uint8_t>& frame, bool udp_zero_ok = false) {
  const size_t at = l3_offset_of(frame);
  return datagram_checksums_valid(frame.data() + at, frame.size() - at, udp_zero_ok);
}

inline ::testing::AssertionResult datagram_checksums_valid(const uint8_t* dgram, size_t available, bool udp_zero_ok) {
  std::vector<uint8_t> f(dgram, dgram + available);
  const auto* ip = reinterpret_cast<const core::Ipv4Hdr*>(f.data());
  const uint16_t ip_want = core::ipv4_header_checksum(ip);
  if (ip->checksum != ip_want)
    return ::testing::AssertionFailure() << "IPv4 header checksum " << std::hex << ip->checksum << ", recomputed " << ip_want;
  const uint32_t l4_len = core::ntohs(ip->total_length) - ip->header_length();
  const uint8_t* l4 = f.data() + ip->header_length();
  if (ip->protocol == core::kIpProtoIpip) return datagram_checksums_valid(l4, l4_len, udp_zero_ok);
  if (ip->protocol == core::kIpProtoIcmp) {
    const uint16_t sum = core::checksum_fold(core::checksum_partial(l4, l4_len));
    if (sum != 0xffff) return ::testing::AssertionFailure() << "ICMP checksum does not verify";
    if (!core::is_icmp_error_type(l4[0])) return ::testing::AssertionSuccess();
    const auto* q = reinterpret_cast<const core::Ipv4Hdr*>(l4 + 8);
    if (core::ipv4_header_checksum(q) != q->checksum) return ::testing::AssertionFailure() << "quoted IPv4 header checksum";
    if (core::ntohs(q->total_length) > l4_len - 8) return ::testing::AssertionSuccess();  // quoted datagram cut short
    return datagram_checksums_valid(l4 + 8, l4_len - 8, true);
  }
  uint16_t have;
  std::memcpy(&have, l4 + (ip->protocol == core::kIpProtoTcp ? 16 : 6), 2);
  if (ip->protocol == core::kIpProtoUdp && have == 0 && udp_zero_ok) return ::testing::AssertionSuccess();
  const uint16_t want = full_l4_checksum(ip, l4, l4_len);
  if (have != want)
    return ::testing::AssertionFailure() << "L4 checksum " << std::hex << have << ", recomputed " << want;
  return ::testing::AssertionSuccess();
}

// A random TCP or UDP packet: random addresses, ports, TTL, options and payload (0..1400 bytes,
// odd lengths included).
inline PacketSpec random_packet(std::mt19937& rng) {
  PacketSpec s;
  s.saddr = static_cast<uint32_t>(rng());
  s.daddr = static_cast<uint32_t>(rng());
  s.sport = static_cast<uint16_t>(rng());
  s.dport = static_cast<uint16_t>(rng());
  s.protocol = rng() % 2 ? core::kIpProtoTcp : core::kIpProtoUdp;
  s.ttl = static_cast<uint8_t>(2 + rng() % 254);
  s.ip_id = static_cast<uint16_t>(rng());
  s.ip_option_words = static_cast<uint8_t>(rng() % 4 == 0 ? rng() % 11 : 0);
  s.tcp_option_words = static_cast<uint8_t>(rng() % 4 == 0 ? rng() % 11 : 0);
  s.tcp_flags = static_cast<uint8_t>(rng());
  s.seq = static_cast<uint32_t>(rng());
  s.ack = static_cast<uint32_t>(rng());
  s.payload.resize(rng() % 1401);
  for (auto& b : s.payload) b = static_cast<uint8_t>(rng());
  return s;
}

}  // namespace xvs::test
