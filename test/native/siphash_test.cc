// test/native/siphash_test.cc — core::siphash24 against the reference implementation's vectors
// (key 00 01 .. 0f, message 00 01 .. of 8n bytes; github.com/veorq/SipHash vectors.h).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

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

TEST(SipHash, TheKeyChangesEverything) {
  const SipKey a{1, 2}, b{1, 3};
  EXPECT_NE(siphash24(a, 40000, 80), siphash24(b, 40000, 80));
  EXPECT_NE(siphash24(a, 40000, 80), siphash24(a, 40001, 80));
}

}  // namespace
