// test/native/checksum_test.cc — RFC 1624 incremental updates agree with full recomputation.
#include <gtest/gtest.h>

#include <random>

#include "core/checksum.h"
#include "packet_builder.h"

namespace {
using namespace xvs::core;
using xvs::test::build_frame;
using xvs::test::full_l4_checksum;
using xvs::test::ip_of;
using xvs::test::l4_of;
using xvs::test::random_packet;

uint16_t load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
void store16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

TEST(Checksum, IncrementalMatchesFullOnRandomWords) {
  std::mt19937 rng(1);
  for (int round = 0; round < 10000; ++round) {
    uint16_t words[10];
    for (auto& w : words) w = static_cast<uint16_t>(rng());
    words[5] = 0;
    const uint16_t check = checksum_finish(checksum_partial(words, sizeof words));
    const uint16_t old_word = words[2];
    words[2] = static_cast<uint16_t>(rng());
    const uint16_t incremental = checksum_replace16(check, old_word, words[2]);
    EXPECT_EQ(checksum_fold(checksum_partial(words, sizeof words, incremental)), 0xffff);
  }
}

// Known vectors: RFC 1071 §3 example, an odd-length tail, and a textbook IPv4 header.
TEST(Checksum, FullComputationKnownVectors) {
  const uint8_t rfc1071[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ntohs(checksum_finish(checksum_partial(rfc1071, sizeof rfc1071))), 0x220d);
  // Odd length: the last byte is the high byte of a zero-padded word: 0x0001 + 0xf200.
  EXPECT_EQ(ntohs(checksum_finish(checksum_partial(rfc1071, 3))), static_cast<uint16_t>(~0xf201));
  EXPECT_EQ(ntohs(checksum_finish(checksum_partial(rfc1071, 1))), 0xffff);
  const uint8_t header[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                              0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(ntohs(ipv4_header_checksum(reinterpret_cast<const Ipv4Hdr*>(header))), 0xb861);
}

// Every field the fast path rewrites (and a payload word, including a lone odd last byte),
// changed on thousands of random packets: the incremental result equals full recomputation,
// value for value (no 0/0xffff ambiguity for a checksum that was computed in full).
TEST(Checksum, IncrementalMatchesFullOnRandomPackets) {
  std::mt19937 rng(2);
  int odd_tails = 0, udp = 0;
  for (int round = 0; round < 5000; ++round) {
    const auto spec = random_packet(rng);
    auto f = build_frame(spec);
    Ipv4Hdr* ip = ip_of(f);
    uint8_t* l4 = l4_of(f);
    const uint32_t l4_len = ntohs(ip->total_length) - ip->header_length();
    const bool is_udp = ip->protocol == kIpProtoUdp;
    udp += is_udp;
    uint8_t* l4sum = l4 + (is_udp ? 6 : 16);
    auto l4_replace16 = is_udp ? udp_checksum_replace16 : checksum_replace16;
    auto l4_replace32 = is_udp ? udp_checksum_replace32 : checksum_replace32;

    switch (rng() % 5) {
      case 0: {  // an address: both checksums
        uint8_t* addr = reinterpret_cast<uint8_t*>(ip) + (rng() % 2 ? 12 : 16);  // saddr or daddr
        uint32_t old_addr;
        std::memcpy(&old_addr, addr, 4);
        const uint32_t new_addr = static_cast<uint32_t>(rng());
        std::memcpy(addr, &new_addr, 4);
        ip->checksum = checksum_replace32(ip->checksum, old_addr, new_addr);
        store16(l4sum, l4_replace32(load16(l4sum), old_addr, new_addr));
        break;
      }
      case 1: {  // a port
        uint8_t* port = l4 + (rng() % 2) * 2;
        const uint16_t old_port = load16(port), new_port = static_cast<uint16_t>(rng());
        store16(port, new_port);
        store16(l4sum, l4_replace16(load16(l4sum), old_port, new_port));
        break;
      }
      case 2: {  // IPv4 id
        const uint16_t old_id = ip->id, new_id = static_cast<uint16_t>(rng());
        ip->id = new_id;
        ip->checksum = checksum_replace16(ip->checksum, old_id, new_id);
        break;
      }
      case 3: {  // a random even-offset payload word, or the odd last byte alone
        const uint32_t hdr = is_udp ? 8 : (l4[12] >> 4) * 4u;
        const uint32_t payload = l4_len - hdr;
        if (payload == 0) continue;
        if (payload % 2 == 1 && rng() % 2) {
          ++odd_tails;
          uint8_t& last = l4[l4_len - 1];
          const uint8_t old_byte = last, new_byte = static_cast<uint8_t>(rng());
          last = new_byte;
          store16(l4sum, l4_replace16(load16(l4sum), old_byte, new_byte));  // padded word: low byte in memory order
        } else if (payload >= 2) {
          uint8_t* word = l4 + hdr + (rng() % (payload / 2)) * 2;
          const uint16_t old_word = load16(word), new_word = static_cast<uint16_t>(rng());
          store16(word, new_word);
          store16(l4sum, l4_replace16(load16(l4sum), old_word, new_word));
        }
        break;
      }
      case 4: {  // the TTL/protocol word, as decrement_ttl changes it
        const uint16_t old_word = load16(&ip->ttl);
        ip->ttl = static_cast<uint8_t>(ip->ttl - 1);
        ip->checksum = checksum_replace16(ip->checksum, old_word, load16(&ip->ttl));
        break;
      }
    }
    ASSERT_EQ(ip->checksum, ipv4_header_checksum(ip)) << "round " << round;
    ASSERT_EQ(load16(l4sum), full_l4_checksum(ip, l4, l4_len)) << "round " << round << (is_udp ? " udp" : " tcp");
  }
  EXPECT_GT(odd_tails, 100);
  EXPECT_GT(udp, 1000);
}

TEST(Checksum, UdpZeroChecksumStaysZero) {
  std::mt19937 rng(3);
  for (int i = 0; i < 1000; ++i) {
    const auto a = static_cast<uint32_t>(rng()), b = static_cast<uint32_t>(rng());
    EXPECT_EQ(udp_checksum_replace16(0, static_cast<uint16_t>(a), static_cast<uint16_t>(b)), 0);
    EXPECT_EQ(udp_checksum_replace32(0, a, b), 0);
  }
  // Packet level: a UDP datagram sent without a checksum keeps "none" across a rewrite.
  xvs::test::PacketSpec spec;
  spec.protocol = kIpProtoUdp;
  spec.udp_no_checksum = true;
  auto f = build_frame(spec);
  uint8_t* l4sum = l4_of(f) + 6;
  store16(l4sum, udp_checksum_replace32(load16(l4sum), ip_of(f)->daddr, 0x01020304));
  EXPECT_EQ(load16(l4sum), 0);
}

// The word-level case: ~fold(~0x1234 + ~0x0000 + 0x1234) == 0, which UDP must send as 0xffff.
TEST(Checksum, UdpComputedZeroBecomesFfff) {
  EXPECT_EQ(checksum_replace16(0x1234, 0x0000, 0x1234), 0);
  EXPECT_EQ(udp_checksum_replace16(0x1234, 0x0000, 0x1234), 0xffff);
  EXPECT_EQ(checksum_replace32(0x1234, 0x00000000, 0x00001234), 0);
  EXPECT_EQ(udp_checksum_replace32(0x1234, 0x00000000, 0x00001234), 0xffff);
}

// The packet-level case: a datagram tuned so that after a port rewrite its full checksum is 0;
// the incremental UDP update yields 0xffff, and so does the sender's rule on recomputation.
TEST(Checksum, UdpPacketWhoseNewChecksumIsZero) {
  std::mt19937 rng(4);
  for (int round = 0; round < 200; ++round) {
    auto spec = random_packet(rng);
    spec.protocol = kIpProtoUdp;
    spec.payload.resize(std::max<size_t>(spec.payload.size() & ~size_t{1}, 2));  // even, so the last word is whole
    const uint16_t new_dport = static_cast<uint16_t>(rng());
    // Choose the last payload word so that the rewritten datagram sums to 0xffff (checksum 0).
    auto after = spec;
    after.dport = new_dport;
    after.payload[after.payload.size() - 2] = after.payload[after.payload.size() - 1] = 0;
    auto probe = build_frame(after);
    const uint32_t l4_len = ntohs(ip_of(probe)->total_length) - ip_of(probe)->header_length();
    uint8_t* l4 = l4_of(probe);
    l4[6] = l4[7] = 0;
    const uint16_t fill = checksum_finish(checksum_partial(l4, l4_len, ip_of(probe)->saddr + uint64_t{ip_of(probe)->daddr} +
                                                                           htons(kIpProtoUdp) + htons(l4_len)));
    std::memcpy(&spec.payload[spec.payload.size() - 2], &fill, 2);
    after.payload = spec.payload;

    auto f = build_frame(spec);
    auto expected = build_frame(after);
    ASSERT_EQ(load16(l4_of(expected) + 6), 0xffff) << "the rewritten datagram must sum to zero";
    uint8_t* udp = l4_of(f);
    const uint16_t incremental = udp_checksum_replace16(load16(udp + 6), load16(udp + 2), htons(new_dport));
    EXPECT_EQ(incremental, 0xffff) << "round " << round;
  }
}
}  // namespace

namespace {

// An IPv6 TCP segment of random bytes with its checksum computed whole, then both addresses
// replaced: the update by checksum_delta128 equals the checksum computed afresh, and a known
// vector (all-zero segment between fixed addresses) matches an independent sum.
TEST(Checksum6, AddressUpdateMatchesFullComputation) {
  std::mt19937 rng(6);
  for (int round = 0; round < 2000; ++round) {
    uint8_t packet[40 + 60];
    for (auto& b : packet) b = static_cast<uint8_t>(rng());
    auto* ip = reinterpret_cast<Ipv6Hdr*>(packet);
    uint8_t* tcp = packet + 40;
    const size_t len = 20 + rng() % 40;
    store16(tcp + 16, 0);
    store16(tcp + 16, ipv6_l4_checksum(ip, kIpProtoTcp, tcp, len));
    EXPECT_EQ(ipv6_l4_checksum(ip, kIpProtoTcp, tcp, len), 0) << "a segment with its checksum sums to zero";
    uint8_t saddr[16], daddr[16];
    for (auto& b : saddr) b = static_cast<uint8_t>(rng());
    for (auto& b : daddr) b = static_cast<uint8_t>(rng());
    const uint64_t delta = checksum_delta128(ip->saddr, saddr) + checksum_delta128(ip->daddr, daddr);
    std::memcpy(ip->saddr, saddr, 16);
    std::memcpy(ip->daddr, daddr, 16);
    const uint16_t updated = checksum_apply(load16(tcp + 16), delta);
    store16(tcp + 16, 0);
    EXPECT_EQ(updated, ipv6_l4_checksum(ip, kIpProtoTcp, tcp, len));
  }
}

// checksum_delta128 sums 64-bit words with end-around carries; RFC 1624 sums 16-bit ones. The two
// must give the same checksum for every check value, 0x0000 and 0xffff included (one's
// complement's two zeros: a delta that is zero only where the word-by-word one is keeps them
// apart), on random addresses and on the words that carry most (all ones, zeros).
TEST(Checksum6, Delta128MatchesSixteenBitWordDeltas) {
  std::mt19937_64 rng(128);
  const auto word_by_word = [](const uint8_t* from, const uint8_t* to) {
    uint64_t delta = 0;
    for (int i = 0; i < 16; i += 2) delta += checksum_delta16(load16(from + i), load16(to + i));
    return delta;
  };
  const auto fill = [&rng](uint8_t* address, int kind) {
    for (int i = 0; i < 16; ++i) address[i] = kind == 0 ? 0x00 : kind == 1 ? 0xff : static_cast<uint8_t>(rng());
  };
  for (int round = 0; round < 20000; ++round) {
    uint8_t from[16], to[16];
    fill(from, round < 9 ? round % 3 : 2);
    fill(to, round < 9 ? round / 3 : 2);
    if (round >= 9 && round % 5 == 0) from[rng() % 16] = 0xff;
    const uint64_t expected = word_by_word(from, to);
    const uint64_t delta = checksum_delta128(from, to);
    ASSERT_EQ(delta == 0, expected == 0) << "round " << round;
    ASSERT_EQ(checksum_fold(delta), checksum_fold(expected)) << "round " << round;
    for (const uint16_t check : {uint16_t{0}, uint16_t{0xffff}, static_cast<uint16_t>(rng())})
      ASSERT_EQ(checksum_apply(check, delta + 0x1234), checksum_apply(check, expected + 0x1234)) << "round " << round;
    for (const uint16_t check : {uint16_t{0}, uint16_t{0xffff}}) ASSERT_EQ(checksum_apply(check, delta), checksum_apply(check, expected));
  }
}

TEST(Checksum6, KnownPseudoHeaderSum) {
  // 2001:db8::1 -> 2001:db8::2, 8 zero bytes of UDP: the checksum is ~(0x2001 + 0x0db8 + 1 +
  // 0x2001 + 0x0db8 + 2 + 8 + 17) in network order.
  uint8_t packet[48] = {};
  auto* ip = reinterpret_cast<Ipv6Hdr*>(packet);
  const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::memcpy(ip->saddr, a, 16);
  std::memcpy(ip->daddr, a, 16);
  ip->daddr[15] = 2;
  const uint32_t sum = 0x2001 + 0x0db8 + 1 + 0x2001 + 0x0db8 + 2 + 8 + 17;
  const auto expected = static_cast<uint16_t>(~((sum & 0xffff) + (sum >> 16)));
  EXPECT_EQ(ntohs(ipv6_l4_checksum(ip, kIpProtoUdp, packet + 40, 8)), expected);
}

}  // namespace
