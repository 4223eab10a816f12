// native/worker/conn_dump.h — one worker's connection table as `xvs list -c` shows it (ipvsadm
// -Lc): the control thread allocates a ConnDump with room for `limit` entries and posts it on
// the worker's control ring; the worker fills it at its safe point (no allocation: the entries
// were reserved) and release-stores `done`; the control thread reads it after acquiring `done`.
// A dump the control thread stopped waiting for is kept until the worker is done with it.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "lb/conn.h"
#include "lb/core_state.h"

namespace xvs::worker {

struct ConnDumpEntry {
  lb::ConnTuple client;  // CIP:cport -> VIP:vport (templates: client network & mask -> VIP:vport)
  lb::ConnTuple server;  // RIP:rport -> LIP:lport (fullnat) or CIP:cport; unused for templates
  bool ipv6;                     // then the addresses are these (the tuples above hold the ports)
  bool nat64;                    // with ipv6: the server side is IPv4, whole in `server`
  lb::Conn6Addresses addresses6;
  uint32_t expires_in;   // seconds from now (0: due)
  uint32_t backend_id;
  uint8_t protocol;
  uint8_t forwarding;
  lb::ConnState state;
  uint8_t flags;  // lb::kTemplate, ...
};

struct ConnDump {
  static constexpr uint32_t kEnd = UINT32_MAX;
  // Slots of the table one page looks at, at most: a page costs a safe point ~1 ms however sparse the table.
  static constexpr uint32_t kPageSlots = 1u << 16;

  // The first `limit` entries (by expiry list).
  explicit ConnDump(uint32_t limit) : limit(limit), paged(false), start(0) { entries.reserve(limit); }
  // A page: up to `limit` entries from table slot `start` on; `next` is where the following page
  // starts (kEnd: the table is done).
  ConnDump(uint32_t limit, uint32_t start) : limit(limit), paged(true), start(start) { entries.reserve(limit); }
  const uint32_t limit;
  const bool paged;
  const uint32_t start;
  std::vector<ConnDumpEntry> entries;  // at most `limit`, written by the worker
  uint32_t total = 0;                  // entries in the table when dumped (may exceed limit)
  uint32_t next = kEnd;
  std::atomic<bool> done{false};
};

inline ConnDumpEntry dump_entry(const lb::CoreState& cs, const lb::Conn& c) {
  const int32_t left = static_cast<int32_t>(c.expires - cs.now);
  return {c.tuple[lb::kFromClient], c.tuple[lb::kFromServer], c.ipv6 != 0, c.nat64 != 0,
          c.ipv6 ? cs.conns.addresses6(c) : lb::Conn6Addresses{},
          left > 0 ? static_cast<uint32_t>(left) : 0, c.backend_id, c.protocol, c.forwarding, c.state, c.flags};
}

// Runs on the worker that owns `cs`, at its safe point. A page walks table slots, so that pages
// one after another list every entry that stays in place meanwhile (an entry created or freed
// between two pages may be listed or not, as /proc/net/ip_vs_conn read in pieces).
inline void fill_conn_dump(const lb::CoreState& cs, ConnDump& dump) {
  dump.total = cs.conns.size();
  if (!dump.paged) {
    cs.conns.for_each(dump.limit, [&](const lb::Conn& c) { dump.entries.push_back(dump_entry(cs, c)); });
  } else {
    const lb::ConnTable& table = cs.conns;
    const uint32_t lines = table.lines();
    const uint32_t stop = dump.start >= lines ? lines : dump.start + std::min(ConnDump::kPageSlots, lines - dump.start);
    uint32_t slot = dump.start;
    for (; slot < stop && dump.entries.size() < dump.limit; ++slot)
      if (table.live(slot)) dump.entries.push_back(dump_entry(cs, *table.at(slot)));
    dump.next = slot < lines ? slot : ConnDump::kEnd;
  }
  dump.done.store(true, std::memory_order_release);
}

}  // namespace xvs::worker
