// native/core/hash.h — seeded hashing of flow keys for the per-worker tables. The seed is
// random per engine so that a remote sender cannot aim many flows at one bucket. Pure.
#pragma once
#include <cstdint>

namespace xvs::core {

// A 64x64->128 multiply-fold mixer (the wyhash core): two multiplies per key, good avalanche.
inline uint64_t mix64(uint64_t a, uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

inline constexpr uint64_t kHashP0 = 0xa0761d6478bd642full;
inline constexpr uint64_t kHashP1 = 0xe7037ed1a0b428dbull;

// Hash of an IPv4 4-tuple + protocol: addresses and ports as they sit in the packet.
inline uint64_t hash_flow(uint64_t seed, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
                          uint8_t protocol) {
  const uint64_t addrs = (static_cast<uint64_t>(saddr) << 32) | daddr;
  const uint64_t ports = (static_cast<uint64_t>(sport) << 32) | (static_cast<uint64_t>(dport) << 16) | protocol;
  return mix64(addrs ^ kHashP0, ports ^ seed ^ kHashP1);
}

inline uint64_t hash_u64(uint64_t seed, uint64_t key) { return mix64(key ^ kHashP0, seed ^ kHashP1); }

}  // namespace xvs::core
