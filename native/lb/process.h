// native/lb/process.h — the whole per-packet path: one frame in, one verdict out (DESIGN §3).
// Runs on a data-plane worker with that worker's CoreState; no locks, no allocation.
#pragma once
#include <cstdint>

#include "io/frame.h"
#include "lb/core_state.h"

namespace xvs::lb {

// What the packet path decided for one frame. Implicitly made from a Kind and compared with one
// (`return Verdict::pass`, `v == Verdict::tx`); a redirect also names the worker.
struct Verdict {
  enum Kind : uint8_t {
    tx,        // rewritten in place; send on frame.port
    pass,      // not ours: hand to the kernel unchanged
    drop,      // counted under its reason in CoreState::counters
    redirect,  // another worker owns its connection (DESIGN §4): hand it, unchanged, to `owner`
  };
  Kind kind;
  uint8_t owner;  // redirect only: the owning worker's id (< abi::kMaxWorkers)

  Verdict() = default;
  constexpr Verdict(Kind k) : kind(k), owner(0) {}  // NOLINT: implicit on purpose, see above
  static constexpr Verdict redirect_to(uint32_t worker) {
    Verdict v(redirect);
    v.owner = static_cast<uint8_t>(worker);
    return v;
  }
  constexpr bool operator==(Kind k) const { return kind == k; }
  constexpr bool operator==(const Verdict& o) const { return kind == o.kind && (kind != redirect || owner == o.owner); }
};

Verdict process(CoreState& cs, io::Frame& frame);

// The same for a burst of up to kMaxBurst frames, with the connection-table lookups of the whole
// burst started before any packet is processed (they are memory-bound on large tables): every
// bucket first, then each connection a few packets ahead of its turn.
inline constexpr uint32_t kMaxBurst = 64;
void process_burst(CoreState& cs, io::Frame* frames, uint32_t n, Verdict* verdicts);

// What a worker runs on each burst it receives: process_burst, or a benchmark's stand-in
// (bench/forward_only.h). Chosen once when the engine creates its workers.
using BurstPath = void (*)(CoreState& cs, io::Frame* frames, uint32_t n, Verdict* verdicts);

// Gives back what a connection holds outside its entry (its count in its server's load, its
// place in its persistence template).
void release_connection(CoreState& cs, Conn& c);
// The worker's expiry callback, which also counts conn_expired: false keeps the entry (a template
// that still binds connections, re-armed; an ended Full-NAT connection whose server tuple is now
// held, lb/local_port.h); true means released and to be freed.
bool expire_connection(CoreState& cs, Conn& c);

}  // namespace xvs::lb
