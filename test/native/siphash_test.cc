// test/native/siphash_test.cc — core::siphash24 against the reference implementation's vectors
// (key 00 01 .. 0f, message 00 01 .. of 8n bytes; github.com/veorq/SipHash vectors.h), SipHash-1-3
// against the reference's output for the empty message under the zero key, and the table hashes
// (core/hash.h) depending on their key; the batch (core/siphash_batch.h), in every variant this
// CPU runs, giving siphash13's values at every batch length and touching no word past the last
// (inputs and output end where an inaccessible page begins); IPv6 flows' keyed compression (NH)
// against a computation of its own, apart from IPv4's messages, and spreading an attacker's
// address patterns.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>
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

// n words that end where an inaccessible page begins: a read or write past them faults.
class GuardedWords {
 public:
  explicit GuardedWords(uint32_t n) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    bytes_ = (n * sizeof(uint64_t) + page - 1) / page * page + page;
    base_ = static_cast<uint8_t*>(mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base_ == MAP_FAILED) throw std::bad_alloc();
    uint8_t* guard = base_ + bytes_ - page;
    if (mprotect(guard, page, PROT_NONE) != 0) throw std::bad_alloc();
    words_ = reinterpret_cast<uint64_t*>(guard) - n;
  }
  ~GuardedWords() { munmap(base_, bytes_); }
  GuardedWords(const GuardedWords&) = delete;
  GuardedWords& operator=(const GuardedWords&) = delete;
  uint64_t* data() const { return words_; }

 private:
  uint8_t* base_;
  size_t bytes_;
  uint64_t* words_;
};

TEST(SipHash, BatchTouchesNothingPastItsWordsInEveryVariant) {
  const SipKey key{0x8899aabbccddeeffull, 0x0011223344556677ull};
  uint32_t count = 0;
  const xvs::core::SipBatchVariant* variants = xvs::core::siphash13_batch_variants(count);
  for (uint32_t v = 0; v < count; ++v) {
    if (!variants[v].supported) continue;  // said by BatchMatchesOneAtATimeInEveryVariant
    for (uint32_t n = 0; n <= 20; ++n) {
      GuardedWords a(n), b(n), out(n);
      for (uint32_t i = 0; i < n; ++i) {
        a.data()[i] = 0x9e3779b97f4a7c15ull * (i + 7);
        b.data()[i] = ~a.data()[i] >> (i % 11);
      }
      variants[v].run(key, a.data(), b.data(), out.data(), n);
      for (uint32_t i = 0; i < n; ++i)
        EXPECT_EQ(out.data()[i], xvs::core::siphash13(key, a.data()[i], b.data()[i])) << variants[v].name << " n=" << n << " i=" << i;
    }
  }
}

// NH of six words, the way the UMAC paper writes it, in 32-bit limbs: an independent
// computation of what core::flow_words6 computes with 128-bit integers.
struct U128 {
  uint32_t limb[4] = {0, 0, 0, 0};  // least significant first
  void add(const U128& o) {
    uint64_t carry = 0;
    for (int i = 0; i < 4; ++i) {
      const uint64_t t = static_cast<uint64_t>(limb[i]) + o.limb[i] + carry;
      limb[i] = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
  }
  static U128 product(uint64_t x, uint64_t y) {
    U128 r;
    const uint32_t a[2] = {static_cast<uint32_t>(x), static_cast<uint32_t>(x >> 32)};
    const uint32_t b[2] = {static_cast<uint32_t>(y), static_cast<uint32_t>(y >> 32)};
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        U128 part;
        const uint64_t t = static_cast<uint64_t>(a[i]) * b[j];
        part.limb[i + j] = static_cast<uint32_t>(t);
        part.limb[i + j + 1] = static_cast<uint32_t>(t >> 32);
        r.add(part);
      }
    return r;
  }
};

xvs::core::Ipv6Address address6(uint64_t high, uint64_t low) {
  uint8_t bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
  }
  return xvs::core::Ipv6Address::load(bytes);
}

TEST(FlowHash6, IsNhOfTheTupleUnderTheKeyThenSipHashOfTwoWords) {
  const SipKey table = xvs::core::table_key(0x5eed);
  const xvs::core::FlowKey6 key = xvs::core::flow_key6(table);
  const xvs::core::Ipv6Address s = address6(0x20010db800000001ull, 0x1234), d = address6(0xfd000000000000ffull, 0x10);
  const uint64_t m[6] = {s.word(0), s.word(1), d.word(0), d.word(1), (uint64_t{40000} << 32) | (uint64_t{443} << 16) | 6, 0};
  U128 want;
  for (int i = 0; i < 6; i += 2) want.add(U128::product(m[i] + key.nh[i], m[i + 1] + key.nh[i + 1]));
  const xvs::core::FlowWords w = xvs::core::flow_words6(key, s, d, 40000, 443, 6);
  EXPECT_EQ(w.first, (uint64_t{want.limb[1]} << 32) | want.limb[0]);
  EXPECT_EQ(w.second, ((uint64_t{want.limb[3]} << 32) | want.limb[2]) | (1ull << 63));
  EXPECT_EQ(xvs::core::hash_flow6(table, key, s, d, 40000, 443, 6), xvs::core::siphash13(table, w.first, w.second));
  // The key is the engine's: another seed, other words; none of them zero or the message's own.
  const xvs::core::FlowKey6 other = xvs::core::flow_key6(xvs::core::table_key(0x5eee));
  for (int i = 0; i < 6; ++i) {
    EXPECT_NE(key.nh[i], other.nh[i]) << i;
    EXPECT_NE(key.nh[i], 0u) << i;
  }
  EXPECT_NE(xvs::core::flow_words6(other, s, d, 40000, 443, 6).first, w.first);
}

// IPv4 and IPv6 flows share the batch and the tables: their messages must never be the same. An
// IPv6 flow's second word has its top bit set, an IPv4 flow's (ports and protocol) never.
TEST(FlowHash6, TheFamiliesNeverShareAMessage) {
  const xvs::core::FlowKey6 key = xvs::core::flow_key6(xvs::core::table_key(1));
  EXPECT_EQ(xvs::core::flow_words(~0u, ~0u, 0xffff, 0xffff, 0xff).second >> 63, 0u);
  for (uint64_t i = 0; i < 4096; ++i)
    EXPECT_EQ(xvs::core::flow_words6(key, address6(i, i * 7), address6(~i, i), static_cast<uint16_t>(i), 80, 17).second >> 63, 1u)
        << i;
}

// What an attacker holding a /64 (or a /48, varying its subnet bits) can send: 65 536 sources in
// patterns that defeat an unkeyed fold (the two halves XORed to one value, only the low bits
// moving) or NH without its key (a zero interface identifier: without the key's words every
// product of such an address is 0). Under the key, no two compress alike and they spread over the
// buckets like random values: no bucket of 1 024 gets more than twice its share.
TEST(FlowHash6, AnAttackersAddressesSpreadOverTheBuckets) {
  const SipKey table = xvs::core::table_key(0xfeed);
  const xvs::core::FlowKey6 key = xvs::core::flow_key6(table);
  const xvs::core::Ipv6Address vip = address6(0x20010db8000000ffull, 1);
  const uint64_t prefix = 0x20010db800010000ull;
  for (int pattern = 0; pattern < 4; ++pattern) {
    std::set<std::pair<uint64_t, uint64_t>> words;
    std::vector<uint32_t> load(1024, 0);
    for (uint64_t i = 0; i < 65536; ++i) {
      const xvs::core::Ipv6Address source = pattern == 0   ? address6(prefix, i)                   // low bits
                                            : pattern == 1 ? address6(prefix ^ i, 0x5a5a ^ i)     // halves XOR alike
                                            : pattern == 2 ? address6(prefix | i, 0x1)            // a /48's subnets
                                                           : address6(prefix | i, 0);             // zero interface ids
      const xvs::core::FlowWords w = xvs::core::flow_words6(key, source, vip, 40000, 443, 6);
      EXPECT_TRUE(words.insert({w.first, w.second}).second) << "pattern " << pattern << " source " << i;
      ++load[xvs::core::siphash13(table, w.first, w.second) & 1023];
    }
    EXPECT_LT(*std::max_element(load.begin(), load.end()), 128u) << "pattern " << pattern;
  }
  // The key is what makes the last pattern safe: NH under a zero key compresses it all alike.
  const xvs::core::FlowKey6 none{};
  EXPECT_EQ(xvs::core::flow_words6(none, address6(prefix | 1, 0), vip, 40000, 443, 6).first,
            xvs::core::flow_words6(none, address6(prefix | 2, 0), vip, 40000, 443, 6).first);
}

// A burst of both families hashed in one batch gives each flow its own hash.
TEST(FlowHash6, OneBatchForBothFamilies) {
  const SipKey table = xvs::core::table_key(7);
  const xvs::core::FlowKey6 key = xvs::core::flow_key6(table);
  std::vector<uint64_t> first, second, want;
  for (uint16_t i = 0; i < 70; ++i) {
    const xvs::core::FlowWords w = i % 3 == 0 ? xvs::core::flow_words6(key, address6(i, 1), address6(2, 2), i, 80, 6)
                                              : xvs::core::flow_words(i, 2, i, 80, 6);
    first.push_back(w.first);
    second.push_back(w.second);
    want.push_back(i % 3 == 0 ? xvs::core::hash_flow6(table, key, address6(i, 1), address6(2, 2), i, 80, 6)
                              : xvs::core::hash_flow(table, i, 2, i, 80, 6));
  }
  std::vector<uint64_t> out(70);
  xvs::core::siphash13_batch(table, first.data(), second.data(), out.data(), 70);
  EXPECT_EQ(out, want);
}

}  // namespace
