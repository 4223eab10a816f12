// native/control/snapshot_build.h — decodes the versioned snapshot bytes that TypeScript
// encoded (abi/records.h), checks every count, offset and index, and builds the lookup tables
// workers read. Runs on the control thread, off the fast path; the result is immutable.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "control/lip_registry.h"
#include "control/status.h"
#include "lb/snapshot.h"

namespace xvs::control {

struct BuildContext {
  uint32_t workers;
  uint32_t ports;
  uint64_t hash_seed;
  uint64_t running_generation;  // a snapshot must be newer than this (0: nothing committed yet)
  LipRegistry& lips;
};

Status build_snapshot(const uint8_t* data, size_t len, const BuildContext& ctx, std::unique_ptr<lb::Snapshot>& out);

}  // namespace xvs::control
