// native/core/siphash.h — SipHash (Aumasson and Bernstein, 2012) of a few 64-bit words.
// SipHash-2-4 is the keyed pseudo-random function the Linux kernel uses for its port and
// sequence-number choices (lib/siphash.c), used here where an outsider must not predict a value
// (Full-NAT local ports, lb/local_port.h; SYN cookies). SipHash-1-3, the same function with fewer
// rounds (Rust's default hasher for its hash tables), keys the table hashes (core/hash.h), where
// the goal is that nobody can aim many keys at one bucket. Written out rather than linked: it is
// 30 lines, and the kernel's and the reference's test vectors pin it (test/native/siphash_test.cc).
// Pure.
#pragma once
#include <cstdint>

namespace xvs::core {

struct SipKey {
  uint64_t k0 = 0, k1 = 0;
};

namespace detail {
inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
struct SipState {
  uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
};
}  // namespace detail

// SipHash-c-d of the message made of `n` little-endian 64-bit words (8n bytes).
template <int CompressionRounds, int FinalRounds>
inline uint64_t siphash(const SipKey& key, const uint64_t* words, uint32_t n) {
  detail::SipState s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull, key.k0 ^ 0x6c7967656e657261ull,
                     key.k1 ^ 0x7465646279746573ull};
  for (uint32_t i = 0; i <= n; ++i) {
    // The final block: no tail bytes, the length in the top byte.
    const uint64_t m = i < n ? words[i] : static_cast<uint64_t>(n * 8) << 56;
    s.v3 ^= m;
    for (int r = 0; r < CompressionRounds; ++r) s.round();
    s.v0 ^= m;
  }
  s.v2 ^= 0xff;
  for (int r = 0; r < FinalRounds; ++r) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

inline uint64_t siphash24(const SipKey& key, const uint64_t* words, uint32_t n) { return siphash<2, 4>(key, words, n); }

inline uint64_t siphash24(const SipKey& key, uint64_t a, uint64_t b) {
  const uint64_t words[2] = {a, b};
  return siphash24(key, words, 2);
}

inline uint64_t siphash13(const SipKey& key, uint64_t a, uint64_t b) {
  const uint64_t words[2] = {a, b};
  return siphash<1, 3>(key, words, 2);
}
inline uint64_t siphash13(const SipKey& key, uint64_t a) { return siphash<1, 3>(key, &a, 1); }

}  // namespace xvs::core
