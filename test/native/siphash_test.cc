// test/native/siphash_test.cc — core::siphash24 against the reference implementation's vectors
// (key 00 01 .. 0f, message 00 01 .. of 8n bytes; github.com/veorq/SipHash vectors.h), SipHash-1-3
// against the reference's output for the empty message under the zero key, and the table hashes
// (core/hash.h) depending on their key; the batch (core/siphash_batch.h), in every variant this
// CPU runs, giving siphash13's values at every batch length.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "core/hash.h"
#include "core/siphash.h"
#include "core/siphash_batch.h"

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

TEST(SipHash, BatchMatchesOneAtATimeInEveryVariant) {
  const SipKey key{0x0123456789abcdefull, 0xfedcba9876543210ull};
  std::vector<uint64_t> a(70), b(70), want(70);
  for (uint32_t i = 0; i < a.size(); ++i) {
    a[i] = 0x9e3779b97f4a7c15ull * (i + 1);
    b[i] = (a[i] >> 7) ^ i;
    want[i] = xvs::core::siphash13(key, a[i], b[i]);
  }
  uint32_t count = 0;
  const xvs::core::SipBatchVariant* variants = xvs::core::siphash13_batch_variants(count);
  ASSERT_GE(count, 1u);
  EXPECT_STREQ(variants[count - 1].name, "baseline");
  EXPECT_TRUE(variants[count - 1].supported);
  for (uint32_t v = 0; v < count; ++v) {
    if (!variants[v].supported) {
      std::printf("[ SKIPPED  ] siphash13_batch variant %s: this CPU lacks it\n", variants[v].name);
      continue;
    }
    for (uint32_t n : {0u, 1u, 7u, 8u, 9u, 32u, 63u, 64u, 70u}) {
      std::vector<uint64_t> out(n + 1, 0xdeadull);
      variants[v].run(key, a.data(), b.data(), out.data(), n);
      for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(out[i], want[i]) << variants[v].name << " n=" << n << " i=" << i;
      EXPECT_EQ(out[n], 0xdeadull) << variants[v].name << " wrote past n=" << n;
    }
  }
  std::vector<uint64_t> out(70);
  xvs::core::siphash13_batch(key, a.data(), b.data(), out.data(), 70);
  EXPECT_EQ(out, want);
}

// Five-word messages (IPv6 flows): each variant agrees with SipHash-1-3 of the same words, as
// core::hash_flow6 computes it.
TEST(SipHash, FiveWordBatchMatchesOneAtATimeInEveryVariant) {
  const SipKey key{0x0123456789abcdefull, 0xfedcba9876543210ull};
  std::vector<uint64_t> words[5], want(70);
  for (auto& w : words) w.resize(70);
  for (uint32_t i = 0; i < 70; ++i) {
    uint64_t message[5];
    for (uint32_t w = 0; w < 5; ++w) message[w] = words[w][i] = 0x9e3779b97f4a7c15ull * (i + 1) * (w + 3) ^ (w << 56);
    want[i] = xvs::core::siphash<1, 3>(key, message, 5);
  }
  const uint64_t* const columns[5] = {words[0].data(), words[1].data(), words[2].data(), words[3].data(), words[4].data()};
  uint32_t count = 0;
  const xvs::core::SipBatchVariant* variants = xvs::core::siphash13_batch_variants(count);
  for (uint32_t v = 0; v < count; ++v) {
    if (!variants[v].supported) continue;
    for (uint32_t n : {0u, 1u, 7u, 8u, 9u, 64u, 70u}) {
      std::vector<uint64_t> out(n + 1, 0xdeadull);
      variants[v].run5(key, columns, out.data(), n);
      for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(out[i], want[i]) << variants[v].name << " n=" << n << " i=" << i;
      EXPECT_EQ(out[n], 0xdeadull) << variants[v].name << " wrote past n=" << n;
    }
  }
  std::vector<uint64_t> out(70);
  xvs::core::siphash13_batch5(key, columns, out.data(), 70);
  EXPECT_EQ(out, want);
  const xvs::core::Ipv6Address s = xvs::core::Ipv6Address::load(reinterpret_cast<const uint8_t*>("0123456789abcdef"));
  const xvs::core::FlowWords6 f = xvs::core::flow_words6(s, s, 1, 2, 6);
  const uint64_t* const one[5] = {&f.w[0], &f.w[1], &f.w[2], &f.w[3], &f.w[4]};
  uint64_t h = 0;
  xvs::core::siphash13_batch5(key, one, &h, 1);
  EXPECT_EQ(h, xvs::core::hash_flow6(key, s, s, 1, 2, 6));
}

}  // namespace
