// native/lb/local_port.h — the Full-NAT local address and port of a new connection, chosen on
// the worker that received the client's first packet. Consumes the client's tuple, the chosen
// server and the worker's connection table; produces (LIP, lport) or nothing (counted drop).
//
// What must hold, and how (issue 12; config/README.md, "Full-NAT local ports"):
// - A server-side tuple (LIP, lport, RIP, rport) is taken only when no entry of the table holds
//   it: a local port is unique per destination, not per LIP, as a translated tuple is in Linux
//   NAT, so capacity grows with the servers. An ended connection whose server may still hold the
//   tuple in TIME_WAIT keeps it as a `tcp_port_hold` entry (lb/process.cc) for
//   timeouts.server_time_wait: no other client gets it meanwhile.
// - The same client tuple gets the same server-side tuple whenever it is free, so that a client
//   reusing its port meets its own TIME_WAIT at the server, with its own ever-growing timestamps
//   (what the kernel achieves by keeping the client's port), and a held tuple is given back to the
//   very client that held it. The choice is a function of the client tuple and a key that
//   survives restarts (EngineOptions::port_key), so after a restart a client starts from the
//   tuple it had.
// - Only ports of dataplane.local_port_range are used (LocalPortRange): the steering program sends
//   only those to the data plane, so the host keeps the LIP's other ports (its own ephemeral
//   range: a LIP that is also a host address keeps working for the host's own connections).
// - Ownership (DESIGN §4): ports p with p % workers == worker are this worker's, so a reply names
//   its owner. The first port tried is the client's own port where it is in this worker's share
//   (always, with one worker: the kernel's choice); if that is taken, or not in the share, a keyed
//   hash of the client tuple into the share (so that clients sharing a source port do not all walk
//   one sequence); the next tries step from there by a stride that visits every port of it. The LIP
//   is a keyed hash of the client's address (the kernel hashes the addresses too), then the
//   pool's other LIPs in turn. An outsider who does not know the client tuple cannot predict the
//   port (SipHash, core/siphash.h).
// Runs on a data-plane worker, inside lb::process.
#pragma once
#include <cstdint>

#include "core/hash.h"
#include "core/ipv6_address.h"
#include "core/net.h"
#include "core/siphash.h"

namespace xvs::lb {

// Below this are the host's well-known services (SSH, BGP, DNS): never a local port.
inline constexpr uint32_t kMinLocalPort = 1024;

// dataplane.local_port_range, host order. The default leaves the host Linux's ephemeral range
// (ip_local_port_range 32768..60999) and everything above it.
struct LocalPortRange {
  uint16_t first = 1024;
  uint16_t last = 32767;
  bool contains(uint16_t port) const { return port >= first && port <= last; }
  uint32_t size() const { return last >= first ? last - first + 1u : 0; }
};
// Tries per LIP before the next one (Linux NAT tries up to 128 in all): at 90 % of a share in use
// towards one server, 64 busy tries in a row happen once in a thousand new connections.
inline constexpr uint32_t kLocalPortTries = 64;

// The worker that owns a local port (host order): the same rule on every side.
inline uint32_t local_port_owner(uint16_t port, uint32_t workers) { return port % workers; }

// One worker's share of the range: first + i * workers for i < count.
struct LocalPortShare {
  LocalPortRange range;
  uint32_t first = 0;
  uint32_t count = 0;
  uint32_t workers = 1;
  uint32_t stride = 1;  // coprime with count: count tries visit every port of the share

  LocalPortShare() = default;
  LocalPortShare(uint32_t worker, uint32_t worker_count, LocalPortRange local_ports)
      : range(local_ports), workers(worker_count) {
    first = range.first + (worker + workers - range.first % workers) % workers;
    count = first > range.last ? 0 : (range.last - first) / workers + 1;
    // Near the golden section of the share, so that neighbouring first choices (a client's
    // consecutive ports) probe apart.
    stride = count > 1 ? count * 5 / 8 : 1;
    while (stride > 1 && gcd(stride, count) != 1) --stride;
  }
  // Index of `port` (host order) in the share, or count when it is not in it.
  uint32_t index_of(uint32_t port) const {
    return port >= first && (port - first) % workers == 0 ? (port - first) / workers : count;
  }
  uint16_t port_at(uint32_t index) const { return static_cast<uint16_t>(first + index * workers); }

 private:
  static uint32_t gcd(uint32_t a, uint32_t b) {
    while (b != 0) {
      const uint32_t t = a % b;
      a = b;
      b = t;
    }
    return a;
  }
};

// Keyed hashes of the client's side of a new connection (addresses and ports in network order).
// `compression` is for IPv6 clients (CoreState::port_key6): their addresses are compressed to
// two words by NH (core::flow_words6) and hashed like an IPv4 client's, one SipHash of two words
// instead of four or five.
inline uint64_t client_tuple_hash(const core::SipKey& key, const core::FlowKey6&, uint32_t saddr, uint32_t daddr,
                                  uint16_t sport, uint16_t dport, uint8_t protocol) {
  return core::siphash24(key, (static_cast<uint64_t>(saddr) << 32) | daddr,
                         (static_cast<uint64_t>(sport) << 32) | (static_cast<uint64_t>(dport) << 16) | protocol);
}
inline uint64_t client_address_hash(const core::SipKey& key, const core::FlowKey6&, uint32_t saddr, uint32_t daddr) {
  return core::siphash24(key, (static_cast<uint64_t>(saddr) << 32) | daddr, 0);
}
inline uint64_t client_tuple_hash(const core::SipKey& key, const core::FlowKey6& compression, const core::Ipv6Address& saddr,
                                  const core::Ipv6Address& daddr, uint16_t sport, uint16_t dport, uint8_t protocol) {
  const core::FlowWords w = core::flow_words6(compression, saddr, daddr, sport, dport, protocol);
  return core::siphash24(key, w.first, w.second);
}
inline uint64_t client_address_hash(const core::SipKey& key, const core::FlowKey6& compression, const core::Ipv6Address& saddr,
                                    const core::Ipv6Address& daddr) {
  const core::FlowWords w = core::flow_words6(compression, saddr, daddr, 0, 0, 0);
  return core::siphash24(key, w.first, w.second);
}

}  // namespace xvs::lb
