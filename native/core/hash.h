// native/core/hash.h — keyed hashing of flow keys for the tables that outsiders fill (the
// connection table, lblc's locality table) and of client addresses for the hashing schedulers;
// and a cheap seeded mixer for the snapshot's indexes, which only the configuration fills.
// SipHash-1-3 (core/siphash.h) under a secret key: a remote sender who does not know the key
// cannot aim many flows at one bucket (hash flooding), which an unkeyed or merely seeded
// multiply-mix hash allows once its structure is known. An IPv6 flow is first compressed to two
// words by NH under a key of its own (flow_words6), so both families cost one two-word SipHash
// and share a burst's batch. The table key is random per engine; the schedulers' key is derived
// from the port key (lb/core_state.h), so that every worker, every restart and every node given
// the same port_key_file maps a client alike. Pure.
#pragma once
#include <cstdint>

#include "core/ipv6_address.h"
#include "core/siphash.h"

namespace xvs::core {

// The tables' key from the engine's 64-bit random seed: any function of a secret seed is as
// secret as the seed (SipHash is a PRF for every key).
inline SipKey table_key(uint64_t seed) { return {seed, (seed << 32 | seed >> 32) ^ 0x9e3779b97f4a7c15ull}; }

// A flow as the two words the tables' SipHash takes. An IPv4 4-tuple + protocol (flow_words):
// addresses, then ports and protocol, as they sit in the packet; an IPv6 one: flow_words6.
struct FlowWords {
  uint64_t first, second;
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
  return siphash13(key, w.first, w.second);
}

// The secret under which an IPv6 flow is compressed to two words (flow_words6): the six words
// of an NH key, drawn from the table key (SipHash is a PRF: its outputs under a secret key are as
// unpredictable as the key). Drawn from three-word messages, a length nothing else hashes under
// that key (flows are two words, lblc's destinations one), so no table ever exposes one of them.
struct FlowKey6 {
  uint64_t nh[6];
};
inline FlowKey6 flow_key6(const SipKey& table) {
  FlowKey6 k;
  for (uint64_t i = 0; i < 6; ++i) {
    const uint64_t message[3] = {0x786673206e68206bull /* "xvs nh k" */, 0, i};
    k.nh[i] = siphash<1, 3>(table, message, 3);
  }
  return k;
}

// An IPv6 4-tuple + protocol compressed to two words, so that the tables hash it as they hash an
// IPv4 flow (one SipHash of two words, one batch for a burst of both families): NH, UMAC's
// compression (Black et al., 1999), of the six words (source, destination, ports+protocol, 0):
// sum of (m[2i] + k[2i]) * (m[2i+1] + k[2i+1]) over i < 3, mod 2^128. NH is 2^-64-almost-universal:
// whatever two distinct tuples an attacker picks, they compress alike with probability at most
// 2^-64 over the secret key, so without the key nobody can aim flows at one bucket any better
// than with the whole tuple hashed (an unkeyed fold such as XOR cannot promise that: sources of
// one /64 would collide at will). The top bit of the second word is then set, which no IPv4
// flow's words have (flow_words: bits 48-63 of `second` are zero): the families' messages never
// meet, at the price of one bit (2^-63).
inline FlowWords flow_words6(const FlowKey6& key, const Ipv6Address& saddr, const Ipv6Address& daddr, uint16_t sport,
                             uint16_t dport, uint8_t protocol) {
  using u128 = unsigned __int128;
  const uint64_t ports = (static_cast<uint64_t>(sport) << 32) | (static_cast<uint64_t>(dport) << 16) | protocol;
  const u128 sum = static_cast<u128>(saddr.word(0) + key.nh[0]) * (saddr.word(1) + key.nh[1]) +
                   static_cast<u128>(daddr.word(0) + key.nh[2]) * (daddr.word(1) + key.nh[3]) +
                   static_cast<u128>(ports + key.nh[4]) * key.nh[5];
  return {static_cast<uint64_t>(sum), static_cast<uint64_t>(sum >> 64) | (1ull << 63)};
}

// Hash of an IPv6 4-tuple + protocol: SipHash of flow_words6, so siphash13_batch of those words
// gives the same values for many flows at once.
inline uint64_t hash_flow6(const SipKey& key, const FlowKey6& compression, const Ipv6Address& saddr,
                           const Ipv6Address& daddr, uint16_t sport, uint16_t dport, uint8_t protocol) {
  const FlowWords w = flow_words6(compression, saddr, daddr, sport, dport, protocol);
  return siphash13(key, w.first, w.second);
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
