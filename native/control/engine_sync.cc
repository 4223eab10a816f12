// native/control/engine_sync.cc — the engine's side of connection sync between cluster nodes
// (lb/sync.h, engine.h): records move between the workers' SPSC rings and byte buffers the
// control thread sends and receives (src/cluster/sync/). Runs on the engine's owner thread.
#include <cstring>

#include "abi/sync.h"
#include "control/engine.h"
#include "lb/sync.h"

namespace xvs::control {

namespace {
Status not_syncing(bool running) {
  if (!running) return Status::error(kErrState, "the data plane is not running");
  return Status::error(kErrState, "connection sync is off (no cluster section)");
}
}  // namespace

Status Engine::sync_drain(size_t max, std::vector<uint8_t>& out) {
  if (!running_ || !options_.sync) return not_syncing(running_);
  abi::SyncRecord r;
  size_t taken = 0;
  for (auto& w : workers_) {
    while (taken < max && w->sync_out->pop(r)) {
      const size_t at = out.size();
      out.resize(at + sizeof r);
      std::memcpy(out.data() + at, &r, sizeof r);
      ++taken;
    }
  }
  return Status::ok();
}

Status Engine::sync_install(const uint8_t* data, size_t len, size_t& accepted, size_t& refused) {
  accepted = refused = 0;
  if (!running_ || !options_.sync) return not_syncing(running_);
  if (len % sizeof(abi::SyncRecord) != 0)
    return Status::error(kErrInvalidArgument, std::to_string(len) + " bytes are not whole sync records of " +
                                                  std::to_string(sizeof(abi::SyncRecord)) + " bytes");
  uint64_t touched = 0;  // one bit per worker that got records
  static_assert(abi::kMaxWorkers <= 64);
  for (size_t at = 0; at < len; at += sizeof(abi::SyncRecord)) {
    abi::SyncRecord r;
    std::memcpy(&r, data + at, sizeof r);
    const uint32_t owner = lb::sync_owner(r, options_.workers, options_.local_ports);
    if (workers_[owner]->sync_in->push(r)) {
      ++accepted;
      touched |= 1ull << owner;
    } else {
      ++refused;
    }
  }
  for (uint32_t id = 0; id < options_.workers; ++id)
    if (touched & (1ull << id)) workers_[id]->notify();
  return Status::ok();
}

Status Engine::sync_dump() {
  if (!running_ || !options_.sync) return not_syncing(running_);
  ++sync_dumps_;
  for (auto& w : workers_) w->request_sync_dump(sync_dumps_);
  return Status::ok();
}

bool Engine::sync_dump_finished() const {
  if (!running_ || !options_.sync) return true;
  for (const auto& w : workers_)
    if (w->sync_dump_done() != sync_dumps_) return false;
  return true;
}

}  // namespace xvs::control
