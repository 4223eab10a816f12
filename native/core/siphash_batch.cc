// native/core/siphash_batch.cc — see siphash_batch.h. Written once with GCC/Clang vector types
// (eight 64-bit lanes), compiled into one function per instruction set by `target` attributes;
// the baseline splits each vector into SSE2 halves, AVX2 into two, AVX-512 takes it whole. Pure;
// any thread.
#include "core/siphash_batch.h"

#include <cstring>
#include <initializer_list>

namespace xvs::core {
namespace {

constexpr uint32_t kLanes = 8;
typedef uint64_t Lanes __attribute__((vector_size(8 * kLanes)));

// Helpers on wide vectors, inlined into each variant: no vector crosses a call, whatever the
// baseline's ABI says about passing them (which -Wpsabi warns about).
#pragma GCC diagnostic ignored "-Wpsabi"
[[gnu::always_inline]] inline Lanes splat(uint64_t v) { return Lanes{} + v; }
[[gnu::always_inline]] inline void rotl(Lanes& x, int b) { x = (x << b) | (x >> (64 - b)); }

[[gnu::always_inline]] inline void sip_round(Lanes& v0, Lanes& v1, Lanes& v2, Lanes& v3) {
  v0 += v1; rotl(v1, 13); v1 ^= v0; rotl(v0, 32);
  v2 += v3; rotl(v3, 16); v3 ^= v2;
  v0 += v3; rotl(v3, 21); v3 ^= v0;
  v2 += v1; rotl(v1, 17); v1 ^= v2; rotl(v2, 32);
}

// SipHash-1-3 of n messages of Words words each: word w of message i is words[w][i].
template <uint32_t Words>
[[gnu::always_inline]] inline void batch(const SipKey& key, const uint64_t* const* words, uint64_t* out, uint32_t n) {
  const Lanes length = splat(static_cast<uint64_t>(Words * 8) << 56);
  for (uint32_t first = 0; first < n; first += kLanes) {
    const uint32_t count = n - first < kLanes ? n - first : kLanes;
    Lanes m[Words] = {};
    for (uint32_t w = 0; w < Words; ++w) {
      if (count == kLanes) {
        std::memcpy(&m[w], words[w] + first, sizeof m[w]);
      } else {
        for (uint32_t i = 0; i < count; ++i) m[w][i] = words[w][first + i];
      }
    }
    Lanes v0 = splat(key.k0 ^ 0x736f6d6570736575ull), v1 = splat(key.k1 ^ 0x646f72616e646f6dull),
          v2 = splat(key.k0 ^ 0x6c7967656e657261ull), v3 = splat(key.k1 ^ 0x7465646279746573ull);
    // One round per message word, then the length block, three final rounds.
    for (uint32_t w = 0; w <= Words; ++w) {
      const Lanes word = w < Words ? m[w] : length;
      v3 ^= word;
      sip_round(v0, v1, v2, v3);
      v0 ^= word;
    }
    v2 ^= splat(0xff);
    sip_round(v0, v1, v2, v3);
    sip_round(v0, v1, v2, v3);
    sip_round(v0, v1, v2, v3);
    const Lanes h = v0 ^ v1 ^ v2 ^ v3;
    if (count == kLanes) {
      std::memcpy(out + first, &h, sizeof h);
    } else {
      for (uint32_t i = 0; i < count; ++i) out[first + i] = h[i];
    }
  }
}

[[gnu::always_inline]] inline void batch(const SipKey& key, const uint64_t* a, const uint64_t* b, uint64_t* out, uint32_t n) {
  const uint64_t* const words[2] = {a, b};
  batch<2>(key, words, out, n);
}

void batch_baseline(const SipKey& key, const uint64_t* a, const uint64_t* b, uint64_t* out, uint32_t n) {
  batch(key, a, b, out, n);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) void batch_avx2(const SipKey& key, const uint64_t* a, const uint64_t* b, uint64_t* out,
                                                uint32_t n) {
  batch(key, a, b, out, n);
}
__attribute__((target("avx512f"))) void batch_avx512(const SipKey& key, const uint64_t* a, const uint64_t* b,
                                                     uint64_t* out, uint32_t n) {
  batch(key, a, b, out, n);
}
#endif

#if defined(__x86_64__)
// Static initializers may run before libgcc's own CPU detection: ask for it first (initializers
// of one file run in the order of their definitions).
const bool cpu_detected = (__builtin_cpu_init(), true);
#endif

const SipBatchVariant kVariants[] = {
#if defined(__x86_64__)
    {"avx512f", cpu_detected && __builtin_cpu_supports("avx512f") != 0, batch_avx512},
    {"avx2", cpu_detected && __builtin_cpu_supports("avx2") != 0, batch_avx2},
#endif
    {"baseline", true, batch_baseline},
};

// The first supported variant: kVariants is best first and ends with the baseline.
const SipBatchVariant& chosen_variant = [] () -> const SipBatchVariant& {
  for (const SipBatchVariant& v : kVariants)
    if (v.supported) return v;
  return kVariants[sizeof kVariants / sizeof kVariants[0] - 1];
}();
auto* const chosen = chosen_variant.run;

}  // namespace

void siphash13_batch(const SipKey& key, const uint64_t* a, const uint64_t* b, uint64_t* out, uint32_t n) {
  chosen(key, a, b, out, n);
}

const SipBatchVariant* siphash13_batch_variants(uint32_t& count) {
  count = sizeof kVariants / sizeof kVariants[0];
  return kVariants;
}

}  // namespace xvs::core
