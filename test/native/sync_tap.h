// test/native/sync_tap.h — a node's side of connection sync in the native tests (lb/sync.h):
// the ring its worker queues records into, and the queued-at stamps, drained by the test.
#pragma once
#include <gtest/gtest.h>

#include <vector>

#include "abi/sync.h"
#include "core/spsc_ring.h"
#include "dataplane_fixture.h"
#include "lb/core_state.h"

namespace xvs::test {

// A's side of sync: the ring the worker would drain, and the queued-at stamps.
struct SyncTap {
  core::SpscRing<abi::SyncItem> ring{4096};
  std::vector<uint32_t> queued_at;
  void attach(Dataplane& d) {
    queued_at.assign(d.cs->conns.lines(), 0);
    d.cs->sync = lb::SyncExport{&ring, queued_at.data()};
  }
  // The IPv4 records queued (an IPv6 one fails the test: drain_items() takes both).
  std::vector<abi::SyncRecord> drain() {
    std::vector<abi::SyncRecord> out;
    for (const abi::SyncItem& r : drain_items()) {
      EXPECT_EQ(r.family(), abi::kSyncFamily4);
      out.push_back(r.as<abi::SyncRecord>());
    }
    return out;
  }
  std::vector<abi::SyncItem> drain_items() {
    std::vector<abi::SyncItem> out;
    abi::SyncItem r;
    while (ring.pop(r)) out.push_back(r);
    return out;
  }
};

}  // namespace xvs::test
