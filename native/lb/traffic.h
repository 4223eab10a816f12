// native/lb/traffic.h — per-server traffic as ipvsadm --stats shows it: connections scheduled to
// the server, packets and bytes (IP length as received) from the client side ("in") and from
// the server side ("out"). Each worker counts into its own block (lb/server_counters.h) at the
// server's slot, which keeps the counts across reloads while the server stays; the control
// thread sums the workers' (Engine::read_server_counters). Runs on the owning worker.
#pragma once
#include <cstdint>

#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/server_counters.h"

namespace xvs::lb {

// One writer (this worker), one reader (the control thread): the new value, stored relaxed.
inline void add(uint64_t& counter, uint64_t n) { store_relaxed(counter, counter + n); }

inline BackendTraffic& traffic_of(CoreState& cs, uint32_t backend_index) { return cs.counters_of(backend_index).traffic; }

// A connection was scheduled to server `backend_index` (persistence templates are not connections).
inline void count_connection(CoreState& cs, uint32_t backend_index) {
  add(traffic_of(cs, backend_index).conns, 1);
}

// A packet of a connection to server `backend_index` was forwarded. Every forwarded packet's:
// inlined whatever the caller's size (GCC leaves it out of the grown packet path otherwise).
[[gnu::always_inline]] inline void count_forwarded(CoreState& cs, uint32_t backend_index, Direction dir, uint32_t ip_bytes) {
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
