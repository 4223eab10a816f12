// native/lb/server_counters.h — what a worker counts per server, kept apart from the immutable
// snapshot (as Katran keeps its reals' stats apart from the reals' table): IPVS loads (active and
// inactive connections, the overload flag) and ipvsadm --stats traffic, plus the other workers'
// loads as the control thread last summed them. Each worker has its own block of each, indexed
// by the server's counter slot (Snapshot::server_slot), which stays the server's for as long as
// one snapshot after another names it (control/server_slots.h): a reload copies nothing and
// loses no count.
//
// Ownership: a worker's ServerCounters are written by that worker only (relaxed atomic stores of
// the new value: plain moves on x86, no read-modify-write) and read by the control thread
// (relaxed loads) for /status, metrics and the peer-load sums. A worker's PeerLoad entries are
// written by the control thread (Engine::publish_peer_loads) and read by that worker. A slot is
// zeroed by the control thread when it is released, once no snapshot any worker can still hold
// names it.
// Plain aggregates without initializers, so that the blocks can live in zero-filled anonymous
// memory (core/huge_array.h); `T{}` is all zeros.
#pragma once
#include <atomic>
#include <cstdint>

namespace xvs::lb {

// One worker's view of one server's load (IPVS activeconns / inactconns / overload flag), and
// how many of its inactive connections are half-open (SYN_RECV: the client's SYN, nothing since).
struct BackendLoad {
  uint32_t active;
  uint32_t inactive;
  bool overloaded;
  uint32_t half_open;
  uint32_t persistent;  // persistence templates bound to the server (IPVS persistconns, ipvsadm PersistConn)
};

// One worker's traffic to and from one server since it was configured (lb/traffic.h).
struct BackendTraffic {
  uint64_t conns;
  uint64_t in_packets;
  uint64_t out_packets;
  uint64_t in_bytes;
  uint64_t out_bytes;
};

// Everything one worker counts for one server.
struct ServerCounters {
  BackendLoad load;
  BackendTraffic traffic;
};

// The other workers' load of one server, summed, as of the control thread's last aggregation
// (every ~100 ms): what the dynamic schedulers add to their own to decide cluster-wide.
struct PeerLoad {
  uint32_t active;
  uint32_t inactive;
};

// The one writer stores the new value; any thread may read it (relaxed: a recent value, never a
// torn one).
inline void store_relaxed(uint32_t& field, uint32_t value) {
  std::atomic_ref<uint32_t>(field).store(value, std::memory_order_relaxed);
}
inline void store_relaxed(uint64_t& field, uint64_t value) {
  std::atomic_ref<uint64_t>(field).store(value, std::memory_order_relaxed);
}
inline uint32_t load_relaxed(const uint32_t& field) {
  return std::atomic_ref<uint32_t>(const_cast<uint32_t&>(field)).load(std::memory_order_relaxed);
}
inline uint64_t load_relaxed(const uint64_t& field) {
  return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(field)).load(std::memory_order_relaxed);
}

// Adds a block's traffic (read relaxed: a worker may be writing it) to a sum the caller owns.
inline void add_traffic(BackendTraffic& into, const BackendTraffic& t) {
  into.conns += load_relaxed(t.conns);
  into.in_packets += load_relaxed(t.in_packets);
  into.out_packets += load_relaxed(t.out_packets);
  into.in_bytes += load_relaxed(t.in_bytes);
  into.out_bytes += load_relaxed(t.out_bytes);
}

}  // namespace xvs::lb
