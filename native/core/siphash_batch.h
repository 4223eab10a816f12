// native/core/siphash_batch.h — SipHash-1-3 of many two-word messages at once: the same values
// as core::siphash13(key, a[i], b[i]), computed eight lanes wide. A burst's flows (either family:
// core::flow_words, flow_words6) are hashed this way before their table buckets are fetched
// (lb::process_burst): one SipHash costs ~130 instructions, a lane of the batch a small part of
// that. One generic source compiled for AVX-512 (a rotate is one instruction) and the x86-64
// baseline, and AVX2 written with intrinsics (the generic source compiled for AVX2 keeps its
// vectors in memory: siphash_batch.cc); the best the CPU has is chosen once, when the library
// loads. Pure; any thread.
#pragma once
#include <cstdint>

#include "core/siphash.h"

namespace xvs::core {

// out[i] = siphash13(key, a[i], b[i]) for i < n, by the variant chosen for this CPU.
void siphash13_batch(const SipKey& key, const uint64_t* a, const uint64_t* b, uint64_t* out, uint32_t n);

// Every compiled variant, so that tests can check each one this CPU can run.
struct SipBatchVariant {
  const char* name;
  bool supported;  // this CPU has the instructions
  void (*run)(const SipKey& key, const uint64_t* a, const uint64_t* b, uint64_t* out, uint32_t n);
};
// Best first; the last (the baseline) runs everywhere.
const SipBatchVariant* siphash13_batch_variants(uint32_t& count);
// The name of the variant siphash13_batch runs on this CPU (benchmarks print it).
const char* siphash13_batch_variant();

}  // namespace xvs::core
