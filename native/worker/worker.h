// native/worker/worker.h — one data-plane thread: rx burst -> its burst path (lb::process_burst)
// -> tx burst on every port it serves, and at safe points (when idle, or every kSafePointBursts
// busy bursts) the clock, its control ring, connection expiry and counter publication. When
// every queue has a wait descriptor (AF_XDP sockets), an idle worker sleeps in poll() on them and
// on its doorbell (an eventfd the control thread rings after posting a control message);
// otherwise it naps.
//
// A frame the packet path gives a redirect verdict (another worker owns its connection, DESIGN
// §4) is pushed on that worker's inbox ring for this sender and counted as `redirected` (a full
// inbox: drop_handover_full); each worker drains its inboxes every pass and runs those frames
// through the same path as its own. A handed-over frame is never handed on: if the owner's
// snapshot names yet another owner (a reload between the two workers' safe points), it is
// dropped as drop_not_owner.
//
// Ownership: `core` (lb::CoreState) is written only by this worker's thread once started.
// `published` is written by the worker and read by the control thread. `control` and `sync_in`
// are SPSC rings the control thread produces and the worker consumes; `sync_out` the reverse. inbox_[s] is an SPSC ring: worker s
// produces, this worker consumes.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "abi/control.h"
#include "abi/counters.h"
#include "core/spsc_ring.h"
#include "worker/conn_dump.h"
#include "io/backend.h"
#include "lb/core_state.h"
#include "lb/port_holds.h"
#include "lb/process.h"

namespace xvs::worker {

struct ControlMessage {
  abi::ControlKind kind;
  uint64_t generation;
  const lb::Snapshot* snapshot;
  ConnDump* dump = nullptr;  // dump_connections: filled at the safe point (conn_dump.h)
};

// What the worker tells the rest of the engine. Written by the worker, read by the control
// thread; relaxed loads suffice for monotonic counters, acquire for the generation.
struct alignas(64) Published {
  std::atomic<uint64_t> seen_generation{0};
  std::atomic<uint64_t> idle_passes{0};  // +1 each time the worker found every queue empty
  std::atomic<uint64_t> connections{0};
  std::atomic<bool> exited{false};
  alignas(64) std::atomic<uint64_t> counters[abi::kCounterCount] = {};
};

class Worker {
 public:
  // Frames taken per receive and handed to the packet path together: the more of a burst's
  // connection lookups are in flight at once, the less each costs on a table larger than the
  // caches (lb::process_burst; 64 against 32: 5-10 % less per packet at 1 M connections,
  // bench/README.md).
  static constexpr uint32_t kBurst = 64;
  static_assert(kBurst <= lb::kMaxBurst);
  static constexpr uint32_t kSafePointBursts = 64;
  // As many as the bursts between two safe points can create, so that expiry keeps up with a
  // full-burst flood; a worker with more due goes round again instead of sleeping.
  static constexpr uint32_t kExpireBudget = kSafePointBursts * lb::kMaxBurst;
  static constexpr uint32_t kControlBudget = 16;
  static constexpr int kIdlePollMs = 100;  // bounds how late an idle worker notices the clock
  // As deep as an AF_XDP rx ring: a sender can hand over a whole ring's worth while the owner
  // is descheduled. Each pass drains an inbox completely (at most kInboxSize frames), because a
  // frame it hands over costs the sender only the path up to the ownership decision (a miss in
  // its table), so a sender makes its passes faster than the owner.
  static constexpr uint32_t kInboxSize = 1024;

  // `path`: what runs on every received burst (lb::process_burst in every engine that ships).
  Worker(uint32_t id, uint32_t workers, uint32_t conn_capacity, uint64_t hash_seed, const core::SipKey& port_key,
         lb::LocalPortRange local_ports, const lb::CoreTables& tables, std::vector<io::Queue*> queues, int cpu,
         const std::atomic<int64_t>* clock_offset, lb::BurstPath path = lb::process_burst);
  ~Worker();

  // Starts the thread; returns an error message if the CPU pinning failed ("" on success).
  std::string start();
  // After start(): runs the worker at SCHED_FIFO `priority` (1..99; 0 keeps SCHED_OTHER); "" or
  // why it could not (the worker then keeps running at SCHED_OTHER). Where the kernel's NAPI
  // thread shares the worker's core, a woken SCHED_OTHER worker waits out NAPI's time slice
  // while its fill ring runs dry (bench/README.md, veth).
  std::string set_fifo_priority(int priority);
  // Before start(): where this worker's XDP fast-path entries go (nullptr: none).
  void set_fast_path(lb::FastPathTable* table) { core_.fast_path = table; }
  // Before start(): connection sync with the other nodes of a cluster (lb/sync.h): the rings
  // sync_out (this worker's records for them) and sync_in (theirs for this worker).
  void enable_sync(uint32_t refresh_seconds);
  bool sync_enabled() const { return sync_out != nullptr; }
  // Control thread: every connection of this worker's table goes out as a record too (a node
  // that starts asks its peers for their tables), paced by the room in sync_out. Requests are
  // numbered; sync_dump_done() is the number of the last one whose dump has been queued whole.
  void request_sync_dump(uint32_t number);
  uint32_t sync_dump_done() const { return sync_dump_done_.load(std::memory_order_acquire); }
  void join();
  // Any thread, after pushing on one of this worker's rings (the control thread on `control`, a
  // peer on its inbox): wakes the worker if it sleeps in poll().
  void notify();
  // Control thread, before start(): the other workers of the engine, by id (with this one).
  void connect(const std::vector<Worker*>& peers);
  // Control thread, after every worker has joined: frames left in the inboxes go back to the
  // backend (released through this worker's queues).
  void release_inboxes();
  // Any thread: nothing waits in this worker's inboxes (Engine::settle).
  bool inboxes_empty() const;
  // Control thread, before start(): enters server-side tuples held over from a previous engine
  // (lb/port_holds.h) in this worker's table; returns how many went in.
  uint32_t restore_port_holds(const std::vector<lb::PortHold>& holds);
  // Control thread, after join(): the tuples this worker's servers may still hold.
  void collect_port_holds(std::vector<lb::PortHold>& out) const;

  core::SpscRing<ControlMessage> control{64};
  Published published;
  // Records of this worker's connections for the other nodes (worker produces, control thread
  // consumes) and other nodes' records for this worker (control thread produces, worker consumes).
  // As deep as a second of new connections at a few hundred thousand per second between drains.
  static constexpr uint32_t kSyncRing = 1u << 16;
  // Records a safe point installs, or dumps, at most: a flood of them cannot starve the packets.
  static constexpr uint32_t kSyncBudget = 4096;
  std::unique_ptr<core::SpscRing<abi::SyncItem>> sync_out, sync_in;

 private:
  void run();
  // Receives one burst on this worker's queue of `port` and runs it; returns how many frames.
  uint32_t receive_burst(uint32_t port);
  bool safe_point();  // false once told to stop
  void publish();
  uint32_t clock_now() const;
  bool idle_wait();  // false when some queue cannot be waited on
  uint32_t drain_inboxes();
  // The burst path and its verdicts: transmit, pass and drop through `home` (the arrival queue),
  // redirect to the owner's inbox — or, for frames that came from an inbox (`handed_over`), drop.
  void forward(io::Frame* frames, uint32_t n, io::Queue& home, bool handed_over);

  lb::CoreState core_;
  std::vector<io::Queue*> queues_;  // this worker's queue on each port, by port index
  const int cpu_;
  const lb::BurstPath path_;
  const std::atomic<int64_t>* clock_offset_;
  int doorbell_ = -1;  // eventfd
  std::atomic<bool> sleeping_{false};  // in poll(): senders ring the doorbell
  std::vector<Worker*> peers_;
  std::vector<std::unique_ptr<core::SpscRing<io::Frame>>> inbox_;  // by sender id; none for self
  std::unique_ptr<uint32_t[]> sync_queued_at_;  // lb::SyncExport::queued_at
  // A dump asked for (the control thread sets it) and how far it got (the worker's own).
  std::atomic<uint32_t> sync_dump_requested_{0};  // written by the control thread
  std::atomic<uint32_t> sync_dump_done_{0};       // written by the worker
  uint32_t sync_dump_serving_ = 0;                // the request the dump under way answers
  uint32_t sync_dump_next_ = UINT32_MAX;  // next connection index to dump; UINT32_MAX: none under way
  bool sync_step();  // at a safe point: installs, continues a dump; true while more is waiting
  bool sync_pending_ = false;
  std::thread thread_;
};

}  // namespace xvs::worker
