// native/lb/process.h — the whole per-packet path: one frame in, one verdict out (DESIGN §3).
// Runs on a data-plane worker with that worker's CoreState; no locks, no allocation.
#pragma once
#include <cstdint>

#include "io/frame.h"
#include "lb/core_state.h"

namespace xvs::lb {

enum class Verdict : uint8_t {
  tx,    // rewritten in place; send on frame.port
  pass,  // not ours: hand to the kernel unchanged
  drop,  // counted under its reason in CoreState::counters
};

Verdict process(CoreState& cs, io::Frame& frame);

// The same for a burst of up to kMaxBurst frames, with the connection-table lookups of the whole
// burst started before any packet is processed (they are memory-bound on large tables): every
// bucket first, then each connection a few packets ahead of its turn.
inline constexpr uint32_t kMaxBurst = 64;
void process_burst(CoreState& cs, io::Frame* frames, uint32_t n, Verdict* verdicts);

}  // namespace xvs::lb

namespace xvs::lb {
// Gives back what a connection holds outside the table (its local port); called by the worker
// for every connection it expires.
void release_connection(CoreState& cs, Conn& c);
// The worker's expiry callback: false keeps the entry (a template that still binds connections,
// re-armed); true means released and to be freed.
bool expire_connection(CoreState& cs, Conn& c);
}  // namespace xvs::lb
