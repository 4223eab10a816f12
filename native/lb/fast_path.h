// native/lb/fast_path.h — the XDP fast path's entry for one direction of an established
// connection (abi/fast_path.h): what lb::process would do to that direction's plain segments
// and datagrams, precomputed so that the steering program can do it without the worker —
// the rewritten tuple (nat, fullnat), the RFC 1624 checksum deltas of that rewrite and of the
// TTL decrement, the MACs and the egress interface. Consumes a connection and the current
// snapshot; produces a map key and entry. Runs on the owning worker.
//
// Only what the steering program can do alike is eligible: dr, nat and fullnat connections in
// TCP ESTABLISHED or UDP, not SYN-proxied (sequence numbers are translated), not one-packet,
// bound to a configured server whose next hop is resolved. Tunnel mode (the IPIP header, the
// MTU check) stays with the worker.
#pragma once
#include <cstdint>
#include <cstring>

#include "abi/fast_path.h"
#include "core/checksum.h"
#include "lb/egress.h"
#include "lb/schedule.h"

namespace xvs::lb {

// One's-complement delta that turns a checksum over `old_word` into one over `new_word`: the
// `~m + m'` of RFC 1624 eqn. 3, for 16- and 32-bit fields as they lie in memory.
inline uint64_t checksum_delta32(uint32_t old_word, uint32_t new_word) {
  return static_cast<uint64_t>(static_cast<uint32_t>(~old_word)) + new_word;
}
inline uint64_t checksum_delta16(uint16_t old_word, uint16_t new_word) {
  return static_cast<uint64_t>(static_cast<uint16_t>(~old_word)) + new_word;
}

// The TTL decrement's delta: TTL and protocol share one 16-bit word of the IPv4 header (TTL
// first); the delta does not depend on either value, only on the byte order of the machine.
inline uint64_t ttl_decrement_delta() {
  const uint8_t before[2] = {2, 0}, after[2] = {1, 0};
  uint16_t b, a;
  std::memcpy(&b, before, 2);
  std::memcpy(&a, after, 2);
  return checksum_delta16(b, a);
}

inline bool fast_path_eligible(CoreState& cs, Conn& c) {
  if (c.flags & (kTemplate | kOnePacket | kSynProxied)) return false;
  const auto mode = static_cast<abi::Forwarding>(c.forwarding);
  if (mode == abi::Forwarding::tunnel) return false;
  if (c.protocol == core::kIpProtoTcp ? c.state != ConnState::tcp_established : c.state != ConnState::udp) return false;
  return backend_of(cs, c) != kNoBackend;
}

// Fills `key` and `entry` for direction `dir` of `c`; false when `c` is not eligible or that
// direction's next hop is unresolved. `ifindex_of_port`: the interface index of each I/O port.
inline bool fast_entry_of(CoreState& cs, Conn& c, Direction dir, const uint32_t* ifindex_of_port, xvs_fast_key& key,
                          xvs_fast_entry& entry) {
  if (!fast_path_eligible(cs, c)) return false;
  const Egress out = egress(cs, c, dir);
  if (out.mac == nullptr) return false;
  const ConnTuple& in = c.tuple[dir];
  key = xvs_fast_key{};
  key.saddr = in.saddr;
  key.daddr = in.daddr;
  key.sport = in.sport;
  key.dport = in.dport;
  key.protocol = c.protocol;

  entry = xvs_fast_entry{};
  const auto mode = static_cast<abi::Forwarding>(c.forwarding);
  const bool routed = mode == abi::Forwarding::nat || mode == abi::Forwarding::fullnat;
  if (routed) {
    // Each direction leaves as the reverse of the other direction's tuple (lb/process.cc translate_nat).
    const ConnTuple& other = c.tuple[dir == kFromClient ? kFromServer : kFromClient];
    entry.saddr = other.daddr;
    entry.daddr = other.saddr;
    entry.sport = other.dport;
    entry.dport = other.sport;
    const uint64_t addresses = checksum_delta32(in.saddr, entry.saddr) + checksum_delta32(in.daddr, entry.daddr);
    entry.ip_delta = core::checksum_fold(addresses + ttl_decrement_delta());
    entry.l4_delta = core::checksum_fold(addresses + checksum_delta16(in.sport, entry.sport) + checksum_delta16(in.dport, entry.dport));
    entry.flags = XVS_FAST_ROUTED;
  } else {
    entry.saddr = in.saddr;
    entry.daddr = in.daddr;
    entry.sport = in.sport;
    entry.dport = in.dport;
  }
  std::memcpy(entry.src_mac, cs.snapshot->ports[out.port].mac.bytes, 6);
  std::memcpy(entry.dst_mac, out.mac, 6);
  entry.egress_ifindex = ifindex_of_port[out.port];
  entry.generation = static_cast<uint32_t>(cs.snapshot->generation);
  entry.worker = static_cast<uint8_t>(cs.id);
  return true;
}

}  // namespace xvs::lb
