// native/lb/schedule.h — picks the real server for a new connection. Static schedulers (rr,
// wrr; later mh, dh, sh) walk or index a table computed in TypeScript and shipped in the
// snapshot; the cursor is per worker. Runs on the data-plane workers.
#pragma once
#include "abi/records.h"
#include "lb/core_state.h"

namespace xvs::lb {

inline const abi::BackendRecord* schedule(CoreState& cs, const abi::ServiceRecord& svc) {
  const Snapshot& snap = *cs.snapshot;
  if (svc.sched_count == 0) return nullptr;
  const uint32_t service_index = static_cast<uint32_t>(&svc - snap.services.data());
  uint32_t& cursor = cs.sched_cursor[service_index];
  const uint32_t backend = snap.sched[svc.sched_first + cursor];
  cursor = cursor + 1 == svc.sched_count ? 0 : cursor + 1;
  return &snap.backends[backend];
}

}  // namespace xvs::lb
