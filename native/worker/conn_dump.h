// native/worker/conn_dump.h — one worker's connection table as `xvs list -c` shows it (ipvsadm
// -Lc): the control thread allocates a ConnDump with room for `limit` entries and posts it on
// the worker's control ring; the worker fills it at its safe point (no allocation: the entries
// were reserved) and release-stores `done`; the control thread reads it after acquiring `done`.
// A dump the control thread stopped waiting for is kept until the worker is done with it.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "lb/conn.h"
#include "lb/core_state.h"

namespace xvs::worker {

struct ConnDumpEntry {
  lb::ConnTuple client;  // CIP:cport -> VIP:vport (templates: client network & mask -> VIP:vport)
  lb::ConnTuple server;  // RIP:rport -> LIP:lport (fullnat) or CIP:cport; unused for templates
  uint32_t expires_in;   // seconds from now (0: due)
  uint32_t backend_id;
  uint8_t protocol;
  uint8_t forwarding;
  lb::ConnState state;
  uint8_t flags;  // lb::kTemplate, ...
};

struct ConnDump {
  explicit ConnDump(uint32_t limit) : limit(limit) { entries.reserve(limit); }
  const uint32_t limit;
  std::vector<ConnDumpEntry> entries;  // at most `limit`, written by the worker
  uint32_t total = 0;                  // entries in the table when dumped (may exceed limit)
  std::atomic<bool> done{false};
};

// Runs on the worker that owns `cs`, at its safe point.
inline void fill_conn_dump(const lb::CoreState& cs, ConnDump& dump) {
  dump.total = cs.conns.size();
  cs.conns.for_each(dump.limit, [&](const lb::Conn& c) {
    const int32_t left = static_cast<int32_t>(c.expires - cs.now);
    dump.entries.push_back({c.tuple[lb::kFromClient], c.tuple[lb::kFromServer], left > 0 ? static_cast<uint32_t>(left) : 0,
                            c.backend_id, c.protocol, c.forwarding, c.state, c.flags});
  });
  dump.done.store(true, std::memory_order_release);
}

}  // namespace xvs::worker
