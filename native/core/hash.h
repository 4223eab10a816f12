// native/core/hash.h — keyed hashing of flow keys for the tables that outsiders fill (the
// connection table, lblc's locality table) and of client addresses for the hashing schedulers;
// and a cheap seeded mixer for the snapshot's indexes, which only the configuration fills. SipHash-1-3 (core/siphash.h) under a secret key: a remote sender who does not know
// the key cannot aim many flows at one bucket (hash flooding), which an unkeyed or merely
// seeded multiply-mix hash allows once its structure is known. The table key is random per
// engine; the schedulers' key is derived from the port key (lb/core_state.h), so that every
// worker, every restart and every node given the same port_key_file maps a client alike. Pure.
#pragma once
#include <cstdint>

#include "core/ipv6_address.h"
#include "core/siphash.h"

namespace xvs::core {

// The tables' key from the engine's 64-bit random seed: any function of a secret seed is as
// secret as the seed (SipHash is a PRF for every key).
inline SipKey table_key(uint64_t seed) { return {seed, (seed << 32 | seed >> 32) ^ 0x9e3779b97f4a7c15ull}; }

// An IPv4 4-tuple + protocol as the two words hash_flow hashes: addresses and ports as they sit
// in the packet.
struct FlowWords {
  uint64_t addrs, ports;
};
inline FlowWords flow_words(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint8_t protocol) {
  return {(static_cast<uint64_t>(saddr) << 32) | daddr,
          (static_cast<uint64_t>(sport) << 32) | (static_cast<uint64_t>(dport) << 16) | protocol};
}

// Hash of an IPv4 4-tuple + protocol; siphash13_batch (core/siphash_batch.h) of flow_words()
// gives the same values for many flows at once.
inline uint64_t hash_flow(const SipKey& key, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
                          uint8_t protocol) {
  const FlowWords w = flow_words(saddr, daddr, sport, dport, protocol);
  return siphash13(key, w.addrs, w.ports);
}

// An IPv6 4-tuple + protocol as the five words hash_flow6 hashes (a different message length
// from hash_flow's, though the tables check an entry's family before its tuple anyway);
// siphash13_batch5 (core/siphash_batch.h) of them gives the same values for many flows at once.
struct FlowWords6 {
  uint64_t w[5];
};
inline FlowWords6 flow_words6(const Ipv6Address& saddr, const Ipv6Address& daddr, uint16_t sport, uint16_t dport,
                              uint8_t protocol) {
  return {{saddr.word(0), saddr.word(1), daddr.word(0), daddr.word(1),
           (static_cast<uint64_t>(sport) << 32) | (static_cast<uint64_t>(dport) << 16) | protocol}};
}
inline uint64_t hash_flow6(const SipKey& key, const Ipv6Address& saddr, const Ipv6Address& daddr, uint16_t sport,
                           uint16_t dport, uint8_t protocol) {
  const FlowWords6 f = flow_words6(saddr, daddr, sport, dport, protocol);
  return siphash<1, 3>(key, f.w, 5);
}

inline uint64_t hash_u64(const SipKey& key, uint64_t value) { return siphash13(key, value); }

// A 64x64->128 multiply-fold (the wyhash core), seeded: for tables built only from the
// configuration (lb/flat_map.h). A packet can only look such a table up, never add to it, so
// the longest probe run is the configuration's whatever the packet; SipHash there would cost
// every packet a few nanoseconds for nothing.
inline uint64_t mix_u64(uint64_t seed, uint64_t value) {
  const unsigned __int128 product = static_cast<unsigned __int128>(value ^ 0xa0761d6478bd642full) * (seed ^ 0xe7037ed1a0b428dbull);
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

}  // namespace xvs::core
