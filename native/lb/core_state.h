// native/lb/core_state.h — everything one data-plane core reads and writes while forwarding:
// the current snapshot, its connection table, its share of the Full-NAT local ports and their
// key, its SYN proxy state, its scheduler cursors and locality table, its half-open counts per
// service, its counters, its blocks of per-server counts, and the ids its table holds for the
// snapshot's IPv6 addresses. One instance per worker, cache-aligned, written only by that worker's thread (the
// constructor, and the held tuples of a previous run, come from the control thread before the
// worker starts). Passed explicitly to lb::process, DPDK-l3fwd style.
#pragma once
#include <cstdint>
#include <memory>

#include "abi/counters.h"
#include "abi/records.h"
#include "abi/sync.h"
#include "core/spsc_ring.h"
#include "lb/fast_path_table.h"
#include "lb/conn_table.h"
#include "core/siphash.h"
#include "lb/local_port.h"
#include "lb/server_counters.h"
#include "lb/snapshot.h"
#include "lb/snapshot_ids.h"
#include "lb/client_address.h"
#include "lb/syn_proxy_state.h"

namespace xvs::lb {

// lblc/lblcr: which servers recently served a destination address (ip_vs_lblc.c keeps the same
// per service). Direct-mapped by hash; a collision simply replaces the entry.
struct LocalityEntry {
  static constexpr uint32_t kServers = 4;  // lblcr's server set; lblc uses the first
  uint32_t service_id = 0;
  uint64_t destination = 0;  // the destination address's sched_key (lb/schedule.h)
  uint32_t backend_ids[kServers] = {};
  uint32_t count = 0;
  uint32_t last_used = 0;
};

// This worker's rows of the tables the engine keeps outside the snapshot (filled by the control
// thread): its counts per server slot, the other workers' loads.
struct CoreTables {
  ServerCounters* server_counters;
  const PeerLoad* peer_loads;
  CookieClock* cookie_clocks;  // every worker's, abi::kMaxWorkers (lb/syn_proxy_state.h)
};

// What a worker keeps for connection sync (lb/sync.h): the queue to the control thread, and per
// connection when its last record was queued (engine clock). Set by the worker before it starts;
// both nullptr without a cluster.
struct SyncExport {
  core::SpscRing<abi::SyncItem>* out = nullptr;
  uint32_t* queued_at = nullptr;  // by connection index
  uint32_t refresh_seconds = 0;   // cluster.sync.refresh_period; 0: half the state's timeout
};

struct alignas(64) CoreState {
  static constexpr uint32_t kLocalityEntries = 1u << 14;

  CoreState(uint32_t worker_id, uint32_t worker_count, uint32_t conn_capacity, uint64_t hash_seed,
            const core::SipKey& local_port_key, const CoreTables& tables, LocalPortRange local_ports = {})
      : id(worker_id),
        workers(worker_count),
        table_key(core::table_key(hash_seed)),
        scheduler_key(scheduler_key_of(local_port_key)),
        port_key(local_port_key),
        port_key6(core::flow_key6(local_port_key)),
        ports(worker_id, worker_count, local_ports),
        conns(conn_capacity, hash_seed),
        proxy(ConnTable::lines_for(conn_capacity), cookie_master(hash_seed, local_port_key), tables.cookie_clocks),
        client_addresses(ConnTable::lines_for(conn_capacity)),
        server_counters(tables.server_counters),
        peer_loads(tables.peer_loads),
        sched_cursor(std::make_unique<uint32_t[]>(abi::kMaxServices)),
        locality(std::make_unique<LocalityEntry[]>(kLocalityEntries)),
        half_open(std::make_unique<uint32_t[]>(abi::kMaxServices)) {}

  const uint32_t id;
  const uint32_t workers;
  const core::SipKey table_key;      // lblc's locality table: one-word messages (the connection table's, the same key, hashes two and three)
  const core::SipKey scheduler_key;  // sh, mh, dh: the same on every worker, restart and node (lb/schedule.h)
  const core::SipKey port_key;  // Full-NAT local port choice (lb/local_port.h): the same across restarts
  // The same choice's compression of IPv6 clients to two words (core::flow_key6 of port_key: its
  // three-word messages are hashed under port_key by nothing else).
  const core::FlowKey6 port_key6;
  const LocalPortShare ports;   // this worker's share of the local ports
  const Snapshot* snapshot = nullptr;
  uint32_t now = 0;  // engine clock in seconds, advanced by the worker loop
  // The identification of the next IPv4 packet NAT64 sends with DF clear (lb/nat64.h to_ipv4).
  uint16_t next_ip_id = 1;
  ConnTable conns;
  SynProxyState proxy;  // beside conns: the SYN-proxied connections' translation (lb/syn_proxy.cc)
  // Beside conns, by index: the translation of connections that carry their client's address
  // (lb/client_address.h). Pages are touched only by connections of such services.
  core::HugeArray<ClientAddressConn> client_addresses;
  // This worker's counts per server and the other workers' summed, by Snapshot::server_slot
  // (lb/server_counters.h: written by this worker / by the control thread).
  ServerCounters* const server_counters;
  const PeerLoad* const peer_loads;
  // Indexed like the current snapshot's services; reset when a snapshot is installed.
  std::unique_ptr<uint32_t[]> sched_cursor;
  std::unique_ptr<LocalityEntry[]> locality;
  // Indexed like the current snapshot's services: this worker's connections of each in SYN_RECV
  // (lb/load.h), summed from the per-server counts whenever a snapshot is installed.
  std::unique_ptr<uint32_t[]> half_open;
  uint64_t counters[abi::kCounterCount] = {};
  // The XDP fast path's entries (lb/fast_path.h), or nullptr where there is none (io/mem, or
  // dataplane.fast_path: off). Set by the worker before it starts.
  FastPathTable* fast_path = nullptr;
  SyncExport sync;
  // conns' ids of the installed snapshot's IPv6 addresses. Last: read once per new IPv6
  // connection, it keeps the fields every packet reads where they were.
  SnapshotIds snapshot_ids;

  void count(abi::Counter c, uint64_t n = 1) { counters[static_cast<uint32_t>(c)] += n; }

  // Derived from the port key, not random: a client must land on the same entry of a hashing
  // scheduler's table on every worker and after a restart (as IPVS sh does) and, given the same
  // port_key_file, on every node of a cluster; clients do not know it, so they cannot choose
  // addresses that all land on one server.
  static core::SipKey scheduler_key_of(const core::SipKey& port_key) {
    return {core::siphash24(port_key, 0x7363686564303030ull, 0), core::siphash24(port_key, 0x7363686564303031ull, 0)};
  }

  // The SYN cookies' master key, random per engine (hash_seed is) and not derivable from a
  // cookie: different from every worker's other keys.
  static core::SipKey cookie_master(uint64_t hash_seed, const core::SipKey& port_key) {
    return {core::siphash24(port_key, hash_seed, 0x636f6f6b69653030ull), core::siphash24(port_key, hash_seed, 0x636f6f6b69653031ull)};
  }

  // Called at the worker's safe point when a new snapshot arrives; the previous one is still
  // alive (the engine frees it only after this worker has acknowledged the new generation).
  // Nothing is carried over: per-server counts stay in their slots.
  void install(const Snapshot* next) {
    snapshot = next;
    snapshot_ids.install(*next, conns.address_ids());
    // Spread the workers over the scheduling sequence so that together they follow it evenly.
    for (size_t s = 0; s < next->services.size(); ++s) {
      const uint32_t n = next->services[s].sched_count;
      sched_cursor[s] = n ? static_cast<uint32_t>((static_cast<uint64_t>(n) * id / workers) % n) : 0;
      const abi::ServiceRecord& svc = next->services[s];
      uint32_t sum = 0;
      for (uint32_t b = svc.backend_first; b < svc.backend_first + svc.backend_count; ++b) sum += counters_of(b).load.half_open;
      half_open[s] = sum;
    }
  }

  // This worker's counts for the server at `backend_index` of the current snapshot.
  ServerCounters& counters_of(uint32_t backend_index) { return server_counters[snapshot->server_slot[backend_index]]; }
  const ServerCounters& counters_of(uint32_t backend_index) const { return server_counters[snapshot->server_slot[backend_index]]; }
  // The other workers' load of that server.
  const PeerLoad& peer_load_of(uint32_t backend_index) const { return peer_loads[snapshot->server_slot[backend_index]]; }
};

}  // namespace xvs::lb
