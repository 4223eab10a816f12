// test/native/nat64_test.cc — lb/nat64.h's RFC 7915 translations on frames built by the packet
// builders, compared byte for byte with the frame the other family's builder makes for the same
// packet: TCP and UDP both ways (802.1Q tag, IPv6 extension headers and IPv4 options dropped, a
// UDP datagram without checksum given one, no headroom refused), a round trip, ICMP errors both
// ways with their quoted packets (types, codes and MTUs mapped; what has no equivalent refused;
// quotes cut to each family's largest error).
#include <gtest/gtest.h>

#include <vector>

#include "core/parse.h"
#include "core/parse6.h"
#include "lb/nat64.h"
#include "packet_builder.h"
#include "packet_builder6.h"

namespace xvs::lb::nat64 {
namespace {

using test::ipv4;
using test::ipv6;

constexpr uint32_t kHeadroom = 256, kChunk = 2048;
const core::Ipv6Address kClient6 = ipv6({0x2001, 0xdb8, 0xc, 0, 0, 0, 0, 7});
const core::Ipv6Address kVip6 = ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0x10});
const uint32_t kLip = ipv4(10, 0, 2, 100), kServer = ipv4(10, 0, 2, 11);
constexpr uint16_t kClientPort = 40000, kVipPort = 80, kLocalPort = 2000, kServerPort = 8080;

// A frame in a chunk with headroom, as the I/O backends hand them over.
struct Chunk {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(kChunk);
  io::Frame frame{};
  explicit Chunk(const std::vector<uint8_t>& f, uint32_t headroom = kHeadroom) {
    std::copy(f.begin(), f.end(), bytes.begin() + headroom);
    frame = io::Frame{bytes.data() + headroom, static_cast<uint32_t>(f.size()), headroom, 0, 0, 0, kChunk - headroom};
  }
  std::vector<uint8_t> out() const { return std::vector<uint8_t>(frame.data, frame.data + frame.len); }
};

core::Packet6View parsed6(Chunk& c) {
  core::Packet6View v{};
  const uint32_t l3 = core::load16(c.frame.data + 12) == core::htons(core::kEthTypeVlan) ? 18 : 14;
  EXPECT_EQ(core::parse_ipv6(c.frame.data, c.frame.len, l3, v).status, core::ParseStatus::ok);
  return v;
}
core::PacketView parsed4(Chunk& c) {
  core::PacketView v{};
  EXPECT_EQ(core::parse_packet(c.frame.data, c.frame.len, v).status, core::ParseStatus::ok);
  return v;
}

test::Packet6Spec client_packet(uint8_t protocol) {
  test::Packet6Spec s;
  s.saddr = kClient6, s.daddr = kVip6, s.sport = kClientPort, s.dport = kVipPort;
  s.protocol = protocol;
  s.tcp_flags = core::kTcpSyn | core::kTcpAck;
  s.seq = 123456, s.ack = 654321;
  s.payload.assign(37, 0x5a);
  return s;
}
constexpr uint16_t kId = 0x4242;
// What the server should get for client_packet(): the same segment from the LIP, one hop less; up
// to 1260 bytes DF clear with identification kId, above DF set with identification 0.
test::PacketSpec server_bound(const test::Packet6Spec& s) {
  test::PacketSpec p;
  p.src_mac = s.src_mac, p.dst_mac = s.dst_mac, p.vlan_tags = s.vlan_tags;
  p.saddr = kLip, p.daddr = kServer, p.sport = kLocalPort, p.dport = kServerPort;
  const size_t total = 20 + (s.protocol == core::kIpProtoTcp ? 20 : 8) + s.payload.size();
  const bool df = total > kLargestWithoutDf;
  p.protocol = s.protocol, p.ttl = static_cast<uint8_t>(s.hop_limit - 1), p.ip_id = df ? 0 : kId;
  p.frag_off = df ? core::kIpFlagDontFragment : 0;
  p.tcp_flags = s.tcp_flags, p.seq = s.seq, p.ack = s.ack, p.payload = s.payload;
  return p;
}
const ConnTuple kToServer{kLip, kServer, core::htons(kLocalPort), core::htons(kServerPort)};
const ConnTuple6 kToClient{kVip6, kClient6, core::htons(kVipPort), core::htons(kClientPort)};

TEST(Nat64, TcpAndUdpFromIpv6BecomeIpv4WithOneHopLess) {
  for (uint8_t protocol : {core::kIpProtoTcp, core::kIpProtoUdp}) {
    for (const std::vector<uint16_t>& tags : {std::vector<uint16_t>{}, std::vector<uint16_t>{0x0064}}) {
      test::Packet6Spec s = client_packet(protocol);
      s.vlan_tags = tags;
      Chunk c(test::build_frame6(s));
      core::Packet6View v = parsed6(c);
      core::EthHdr* eth = to_ipv4(c.frame, v, kToServer, kId);
      EXPECT_EQ(reinterpret_cast<uint8_t*>(eth), c.frame.data);
      EXPECT_EQ(c.out(), test::build_frame(server_bound(s))) << "protocol " << int(protocol) << ", tags " << tags.size();
      EXPECT_EQ(c.frame.headroom, kHeadroom + kGrowth);
      EXPECT_EQ(c.frame.capacity, kChunk - kHeadroom - kGrowth);
    }
  }
}

TEST(Nat64, AboveIpv6sMinimumLessTwentyDfIsSet) {
  for (size_t payload : {1260 - 40 - 1, 1260 - 40, 1260 - 40 + 1, 1400}) {
    test::Packet6Spec s = client_packet(core::kIpProtoTcp);
    s.payload.assign(payload, 0x77);
    Chunk c(test::build_frame6(s));
    core::Packet6View v = parsed6(c);
    to_ipv4(c.frame, v, kToServer, kId);
    const auto* ip = reinterpret_cast<const core::Ipv4Hdr*>(c.frame.data + 14);
    const bool df = 40 + payload > kLargestWithoutDf;
    EXPECT_EQ(ip->frag_off, core::htons(df ? core::kIpFlagDontFragment : 0)) << payload;
    EXPECT_EQ(ip->id, core::htons(df ? 0 : kId)) << payload;
    EXPECT_EQ(c.out(), test::build_frame(server_bound(s))) << payload;
  }
}

TEST(Nat64, ExtensionHeadersAreNotCarriedOver) {
  test::Packet6Spec s = client_packet(core::kIpProtoTcp);
  s.fragment_header = true;  // an atomic fragment (offset 0, no M): not a fragment, a header to drop
  s.fragment = 0;
  Chunk c(test::build_frame6(s));
  core::Packet6View v = parsed6(c);
  ASSERT_FALSE(v.fragment);
  to_ipv4(c.frame, v, kToServer, kId);
  EXPECT_EQ(c.out(), test::build_frame(server_bound(s)));
  EXPECT_EQ(c.frame.headroom, kHeadroom + kGrowth + 8);
}

TEST(Nat64, TcpAndUdpFromIpv4BecomeIpv6) {
  for (uint8_t protocol : {core::kIpProtoTcp, core::kIpProtoUdp}) {
    test::PacketSpec p;
    p.saddr = kServer, p.daddr = kLip, p.sport = kServerPort, p.dport = kLocalPort, p.protocol = protocol;
    p.ttl = 64, p.tos = 0, p.tcp_flags = core::kTcpAck, p.seq = 99, p.ack = 77;
    p.payload.assign(101, 0x33);
    p.ip_option_words = 2;  // options are not carried over
    p.vlan_tags = {0x0064};
    Chunk c(test::build_frame(p));
    core::PacketView v = parsed4(c);
    ASSERT_NE(to_ipv6(c.frame, v, kToClient), nullptr);
    test::Packet6Spec want;
    want.src_mac = p.src_mac, want.dst_mac = p.dst_mac, want.vlan_tags = p.vlan_tags;
    want.saddr = kVip6, want.daddr = kClient6, want.sport = kVipPort, want.dport = kClientPort;
    want.protocol = protocol, want.hop_limit = 63, want.flow_label = 0, want.tcp_flags = p.tcp_flags, want.seq = 99, want.ack = 77;
    want.payload = p.payload;
    EXPECT_EQ(c.out(), test::build_frame6(want)) << "protocol " << int(protocol);
    EXPECT_EQ(c.frame.headroom, kHeadroom - kGrowth + 8);
  }
}

TEST(Nat64, AnIpv4DatagramWithoutChecksumGetsOneOverIpv6) {
  test::PacketSpec p;
  p.saddr = kServer, p.daddr = kLip, p.sport = kServerPort, p.dport = kLocalPort, p.protocol = core::kIpProtoUdp;
  p.payload.assign(20, 1);
  p.udp_no_checksum = true;
  Chunk c(test::build_frame(p));
  core::PacketView v = parsed4(c);
  ASSERT_NE(to_ipv6(c.frame, v, kToClient), nullptr);
  const std::vector<uint8_t> out = c.out();
  EXPECT_NE(core::load16(out.data() + 14 + 40 + 6), 0);
  EXPECT_TRUE(test::ipv6_checksum_ok(out));
}

TEST(Nat64, NoHeadroomNoTranslation) {
  test::PacketSpec p;
  p.saddr = kServer, p.daddr = kLip, p.sport = kServerPort, p.dport = kLocalPort;
  const std::vector<uint8_t> f = test::build_frame(p);
  Chunk c(f, kGrowth - 1);
  core::PacketView v = parsed4(c);
  EXPECT_EQ(to_ipv6(c.frame, v, kToClient), nullptr);
  EXPECT_EQ(c.out(), f);
}

TEST(Nat64, ThereAndBackIsTheSamePacketTwoHopsLater) {
  test::Packet6Spec s = client_packet(core::kIpProtoTcp);
  s.flow_label = 0;
  Chunk c(test::build_frame6(s));
  core::Packet6View v6 = parsed6(c);
  to_ipv4(c.frame, v6, kToServer, kId);
  core::PacketView v4 = parsed4(c);
  ASSERT_NE(to_ipv6(c.frame, v4, ConnTuple6{kClient6, kVip6, core::htons(kClientPort), core::htons(kVipPort)}), nullptr);
  s.hop_limit = 62;
  EXPECT_EQ(c.out(), test::build_frame6(s));
  EXPECT_EQ(c.frame.headroom, kHeadroom);
}

// The segment the balancer sent the server, as an ICMPv4 error from the server side quotes it.
std::vector<uint8_t> sent_to_server(uint32_t payload) {
  test::Packet6Spec s = client_packet(core::kIpProtoTcp);
  s.payload.assign(payload, 0x61);
  return test::datagram(test::build_frame(server_bound(s)));
}

TEST(Nat64, IcmpErrorsFromTheServerSideBecomeIcmpv6WithTheClientsPacketQuoted) {
  struct Row {
    uint8_t type, code;
    uint16_t mtu;
    uint32_t client_mtu;
    uint8_t type6, code6;
    uint32_t rest6;
  };
  const Row rows[] = {
      {core::kIcmpDestUnreachable, core::kIcmpCodeFragNeeded, 1400, 1500, core::kIcmpv6PacketTooBig, 0, 1420},
      {core::kIcmpDestUnreachable, core::kIcmpCodeFragNeeded, 576, 1500, core::kIcmpv6PacketTooBig, 0, 1280},
      {core::kIcmpDestUnreachable, core::kIcmpCodeFragNeeded, 1490, 1500, core::kIcmpv6PacketTooBig, 0, 1500},  // the client's link
      {core::kIcmpDestUnreachable, core::kIcmpCodeFragNeeded, 0, 1500, core::kIcmpv6PacketTooBig, 0, 1280},  // no MTU: a plateau, 1280 at least
      {core::kIcmpDestUnreachable, 3, 0, 1500, core::kIcmpv6DestUnreachable, 4, 0},
      {core::kIcmpDestUnreachable, 1, 0, 1500, core::kIcmpv6DestUnreachable, 0, 0},
      {core::kIcmpDestUnreachable, 13, 0, 1500, core::kIcmpv6DestUnreachable, 1, 0},
      {core::kIcmpDestUnreachable, 15, 0, 1500, core::kIcmpv6DestUnreachable, 1, 0},
      {core::kIcmpDestUnreachable, 2, 0, 1500, core::kIcmpv6ParameterProblem, 1, 6},
      {core::kIcmpTimeExceeded, 0, 0, 1500, core::kIcmpv6TimeExceeded, 0, 0},
  };
  for (const Row& r : rows) {
    test::PacketSpec outer;
    outer.saddr = kServer, outer.daddr = kLip, outer.ttl = 64;
    test::PacketSpec e = test::icmp_error(outer, sent_to_server(100), r.type, r.code);
    e.icmp_rest_lo = r.mtu;
    Chunk c(test::build_frame(e));
    core::PacketView v = parsed4(c);
    ASSERT_TRUE(v.is_icmp_error());
    ASSERT_EQ(icmp_to_ipv6(c.frame, v, kVip6, kClient6, ConnTuple6{kClient6, kVip6, core::htons(kClientPort), core::htons(kVipPort)}, r.client_mtu),
              IcmpResult::translated);
    // The quote: the client's segment as it sent it (one hop less than its 64: the server's copy's TTL).
    test::Packet6Spec quoted = client_packet(core::kIpProtoTcp);
    quoted.payload.assign(100, 0x61);
    quoted.flow_label = 0;
    quoted.hop_limit = 63;
    const std::vector<uint8_t> want = test::build_icmp6_error(e.dst_mac, e.src_mac, kVip6, kClient6, r.type6, r.code6, r.rest6,
                                                              test::ipv6_packet(quoted), SIZE_MAX, 63);
    EXPECT_EQ(c.out(), want) << "ICMP " << int(r.type) << "/" << int(r.code);
  }
}

TEST(Nat64, IcmpErrorsWithoutAnIpv6EquivalentAreRefused) {
  for (const auto& [type, code] : std::vector<std::pair<uint8_t, uint8_t>>{{core::kIcmpParameterProblem, 0}, {core::kIcmpSourceQuench, 0},
                                                                           {core::kIcmpDestUnreachable, 14}}) {
    test::PacketSpec outer;
    outer.saddr = kServer, outer.daddr = kLip;
    const std::vector<uint8_t> f = test::build_frame(test::icmp_error(outer, sent_to_server(8), type, code));
    Chunk c(f);
    core::PacketView v = parsed4(c);
    ASSERT_TRUE(v.is_icmp_error());
    EXPECT_EQ(icmp_to_ipv6(c.frame, v, kVip6, kClient6, kToClient, 1500), IcmpResult::untranslatable);
    EXPECT_EQ(c.out(), f);
  }
}

TEST(Nat64, AnIcmpv6ErrorIsCutToIpv6sMinimumMtu) {
  test::PacketSpec outer;
  outer.saddr = kServer, outer.daddr = kLip;
  test::PacketSpec e = test::icmp_error(outer, sent_to_server(1400), core::kIcmpDestUnreachable, 3);
  Chunk c(test::build_frame(e));
  core::PacketView v = parsed4(c);
  ASSERT_EQ(icmp_to_ipv6(c.frame, v, kVip6, kClient6, kToClient, 1500), IcmpResult::translated);
  EXPECT_EQ(c.frame.len, 14 + kMaxIcmpv6Error);
  EXPECT_TRUE(test::ipv6_checksum_ok(c.out()));
}

TEST(Nat64, IcmpErrorsFromTheClientSideBecomeIcmpv4WithTheServersPacketQuoted) {
  // What the balancer sent the client: the server's segment, translated.
  test::Packet6Spec sent;
  sent.saddr = kVip6, sent.daddr = kClient6, sent.sport = kVipPort, sent.dport = kClientPort, sent.flow_label = 0, sent.hop_limit = 63;
  sent.tcp_flags = core::kTcpAck, sent.payload.assign(60, 0x44);
  struct Row {
    uint8_t type6, code6;
    uint32_t rest6;
    uint8_t type, code;
    uint16_t mtu;
  };
  const Row rows[] = {
      {core::kIcmpv6PacketTooBig, 0, 1400, core::kIcmpDestUnreachable, core::kIcmpCodeFragNeeded, 1380},
      {core::kIcmpv6DestUnreachable, 4, 0, core::kIcmpDestUnreachable, 3, 0},
      {core::kIcmpv6DestUnreachable, 1, 0, core::kIcmpDestUnreachable, 10, 0},
      {core::kIcmpv6TimeExceeded, 1, 0, core::kIcmpTimeExceeded, 1, 0},
      {core::kIcmpv6ParameterProblem, 1, 40, core::kIcmpDestUnreachable, 2, 0},
  };
  for (const Row& r : rows) {
    const auto f = test::build_icmp6_error(test::mac_of(2, 0, 0, 0, 0xbb, 1), test::mac_of(2, 0, 0, 0, 0xaa, 1), kClient6, kVip6, r.type6,
                                           r.code6, r.rest6, test::ipv6_packet(sent));
    Chunk c(f);
    core::Packet6View v = parsed6(c);
    ASSERT_TRUE(v.is_icmp_error());
    ASSERT_EQ(icmp_to_ipv4(c.frame, v, kLip, kServer, ConnTuple{kServer, kLip, core::htons(kServerPort), core::htons(kLocalPort)}),
              IcmpResult::translated);
    // The quote: the server's segment as it sent it (TTL as it reached the client).
    test::PacketSpec q;
    q.saddr = kServer, q.daddr = kLip, q.sport = kServerPort, q.dport = kLocalPort, q.ttl = 63, q.ip_id = 0;
    q.frag_off = core::kIpFlagDontFragment, q.tcp_flags = core::kTcpAck, q.seq = sent.seq, q.ack = sent.ack, q.payload = sent.payload;
    test::PacketSpec outer;
    outer.src_mac = test::mac_of(2, 0, 0, 0, 0xaa, 1), outer.dst_mac = test::mac_of(2, 0, 0, 0, 0xbb, 1);
    outer.saddr = kLip, outer.daddr = kServer, outer.ttl = 63, outer.ip_id = 0, outer.frag_off = core::kIpFlagDontFragment;
    test::PacketSpec want = test::icmp_error(outer, test::datagram(test::build_frame(q)), r.type, r.code);
    want.icmp_rest_lo = r.mtu;
    EXPECT_EQ(c.out(), test::build_frame(want)) << "ICMPv6 " << int(r.type6) << "/" << int(r.code6);
    EXPECT_TRUE(test::checksums_valid(c.out()));
  }
}

TEST(Nat64, AnIcmpv4ErrorIsCutTo576Bytes) {
  test::Packet6Spec sent;
  sent.saddr = kVip6, sent.daddr = kClient6, sent.payload.assign(1200, 0x44);
  const auto f = test::build_icmp6_error(test::mac_of(2, 0, 0, 0, 0xbb, 1), test::mac_of(2, 0, 0, 0, 0xaa, 1), kClient6, kVip6,
                                         core::kIcmpv6PacketTooBig, 0, 1280, test::ipv6_packet(sent));
  Chunk c(f);
  core::Packet6View v = parsed6(c);
  ASSERT_EQ(icmp_to_ipv4(c.frame, v, kLip, kServer, kToServer), IcmpResult::translated);
  EXPECT_EQ(c.frame.len, 14 + kMaxIcmpv4Error);
  EXPECT_TRUE(test::checksums_valid(c.out()));
  EXPECT_EQ(core::ntohs(reinterpret_cast<const core::IcmpHdr*>(c.frame.data + 14 + 20)->mtu), 1260);
}

}  // namespace
}  // namespace xvs::lb::nat64
