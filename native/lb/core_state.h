// native/lb/core_state.h — everything one data-plane core reads and writes while forwarding:
// the current snapshot, its connection table, its scheduler cursors and locality table, its
// counters. One instance per worker, cache-aligned, written only by that worker's thread (the
// constructor runs on the control thread before the worker starts). Passed explicitly to
// lb::process, DPDK-l3fwd style.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

#include "abi/counters.h"
#include "abi/records.h"
#include "lb/conn_table.h"
#include "lb/port_pool.h"
#include "lb/snapshot.h"

namespace xvs::lb {

// lblc/lblcr: which servers recently served a destination address (ip_vs_lblc.c keeps the same
// per service). Direct-mapped by hash; a collision simply replaces the entry.
struct LocalityEntry {
  static constexpr uint32_t kServers = 4;  // lblcr's server set; lblc uses the first
  uint32_t service_id = 0;
  uint32_t daddr = 0;
  uint32_t backend_ids[kServers] = {};
  uint32_t count = 0;
  uint32_t last_used = 0;
};

struct alignas(64) CoreState {
  static constexpr uint32_t kLocalityEntries = 1u << 14;

  CoreState(uint32_t worker_id, uint32_t worker_count, uint32_t conn_capacity, uint64_t hash_seed,
            PortPool* const* lip_pools)
      : id(worker_id),
        workers(worker_count),
        seed(hash_seed),
        conns(conn_capacity, hash_seed),
        port_pools(lip_pools),
        sched_cursor(std::make_unique<uint32_t[]>(abi::kMaxServices)),
        pool_cursor(std::make_unique<uint32_t[]>(abi::kMaxPools)),
        locality(std::make_unique<LocalityEntry[]>(kLocalityEntries)) {}

  const uint32_t id;
  const uint32_t workers;
  const uint64_t seed;
  const Snapshot* snapshot = nullptr;
  uint32_t now = 0;  // engine clock in seconds, advanced by the worker loop
  ConnTable conns;
  // This worker's port pool per LIP slot. Entries are filled by the control thread before any
  // snapshot naming that slot is published to this worker, and never change afterwards.
  PortPool* const* port_pools;
  // Indexed like the current snapshot's services / pools; reset when a snapshot is installed.
  std::unique_ptr<uint32_t[]> sched_cursor;
  std::unique_ptr<uint32_t[]> pool_cursor;
  std::unique_ptr<LocalityEntry[]> locality;
  uint64_t counters[abi::kCounterCount] = {};

  void count(abi::Counter c, uint64_t n = 1) { counters[static_cast<uint32_t>(c)] += n; }

  // Called at the worker's safe point when a new snapshot arrives; the previous one is still
  // alive (the engine frees it only after this worker has acknowledged the new generation).
  void install(const Snapshot* next) {
    if (snapshot != nullptr) carry_load(*snapshot, *next);
    snapshot = next;
    // Spread the workers over the scheduling sequence so that together they follow it evenly.
    for (size_t s = 0; s < next->services.size(); ++s) {
      const uint32_t n = next->services[s].sched_count;
      sched_cursor[s] = n ? static_cast<uint32_t>((static_cast<uint64_t>(n) * id / workers) % n) : 0;
    }
    for (size_t p = 0; p < next->pools.size(); ++p) pool_cursor[p] = 0;
  }

 private:
  // Server loads and traffic follow servers (by stable id) from one snapshot to the next; so do
  // the peers' loads, until the control thread's next aggregation writes the new snapshot's
  // (relaxed atomics: it may already be doing so). The control thread may be reading the new
  // rows already: they are stored through relaxed atomics too.
  void carry_load(const Snapshot& previous, const Snapshot& next) {
    const auto& from = previous.load[id];
    auto& to = next.load[id];
    const auto& traffic_from = previous.traffic[id];
    auto& traffic_to = next.traffic[id];
    auto& peers_from = previous.peer_load[id];
    auto& peers_to = next.peer_load[id];
    const auto relay = [](uint32_t& dst, const uint32_t& src) {
      std::atomic_ref<uint32_t>(dst).store(src, std::memory_order_relaxed);
    };
    const auto relay64 = [](uint64_t& dst, const uint64_t& src) {
      std::atomic_ref<uint64_t>(dst).store(src, std::memory_order_relaxed);
    };
    for (size_t i = 0; i < previous.backends.size(); ++i) {
      const uint32_t j = next.backend_index.find(previous.backends[i].backend_id);
      if (j == FlatMap::kMissing) continue;
      relay(to[j].active, from[i].active);
      relay(to[j].inactive, from[i].inactive);
      to[j].overloaded = from[i].overloaded;
      relay64(traffic_to[j].conns, traffic_from[i].conns);
      relay64(traffic_to[j].in_packets, traffic_from[i].in_packets);
      relay64(traffic_to[j].out_packets, traffic_from[i].out_packets);
      relay64(traffic_to[j].in_bytes, traffic_from[i].in_bytes);
      relay64(traffic_to[j].out_bytes, traffic_from[i].out_bytes);
      std::atomic_ref<uint32_t>(peers_to[j].active).store(std::atomic_ref<uint32_t>(peers_from[i].active).load(std::memory_order_relaxed), std::memory_order_relaxed);
      std::atomic_ref<uint32_t>(peers_to[j].inactive).store(std::atomic_ref<uint32_t>(peers_from[i].inactive).load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
  }
};

}  // namespace xvs::lb
