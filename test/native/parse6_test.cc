// test/native/parse6_test.cc — parse_ipv6 (core/parse6.h): exact views of valid frames behind
// every extension header kind, fragments (first, later, atomic), ICMPv6 errors and their quotes,
// VLAN and padding; pass for what is the kernel's; each malformed class by its counter (truncated,
// lying lengths, chains too long, a misplaced hop-by-hop header, bad quotes); every cut of valid
// frames parses without reading past the cut.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "core/checksum.h"
#include "core/parse6.h"

namespace {
using namespace xvs::core;
using xvs::abi::Counter;

struct Ext {
  uint8_t type;         // kIpv6HopByHop, kIpv6Routing, kIpv6DestOptions, kIpv6Fragment, kIpv6Auth
  uint32_t length = 8;  // bytes (a multiple of 8; of 4 for AH)
  uint16_t fragment = 0;  // the fragment header's offset field (host order): offset << 3 | M
};

struct Spec6 {
  std::vector<Ext> exts;
  uint8_t protocol = kIpProtoTcp;
  uint16_t sport = 40000, dport = 80;
  uint8_t tcp_flags = kTcpSyn;
  uint32_t tcp_header = 20;
  std::vector<uint8_t> payload;  // after the upper-layer header (TCP, UDP, ICMPv6)
  uint8_t icmp_type = 128;       // echo request
  std::vector<uint16_t> vlans;
  bool zero_udp_checksum = false;  // else the checksum is computed (IPv6 forbids a zero one)
};

void put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
  f[at] = static_cast<uint8_t>(v >> 8);
  f[at + 1] = static_cast<uint8_t>(v);
}

// The IPv6 packet of `s` (header, extension headers, upper layer), no Ethernet.
std::vector<uint8_t> ipv6_packet(const Spec6& s) {
  std::vector<uint8_t> p(40);
  p[0] = 0x60;
  for (int i = 0; i < 16; ++i) p[8 + i] = static_cast<uint8_t>(0x20 + i), p[24 + i] = static_cast<uint8_t>(0x40 + i);
  p[7] = 64;
  size_t next_at = 6;
  for (const Ext& e : s.exts) {
    p[next_at] = e.type;
    const size_t at = p.size();
    p.resize(at + e.length, 0);
    if (e.type == kIpv6Fragment) put16(p, at + 2, e.fragment);
    else if (e.type == kIpv6Auth) p[at + 1] = static_cast<uint8_t>(e.length / 4 - 2);
    else p[at + 1] = static_cast<uint8_t>(e.length / 8 - 1);
    next_at = at;
  }
  p[next_at] = s.protocol;
  const size_t l4 = p.size();
  if (s.protocol == kIpProtoTcp) {
    p.resize(l4 + s.tcp_header, 0);
    put16(p, l4, s.sport);
    put16(p, l4 + 2, s.dport);
    p[l4 + 12] = static_cast<uint8_t>((s.tcp_header / 4) << 4);
    p[l4 + 13] = s.tcp_flags;
  } else if (s.protocol == kIpProtoUdp) {
    p.resize(l4 + 8, 0);
    put16(p, l4, s.sport);
    put16(p, l4 + 2, s.dport);
    put16(p, l4 + 4, static_cast<uint16_t>(8 + s.payload.size()));
  } else if (s.protocol == kIpProtoIcmpv6) {
    p.resize(l4 + 8, 0);
    p[l4] = s.icmp_type;
  }
  p.insert(p.end(), s.payload.begin(), s.payload.end());
  put16(p, 4, static_cast<uint16_t>(p.size() - 40));
  if (s.protocol == kIpProtoUdp && !s.zero_udp_checksum) {
    const uint16_t sum = xvs::core::ipv6_l4_checksum(reinterpret_cast<const xvs::core::Ipv6Hdr*>(p.data()), kIpProtoUdp,
                                                     p.data() + l4, p.size() - l4);
    std::memcpy(p.data() + l4 + 6, &sum, 2);
  }
  return p;
}

std::vector<uint8_t> frame_of(const Spec6& s, const std::vector<uint8_t>& packet) {
  std::vector<uint8_t> f(12, 0x02);
  for (uint16_t tci : s.vlans) f.insert(f.end(), {0x81, 0x00, static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)});
  f.insert(f.end(), {0x86, 0xdd});
  f.insert(f.end(), packet.begin(), packet.end());
  return f;
}
std::vector<uint8_t> frame_of(const Spec6& s) { return frame_of(s, ipv6_packet(s)); }

// Parses from an exact-size heap copy (a read past the end is a sanitizer's finding).
ParseResult parse(const std::vector<uint8_t>& f, Packet6View& v, uint32_t l3_offset = 14) {
  static std::vector<uint8_t> copy;
  copy = f;
  return parse_ipv6(copy.data(), static_cast<uint32_t>(copy.size()), l3_offset, v);
}

::testing::AssertionResult parses_as(const std::vector<uint8_t>& f, ParseStatus status, Counter why = Counter::count_) {
  Packet6View v{};
  const ParseResult r = parse(f, v);
  if (r.status != status) return ::testing::AssertionFailure() << "status " << int(r.status) << ", want " << int(status);
  if (status == ParseStatus::drop && r.drop_reason != why)
    return ::testing::AssertionFailure() << "drop reason " << xvs::abi::kCounterInfo[uint32_t(r.drop_reason)].name << ", want "
                                         << xvs::abi::kCounterInfo[uint32_t(why)].name;
  return ::testing::AssertionSuccess();
}

TEST(Parse6, TcpWithoutExtensionHeaders) {
  Spec6 s;
  s.tcp_header = 32;
  s.payload.assign(11, 0xab);
  const auto f = frame_of(s);
  Packet6View v{};
  ASSERT_EQ(parse(f, v).status, ParseStatus::ok);
  EXPECT_EQ(v.l3_offset, 14u);
  EXPECT_EQ(v.l4_offset, 54u);
  EXPECT_EQ(v.l4_len, 43u);
  EXPECT_EQ(v.protocol, kIpProtoTcp);
  EXPECT_EQ(v.tcp_flags, kTcpSyn);
  EXPECT_FALSE(v.fragment);
  EXPECT_EQ(ntohs(v.sport()), 40000);
  EXPECT_EQ(ntohs(v.dport()), 80);
  EXPECT_EQ(v.checksum_offset, 16);
  EXPECT_FALSE(v.is_icmp_error());
}

TEST(Parse6, UdpBehindEveryExtensionKind) {
  Spec6 s;
  s.protocol = kIpProtoUdp;
  s.exts = {{kIpv6HopByHop, 16}, {kIpv6DestOptions, 8}, {kIpv6Routing, 24}, {kIpv6Fragment, 8, 0}, {kIpv6Auth, 24},
            {kIpv6DestOptions, 8}};
  s.payload.assign(5, 1);
  const auto f = frame_of(s);
  Packet6View v{};
  ASSERT_EQ(parse(f, v).status, ParseStatus::ok);
  EXPECT_EQ(v.l4_offset, 54u + 16 + 8 + 24 + 8 + 24 + 8);
  EXPECT_EQ(v.l4_len, 13u);
  EXPECT_EQ(v.protocol, kIpProtoUdp);
  EXPECT_FALSE(v.fragment) << "an atomic fragment is a whole datagram (RFC 6946)";
  EXPECT_EQ(v.checksum_offset, 6);
}

// RFC 8200 8.1 forbids a zero UDP checksum but for tunnels (RFC 6935): it parses, and the packet
// path decides by the destination (process6_test.cc).
TEST(Parse6, UdpWithAZeroChecksumParses) {
  Spec6 s;
  s.protocol = kIpProtoUdp;
  s.payload.assign(5, 1);
  s.zero_udp_checksum = true;
  Packet6View v{};
  ASSERT_EQ(parse(frame_of(s), v).status, ParseStatus::ok);
  EXPECT_EQ(v.l4_checksum(), 0);
}

TEST(Parse6, VlanTagAndEthernetPadding) {
  Spec6 s;
  s.vlans = {7};
  auto f = frame_of(s);
  f.resize(f.size() + 6, 0);  // padding beyond the datagram
  Packet6View v{};
  ASSERT_EQ(parse(f, v, 18).status, ParseStatus::ok);
  EXPECT_EQ(v.l4_offset, 58u);
  EXPECT_EQ(v.l4_len, 20u);
}

TEST(Parse6, Fragments) {
  Spec6 first;
  first.exts = {{kIpv6Fragment, 8, kIpv6MoreFragments}};
  Packet6View v{};
  ASSERT_EQ(parse(frame_of(first), v).status, ParseStatus::ok);
  EXPECT_TRUE(v.fragment);
  EXPECT_NE(v.l4, nullptr) << "the first fragment has its ports";

  Spec6 later;
  later.exts = {{kIpv6Fragment, 8, (185 << 3)}};
  later.payload.assign(16, 3);
  ASSERT_EQ(parse(frame_of(later), v).status, ParseStatus::ok);
  EXPECT_TRUE(v.fragment);
  EXPECT_EQ(v.l4, nullptr) << "a later fragment carries no upper-layer header";
  EXPECT_EQ(v.protocol, kIpProtoTcp);
  EXPECT_EQ(v.l4_offset, 54u + 8);

  Spec6 later_other = later;
  later_other.protocol = 132;  // SCTP: the kernel's, fragment or not
  EXPECT_TRUE(parses_as(frame_of(later_other), ParseStatus::pass));
}

TEST(Parse6, IcmpErrorsQuoteTheirPacket) {
  Spec6 quoted;
  quoted.exts = {{kIpv6DestOptions, 8}};
  quoted.sport = 80;
  quoted.dport = 40000;
  Spec6 s;
  s.protocol = kIpProtoIcmpv6;
  s.icmp_type = kIcmpv6PacketTooBig;
  s.payload = ipv6_packet(quoted);
  const auto f = frame_of(s);
  Packet6View v{};
  ASSERT_EQ(parse(f, v).status, ParseStatus::ok);
  ASSERT_TRUE(v.is_icmp_error());
  EXPECT_EQ(v.quoted.protocol, kIpProtoTcp);
  EXPECT_EQ(reinterpret_cast<uint8_t*>(v.quoted.ip), v.l4 + 8);
  EXPECT_EQ(v.quoted.l4, v.l4 + 8 + 40 + 8);
  EXPECT_EQ(ntohs(v.quoted.sport()), 80);
  EXPECT_EQ(ntohs(v.quoted.dport()), 40000);

  // Only 8 bytes of the quoted TCP header are needed.
  Spec6 cut = s;
  cut.payload.resize(40 + 8 + 8);
  ASSERT_EQ(parse(frame_of(cut), v).status, ParseStatus::ok);
  EXPECT_TRUE(v.is_icmp_error());

  // An echo is no error; an error about ICMPv6 names no connection.
  Spec6 echo;
  echo.protocol = kIpProtoIcmpv6;
  ASSERT_EQ(parse(frame_of(echo), v).status, ParseStatus::ok);
  EXPECT_FALSE(v.is_icmp_error());
  Spec6 about_icmp = s;
  about_icmp.payload = ipv6_packet(echo);
  ASSERT_EQ(parse(frame_of(about_icmp), v).status, ParseStatus::ok);
  EXPECT_FALSE(v.is_icmp_error());
}

TEST(Parse6, TheKernelsPackets) {
  for (uint8_t protocol : {kIpv6Esp, kIpv6NoNext, uint8_t{132}, uint8_t{4}}) {
    Spec6 s;
    s.protocol = protocol;
    s.payload.assign(8, 0);
    EXPECT_TRUE(parses_as(frame_of(s), ParseStatus::pass)) << int(protocol);
  }
}

TEST(Parse6, MalformedClasses) {
  Spec6 tcp;
  const auto good = frame_of(tcp);
  EXPECT_TRUE(parses_as(std::vector<uint8_t>(good.begin(), good.begin() + 14 + 39), ParseStatus::drop, Counter::drop_truncated_ip));

  auto v4 = good;
  v4[14] = 0x40;
  EXPECT_TRUE(parses_as(v4, ParseStatus::drop, Counter::drop_bad_ip_header));

  auto jumbo = good;
  put16(jumbo, 14 + 4, 0);
  EXPECT_TRUE(parses_as(jumbo, ParseStatus::drop, Counter::drop_bad_ip_length));

  auto lying = good;
  put16(lying, 14 + 4, 21);  // one byte more than the frame holds
  EXPECT_TRUE(parses_as(lying, ParseStatus::drop, Counter::drop_bad_ip_length));

  Spec6 long_ext;
  long_ext.exts = {{kIpv6HopByHop, 16}};
  auto cut_ext = ipv6_packet(long_ext);
  cut_ext.resize(40 + 8);  // the hop-by-hop header says 16 bytes: 8 are there
  put16(cut_ext, 4, 8);
  EXPECT_TRUE(parses_as(frame_of(long_ext, cut_ext), ParseStatus::drop, Counter::drop_bad_ip_length));

  Spec6 chain;
  for (uint32_t i = 0; i < kMaxIpv6ExtensionHeaders + 1; ++i) chain.exts.push_back({kIpv6DestOptions, 8});
  EXPECT_TRUE(parses_as(frame_of(chain), ParseStatus::drop, Counter::drop_ipv6_extension_headers));
  chain.exts.pop_back();
  EXPECT_TRUE(parses_as(frame_of(chain), ParseStatus::ok));

  Spec6 late_hbh;
  late_hbh.exts = {{kIpv6DestOptions, 8}, {kIpv6HopByHop, 8}};
  EXPECT_TRUE(parses_as(frame_of(late_hbh), ParseStatus::drop, Counter::drop_ipv6_extension_headers));

  Spec6 short_tcp;
  short_tcp.tcp_header = 20;
  auto p = ipv6_packet(short_tcp);
  p.resize(40 + 12);
  put16(p, 4, 12);
  EXPECT_TRUE(parses_as(frame_of(short_tcp, p), ParseStatus::drop, Counter::drop_truncated_l4));
  auto bad_doff = good;
  bad_doff[14 + 40 + 12] = 0x60;  // 24 bytes of header in a 20-byte segment
  EXPECT_TRUE(parses_as(bad_doff, ParseStatus::drop, Counter::drop_bad_tcp_header));
  bad_doff[14 + 40 + 12] = 0x40;  // 16: less than a TCP header
  EXPECT_TRUE(parses_as(bad_doff, ParseStatus::drop, Counter::drop_bad_tcp_header));

  Spec6 udp;
  udp.protocol = kIpProtoUdp;
  p = ipv6_packet(udp);
  p.resize(40 + 7);
  put16(p, 4, 7);
  EXPECT_TRUE(parses_as(frame_of(udp, p), ParseStatus::drop, Counter::drop_truncated_l4));

  Spec6 error;
  error.protocol = kIpProtoIcmpv6;
  error.icmp_type = kIcmpv6DestUnreachable;
  error.payload = ipv6_packet(tcp);
  error.payload.resize(39);  // less than the quoted IPv6 header
  EXPECT_TRUE(parses_as(frame_of(error), ParseStatus::drop, Counter::drop_bad_icmp));
  error.payload = ipv6_packet(tcp);
  error.payload.resize(40 + 7);  // quoted TCP without its ports and sequence number
  EXPECT_TRUE(parses_as(frame_of(error), ParseStatus::drop, Counter::drop_bad_icmp));
  error.payload = ipv6_packet(chain);
  error.payload[0] = 0x40;  // the quote is not IPv6
  EXPECT_TRUE(parses_as(frame_of(error), ParseStatus::drop, Counter::drop_bad_icmp));
}

TEST(Parse6, EveryCutOfValidFramesIsSafe) {
  Spec6 quoted;
  quoted.exts = {{kIpv6Routing, 16}};
  Spec6 icmp;
  icmp.protocol = kIpProtoIcmpv6;
  icmp.icmp_type = kIcmpv6TimeExceeded;
  icmp.payload = ipv6_packet(quoted);
  Spec6 udp;
  udp.protocol = kIpProtoUdp;
  udp.exts = {{kIpv6HopByHop, 8}, {kIpv6Fragment, 8, kIpv6MoreFragments}, {kIpv6Auth, 16}};
  for (const Spec6& s : {Spec6{}, icmp, udp}) {
    const auto f = frame_of(s);
    for (size_t len = 14; len <= f.size(); ++len) {
      std::vector<uint8_t> cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(len));
      // The payload length still names the whole datagram: every shorter cut lies about it.
      Packet6View v{};
      const ParseResult r = parse(cut, v);
      EXPECT_EQ(r.status, len < f.size() ? ParseStatus::drop : ParseStatus::ok) << len;
      // The same cut telling the truth about its length: whatever it is, the view stays inside.
      if (len < 14 + 41) continue;
      put16(cut, 14 + 4, static_cast<uint16_t>(len - 14 - 40));
      if (parse(cut, v).status != ParseStatus::ok) continue;
      EXPECT_LE(v.l4_offset + v.l4_len, len) << len;
      if (v.l4 != nullptr) {
        EXPECT_LE(v.l4_offset + 8, len) << len;
      }
      if (v.is_icmp_error()) {
        EXPECT_LE(static_cast<size_t>(v.quoted.l4 - v.frame) + 8, len) << len;
      }
    }
  }
}

}  // namespace
