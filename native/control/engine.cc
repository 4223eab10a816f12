// native/control/engine.cc — see engine.h. Runs on the thread that owns the engine handle.
#include "control/engine.h"

#include <unistd.h>

#include <algorithm>

#include <chrono>
#include <new>
#include <random>
#include <thread>
#include <unordered_map>

#include "abi/records.h"
#include "control/port_hold_blob.h"
#include "control/snapshot_build.h"
#include "io/afxdp/afxdp_backend.h"
#include "io/dpdk/dpdk_entry.h"

namespace xvs::control {

namespace {

// 64 random bits per engine: the key of every hash table an outsider's packets index.
uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

// What the kernel must steer to the data plane for this snapshot (io/afxdp's XDP maps).
io::SteeringSets steering_sets(const lb::Snapshot& snap, const lb::LocalPortRange& local_ports) {
  io::SteeringSets sets;
  sets.lip_port_first = local_ports.first;
  sets.lip_port_last = local_ports.last;
  for (const abi::ServiceRecord& s : snap.services) {
    const bool ipv6 = s.family == static_cast<uint8_t>(abi::AddressFamily::ipv6);
    const core::Ipv6Address vip6 = core::Ipv6Address::load(s.vip6.bytes);
    if (ipv6) {
      sets.services6.push_back({vip6, s.port, s.protocol});
      sets.vips6.push_back(vip6);
    } else {
      sets.services.push_back({s.vip, s.port, s.protocol});
      sets.vips.push_back(s.vip);
    }
    if (static_cast<abi::Forwarding>(s.forwarding) != abi::Forwarding::nat) continue;
    for (uint32_t i = s.backend_first; i < s.backend_first + s.backend_count; ++i) {
      const abi::BackendRecord& b = snap.backends[i];
      if (ipv6) sets.nat_servers6.push_back({core::Ipv6Address::load(b.address6.bytes), b.port, s.protocol});
      else sets.nat_servers.push_back({b.address, b.port, s.protocol});
    }
  }
  for (size_t i = 0; i < snap.lips.size(); ++i) {
    if (snap.lips6[i].is_zero()) sets.lips.push_back(snap.lips[i]);
    else sets.lips6.push_back(snap.lips6[i]);
  }
  return sets;
}

}  // namespace

Engine::Engine(const EngineOptions& options)
    : options_(options), hash_seed_(random_seed()),
      servers_(options.workers) {}

Engine::~Engine() { close(); }

Status Engine::create(const EngineOptions& o, std::unique_ptr<Engine>& out) {
  if (o.workers == 0 || o.workers > abi::kMaxWorkers)
    return Status::error(kErrInvalidArgument, "workers must be from 1 to " + std::to_string(abi::kMaxWorkers) +
                                                  " (got " + std::to_string(o.workers) + ")");
  if (!o.cpus.empty() && o.cpus.size() != o.workers)
    return Status::error(kErrInvalidArgument, "cpus must list one CPU per worker (" + std::to_string(o.workers) +
                                                  "), got " + std::to_string(o.cpus.size()));
  const size_t ports = o.backend == "dpdk" && !o.dpdk_devices.empty() ? o.dpdk_devices.size() : o.interfaces.size();
  if (ports == 0 || ports > abi::kMaxPorts)
    return Status::error(kErrInvalidArgument, "interfaces must list 1 to " + std::to_string(abi::kMaxPorts) + " names");
  if (o.mem_frames < 64 || o.mem_frames > (1u << 20))
    return Status::error(kErrInvalidArgument, "mem_frames must be from 64 to 1048576 (got " + std::to_string(o.mem_frames) + ")");
  if (o.worker_priority < 0 || o.worker_priority > 99)
    return Status::error(kErrInvalidArgument, "worker_priority must be from 0 (SCHED_OTHER) to 99 (got " + std::to_string(o.worker_priority) + ")");
  for (int cpu : o.cpus)
    if (cpu < 0) return Status::error(kErrInvalidArgument, "cpus must be CPU numbers >= 0 (got " + std::to_string(cpu) + ")");
  if (o.local_ports.first < lb::kMinLocalPort || o.local_ports.size() < o.workers)
    return Status::error(kErrInvalidArgument, "local_port_range " + std::to_string(o.local_ports.first) + "-" +
                                                  std::to_string(o.local_ports.last) + " must start at 1024 or above and hold at least one port per worker");
  if (o.conn_table_size < 1024 || o.conn_table_size > (1u << 27))
    return Status::error(kErrInvalidArgument, "conn_table_size must be from 1024 to 134217728 (got " +
                                                  std::to_string(o.conn_table_size) + ")");
  std::unique_ptr<Engine> engine;
  try {  // the per-worker tables and counter blocks are mapped here
    engine.reset(new Engine(o));
  } catch (const std::bad_alloc&) {
    return Status::error(kErrSystem, "cannot map the per-worker tables for " + std::to_string(o.workers) + " workers of " +
                                         std::to_string(o.conn_table_size) + " connections: lower dataplane.workers or dataplane.conn_table_size");
  }
  // The backend's frames and rings: workers x interfaces of them (the UMEM itself is mapped, and
  // its failure reported, by io/afxdp).
  const auto backend_memory = [&o] {
    return Status::error(kErrLimit, "cannot allocate the " + o.backend + " backend's frames and rings for " + std::to_string(o.workers) +
                                        " workers x " + std::to_string(o.interfaces.size()) +
                                        " interfaces (out of memory): lower dataplane.workers");
  };
  if (o.backend == "mem") {
    try {
      auto mem = std::make_unique<io::MemBackend>(static_cast<uint32_t>(o.interfaces.size()), o.workers, o.mem_frames);
      engine->mem_ = mem.get();
      engine->backend_ = std::move(mem);
    } catch (const std::bad_alloc&) {
      return backend_memory();
    }
  } else if (o.backend == "afxdp" || o.backend == "dpdk") {
    std::string message;
    io::CreateError created;
    try {
      if (o.backend == "afxdp") {
        std::unique_ptr<io::afxdp::AfxdpBackend> afxdp;
        created = io::afxdp::AfxdpBackend::create({o.interfaces, o.workers, o.bpf_object, o.fast_path}, afxdp, message);
        engine->backend_ = std::move(afxdp);
      } else {
        created = io::dpdk::create_backend({o.dpdk_driver, o.interfaces, o.dpdk_devices, o.dpdk_eal, o.workers}, engine->backend_, message);
      }
    } catch (const std::bad_alloc&) {
      return backend_memory();
    }
    switch (created) {
      case io::CreateError::none: break;
      case io::CreateError::invalid: return Status::error(kErrInvalidArgument, message);
      case io::CreateError::system: return Status::error(kErrSystem, message);
      case io::CreateError::not_built: return Status::error(kErrNotSupported, message);
    }
  } else {
    return Status::error(kErrInvalidArgument, "unknown backend '" + o.backend + "' (allowed: afxdp, dpdk, mem)");
  }
  out = std::move(engine);
  return Status::ok();
}

bool Engine::all_rings_have_room() const {
  for (const auto& w : workers_)
    if (w->control.free_space() == 0) return false;
  return true;
}

// What the workers' tables take (connection table, the arrays beside it, the SYN proxy's stash) against
// the machine's memory: tables that cannot fit are refused here, by name, rather than met by the
// OOM killer once they fill (their pages are taken as connections arrive).
Status Engine::check_table_memory() const {
  const uint64_t capacity = options_.conn_table_size;
  // Counted as if every line had been both a paired IPv6 entry's (its addresses' line) and an
  // interned one's (its timer links, by line): a reload may add IPv6 services, and churn leaves
  // both arrays touched. The arrays kept by entry index (SYN proxy, client address, sync stamps,
  // the timer links) count twice: an index is a line, two per connection (lb/line_pool.h).
  const uint64_t per_connection = lb::ConnTable::bytes_per_connection(options_.conn_table_size) + sizeof(lb::Conn6Addresses) +
                                  2 * (sizeof(lb::ProxiedConn) + sizeof(lb::ClientAddressConn) + sizeof(uint32_t) + sizeof(lb::TimerLinks));
  const uint64_t per_worker = per_connection * capacity + lb::AddressIds::bytes(lb::AddressIds::kMaxIds) + lb::SnapshotIds::bytes() +
                              sizeof(lb::ProxyStash) + lb::ProxyStash::kSlots * lb::ProxyStash::kBytes;
  const uint64_t need = per_worker * options_.workers;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const uint64_t memory = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
  if (memory == 0 || need <= memory) return Status::ok();
  constexpr uint64_t kMiB = 1u << 20;
  return Status::error(kErrLimit, "the connection tables need " + std::to_string(need / kMiB) + " MiB (" +
                                      std::to_string(options_.workers) + " workers x conn_table_size " + std::to_string(capacity) +
                                      " x " + std::to_string(per_connection) + " bytes), more than this machine's " +
                                      std::to_string(memory / kMiB) +
                                      " MiB of memory: lower dataplane.conn_table_size or dataplane.workers");
}

Status Engine::start() {
  if (running_ || stopped_) return Status::error(kErrState, running_ ? "engine already running" : "engine was stopped; create a new one");
  if (Status st = check_table_memory(); !st.is_ok()) return st;
  try {
    create_workers();
  } catch (const std::bad_alloc&) {
    workers_.clear();
    return Status::error(kErrLimit, "allocating " + std::to_string(options_.workers) + " workers' connection tables of conn_table_size " +
                                        std::to_string(options_.conn_table_size) +
                                        " failed (out of memory): lower dataplane.conn_table_size or dataplane.workers");
  }
  return start_workers();
}

void Engine::create_workers() {
  for (uint32_t id = 0; id < options_.workers; ++id) {
    std::vector<io::Queue*> queues;
    for (uint32_t p = 0; p < backend_->port_count(); ++p) queues.push_back(&backend_->queue(p, id));
    const int cpu = options_.cpus.empty() ? -1 : options_.cpus[id];
    const lb::CoreTables tables{servers_.counters(id), servers_.peer_loads(id), cookie_clocks_.get()};
    workers_.push_back(std::make_unique<worker::Worker>(id, options_.workers, options_.conn_table_size, hash_seed_,
                                                        options_.port_key, options_.local_ports, tables,
                                                        std::move(queues), cpu, &clock_offset_, options_.burst_path));
    workers_.back()->set_fast_path(backend_->fast_path());  // nullptr when off (AfxdpOptions.fast_path)
    if (options_.sync) workers_.back()->enable_sync(options_.sync_refresh_seconds);
    if (current_)
      workers_.back()->control.push({abi::ControlKind::install_snapshot, current_->generation, current_.get()});
  }
  // Each held tuple goes to the worker its local port names (the worker count may have changed).
  std::vector<std::vector<lb::PortHold>> holds_of(options_.workers);
  for (const lb::PortHold& h : restored_holds_)
    holds_of[lb::local_port_owner(core::ntohs(h.server.dport), options_.workers)].push_back(h);
  for (uint32_t id = 0; id < options_.workers; ++id) workers_[id]->restore_port_holds(holds_of[id]);
  restored_holds_.clear();
}

Status Engine::start_workers() {
  std::vector<worker::Worker*> peers;
  for (auto& w : workers_) peers.push_back(w.get());
  for (auto& w : workers_) w->connect(peers);
  running_ = true;
  for (auto& w : workers_) {
    std::string err = w->start();
    if (err.empty()) {
      const std::string priority = w->set_fifo_priority(options_.worker_priority);
      if (!priority.empty() && options_.worker_priority_best_effort) {
        start_warnings_.push_back(
            "workers run at normal priority (SCHED_OTHER): " + priority +
            "; a worker that shares its core with its interface's NAPI work then forwards several times slower "
            "(bench/README.md, veth); grant CAP_SYS_NICE, or set dataplane.worker_priority: 0 to choose SCHED_OTHER");
        options_.worker_priority = 0;  // one warning, not one per worker
      } else {
        err = priority;
      }
    }
    if (err.empty()) continue;
    stop();
    return Status::error(kErrSystem, err);
  }
  return Status::ok();
}

void Engine::stop() {
  if (!running_) return;
  for (auto& w : workers_) {
    // A full ring cannot refuse a stop for long: the worker drains it at every safe point.
    while (!w->control.push({abi::ControlKind::stop, 0, nullptr})) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    w->notify();
  }
  for (auto& w : workers_) w->join();
  for (auto& w : workers_) w->release_inboxes();
  // Before the retired snapshots go: a worker may still point at one (its timeouts are read).
  for (auto& w : workers_) w->collect_port_holds(stopped_holds_);
  running_ = false;
  stopped_ = true;
  for (Retired& r : retired_) free_snapshot(std::move(r.snapshot));
  retired_.clear();
  abandoned_dumps_.clear();  // the workers are gone: nothing writes them any more
  fast_path_final_ = fast_path_totals();
  if (io::FastPathReport* report = backend_->fast_path_report()) {
    // The program goes with the backend: what it forwarded for the servers still configured stays in the total.
    std::unordered_map<uint32_t, lb::BackendTraffic> forwarded;
    report->add_traffic(forwarded);
    for (const auto& [slot, traffic] : forwarded) lb::add_traffic(fast_path_retired_, traffic);
  }
  backend_->shutdown();
}

std::vector<std::string> Engine::warnings() const {
  std::vector<std::string> out = backend_->warnings();
  out.insert(out.end(), start_warnings_.begin(), start_warnings_.end());
  return out;
}

void Engine::close() {
  stop();
  if (backend_ && !stopped_) {
    stopped_ = true;
    backend_->shutdown();
  }
}

Status Engine::restore_port_holds(const uint8_t* data, size_t len, uint32_t elapsed_seconds, uint32_t& kept) {
  kept = 0;
  if (running_ || stopped_) return Status::error(kErrState, "held ports are restored before start");
  std::vector<lb::PortHold> holds;
  if (std::string why = decode_port_holds(data, len, holds); !why.empty())
    return Status::error(kErrInvalidArgument, "held local ports: " + why);
  for (lb::PortHold& h : holds) {
    // A hold outside the range (local_port_range changed since) holds nothing the range hands out.
    if (h.seconds_left <= elapsed_seconds || !options_.local_ports.contains(core::ntohs(h.server.dport))) continue;
    h.seconds_left -= elapsed_seconds;
    restored_holds_.push_back(h);
  }
  // Shortest first: each worker's hold list stays in expiry order.
  std::stable_sort(restored_holds_.begin(), restored_holds_.end(),
                   [](const lb::PortHold& a, const lb::PortHold& b) { return a.seconds_left < b.seconds_left; });
  kept = static_cast<uint32_t>(restored_holds_.size());
  return Status::ok();
}

std::vector<uint8_t> Engine::port_holds() const { return encode_port_holds(stopped_holds_); }

Status Engine::commit(const uint8_t* data, size_t len) {
  std::unique_ptr<BuildContext> ctx;
  if (Status st = begin_commit(ctx); !st.is_ok()) return st;
  std::unique_ptr<lb::Snapshot> next;
  Status built;
  try {
    built = build_snapshot(data, len, *ctx, next);
  } catch (const std::exception& e) {  // bad_alloc on a huge snapshot: refused, and the commit ends
    built = Status::error(kErrSystem, std::string("building the snapshot failed: ") + e.what());
  }
  return finish_commit(built, std::move(next));
}

Status Engine::begin_commit(std::unique_ptr<BuildContext>& ctx) {
  if (stopped_) return Status::error(kErrState, "engine was stopped; create a new one");
  if (committing_) return Status::error(kErrBusy, "another snapshot is being committed; commit one at a time");
  committing_ = true;
  ctx = std::make_unique<BuildContext>(BuildContext{options_.workers, backend_->port_count(), hash_seed_, current_.get(), servers_});
  return Status::ok();
}

Status Engine::finish_commit(const Status& built, std::unique_ptr<lb::Snapshot> next) {
  committing_ = false;
  if (!built.is_ok()) return built;
  // Refused from here on: no worker has seen `next`, so it goes at once (with its slots).
  const auto refuse = [&](Status st) {
    free_snapshot(std::move(next));
    return st;
  };
  if (stopped_) return refuse(Status::error(kErrState, "engine was stopped while the snapshot was built"));
  reclaim();
  if (running_ && !all_rings_have_room())
    return refuse(Status::error(kErrBusy, "a worker has not taken its previous control messages yet; retry shortly"));
  // The kernel steers the new services to the sockets before the workers know them: packets
  // in between are passed (AF_XDP: counted and released), never misrouted.
  io::SteeringSets sets = steering_sets(*next, options_.local_ports);
  // Entries of an older snapshot are stale from here on: their packets go to the workers, which
  // replace them once they hold `next` (lb/fast_path.h).
  sets.fast_path_generation = static_cast<uint32_t>(next->generation);
  sets.generation = next->generation;
  if (std::string err = backend_->apply_steering(sets); !err.empty())
    return refuse(Status::error(kErrSystem, "cannot update the kernel steering: " + err));
  if (running_)
    for (auto& w : workers_) {
      w->control.push({abi::ControlKind::install_snapshot, next->generation, next.get()});
      w->notify();
    }
  if (current_) {
    if (running_) retired_.push_back({next->generation, std::move(current_)});
    else free_snapshot(std::move(current_));  // not running: no worker can hold it
  }
  current_ = std::move(next);
  reclaim();
  return Status::ok();
}

Status Engine::dump_connections(uint32_t limit, uint32_t timeout_ms, std::vector<WorkerConnections>& out,
                                const std::vector<uint32_t>* starts) {
  out.clear();
  if (!running_) return Status::error(kErrState, "the data plane is not running");
  if (starts != nullptr && starts->size() != workers_.size())
    return Status::error(kErrInvalidArgument, "one page start per worker: " + std::to_string(workers_.size()) + " workers, " +
                                          std::to_string(starts->size()) + " starts");
  std::erase_if(abandoned_dumps_, [](const auto& d) { return d->done.load(std::memory_order_acquire); });
  if (!all_rings_have_room())
    return Status::error(kErrBusy, "a worker has not taken its previous control messages yet; retry shortly");
  std::vector<std::unique_ptr<worker::ConnDump>> dumps;
  for (auto& w : workers_) {
    const size_t index = dumps.size();
    dumps.push_back(starts ? std::make_unique<worker::ConnDump>(limit, (*starts)[index]) : std::make_unique<worker::ConnDump>(limit));
    w->control.push({abi::ControlKind::dump_connections, 0, nullptr, dumps.back().get()});
    w->notify();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const auto all_done = [&] {
    return std::all_of(dumps.begin(), dumps.end(), [](const auto& d) { return d->done.load(std::memory_order_acquire); });
  };
  while (!all_done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::microseconds(100));
  std::string late;
  for (uint32_t w = 0; w < dumps.size(); ++w) {
    if (dumps[w]->done.load(std::memory_order_acquire)) {
      out.push_back({w, dumps[w]->total, std::move(dumps[w]->entries), dumps[w]->next});
    } else {
      late += (late.empty() ? "" : ", ") + std::to_string(w);
      abandoned_dumps_.push_back(std::move(dumps[w]));
    }
  }
  if (!late.empty()) {
    out.clear();
    return Status::error(kErrBusy, "worker " + late + " did not list its connections within " + std::to_string(timeout_ms) + " ms; retry");
  }
  return Status::ok();
}

void Engine::free_snapshot(std::unique_ptr<lb::Snapshot> snapshot) {
  if (!snapshot) return;
  const std::vector<uint32_t> freed = servers_.release(snapshot->server_slot);
  io::FastPathReport* report = backend_->fast_path_report();
  if (report == nullptr || freed.empty()) return;
  std::unordered_map<uint32_t, lb::BackendTraffic> forwarded;
  report->add_traffic(forwarded);
  for (uint32_t slot : freed) {
    if (const auto it = forwarded.find(slot); it != forwarded.end()) lb::add_traffic(fast_path_retired_, it->second);
    report->forget_server(slot);
  }
}

lb::BackendTraffic Engine::traffic_total() const {
  lb::BackendTraffic total = servers_.traffic_total();
  lb::add_traffic(total, fast_path_retired_);
  if (io::FastPathReport* report = backend_->fast_path_report()) {
    std::unordered_map<uint32_t, lb::BackendTraffic> forwarded;
    report->add_traffic(forwarded);
    for (const auto& [slot, traffic] : forwarded) lb::add_traffic(total, traffic);
  }
  return total;
}

size_t Engine::reclaim() {
  uint64_t oldest_seen = UINT64_MAX;
  if (running_)
    for (const auto& w : workers_) {
      // Acquire: the worker's last counts into the old snapshot's slots happened before.
      const uint64_t seen = w->published.seen_generation.load(std::memory_order_acquire);
      if (seen < oldest_seen) oldest_seen = seen;
    }
  std::erase_if(retired_, [&](Retired& r) {
    if (r.freeable_at > oldest_seen) return false;
    free_snapshot(std::move(r.snapshot));
    return true;
  });
  backend_->reclaim(running_ ? oldest_seen : UINT64_MAX);
  return retired_.size();
}

void Engine::read_counters(std::vector<uint64_t>& out) const {
  out.assign(static_cast<size_t>(options_.workers) * abi::kCounterCount, 0);
  for (size_t w = 0; w < workers_.size(); ++w)
    for (uint32_t i = 0; i < abi::kCounterCount; ++i)
      out[w * abi::kCounterCount + i] = workers_[w]->published.counters[i].load(std::memory_order_relaxed);
}

std::vector<WorkerStatus> Engine::worker_status() const {
  std::vector<WorkerStatus> out;
  for (const auto& w : workers_)
    out.push_back({w->published.seen_generation.load(std::memory_order_acquire),
                   w->published.connections.load(std::memory_order_relaxed),
                   running_ && !w->published.exited.load(std::memory_order_acquire)});
  return out;
}

// Each worker updates its own counter block on its fast path with single-writer relaxed atomic
// stores (lb/server_counters.h); this reads them with relaxed loads: a read sees some recent
// value, never a torn one, and costs the fast path nothing. A server keeps its slot while it
// stays configured, so the values are the server's whichever snapshot a worker is on.
Engine::FastPathTotals Engine::fast_path_totals() const {
  if (io::FastPathReport* report = backend_->fast_path_report()) return {true, report->totals()};
  return fast_path_final_;
}

void Engine::read_server_counters(std::vector<ServerCounterRow>& out, bool with_fast_path) const {
  out.clear();
  if (!current_) return;
  const size_t backends = current_->backends.size();
  out.reserve(backends * workers_.size());
  for (uint32_t w = 0; w < options_.workers; ++w) {
    const lb::ServerCounters* block = servers_.counters(w);
    for (size_t i = 0; i < backends; ++i) {
      const lb::ServerCounters& c = block[current_->server_slot[i]];
      const lb::BackendTraffic& t = c.traffic;
      out.push_back({current_->backends[i].backend_id, w, lb::load_relaxed(c.load.active), lb::load_relaxed(c.load.inactive),
                     {lb::load_relaxed(t.conns), lb::load_relaxed(t.in_packets), lb::load_relaxed(t.out_packets),
                      lb::load_relaxed(t.in_bytes), lb::load_relaxed(t.out_bytes)},
                     lb::load_relaxed(c.load.persistent)});
    }
  }
  io::FastPathReport* report = with_fast_path ? backend_->fast_path_report() : nullptr;
  if (report == nullptr || out.empty()) return;
  std::unordered_map<uint32_t, lb::BackendTraffic> forwarded;
  report->add_traffic(forwarded);
  for (size_t i = 0; i < backends; ++i) {
    const auto it = forwarded.find(current_->server_slot[i]);
    if (it == forwarded.end()) continue;
    ServerCounterRow& row = out[i];  // worker 0's
    row.traffic.in_packets += it->second.in_packets;
    row.traffic.out_packets += it->second.out_packets;
    row.traffic.in_bytes += it->second.in_bytes;
    row.traffic.out_bytes += it->second.out_bytes;
  }
}

// Rows come worker-major over current_'s servers; each worker's PeerLoad entry of a server
// becomes the other workers' sum. Written by this thread only, read by that worker (relaxed).
void Engine::publish_peer_loads() {
  if (!current_ || workers_.size() < 2) return;
  std::vector<ServerCounterRow> rows;
  read_server_counters(rows, false);
  const size_t backends = current_->backends.size();
  if (backends == 0 || rows.size() != backends * options_.workers) return;
  std::vector<uint64_t> active(backends), inactive(backends);
  for (size_t r = 0; r < rows.size(); ++r) {
    active[r % backends] += rows[r].active;
    inactive[r % backends] += rows[r].inactive;
  }
  const auto clamp = [](uint64_t v) { return static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX)); };
  for (uint32_t w = 0; w < options_.workers; ++w) {
    lb::PeerLoad* block = servers_.peer_loads(w);
    for (size_t i = 0; i < backends; ++i) {
      const ServerCounterRow& own = rows[w * backends + i];
      lb::PeerLoad& peers = block[current_->server_slot[i]];
      lb::store_relaxed(peers.active, clamp(active[i] - own.active));
      lb::store_relaxed(peers.inactive, clamp(inactive[i] - own.inactive));
    }
  }
}

bool Engine::settle(uint32_t timeout_ms) const {
  if (!running_) return true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const auto idle_counts = [this] {
    std::vector<uint64_t> counts;
    for (const auto& w : workers_) counts.push_back(w->published.idle_passes.load(std::memory_order_acquire));
    return counts;
  };
  // True once every worker has finished `passes` idle passes after `since`.
  const auto wait_idle = [&](const std::vector<uint64_t>& since, uint64_t passes) {
    for (;;) {
      bool all = true;
      for (size_t i = 0; i < workers_.size(); ++i)
        if (workers_[i]->published.idle_passes.load(std::memory_order_acquire) < since[i] + passes) all = false;
      if (all) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  };
  for (;;) {
    if (!wait_idle(idle_counts(), 2)) return false;
    // Every receive queue was empty on a pass that ended after the call, so every handover from
    // those receives is already pushed. A frame still in an inbox needs its owner's next pass; a
    // frame popped just before this check may still be in the owner's hands until the owner's
    // next idle pass, and a handed-over frame is never handed over again.
    bool handed = false;
    for (const auto& w : workers_) handed = handed || !w->inboxes_empty();
    if (!handed) return wait_idle(idle_counts(), 1);
  }
}

}  // namespace xvs::control
