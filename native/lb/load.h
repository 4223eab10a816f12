// native/lb/load.h — per-worker server load as IPVS keeps it (a connection synced from another
// node counts only once a packet reached it here, lb/sync.h): a connection counts as inactive
// until it reaches ESTABLISHED, active while there, inactive again after; the overload flag
// follows the upper/lower connection thresholds (ip_vs_bind_dest / ip_vs_unbind_dest). Each
// worker enforces its share of a threshold (threshold / workers, rounded up), since it only
// knows its own connections. Runs on the owning worker.
#pragma once
#include <cstdint>

#include "abi/records.h"
#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/flat_map.h"
#include "lb/server_counters.h"
#include "lb/traffic.h"

namespace xvs::lb {

inline uint32_t worker_share(uint32_t threshold, uint32_t workers) {
  return threshold / workers + (threshold % workers != 0);  // no u32 overflow near 2^32
}

// Index of the connection's server in the current snapshot, or FlatMap::kMissing if the server
// has left the configuration. Cached per generation so established flows pay one compare.
[[gnu::always_inline]] inline uint32_t backend_of(CoreState& cs, Conn& c) {
  const Snapshot& snap = *cs.snapshot;
  const auto generation = static_cast<uint32_t>(snap.generation);
  if (c.cached_generation != generation) {
    c.backend_index = snap.backend_index.find(c.backend_id);
    c.cached_generation = generation;
  }
  return c.backend_index;
}

inline void update_overload(CoreState& cs, const abi::BackendRecord& b, BackendLoad& load) {
  const uint32_t upper = worker_share(b.upper_threshold, cs.workers);
  const uint32_t lower = worker_share(b.lower_threshold, cs.workers);
  const uint32_t total = load.active + load.inactive;
  if (upper != 0 && total >= upper) load.overloaded = true;
  else if (lower != 0 ? total < lower : (upper == 0 || total * 4 < upper * 3)) load.overloaded = false;
}

// The control thread reads these counts while this worker runs (Engine::read_server_counters, for
// /status and the peer-load sums): the one writer stores through relaxed atomics — plain moves
// on x86, no RMW — so the reader's relaxed loads are race-free.
inline void increment(uint32_t& count) { store_relaxed(count, count + 1); }

// A server removed and added back starts from zero while its old connections still name it:
// never let their departure wrap the count.
inline void decrement(uint32_t& count) {
  if (count > 0) store_relaxed(count, count - 1);
}

inline BackendLoad& load_of(CoreState& cs, uint32_t backend_index) { return cs.counters_of(backend_index).load; }

// A new connection (or a template) is bound to server `index`: inactive until established.
inline void bind_backend(CoreState& cs, Conn& c, uint32_t index) {
  const abi::BackendRecord& b = cs.snapshot->backends[index];
  c.backend_id = b.backend_id;
  c.backend_index = index;
  c.cached_generation = static_cast<uint32_t>(cs.snapshot->generation);
  if (c.flags & kTemplate) {  // templates do not count as connections: they have their own count
    increment(load_of(cs, index).persistent);
    return;
  }
  count_connection(cs, index);
  BackendLoad& load = load_of(cs, index);
  increment(load.inactive);
  update_overload(cs, b, load);
}

// Half-open: a client's SYN and nothing since (IPVS SYN_RECV), what a SYN flood leaves. Counted
// per server (exact across reloads: the count lives in the server's slot) and per service (this
// worker's sum, rebuilt from the servers' counts at each install: CoreState::install).
inline bool is_half_open(ConnState s) { return s == ConnState::tcp_syn_recv; }

inline void count_half_open(CoreState& cs, uint32_t index, bool more) {
  const uint32_t service = cs.snapshot->backend_service[index];
  BackendLoad& load = cs.counters_of(index).load;
  // A server removed and added back starts from zero while its old connections are still
  // half-open: the service's sum (rebuilt from the servers' counts) did not count them either.
  if (!more && load.half_open == 0) return;
  if (more) increment(load.half_open);
  else decrement(load.half_open);
  if (service == Snapshot::kNoService) return;
  if (more) ++cs.half_open[service];
  else if (cs.half_open[service] > 0) --cs.half_open[service];
}

// Moves the connection between active and inactive as its state crosses ESTABLISHED, and in or
// out of the half-open counts.
inline void account_state(CoreState& cs, Conn& c, ConnState next) {
  if ((c.flags & kTemplate) || (c.client_port_index & kSyncedAwaiting)) return;
  if (is_half_open(c.state) != is_half_open(next)) {
    const uint32_t index = backend_of(cs, c);
    if (index != FlatMap::kMissing) count_half_open(cs, index, is_half_open(next));
  }
  const bool active = next == ConnState::tcp_established;
  if (active == ((c.flags & kCountedActive) != 0)) return;
  const uint32_t index = backend_of(cs, c);
  if (index != FlatMap::kMissing) {
    BackendLoad& load = load_of(cs, index);
    if (active) {
      decrement(load.inactive);
      increment(load.active);
    } else {
      decrement(load.active);
      increment(load.inactive);
    }
  }
  c.flags = active ? (c.flags | kCountedActive) : (c.flags & ~kCountedActive);
}

// The connection (or template) goes away: its server (if still configured) has one fewer.
inline void unbind_backend(CoreState& cs, Conn& c) {
  if (c.client_port_index & kSyncedAwaiting) return;
  const uint32_t index = backend_of(cs, c);
  if (index == FlatMap::kMissing) return;
  if (c.flags & kTemplate) {
    decrement(load_of(cs, index).persistent);
    return;
  }
  if (is_half_open(c.state)) count_half_open(cs, index, false);
  BackendLoad& load = load_of(cs, index);
  decrement((c.flags & kCountedActive) ? load.active : load.inactive);
  update_overload(cs, cs.snapshot->backends[index], load);
}

}  // namespace xvs::lb
