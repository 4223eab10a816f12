// native/lb/flat_map.h — immutable open-addressing maps to a 32-bit value, built once by the
// control side (snapshot build) and only read by the workers: FlatMap from a 64-bit key (IPv4
// addresses, services, ids), FlatMap6 from an IPv6 address with 64 more key bits (IPv6 VIPs,
// services, LIPs). Linear probing over a power-of-two table at most half full, so a miss ends
// within a few slots. Keys come from the configuration only, hence the cheap seeded hash
// (core/hash.h, mix_u64).
#pragma once
#include <cstdint>
#include <vector>

#include "core/hash.h"
#include "core/ipv6_address.h"

namespace xvs::lb {

// An IPv6 address and what else names the entry (a service's port and protocol; 0 for a set of
// addresses).
struct Key6 {
  core::Ipv6Address address;
  uint64_t extra = 0;
  friend bool operator==(const Key6& a, const Key6& b) { return a.address == b.address && a.extra == b.extra; }
};

inline uint64_t flat_hash(uint64_t seed, uint64_t key) { return core::mix_u64(seed, key); }
inline uint64_t flat_hash(uint64_t seed, const Key6& key) {
  return core::mix_u64(seed, key.address.word(0) ^ core::mix_u64(seed ^ 0x6b657936ull, key.address.word(1) ^ key.extra));
}

template <typename Key>
class FlatMapOf {
 public:
  static constexpr uint32_t kMissing = 0xffffffffu;

  FlatMapOf() = default;
  void build(const std::vector<std::pair<Key, uint32_t>>& entries, uint64_t seed) {
    size_t size = 8;
    while (size < entries.size() * 2) size <<= 1;
    mask_ = size - 1;
    seed_ = seed;
    slots_.assign(size, Slot{Key{}, kMissing});
    for (const auto& [key, value] : entries) {
      size_t i = flat_hash(seed_, key) & mask_;
      while (slots_[i].value != kMissing && !(slots_[i].key == key)) i = (i + 1) & mask_;
      slots_[i] = Slot{key, value};
    }
  }

  uint32_t find(const Key& key) const {
    size_t i = flat_hash(seed_, key) & mask_;
    for (;;) {
      const Slot& s = slots_[i];
      if (s.value == kMissing) return kMissing;
      if (s.key == key) return s.value;
      i = (i + 1) & mask_;
    }
  }

 private:
  struct Slot {
    Key key;
    uint32_t value;
  };
  std::vector<Slot> slots_{8, Slot{Key{}, kMissing}};
  size_t mask_ = 7;
  uint64_t seed_ = 0;
};

using FlatMap = FlatMapOf<uint64_t>;
using FlatMap6 = FlatMapOf<Key6>;

}  // namespace xvs::lb
