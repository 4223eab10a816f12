// test/native/rewrite_test.cc — lb/rewrite.h turns random packets into exactly the packets built fresh with the new fields (checksums verify).
#include <gtest/gtest.h>

#include <random>

#include "core/parse.h"
#include "lb/rewrite.h"
#include "packet_builder.h"

namespace {
using namespace xvs::core;
using xvs::lb::decrement_ttl;
using xvs::lb::rewrite_addresses;
using xvs::lb::rewrite_routed;
using xvs::lb::rewrite_macs;
using xvs::test::build_frame;
using xvs::test::checksums_valid;
using xvs::test::PacketSpec;

PacketView parsed(std::vector<uint8_t>& f) {
  PacketView v{};
  EXPECT_EQ(parse_packet(f.data(), static_cast<uint32_t>(f.size()), v).status, ParseStatus::ok);
  return v;
}

TEST(Rewrite, AddressesAndPortsOnRandomPackets) {
  std::mt19937 rng(11);
  int udp = 0;
  for (int round = 0; round < 5000; ++round) {
    PacketSpec spec = xvs::test::random_packet(rng);
    auto f = build_frame(spec);
    PacketView v = parsed(f);
    ASSERT_NE(v.l4, nullptr);

    PacketSpec want = spec;
    want.saddr = static_cast<uint32_t>(rng());
    want.daddr = static_cast<uint32_t>(rng());
    want.sport = static_cast<uint16_t>(rng());
    want.dport = static_cast<uint16_t>(rng());
    if (round % 7 == 0) want.sport = spec.sport;  // some fields unchanged, as in real translations
    if (round % 11 == 0) want.saddr = spec.saddr;
    rewrite_addresses(v, want.saddr, want.daddr, htons(want.sport), htons(want.dport));

    ASSERT_TRUE(checksums_valid(f)) << "round " << round;
    ASSERT_EQ(f, build_frame(want)) << "round " << round;
    udp += spec.protocol == kIpProtoUdp;
  }
  EXPECT_GT(udp, 1000);
}

TEST(Rewrite, DecrementTtlOnRandomPackets) {
  std::mt19937 rng(12);
  for (int round = 0; round < 5000; ++round) {
    PacketSpec spec = xvs::test::random_packet(rng);
    spec.ttl = static_cast<uint8_t>(1 + rng() % 255);
    auto f = build_frame(spec);
    decrement_ttl(xvs::test::ip_of(f));
    PacketSpec want = spec;
    --want.ttl;
    ASSERT_TRUE(checksums_valid(f)) << "round " << round;
    ASSERT_EQ(f, build_frame(want)) << "round " << round << " ttl " << int(spec.ttl);
  }
}

// The full-NAT sequence on the fast path: addresses and ports, then TTL, then MACs; and the
// same in one go (rewrite_routed, what the packet path runs).
TEST(Rewrite, FullNatSequenceMatchesFreshPacket) {
  std::mt19937 rng(13);
  const xvs::test::Mac src = xvs::test::mac_of(2, 0, 0, 0, 0, 2), dst = xvs::test::mac_of(2, 0xbb, 0, 0, 0, 7);
  for (int round = 0; round < 2000; ++round) {
    PacketSpec spec = xvs::test::random_packet(rng);
    auto f = build_frame(spec);
    PacketView v = parsed(f);
    PacketSpec want = spec;
    want.saddr = xvs::test::ipv4(10, 0, 2, 100);
    want.daddr = xvs::test::ipv4(10, 0, 2, static_cast<uint8_t>(rng()));
    want.sport = static_cast<uint16_t>(1024 + rng() % 64512);
    want.dport = 8080;
    want.ttl = static_cast<uint8_t>(spec.ttl - 1);
    want.src_mac = src;
    want.dst_mac = dst;
    auto two_steps = f;
    PacketView w = parsed(two_steps);
    rewrite_addresses(w, want.saddr, want.daddr, htons(want.sport), htons(want.dport));
    decrement_ttl(w.ip);
    rewrite_macs(w.eth, src.data(), dst.data());
    ASSERT_EQ(two_steps, build_frame(want)) << "round " << round;
    rewrite_routed(v, want.saddr, want.daddr, htons(want.sport), htons(want.dport));  // one fold
    rewrite_macs(v.eth, src.data(), dst.data());
    ASSERT_EQ(f, build_frame(want)) << "round " << round;
  }
}

// UDP sent without a checksum keeps "none" (0) while the IPv4 header checksum is still fixed.
TEST(Rewrite, UdpWithoutChecksumStaysWithout) {
  std::mt19937 rng(14);
  for (int round = 0; round < 500; ++round) {
    PacketSpec spec = xvs::test::random_packet(rng);
    spec.protocol = kIpProtoUdp;
    spec.udp_no_checksum = true;
    auto f = build_frame(spec);
    PacketView v = parsed(f);
    PacketSpec want = spec;
    want.saddr = static_cast<uint32_t>(rng());
    want.dport = static_cast<uint16_t>(rng());
    rewrite_addresses(v, want.saddr, want.daddr, htons(want.sport), htons(want.dport));
    EXPECT_EQ(v.l4_checksum(), 0);
    ASSERT_TRUE(checksums_valid(f, /*udp_zero_ok=*/true));
    ASSERT_EQ(f, build_frame(want));
  }
}

TEST(Rewrite, MacsOnly) {
  auto f = build_frame(PacketSpec{});
  const auto before = f;
  const uint8_t src[6] = {1, 2, 3, 4, 5, 6}, dst[6] = {0xa, 0xb, 0xc, 0xd, 0xe, 0xf};
  rewrite_macs(reinterpret_cast<EthHdr*>(f.data()), src, dst);
  EXPECT_TRUE(std::equal(dst, dst + 6, f.begin()));
  EXPECT_TRUE(std::equal(src, src + 6, f.begin() + 6));
  EXPECT_TRUE(std::equal(before.begin() + 12, before.end(), f.begin() + 12));
}
}  // namespace
