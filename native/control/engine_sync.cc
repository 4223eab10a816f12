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
  abi::SyncItem r;
  size_t taken = 0;
  for (auto& w : workers_) {
    while (taken < max && w->sync_out->pop(r)) {
      const size_t at = out.size();
      out.resize(at + r.size());
      std::memcpy(out.data() + at, r.bytes, r.size());
      ++taken;
    }
  }
  return Status::ok();
}

Status Engine::sync_install(const uint8_t* data, size_t len, size_t& accepted, size_t& refused) {
  accepted = refused = 0;
  if (!running_ || !options_.sync) return not_syncing(running_);
  // Whole records of known families, end to end (each says its own size), or nothing.
  for (size_t at = 0; at < len;) {
    const uint32_t size = abi::sync_record_size(data[at]);
    if (size == 0 || len - at < size)
      return Status::error(kErrInvalidArgument, "byte " + std::to_string(at) + " of " + std::to_string(len) +
                                                    ": not the start of a whole sync record (family 4 or 6)");
    at += size;
  }
  uint64_t touched = 0;  // one bit per worker that got records
  static_assert(abi::kMaxWorkers <= 64);
  for (size_t at = 0; at < len;) {
    abi::SyncItem r{};
    const uint32_t size = abi::sync_record_size(data[at]);
    std::memcpy(r.bytes, data + at, size);
    at += size;
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
