// native/core/siphash_batch.cc — see siphash_batch.h. Written once with GCC/Clang vector types
// (eight 64-bit lanes), compiled into one function per instruction set by `target` attributes:
// AVX-512 takes a vector whole, the baseline splits it into SSE2 halves. AVX2 has its own
// intrinsics below (batch_avx2). Pure; any thread.
#include "core/siphash_batch.h"

#include <cstring>
#include <initializer_list>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

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
  // `first + count` never passes n, so the index cannot wrap whatever n is.
  for (uint32_t first = 0, count = 0; first < n; first += count) {
    count = n - first < kLanes ? n - first : kLanes;
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
// AVX2 by hand: GCC 12 splits the eight-lane vectors of batch() into halves but keeps them in
// memory between operations (~120 spills a batch) and rotates by 16 and 32 with two shifts and
// an or. Here: two groups of four lanes in registers, the rotate by 16 one byte shuffle and the
// rotate by 32 one 32-bit-element shuffle: ~35 instructions a message instead of ~96 (callgrind).
namespace avx2 {
#define XVS_AVX2 __attribute__((target("avx2"), always_inline)) inline
template <int B>
XVS_AVX2 __m256i rotl(__m256i x) {
  return _mm256_or_si256(_mm256_slli_epi64(x, B), _mm256_srli_epi64(x, 64 - B));
}
XVS_AVX2 __m256i rotl32(__m256i x) { return _mm256_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)); }
XVS_AVX2 __m256i rotl16(__m256i x) {
  // Each byte of a 64-bit lane from the one two below it, the top two wrapping to the bottom.
  const __m256i bytes = _mm256_setr_epi8(6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13,  //
                                         6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13);
  return _mm256_shuffle_epi8(x, bytes);
}
struct State {
  __m256i v0, v1, v2, v3;
};
XVS_AVX2 void sip_round(State& s) {
  s.v0 = _mm256_add_epi64(s.v0, s.v1); s.v1 = rotl<13>(s.v1); s.v1 = _mm256_xor_si256(s.v1, s.v0); s.v0 = rotl32(s.v0);
  s.v2 = _mm256_add_epi64(s.v2, s.v3); s.v3 = rotl16(s.v3); s.v3 = _mm256_xor_si256(s.v3, s.v2);
  s.v0 = _mm256_add_epi64(s.v0, s.v3); s.v3 = rotl<21>(s.v3); s.v3 = _mm256_xor_si256(s.v3, s.v0);
  s.v2 = _mm256_add_epi64(s.v2, s.v1); s.v1 = rotl<17>(s.v1); s.v1 = _mm256_xor_si256(s.v1, s.v2); s.v2 = rotl32(s.v2);
}
XVS_AVX2 void absorb(State& s, __m256i word) {
  s.v3 = _mm256_xor_si256(s.v3, word);
  sip_round(s);
  s.v0 = _mm256_xor_si256(s.v0, word);
}
XVS_AVX2 State initial(const SipKey& key) {
  return {_mm256_set1_epi64x(static_cast<int64_t>(key.k0 ^ 0x736f6d6570736575ull)),
          _mm256_set1_epi64x(static_cast<int64_t>(key.k1 ^ 0x646f72616e646f6dull)),
          _mm256_set1_epi64x(static_cast<int64_t>(key.k0 ^ 0x6c7967656e657261ull)),
          _mm256_set1_epi64x(static_cast<int64_t>(key.k1 ^ 0x7465646279746573ull))};
}
// SipHash-1-3 of four two-word messages twice over: lanes a0/b0 and a1/b1, from the key's
// initial state.
XVS_AVX2 void hash8(const State& init, __m256i a0, __m256i b0, __m256i a1, __m256i b1, __m256i& h0, __m256i& h1) {
  const __m256i length = _mm256_set1_epi64x(static_cast<int64_t>(uint64_t{16} << 56));
  const __m256i ff = _mm256_set1_epi64x(0xff);
  State s = init, t = init;
  absorb(s, a0), absorb(t, a1);
  absorb(s, b0), absorb(t, b1);
  absorb(s, length), absorb(t, length);
  s.v2 = _mm256_xor_si256(s.v2, ff), t.v2 = _mm256_xor_si256(t.v2, ff);
  for (int r = 0; r < 3; ++r) sip_round(s), sip_round(t);
  h0 = _mm256_xor_si256(_mm256_xor_si256(s.v0, s.v1), _mm256_xor_si256(s.v2, s.v3));
  h1 = _mm256_xor_si256(_mm256_xor_si256(t.v0, t.v1), _mm256_xor_si256(t.v2, t.v3));
}
XVS_AVX2 __m256i load(const uint64_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
XVS_AVX2 void store(uint64_t* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
#undef XVS_AVX2
}  // namespace avx2

__attribute__((target("avx2"))) void batch_avx2(const SipKey& key, const uint64_t* a, const uint64_t* b, uint64_t* out,
                                                uint32_t n) {
  // Built once: `out` may alias `key` as far as the compiler knows, so each store would reload it.
  const avx2::State init = avx2::initial(key);
  uint32_t first = 0;
  for (; n - first >= kLanes; first += kLanes) {
    __m256i h0, h1;
    avx2::hash8(init, avx2::load(a + first), avx2::load(b + first), avx2::load(a + first + 4), avx2::load(b + first + 4),
                h0, h1);
    avx2::store(out + first, h0);
    avx2::store(out + first + 4, h1);
  }
  if (first == n) return;
  // The last few: through buffers of a whole batch, so that nothing past n is read or written.
  alignas(32) uint64_t ta[kLanes] = {}, tb[kLanes] = {}, th[kLanes];
  const uint32_t count = n - first;
  std::memcpy(ta, a + first, count * sizeof ta[0]);
  std::memcpy(tb, b + first, count * sizeof tb[0]);
  __m256i h0, h1;
  avx2::hash8(init, avx2::load(ta), avx2::load(tb), avx2::load(ta + 4), avx2::load(tb + 4), h0, h1);
  avx2::store(th, h0);
  avx2::store(th + 4, h1);
  std::memcpy(out + first, th, count * sizeof th[0]);
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

const char* siphash13_batch_variant() { return chosen_variant.name; }

const SipBatchVariant* siphash13_batch_variants(uint32_t& count) {
  count = sizeof kVariants / sizeof kVariants[0];
  return kVariants;
}

}  // namespace xvs::core
