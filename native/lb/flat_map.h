// native/lb/flat_map.h — immutable open-addressing map from a 64-bit key to a 32-bit value,
// built once by the control side (snapshot build) and only read by the workers. Linear probing
// over a power-of-two table at most half full, so a miss ends within a few slots. Keys come from
// the configuration only, hence the cheap seeded hash (core/hash.h, mix_u64).
#pragma once
#include <cstdint>
#include <vector>

#include "core/hash.h"

namespace xvs::lb {

class FlatMap {
 public:
  static constexpr uint32_t kMissing = 0xffffffffu;

  FlatMap() = default;
  void build(const std::vector<std::pair<uint64_t, uint32_t>>& entries, uint64_t seed) {
    size_t size = 8;
    while (size < entries.size() * 2) size <<= 1;
    mask_ = size - 1;
    seed_ = seed;
    slots_.assign(size, Slot{0, kMissing});
    for (const auto& [key, value] : entries) {
      size_t i = core::mix_u64(seed_, key) & mask_;
      while (slots_[i].value != kMissing && slots_[i].key != key) i = (i + 1) & mask_;
      slots_[i] = Slot{key, value};
    }
  }

  uint32_t find(uint64_t key) const {
    size_t i = core::mix_u64(seed_, key) & mask_;
    for (;;) {
      const Slot& s = slots_[i];
      if (s.value == kMissing) return kMissing;
      if (s.key == key) return s.value;
      i = (i + 1) & mask_;
    }
  }

 private:
  struct Slot {
    uint64_t key;
    uint32_t value;
  };
  std::vector<Slot> slots_{8, Slot{0, kMissing}};
  size_t mask_ = 7;
  uint64_t seed_ = 0;
};

}  // namespace xvs::lb
