// test/native/packet_builder6.h — builds Ethernet (802.1Q tag optional) / IPv6 / TCP, UDP, ICMPv6
// frames with from-scratch checksums, ip6ip6 frames and ICMPv6 errors quoting a packet, and
// verifies checksums by full recomputation: packet_builder.h's counterpart for IPv6 rows.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "core/checksum.h"
#include "core/ipv6_address.h"
#include "core/net.h"
#include "packet_builder.h"

namespace xvs::test {

// An IPv6 address from its eight groups (host order).
inline core::Ipv6Address ipv6(std::initializer_list<uint16_t> groups) {
  core::Ipv6Address a{};
  int i = 0;
  for (uint16_t g : groups) {
    a.bytes[2 * i] = static_cast<uint8_t>(g >> 8);
    a.bytes[2 * i + 1] = static_cast<uint8_t>(g);
    ++i;
  }
  return a;
}

struct Packet6Spec {
  Mac src_mac = mac_of(2, 0, 0, 0, 0xaa, 1);
  Mac dst_mac = mac_of(2, 0, 0, 0, 0xbb, 1);
  core::Ipv6Address saddr{};
  core::Ipv6Address daddr{};
  uint16_t sport = 40000;  // host order
  uint16_t dport = 80;
  uint8_t protocol = core::kIpProtoTcp;
  uint8_t hop_limit = 64;
  uint32_t flow_label = 0x12345;
  uint8_t tcp_flags = core::kTcpSyn;
  uint32_t seq = 1000, ack = 0;
  uint16_t window = 65535;
  std::vector<uint8_t> tcp_options;  // a multiple of 4 bytes
  std::vector<uint8_t> payload;
  bool zero_udp_checksum = false;
  std::vector<uint16_t> vlan_tags;
  // Extension headers before the upper layer: a fragment header with this offset field (host
  // order: offset << 3 | M) when set.
  bool fragment_header = false;
  uint16_t fragment = 0;
  // An 8-byte destination options header (one PadN option) after it, when set.
  bool destination_options = false;
  // ICMPv6 (protocol 58): type, code and the 4 bytes after the checksum; the payload follows.
  uint8_t icmp_type = 128, icmp_code = 0;
  uint32_t icmp_rest = 0;
};

inline void put16be(std::vector<uint8_t>& f, size_t at, uint16_t v) {
  f[at] = static_cast<uint8_t>(v >> 8);
  f[at + 1] = static_cast<uint8_t>(v);
}
inline void put32be(std::vector<uint8_t>& f, size_t at, uint32_t v) {
  put16be(f, at, static_cast<uint16_t>(v >> 16));
  put16be(f, at + 2, static_cast<uint16_t>(v));
}

// The IPv6 packet of `s` (no Ethernet), every checksum computed.
inline std::vector<uint8_t> ipv6_packet(const Packet6Spec& s) {
  std::vector<uint8_t> p(40, 0);
  p[0] = 0x60;  // traffic class 0
  p[1] = static_cast<uint8_t>((s.flow_label >> 16) & 0x0f);
  p[2] = static_cast<uint8_t>(s.flow_label >> 8);
  p[3] = static_cast<uint8_t>(s.flow_label);
  p[7] = s.hop_limit;
  s.saddr.store(p.data() + 8);
  s.daddr.store(p.data() + 24);
  size_t next_at = 6;
  if (s.fragment_header) {
    p[next_at] = core::kIpv6Fragment;
    p.resize(48, 0);
    put16be(p, 42, s.fragment);
    put32be(p, 44, 0xabcd);
    next_at = 40;
  }
  if (s.destination_options) {
    const size_t at = p.size();
    p[next_at] = core::kIpv6DestOptions;
    p.resize(at + 8, 0);
    p[at + 2] = 1;  // PadN of 4
    p[at + 3] = 4;
    next_at = at;
  }
  p[next_at] = s.protocol;
  const size_t l4 = p.size();
  if (s.protocol == core::kIpProtoTcp) {
    p.resize(l4 + 20, 0);
    put16be(p, l4, s.sport);
    put16be(p, l4 + 2, s.dport);
    put32be(p, l4 + 4, s.seq);
    put32be(p, l4 + 8, s.ack);
    p[l4 + 12] = static_cast<uint8_t>(((20 + s.tcp_options.size()) / 4) << 4);
    p[l4 + 13] = s.tcp_flags;
    put16be(p, l4 + 14, s.window);
    p.insert(p.end(), s.tcp_options.begin(), s.tcp_options.end());
  } else if (s.protocol == core::kIpProtoUdp) {
    p.resize(l4 + 8, 0);
    put16be(p, l4, s.sport);
    put16be(p, l4 + 2, s.dport);
    put16be(p, l4 + 4, static_cast<uint16_t>(8 + s.payload.size()));
  } else if (s.protocol == core::kIpProtoIcmpv6) {
    p.resize(l4 + 8, 0);
    p[l4] = s.icmp_type;
    p[l4 + 1] = s.icmp_code;
    put32be(p, l4 + 4, s.icmp_rest);
  }
  p.insert(p.end(), s.payload.begin(), s.payload.end());
  put16be(p, 4, static_cast<uint16_t>(p.size() - 40));
  const uint32_t sum_at = s.protocol == core::kIpProtoTcp ? 16 : s.protocol == core::kIpProtoUdp ? 6 : 2;
  if (!(s.protocol == core::kIpProtoUdp && s.zero_udp_checksum) && (!s.fragment_header || s.fragment == 0)) {
    uint16_t sum = core::ipv6_l4_checksum(reinterpret_cast<const core::Ipv6Hdr*>(p.data()), s.protocol, p.data() + l4, p.size() - l4);
    if (s.protocol == core::kIpProtoUdp && sum == 0) sum = 0xffff;
    std::memcpy(p.data() + l4 + sum_at, &sum, 2);
  }
  return p;
}

// Ethernet (and tags) around an IPv6 packet.
inline std::vector<uint8_t> frame6_around(const Mac& dst, const Mac& src, const std::vector<uint16_t>& tags,
                                          const std::vector<uint8_t>& packet) {
  std::vector<uint8_t> f(dst.begin(), dst.end());
  f.insert(f.end(), src.begin(), src.end());
  for (uint16_t tci : tags) f.insert(f.end(), {0x81, 0x00, static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)});
  f.insert(f.end(), {0x86, 0xdd});
  f.insert(f.end(), packet.begin(), packet.end());
  return f;
}

inline std::vector<uint8_t> build_frame6(const Packet6Spec& s) {
  return frame6_around(s.dst_mac, s.src_mac, s.vlan_tags, ipv6_packet(s));
}

// `inner` inside an outer IPv6 header (next header 41) from `saddr` to `daddr`, hop limit and flow
// label copied from the inner header, between the MACs given.
inline std::vector<uint8_t> build_ip6ip6_frame(const Mac& dst, const Mac& src, const core::Ipv6Address& saddr,
                                               const core::Ipv6Address& daddr, const std::vector<uint8_t>& inner) {
  std::vector<uint8_t> outer(inner.begin(), inner.begin() + 40);
  put16be(outer, 4, static_cast<uint16_t>(inner.size()));
  outer[6] = 41;
  saddr.store(outer.data() + 8);
  daddr.store(outer.data() + 24);
  outer.insert(outer.end(), inner.begin(), inner.end());
  return frame6_around(dst, src, {}, outer);
}

// An ICMPv6 error of `type`/`code` with `rest` (the MTU for packet too big) from `saddr` to
// `daddr`, quoting `quoted` (an IPv6 packet, cut to `quoted_len` bytes if shorter).
inline std::vector<uint8_t> build_icmp6_error(const Mac& dst, const Mac& src, const core::Ipv6Address& saddr,
                                              const core::Ipv6Address& daddr, uint8_t type, uint8_t code, uint32_t rest,
                                              const std::vector<uint8_t>& quoted, size_t quoted_len = SIZE_MAX,
                                              uint8_t hop_limit = 64) {
  Packet6Spec s;
  s.protocol = core::kIpProtoIcmpv6;
  s.saddr = saddr, s.daddr = daddr;
  s.icmp_type = type, s.icmp_code = code, s.icmp_rest = rest;
  s.hop_limit = hop_limit;
  s.flow_label = 0;
  s.payload.assign(quoted.begin(), quoted.begin() + static_cast<ptrdiff_t>(std::min(quoted_len, quoted.size())));
  return frame6_around(dst, src, {}, ipv6_packet(s));
}

// Whether the upper-layer checksum of the IPv6 packet at `l3` of `f` (no extension headers) is
// right: the one's-complement sum over the pseudo-header and the message is 0xffff.
inline bool ipv6_checksum_ok(const std::vector<uint8_t>& f, size_t l3 = 14) {
  const auto* ip = reinterpret_cast<const core::Ipv6Hdr*>(f.data() + l3);
  const size_t l4 = l3 + 40;
  const uint64_t sum = core::checksum_partial(f.data() + l4, f.size() - l4, core::ipv6_pseudo_sum(ip, static_cast<uint32_t>(f.size() - l4), ip->next_header));
  return core::checksum_finish(sum) == 0;
}

}  // namespace xvs::test
