// native/bench/forward_only.h — the "I/O loop only" burst path of `xvs bench veth` (engine
// option burst_path, set by the binding's bench-only `forwardOnly`; never by `xvs run` or a
// config file): instead of lb::process_burst, every received frame is sent on unchanged except
// for its Ethernet addresses, towards the first server of the current snapshot (out of that
// server's port, destination MAC = its next hop, source MAC = that port's). Measures what the
// worker loop, the rings and AF_XDP copy mode cost without any balancing logic: the ceiling
// xvs's own figures are compared with. Frames before the first snapshot, or with no server in
// it, are dropped (drop_no_snapshot). Runs on the worker thread, on its own burst, as
// process_burst does.
#pragma once
#include <cstring>

#include "io/frame.h"
#include "lb/core_state.h"
#include "lb/process.h"

namespace xvs::bench {

inline void forward_only_burst(lb::CoreState& cs, io::Frame* frames, uint32_t n, lb::Verdict* verdicts) {
  const lb::Snapshot* snap = cs.snapshot;
  if (snap == nullptr || snap->backends.empty() || snap->backends.front().port_index >= snap->ports.size()) {
    for (uint32_t i = 0; i < n; ++i) verdicts[i] = lb::Verdict::drop;
    cs.count(abi::Counter::drop_no_snapshot, n);
    return;
  }
  const abi::BackendRecord& to = snap->backends.front();
  const abi::PortRecord& out = snap->ports[to.port_index];
  for (uint32_t i = 0; i < n; ++i) {
    io::Frame& f = frames[i];
    if (f.len < 14) {
      verdicts[i] = lb::Verdict::drop;
      cs.count(abi::Counter::drop_truncated_l2);
      continue;
    }
    std::memcpy(f.data, &to.mac, 6);
    std::memcpy(f.data + 6, &out.mac, 6);
    f.port = to.port_index;
    verdicts[i] = lb::Verdict::tx;
  }
}

}  // namespace xvs::bench
