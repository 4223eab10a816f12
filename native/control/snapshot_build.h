// native/control/snapshot_build.h — decodes the versioned snapshot bytes that TypeScript
// encoded (abi/records.h), checks every count, offset and index, and builds the lookup tables
// workers read. Runs off the fast path (the engine owner's thread, or a libuv pool thread for
// EngineHandle.commit); the result is immutable. A built snapshot holds a reference to each of its
// servers' counter slots (ctx.servers): whoever frees it releases them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "control/server_slots.h"
#include "control/status.h"
#include "lb/snapshot.h"

namespace xvs::control {

struct BuildContext {
  uint32_t workers;
  uint32_t ports;
  uint64_t hash_seed;
  const lb::Snapshot* running;  // the engine's current snapshot, or nullptr: it must be newer; its servers keep their slots
  ServerSlots& servers;
};

Status build_snapshot(const uint8_t* data, size_t len, const BuildContext& ctx, std::unique_ptr<lb::Snapshot>& out);

}  // namespace xvs::control
