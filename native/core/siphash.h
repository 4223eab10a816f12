// native/core/siphash.h — SipHash-2-4 (Aumasson and Bernstein, 2012) of a few 64-bit words: the
// keyed pseudo-random function the Linux kernel uses for its port and sequence-number choices
// (lib/siphash.c), used here where an outsider must not predict a value (Full-NAT local ports,
// lb/local_port.h). Written out rather than linked: it is 30 lines, and the kernel's and the
// reference's test vectors pin it (test/native/siphash_test.cc). Pure.
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
  void word(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};
}  // namespace detail

// SipHash-2-4 of the message made of `n` little-endian 64-bit words (8n bytes).
inline uint64_t siphash24(const SipKey& key, const uint64_t* words, uint32_t n) {
  detail::SipState s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull, key.k0 ^ 0x6c7967656e657261ull,
                     key.k1 ^ 0x7465646279746573ull};
  for (uint32_t i = 0; i < n; ++i) s.word(words[i]);
  s.word(static_cast<uint64_t>(n * 8) << 56);  // the final block: no tail bytes, the length in the top byte
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

inline uint64_t siphash24(const SipKey& key, uint64_t a, uint64_t b) {
  const uint64_t words[2] = {a, b};
  return siphash24(key, words, 2);
}

}  // namespace xvs::core
