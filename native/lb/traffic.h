// native/lb/traffic.h — per-server traffic as ipvsadm --stats shows it: connections scheduled to
// the server, packets and bytes (IP length as received) from the client side ("in") and from
// the server side ("out"). Each worker counts into its own row of the snapshot (Snapshot::
// traffic), carries the row over to the next snapshot by stable server id (CoreState::install),
// and the control thread sums the rows (Engine::read_backend_loads). Runs on the owning worker.
#pragma once
#include <atomic>
#include <cstdint>

#include "lb/conn.h"
#include "lb/core_state.h"

namespace xvs::lb {

// One writer (this worker), one reader (the control thread, for /status and /metrics): relaxed
// stores of the new value — plain moves on x86, no read-modify-write — keep the reader race-free.
inline void add(uint64_t& counter, uint64_t n) {
  std::atomic_ref<uint64_t>(counter).store(counter + n, std::memory_order_relaxed);
}

inline BackendTraffic& traffic_of(CoreState& cs, uint32_t backend_index) {
  return cs.snapshot->traffic[cs.id][backend_index];
}

// A connection was scheduled to server `backend_index` (persistence templates are not connections).
inline void count_connection(CoreState& cs, uint32_t backend_index) {
  add(traffic_of(cs, backend_index).conns, 1);
}

// A packet of a connection to server `backend_index` was forwarded.
inline void count_forwarded(CoreState& cs, uint32_t backend_index, Direction dir, uint32_t ip_bytes) {
  BackendTraffic& t = traffic_of(cs, backend_index);
  if (dir == kFromClient) {
    add(t.in_packets, 1);
    add(t.in_bytes, ip_bytes);
  } else {
    add(t.out_packets, 1);
    add(t.out_bytes, ip_bytes);
  }
}

}  // namespace xvs::lb
