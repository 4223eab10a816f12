// native/worker/worker.h — one data-plane thread: rx burst -> lb::process -> tx burst on every
// port it serves, and at safe points (when idle, or every kSafePointBursts busy bursts) the
// clock, its control ring, connection expiry and counter publication.
//
// Ownership: `core` (lb::CoreState) is written only by this worker's thread once started.
// `published` is written by the worker and read by the control thread. `control` is an SPSC
// ring: the control thread produces, the worker consumes.
#pragma once
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "abi/control.h"
#include "abi/counters.h"
#include "core/spsc_ring.h"
#include "io/backend.h"
#include "lb/core_state.h"
#include "lb/process.h"

namespace xvs::worker {

struct ControlMessage {
  abi::ControlKind kind;
  uint64_t generation;
  const lb::Snapshot* snapshot;
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
  static constexpr uint32_t kBurst = 32;
  static_assert(kBurst <= lb::kMaxBurst);
  static constexpr uint32_t kSafePointBursts = 64;
  static constexpr uint32_t kExpireBudget = 256;
  static constexpr uint32_t kControlBudget = 16;

  Worker(uint32_t id, uint32_t workers, uint32_t conn_capacity, uint64_t hash_seed,
         lb::PortPool* const* port_pools, std::vector<io::Queue*> queues, int cpu,
         const std::atomic<int64_t>* clock_offset);
  ~Worker();

  // Starts the thread; returns an error message if the CPU pinning failed ("" on success).
  std::string start();
  void join();

  core::SpscRing<ControlMessage> control{64};
  Published published;

 private:
  void run();
  uint32_t burst(uint32_t port);
  bool safe_point();  // false once told to stop
  void publish();
  uint32_t clock_now() const;

  lb::CoreState core_;
  std::vector<io::Queue*> queues_;  // this worker's queue on each port, by port index
  const int cpu_;
  const std::atomic<int64_t>* clock_offset_;
  std::thread thread_;
};

}  // namespace xvs::worker
