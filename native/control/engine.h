// native/control/engine.h — one running data plane: the I/O backend, the workers, the LIP
// registry and the snapshots. Its methods are called by one thread only, the owner of the
// handle (the TypeScript control worker, through the binding); workers never call it.
//
// Snapshot lifecycle: commit() builds and checks a snapshot, posts it on every worker's control
// ring and retires the previous one; a retired snapshot is freed once every worker has
// published a seen_generation at least as new as its successor. commit() also comes in two
// halves around build_snapshot (begin_commit / finish_commit), so that the binding can build a
// large snapshot on another thread while the owner thread goes on: only the LIP registry is
// touched meanwhile, and it belongs to commits, of which one at a time may be under way.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "control/server_slots.h"
#include "control/snapshot_build.h"
#include "control/status.h"
#include "io/backend.h"
#include "io/mem/mem_backend.h"
#include "lb/process.h"
#include "lb/snapshot.h"
#include "worker/worker.h"

namespace xvs::control {

struct EngineOptions {
  std::string backend = "mem";          // mem | afxdp | dpdk
  uint32_t workers = 1;
  std::vector<int> cpus;                // empty, or one per worker
  int worker_priority = 0;              // 0: SCHED_OTHER; 1..99: workers at SCHED_FIFO
  // The priority is xvs's default rather than the operator's: when the process may not use
  // SCHED_FIFO (no CAP_SYS_NICE), workers run at SCHED_OTHER and warnings() says so, instead of
  // start() failing.
  bool worker_priority_best_effort = false;
  // dataplane.fast_path: xdp — workers hand established connections to the steering program
  // (lb/fast_path.h), where the backend has one (AF_XDP; it makes none when this is false).
  bool fast_path = true;
  std::vector<std::string> interfaces;  // one per port
  uint32_t conn_table_size = 1u << 20;  // per worker
  uint32_t mem_frames = 4096;           // io/mem pool size
  std::string bpf_object;               // afxdp: the steering XDP program (build/Release/xvs_steer.bpf.o)
  // dataplane.dpdk (backend dpdk): the vdev driver on each interface, or PCI devices instead of
  // interfaces, and extra EAL arguments.
  std::string dpdk_driver = "af_xdp";
  std::vector<std::string> dpdk_devices;
  std::vector<std::string> dpdk_eal;
  // Keys the Full-NAT local port choice (lb/local_port.h). The same key across restarts (and on
  // every node of a cluster) gives a client the same server-side tuple; TypeScript derives it
  // (src/control/worker/port-key.ts). All zero is a valid key, but a guessable one.
  core::SipKey port_key;
  // dataplane.local_port_range: the only ports Full-NAT uses, and the only ones of a LIP the
  // steering program takes from the kernel.
  lb::LocalPortRange local_ports;
  // A cluster with connection sync (lb/sync.h): workers queue their connections' records for the
  // other nodes and install theirs (sync_drain, sync_install, sync_dump).
  bool sync = false;
  // cluster.sync.refresh_period: a live connection's record goes out again at least this often
  // (seconds; 0: half its state's timeout, which it never exceeds anyway).
  uint32_t sync_refresh_seconds = 0;
  // What every worker runs on its bursts. Only a benchmark sets anything else (`xvs bench veth`'s
  // I/O-loop case: bench/forward_only.h); no config field reaches it.
  lb::BurstPath burst_path = lb::process_burst;
};

struct WorkerStatus {
  uint64_t seen_generation;
  uint64_t connections;
  bool running;
};

// One server's IPVS-style connection counts (lb/load.h) and traffic (lb/traffic.h) on one
// worker, keyed by its stable id, as read from that worker's counter block.
struct ServerCounterRow {
  uint32_t backend_id;
  uint32_t worker;
  uint32_t active;
  uint32_t inactive;
  lb::BackendTraffic traffic;
  uint32_t persistent = 0;  // persistence templates bound to it (IPVS persistconns)
};

// One worker's connection-table entries (at most the limit asked) and how many it held then.
struct WorkerConnections {
  uint32_t worker;
  uint32_t total;
  std::vector<worker::ConnDumpEntry> entries;
  // Paged dumps: the slot the worker's next page starts at (ConnDump::kEnd: its table is done).
  uint32_t next = worker::ConnDump::kEnd;
};

class Engine {
 public:
  static Status create(const EngineOptions& options, std::unique_ptr<Engine>& out);
  ~Engine();

  Status start();
  // Stops the workers and releases the backend's system resources (XDP programs, sockets).
  void stop();
  // stop(), and also releases the backend of an engine that never started. Final.
  void close();
  bool running() const { return running_; }

  // Decodes, checks and publishes a snapshot. Generations must increase.
  Status commit(const uint8_t* data, size_t len);
  // commit() in halves: begin_commit() (owner thread; kErrBusy while another commit is under
  // way, kErrState once stopped) fills `ctx` for build_snapshot, which may then run on any
  // thread; finish_commit() (owner thread) ends the commit with what it gave, publishing the
  // snapshot if it was built. Every successful begin_commit() must be finished.
  Status begin_commit(std::unique_ptr<BuildContext>& ctx);
  Status finish_commit(const Status& built, std::unique_ptr<lb::Snapshot> next);
  uint64_t generation() const { return current_ ? current_->generation : 0; }
  // Up to `limit` entries of each running worker's connection table (xvs list -c), taken by the
  // workers at their next safe point; kErrBusy if one does not answer within `timeout_ms`
  // (its dump is kept until it does), kErrState when not running.
  // `starts` (one per worker) asks for pages: worker w's entries from table slot starts[w] on
  // (ConnDump::kEnd: nothing more from it), with each WorkerConnections' `next`; without, the
  // first `limit` entries of each worker.
  Status dump_connections(uint32_t limit, uint32_t timeout_ms, std::vector<WorkerConnections>& out,
                          const std::vector<uint32_t>* starts = nullptr);
  // Frees retired snapshots every worker has moved past; returns how many are still held.
  size_t reclaim();

  uint32_t workers() const { return options_.workers; }
  // workers() x kCounterCount published values, worker-major.
  void read_counters(std::vector<uint64_t>& out) const;
  std::vector<WorkerStatus> worker_status() const;
  // One row per (worker, server of the current snapshot), worker-major: its connection counts
  // and traffic on that worker (relaxed reads of the worker's counter block: recent values,
  // never torn ones; zeros for a server the worker has not counted yet).
  // What the XDP fast path forwarded (io::FastPathReport) is in worker 0's rows: the kernel
  // forwards it, no worker; `with_fast_path` false leaves it out (loads only need the workers').
  void read_server_counters(std::vector<ServerCounterRow>& out, bool with_fast_path = true) const;
  // The XDP fast path's totals (summed per-CPU counters): live while running, the last ones after
  // stop(); `valid` false without a fast path.
  struct FastPathTotals {
    bool valid = false;
    xvs_fast_counters counters{};
  };
  FastPathTotals fast_path_totals() const;
  // Every server's traffic since the engine was made, workers' and fast path's, including servers
  // removed since (IPVS's global statistics: /proc/net/ip_vs_stats). Never goes back.
  lb::BackendTraffic traffic_total() const;
  // Control thread, every ~100 ms (src/control/worker/controller.ts): publishes to each worker the
  // other workers' per-server loads, which lc/wlc/sed/nq/lblc/lblcr add to their own.
  void publish_peer_loads();

  // The backend's one-line description and its warnings (e.g. generic-XDP fallback).
  std::string describe() const {
    return backend_->describe() + (backend_->fast_path() != nullptr ? "; XDP fast path for established connections" : "");
  }
  std::vector<std::string> warnings() const;
  // The backend's host side where it serves the host itself (DPDK), else nullptr (io/backend.h).
  io::HostPorts* host_ports() { return backend_ ? backend_->host_ports() : nullptr; }
  uint32_t port_count() const { return backend_ ? backend_->port_count() : 0; }
  // Where the backend's frames were when it shut down (valid after stop()).
  io::FrameAudit frame_audit() const { return backend_->audit(); }

  // Before start(): the server-side tuples a previous engine's servers may still hold (its
  // port_holds() bytes, `elapsed_seconds` old), entered into the owning workers' tables at
  // start so that no other client gets them (lb/port_holds.h). `kept`: how many are still
  // running. Refuses bytes that are not such a list (XVS_EINVAL, with the reason).
  Status restore_port_holds(const uint8_t* data, size_t len, uint32_t elapsed_seconds, uint32_t& kept);
  // After stop(): those tuples of this engine, as bytes for the next one.
  std::vector<uint8_t> port_holds() const;

  // Server counter slots some held snapshot names (tests, diagnostics).
  uint32_t server_slots_in_use() const { return servers_.in_use(); }

  // Connection sync (EngineOptions.sync; engine_sync.cc), owner thread while running:
  // sync_drain appends to `out` the records the workers queued for the other nodes, at most
  // `max` records (abi::SyncRecord or SyncRecord6, end to end, each starting with its family);
  // sync_install hands each record of `data` (whole records of that stream, else XVS_EINVAL) to
  // the worker that would own it (lb::sync_owner) and counts in `refused` those
  // that found that worker's ring full; sync_dump asks every worker for its whole table (a peer
  // that starts wants it), which comes out through sync_drain over the next safe points.
  Status sync_drain(size_t max, std::vector<uint8_t>& out);
  Status sync_install(const uint8_t* data, size_t len, size_t& accepted, size_t& refused);
  Status sync_dump();
  // Whether every worker has queued its whole table for the last sync_dump() (its records may
  // still wait in sync_out for sync_drain).
  bool sync_dump_finished() const;

  // io/mem only (nullptr otherwise): the host side of the in-memory ports.
  io::MemBackend* mem() { return mem_; }
  // Waits until every running worker has processed everything queued before the call (frames
  // handed over between workers included) and published its counters. false on timeout.
  bool settle(uint32_t timeout_ms) const;
  // Moves the workers' clock forward (tests of expiry); takes effect at their next safe point.
  void advance_clock(uint32_t seconds) { clock_offset_.fetch_add(seconds, std::memory_order_relaxed); }

 private:
  explicit Engine(const EngineOptions& options);
  // start()'s steps: the tables fit the machine's memory; the workers and their tables (may
  // throw std::bad_alloc); the workers' threads.
  Status check_table_memory() const;
  void create_workers();
  Status start_workers();
  bool all_rings_have_room() const;
  // Frees a snapshot no worker can use any more, and releases its servers' counter slots.
  void free_snapshot(std::unique_ptr<lb::Snapshot> snapshot);

  EngineOptions options_;
  uint64_t hash_seed_;
  std::unique_ptr<io::Backend> backend_;
  io::MemBackend* mem_ = nullptr;
  ServerSlots servers_;
  // Every worker's SYN-cookie clock (lb/syn_proxy_state.h): written by each worker, read by all.
  std::unique_ptr<lb::CookieClock[]> cookie_clocks_ = std::make_unique<lb::CookieClock[]>(abi::kMaxWorkers);
  std::vector<std::string> start_warnings_;    // from start(), beside the backend's
  FastPathTotals fast_path_final_;             // read by stop() before the backend goes
  lb::BackendTraffic fast_path_retired_{};     // the fast path's counts of freed slots, and all of them at stop()
  std::vector<lb::PortHold> restored_holds_;  // from restore_port_holds(), entered at start()
  std::vector<lb::PortHold> stopped_holds_;   // collected by stop()  // per-worker per-server counts; snapshots name their slots
  std::atomic<int64_t> clock_offset_{0};
  std::vector<std::unique_ptr<worker::Worker>> workers_;
  uint32_t sync_dumps_ = 0;  // sync_dump() calls so far (owner thread)
  bool running_ = false;
  bool stopped_ = false;
  bool committing_ = false;  // between begin_commit and finish_commit (owner thread only)
  std::unique_ptr<lb::Snapshot> current_;
  struct Retired {
    uint64_t freeable_at;  // every worker must have seen at least this generation
    std::unique_ptr<lb::Snapshot> snapshot;
  };
  std::vector<Retired> retired_;
  // Connection dumps a worker still has to fill (dump_connections stopped waiting): freed once done.
  std::vector<std::unique_ptr<worker::ConnDump>> abandoned_dumps_;
};

}  // namespace xvs::control
