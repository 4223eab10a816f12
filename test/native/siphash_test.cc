// test/native/siphash_test.cc — core::siphash24 against the reference implementation's vectors
// (key 00 01 .. 0f, message 00 01 .. of 8n bytes; github.com/veorq/SipHash vectors.h), SipHash-1-3
// against the reference's output for the empty message under the zero key, and the table hashes
// (core/hash.h) depending on their key.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/hash.h"
#include "core/siphash.h"

namespace {
using xvs::core::SipKey;
using xvs::core::siphash24;

uint64_t le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

TEST(SipHash, MatchesTheReferenceVectors) {
  uint8_t key_bytes[16];
  for (int i = 0; i < 16; ++i) key_bytes[i] = static_cast<uint8_t>(i);
  const SipKey key{le64(key_bytes), le64(key_bytes + 8)};
  uint8_t message[16];
  for (int i = 0; i < 16; ++i) message[i] = static_cast<uint8_t>(i);
  const uint64_t words[2] = {le64(message), le64(message + 8)};
  EXPECT_EQ(siphash24(key, words, 0), 0x726fdb47dd0e0e31ull);   // vectors_sip64[0]
  EXPECT_EQ(siphash24(key, words, 1), 0x93f5f5799a932462ull);   // vectors_sip64[8]
  EXPECT_EQ(siphash24(key, words, 2), 0x3f2acc7f57c29bdbull);   // vectors_sip64[16]
}

TEST(SipHash, OneThreeMatchesTheReference) {
  EXPECT_EQ((xvs::core::siphash<1, 3>(SipKey{0, 0}, nullptr, 0)), 0xd1fba762150c532cull);
  EXPECT_EQ(xvs::core::siphash13(SipKey{1, 2}, 7, 9), (xvs::core::siphash<1, 3>(SipKey{1, 2}, std::vector<uint64_t>{7, 9}.data(), 2)));
}

// The connection table's and the indexes' hash: a different engine seed, different buckets for
// the same flows (what an attacker would have to guess); one seed, the same hash every time.
TEST(SipHash, TableHashesDependOnTheEngineKey) {
  const auto a = xvs::core::table_key(0x5eed), b = xvs::core::table_key(0x5eee);
  uint32_t differ = 0;
  for (uint16_t port = 1024; port < 1088; ++port) {
    EXPECT_EQ(xvs::core::hash_flow(a, 1, 2, port, 80, 6), xvs::core::hash_flow(a, 1, 2, port, 80, 6));
    differ += (xvs::core::hash_flow(a, 1, 2, port, 80, 6) & 0xffff) != (xvs::core::hash_flow(b, 1, 2, port, 80, 6) & 0xffff);
  }
  EXPECT_GT(differ, 60u);
  EXPECT_NE(xvs::core::hash_u64(a, 42), xvs::core::hash_u64(b, 42));
}

TEST(SipHash, TheKeyChangesEverything) {
  const SipKey a{1, 2}, b{1, 3};
  EXPECT_NE(siphash24(a, 40000, 80), siphash24(b, 40000, 80));
  EXPECT_NE(siphash24(a, 40000, 80), siphash24(a, 40001, 80));
}

}  // namespace
