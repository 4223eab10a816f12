// native/control/lip_registry.h — stable slots for local addresses (Full-NAT LIPs) and each
// worker's port pool per slot. A slot, once given to an address, keeps it for the engine's
// life, so connections keep their pool across reloads that drop or re-order LIPs. Written by the
// snapshot build (the engine owner's thread, or a libuv pool thread for an async commit; one
// commit at a time); workers only read the pointer table, for slots their snapshot names, after
// the snapshot that first named the slot was published to them.
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "abi/records.h"
#include "control/status.h"
#include "lb/port_pool.h"

namespace xvs::control {

class LipRegistry {
 public:
  explicit LipRegistry(uint32_t workers)
      : workers_(workers), table_(static_cast<size_t>(workers) * abi::kMaxLips, nullptr) {}

  // Slot of `address` (network order), creating its pools on first use.
  Status slot_for(uint32_t address, uint32_t& slot) {
    if (auto it = slots_.find(address); it != slots_.end()) {
      slot = it->second;
      return Status::ok();
    }
    if (slots_.size() >= abi::kMaxLips)
      return Status::error(kErrLimit, "more than " + std::to_string(abi::kMaxLips) +
                                          " distinct local addresses since start: restart xvs to recycle them");
    slot = static_cast<uint32_t>(slots_.size());
    for (uint32_t w = 0; w < workers_; ++w) {
      pools_.push_back(std::make_unique<lb::PortPool>(w, workers_));
      table_[static_cast<size_t>(w) * abi::kMaxLips + slot] = pools_.back().get();
    }
    slots_.emplace(address, slot);
    return Status::ok();
  }

  // This worker's row: PortPool* per slot.
  lb::PortPool* const* row(uint32_t worker) const { return table_.data() + static_cast<size_t>(worker) * abi::kMaxLips; }

 private:
  uint32_t workers_;
  std::vector<lb::PortPool*> table_;
  std::vector<std::unique_ptr<lb::PortPool>> pools_;
  std::unordered_map<uint32_t, uint32_t> slots_;
};

}  // namespace xvs::control
