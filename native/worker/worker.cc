// native/worker/worker.cc — see worker.h. Everything here runs on the worker's own thread except
// the constructor, destructor, start(), join(), connect() and release_inboxes() (the control
// thread), notify() (the control thread or a peer worker) and inboxes_empty() (any thread).
#include "worker/worker.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "lb/process.h"
#include "lb/sync.h"

namespace xvs::worker {

using abi::Counter;

Worker::Worker(uint32_t id, uint32_t workers, uint32_t conn_capacity, uint64_t hash_seed, const core::SipKey& port_key,
               lb::LocalPortRange local_ports, const lb::CoreTables& tables, std::vector<io::Queue*> queues, int cpu,
               const std::atomic<int64_t>* clock_offset, lb::BurstPath path)
    : core_(id, workers, conn_capacity, hash_seed, port_key, tables, local_ports),
      queues_(std::move(queues)),
      cpu_(cpu),
      path_(path),
      clock_offset_(clock_offset),
      doorbell_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  for (io::Queue* q : queues_) q->bind_counters(core_.counters);
}

Worker::~Worker() {
  join();
  if (doorbell_ >= 0) close(doorbell_);
}

void Worker::notify() {
  const uint64_t one = 1;
  if (doorbell_ >= 0) (void)!write(doorbell_, &one, sizeof one);
}

void Worker::connect(const std::vector<Worker*>& peers) {
  peers_ = peers;
  inbox_.clear();
  for (size_t s = 0; s < peers.size(); ++s)
    inbox_.push_back(s == core_.id || peers.size() < 2 ? nullptr : std::make_unique<core::SpscRing<io::Frame>>(kInboxSize));
}

bool Worker::idle_wait() {
  pollfd fds[abi::kMaxPorts * io::Queue::kMaxWaitFds + 1];
  nfds_t n = 0;
  if (doorbell_ < 0) return false;
  for (io::Queue* q : queues_) {
    int fd[io::Queue::kMaxWaitFds];
    const int count = q->wait_fds(fd);
    if (count < 0) return false;
    for (int i = 0; i < count; ++i) fds[n++] = pollfd{fd[i], POLLIN, 0};
  }
  fds[n++] = pollfd{doorbell_, POLLIN, 0};
  sleeping_.store(true, std::memory_order_relaxed);
  // Pairs with the hand-over in forward(): either the sender sees the flag and rings, or this
  // sees its frames.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (inboxes_empty() && poll(fds, n, kIdlePollMs) > 0 && (fds[n - 1].revents & POLLIN) != 0) {
    uint64_t count;
    (void)!read(doorbell_, &count, sizeof count);
  }
  sleeping_.store(false, std::memory_order_relaxed);
  return true;
}

std::string Worker::start() {
  thread_ = std::thread([this] { run(); });
  const std::string name = "xvs-w" + std::to_string(core_.id);
  pthread_setname_np(thread_.native_handle(), name.c_str());
  if (cpu_ >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_, &set);
    const int err = pthread_setaffinity_np(thread_.native_handle(), sizeof set, &set);
    if (err != 0) return "cannot pin worker " + std::to_string(core_.id) + " to cpu " + std::to_string(cpu_) + ": " + std::strerror(err);
  }
  return "";
}

std::string Worker::set_fifo_priority(int priority) {
  if (priority <= 0 || !thread_.joinable()) return "";
  sched_param param{};
  param.sched_priority = priority;
  const int err = pthread_setschedparam(thread_.native_handle(), SCHED_FIFO, &param);
  if (err == 0) return "";
  return "cannot run worker " + std::to_string(core_.id) + " at SCHED_FIFO priority " + std::to_string(priority) + ": " +
         std::strerror(err) + " (needs CAP_SYS_NICE, or an RLIMIT_RTPRIO of at least that priority)";
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::enable_sync(uint32_t refresh_seconds) {
  sync_out = std::make_unique<core::SpscRing<abi::SyncItem>>(kSyncRing);
  sync_in = std::make_unique<core::SpscRing<abi::SyncItem>>(kSyncRing);
  sync_queued_at_ = std::make_unique<uint32_t[]>(core_.conns.lines());
  core_.sync = lb::SyncExport{sync_out.get(), sync_queued_at_.get(), refresh_seconds};
}

void Worker::request_sync_dump(uint32_t number) {
  sync_dump_requested_.store(number, std::memory_order_release);
  notify();
}

bool Worker::sync_step() {
  if (!sync_out) return false;
  abi::SyncItem r;
  uint32_t budget = kSyncBudget;
  while (budget > 0 && sync_in->pop(r)) {
    lb::sync_install(core_, r);
    --budget;
  }
  // A request that arrives during a dump restarts it: the new one must see every connection.
  const uint32_t requested = sync_dump_requested_.load(std::memory_order_acquire);
  if (requested != sync_dump_serving_) {
    sync_dump_serving_ = requested;
    sync_dump_next_ = 0;
  }
  const uint32_t lines = core_.conns.lines();
  // Only as many as sync_out has room for now: the rest at the next safe points, none lost.
  for (size_t room = sync_out->free_space(); sync_dump_next_ < lines && room > 0 && budget > 0; ++sync_dump_next_, --budget) {
    lb::Conn* c = core_.conns.at(sync_dump_next_);
    if (c == nullptr || !lb::sync_record_of(core_, *c, r)) continue;
    sync_out->push(r);
    core_.sync.queued_at[sync_dump_next_] = core_.now;
    core_.count(Counter::sync_queued);
    --room;
  }
  if (sync_dump_next_ >= lines) {
    sync_dump_next_ = UINT32_MAX;
    sync_dump_done_.store(sync_dump_serving_, std::memory_order_release);
  }
  return sync_dump_next_ != UINT32_MAX || !sync_in->empty_for_consumer();
}

uint32_t Worker::restore_port_holds(const std::vector<lb::PortHold>& holds) {
  core_.now = clock_now();
  uint32_t restored = 0;
  for (const lb::PortHold& h : holds) restored += lb::restore_port_hold(core_, h);
  return restored;
}

void Worker::collect_port_holds(std::vector<lb::PortHold>& out) const { lb::collect_port_holds(core_, out); }

uint32_t Worker::clock_now() const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint32_t>(ts.tv_sec + clock_offset_->load(std::memory_order_relaxed));
}

void Worker::publish() {
  for (uint32_t i = 0; i < abi::kCounterCount; ++i)
    published.counters[i].store(core_.counters[i], std::memory_order_relaxed);
  published.connections.store(core_.conns.size(), std::memory_order_relaxed);
}

bool Worker::safe_point() {
  core_.now = clock_now();
  ControlMessage msg;
  bool keep_running = true;
  for (uint32_t i = 0; i < kControlBudget && control.pop(msg); ++i) {
    switch (msg.kind) {
      case abi::ControlKind::install_snapshot:
        core_.install(msg.snapshot);
        // Release: the control thread may free the previous snapshot once it sees this.
        published.seen_generation.store(msg.generation, std::memory_order_release);
        break;
      case abi::ControlKind::stop:
        keep_running = false;
        break;
      case abi::ControlKind::dump_connections:
        fill_conn_dump(core_, *msg.dump);
        break;
    }
  }
  sync_pending_ = sync_step();
  core_.conns.expire(core_.now, kExpireBudget, [this](lb::Conn& c) { return lb::expire_connection(core_, c); });
  publish();
  return keep_running;
}

uint32_t Worker::receive_burst(uint32_t port) {
  io::Queue& in = *queues_[port];
  io::Frame frames[kBurst];
  const uint32_t n = in.receive(frames, kBurst);
  if (n == 0) return 0;
  uint64_t rx_bytes = 0;
  for (uint32_t i = 0; i < n; ++i) rx_bytes += frames[i].len;
  core_.count(Counter::rx_packets, n);
  core_.count(Counter::rx_bytes, rx_bytes);
  forward(frames, n, in, false);
  return n;
}

uint32_t Worker::drain_inboxes() {
  uint32_t total = 0;
  for (auto& ring : inbox_) {
    if (!ring) continue;
    for (uint32_t bursts = 0; bursts < kInboxSize / kBurst; ++bursts) {
      io::Frame frames[kBurst];
      const uint32_t n = static_cast<uint32_t>(ring->pop_burst(frames, kBurst));
      if (n == 0) break;
      total += n;
      // pass/drop verdicts return frames through their arrival port's queue of this worker.
      for (uint32_t p = 0; p < queues_.size(); ++p) {
        io::Frame group[kBurst];
        uint32_t k = 0;
        for (uint32_t i = 0; i < n; ++i)
          if (frames[i].port == p) group[k++] = frames[i];
        if (k != 0) forward(group, k, *queues_[p], true);
      }
    }
  }
  return total;
}

void Worker::release_inboxes() {
  for (auto& ring : inbox_) {
    io::Frame f;
    for (size_t i = 0; ring && i < kInboxSize && ring->pop(f); ++i) queues_[f.port]->release(&f, 1);
  }
}

bool Worker::inboxes_empty() const {
  for (const auto& ring : inbox_)
    if (ring && !ring->empty_for_consumer()) return false;
  return true;
}

void Worker::forward(io::Frame* frames, uint32_t n, io::Queue& home, bool handed_over) {
  io::Frame out[abi::kMaxPorts][kBurst];
  uint32_t out_count[abi::kMaxPorts] = {};
  io::Frame passed[kBurst], dropped[kBurst];
  uint32_t passed_count = 0, dropped_count = 0;
  uint32_t handed = 0, refused = 0, not_owned = 0;
  uint64_t woken = 0;  // one bit per peer (kMaxWorkers is 64) already checked in this burst
  static_assert(abi::kMaxWorkers <= 64);

  lb::Verdict verdicts[kBurst];
  path_(core_, frames, n, verdicts);
  for (uint32_t i = 0; i < n; ++i) {
    io::Frame& f = frames[i];
    switch (verdicts[i].kind) {
      case lb::Verdict::tx: out[f.port][out_count[f.port]++] = f; break;
      case lb::Verdict::pass: passed[passed_count++] = f; break;
      case lb::Verdict::drop: dropped[dropped_count++] = f; break;
      case lb::Verdict::redirect: {
        const uint32_t owner = verdicts[i].owner;
        if (handed_over || owner >= peers_.size() || owner == core_.id) {
          dropped[dropped_count++] = f;
          ++not_owned;
          break;
        }
        Worker& peer = *peers_[owner];
        if (!peer.inbox_[core_.id]->push(f)) {
          dropped[dropped_count++] = f;
          ++refused;
          break;
        }
        ++handed;
        if ((woken & (1ull << owner)) == 0) {
          woken |= 1ull << owner;
          // Pairs with idle_wait(): the push is visible before the flag is read.
          std::atomic_thread_fence(std::memory_order_seq_cst);
          if (peer.sleeping_.load(std::memory_order_relaxed)) peer.notify();
        }
        break;
      }
    }
  }
  core_.count(Counter::redirected, handed);
  core_.count(Counter::drop_handover_full, refused);
  core_.count(Counter::drop_not_owner, not_owned);

  for (uint32_t p = 0; p < queues_.size(); ++p) {
    if (out_count[p] == 0) continue;
    const uint32_t sent = queues_[p]->transmit(out[p], out_count[p]);
    uint64_t tx_bytes = 0;
    for (uint32_t i = 0; i < sent; ++i) tx_bytes += out[p][i].len;
    core_.count(Counter::tx_packets, sent);
    core_.count(Counter::tx_bytes, tx_bytes);
    if (sent < out_count[p]) {
      core_.count(Counter::drop_tx_full, out_count[p] - sent);
      queues_[p]->release(out[p] + sent, out_count[p] - sent);
    }
  }
  if (passed_count) {
    home.pass_to_kernel(passed, passed_count);
    core_.count(Counter::pass_packets, passed_count);
  }
  if (dropped_count) home.release(dropped, dropped_count);
}

void Worker::run() {
  uint32_t busy_bursts = 0;
  uint32_t idle_sleep_us = 0;
  // A snapshot committed before start() is installed before the first frame is taken (else the
  // first frames would be dropped as drop_no_snapshot while it waits on the control ring).
  for (bool running = safe_point(); running;) {
    uint32_t work = 0;
    for (uint32_t p = 0; p < queues_.size(); ++p) work += receive_burst(p);
    if (peers_.size() > 1) work += drain_inboxes();
    if (work != 0 && ++busy_bursts < kSafePointBursts) {
      idle_sleep_us = 0;
      continue;
    }
    busy_bursts = 0;
    if (!safe_point()) break;
    if (work != 0 || sync_pending_ || core_.conns.due(core_.now)) continue;
    published.idle_passes.fetch_add(1, std::memory_order_release);
    // AF_XDP: sleep in poll() until a queue has frames or the control thread rings; an idle
    // worker then costs nothing and never starves a NAPI thread sharing its core.
    if (idle_wait()) continue;
    // Otherwise back off from polling to sleeping; the sleep is bounded so a mem-backend test
    // or a new control message waits at most ~1 ms.
    idle_sleep_us = idle_sleep_us == 0 ? 10 : (idle_sleep_us >= 1000 ? 1000 : idle_sleep_us * 2);
    timespec ts{0, static_cast<long>(idle_sleep_us) * 1000};
    nanosleep(&ts, nullptr);
  }
  publish();
  published.exited.store(true, std::memory_order_release);
}

}  // namespace xvs::worker
