// native/control/server_slots.h — the per-worker per-server counter blocks (lb/server_counters.h)
// and the slots that index them. A snapshot's build gives each of its servers a slot: the one it
// had in the running snapshot if it stays (same stable backend_id), else a free one; every held
// snapshot references its servers' slots, and a slot no snapshot references any more is zeroed
// and reused. So counts follow a server across reloads without being copied, a server removed
// and added back starts from zero, and no worker ever counts into a slot being reset: a snapshot
// is released only after every worker has published a newer generation (release/acquire on
// seen_generation), and a reused slot reaches a worker in a snapshot published after its reset.
//
// Threads: acquire() runs in the snapshot build (any thread, one build at a time), release() on
// the engine owner's thread, possibly while a build runs: both take the mutex (control path only;
// workers never call them). The blocks are allocated once, at construction, for kCapacity slots
// (anonymous memory: only the pages of slots in use are ever touched).
// A freed slot's traffic is added to a retired total first, so traffic_total() — every server's
// traffic since the engine began, IPVS's global statistics — never goes back when a server leaves.
#pragma once
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "abi/records.h"
#include "core/huge_array.h"
#include "lb/server_counters.h"

namespace xvs::control {

class ServerSlots {
 public:
  // Room for a snapshot of the most servers while the one before it, all other servers, is still
  // held by a worker.
  static constexpr uint32_t kCapacity = 2 * abi::kMaxBackends;
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit ServerSlots(uint32_t workers) {
    for (uint32_t w = 0; w < workers; ++w) {
      counters_.push_back(std::make_unique<core::HugeArray<lb::ServerCounters>>(kCapacity));
      peer_loads_.push_back(std::make_unique<core::HugeArray<lb::PeerLoad>>(kCapacity));
    }
  }

  // One slot per entry of `keep`: that slot itself where it is not kNone (a server that stays),
  // else a free one; each gains a reference. false, and nothing taken, when there are not enough.
  bool acquire(const std::vector<uint32_t>& keep, std::vector<uint32_t>& out) {
    std::lock_guard<std::mutex> lock(mutex_);
    const size_t fresh = fresh_needed(keep);
    if (fresh > free_.size() + (kCapacity - next_unused_)) return false;
    // The only steps that can throw, before anything is taken; free_ keeps room for every slot
    // ever handed out, so release() never allocates.
    out.resize(keep.size());
    const size_t handed_out = std::min<size_t>(kCapacity, next_unused_ + fresh);
    refs_.reserve(handed_out);
    free_.reserve(handed_out);
    for (size_t i = 0; i < keep.size(); ++i) {
      uint32_t slot = keep[i];
      if (slot == kNone) {
        if (!free_.empty()) {
          slot = free_.back();
          free_.pop_back();
        } else {
          slot = next_unused_++;
          refs_.push_back(0);
        }
      }
      ++refs_[slot];
      out[i] = slot;
    }
    return true;
  }

  // Drops one reference to each of `slots`; a slot left without any is zeroed in every worker's
  // blocks and becomes free. Call only once no worker can use a snapshot naming them.
  // Returns the slots this freed (no snapshot references them any more), for counts kept
  // elsewhere (the XDP fast path's) to be reset too.
  std::vector<uint32_t> release(const std::vector<uint32_t>& slots) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<uint32_t> freed;
    for (uint32_t slot : slots) {
      assert(slot < refs_.size() && refs_[slot] > 0 && "released a slot no snapshot holds");
      if (slot >= refs_.size() || refs_[slot] == 0 || --refs_[slot] != 0) continue;
      add_slot_traffic(slot, retired_traffic_);
      for (auto& block : counters_) (*block)[slot] = lb::ServerCounters{};
      for (auto& block : peer_loads_) (*block)[slot] = lb::PeerLoad{};
      free_.push_back(slot);
      freed.push_back(slot);
    }
    return freed;
  }

  // Worker w's blocks, indexed by slot.
  lb::ServerCounters* counters(uint32_t worker) const { return counters_[worker]->get(); }
  lb::PeerLoad* peer_loads(uint32_t worker) const { return peer_loads_[worker]->get(); }

  // The traffic of every server since construction, summed over workers: the slots in use plus
  // what freed ones had counted. Monotonic: a slot counts from its acquire to its release.
  lb::BackendTraffic traffic_total() const {
    std::lock_guard<std::mutex> lock(mutex_);
    lb::BackendTraffic total = retired_traffic_;
    for (uint32_t slot = 0; slot < next_unused_; ++slot)
      if (refs_[slot] != 0) add_slot_traffic(slot, total);
    return total;
  }

  // Slots referenced by some snapshot (tests, diagnostics).
  uint32_t in_use() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_unused_ - static_cast<uint32_t>(free_.size());
  }

 private:
  static size_t fresh_needed(const std::vector<uint32_t>& keep) {
    size_t n = 0;
    for (uint32_t s : keep) n += s == kNone;
    return n;
  }

  void add_slot_traffic(uint32_t slot, lb::BackendTraffic& into) const {
    for (const auto& block : counters_) lb::add_traffic(into, (*block)[slot].traffic);
  }

  mutable std::mutex mutex_;
  std::vector<uint32_t> refs_;  // by slot: how many held snapshots name it
  std::vector<uint32_t> free_;  // released slots, reused last-released first
  uint32_t next_unused_ = 0;    // slots from here on were never handed out
  lb::BackendTraffic retired_traffic_{};  // what freed slots had counted
  std::vector<std::unique_ptr<core::HugeArray<lb::ServerCounters>>> counters_;
  std::vector<std::unique_ptr<core::HugeArray<lb::PeerLoad>>> peer_loads_;
};

}  // namespace xvs::control
