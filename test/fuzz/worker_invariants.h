// test/fuzz/worker_invariants.h — what must hold of one worker's state between two packets,
// read from its connection table (CoreState::conns, walked with for_each) and compared with
// what it keeps beside the table (an IPv6 entry's addresses read from its second line):
// - every entry is on an expiry list (none left unarmed: it would never go), linked tuples find
//   their own entry, modes and states are known ones;
// - ownership (DESIGN §4): a Full-NAT entry's local port is in the range and this worker's
//   (lport % workers), a
//   nat connection's client names this worker (lb/owner.h);
// - Full-NAT local ports: each held server-side tuple (LIP, lport, RIP, rport) is held by
//   exactly one entry (connection or tcp_port_hold), and the table finds that entry by it;
// - loads (lb/load.h): per server of the current snapshot, active / inactive / half-open equal
//   the connections bound to it (synced ones no packet has reached yet are not counted) (ESTABLISHED counted active, SYN_RECV half-open); the
//   per-service half-open sums equal their servers'. A server that left and came back with the
//   same id may still have connections from before, which its fresh slot never counted
//   (decrements stop at zero): there the counts may only be lower, until those are gone;
// - persistence (lb/persistence.h): a template's `controlled` equals the connections bound to it;
// - SYN proxy (lb/syn_proxy_state.h): the stash holds exactly the segments proxied connections name.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "fuzz_check.h"
#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/local_port.h"
#include "lb/owner.h"
#include "lb/persistence.h"

namespace xvs::fuzz {

struct Bound {
  uint32_t active = 0, inactive = 0, half_open = 0;
};

inline bool is_connection(const lb::Conn& c) {
  return !(c.flags & lb::kTemplate) && c.state != lb::ConnState::tcp_port_hold;
}

// The tuple of direction `d` as key bytes (either family), for sets of tuples.
inline std::string tuple_key(const lb::CoreState& cs, const lb::Conn& c, lb::Direction d) {
  std::string k(1, static_cast<char>(c.protocol));
  if (lb::side_is_ipv6(c, d)) {
    const lb::ConnTuple6 t = cs.conns.tuple6(c, d);
    k.append(reinterpret_cast<const char*>(&t.saddr), 16).append(reinterpret_cast<const char*>(&t.daddr), 16);
  } else {
    k.append(reinterpret_cast<const char*>(&c.tuple[d].saddr), 8);
  }
  return k.append(reinterpret_cast<const char*>(&c.tuple[d].sport), 4);
}

inline void check_links(const lb::CoreState& cs, const lb::Conn& c) {
  for (const lb::Direction d : {lb::kFromClient, lb::kFromServer}) {
    if (!(c.flags & (d == lb::kFromClient ? lb::kLinkClient : lb::kLinkServer))) continue;
    const lb::ConnTuple& t = c.tuple[d];
    lb::ConnLookup found;
    if (lb::side_is_ipv6(c, d)) {
      const lb::ConnTuple6 t6 = cs.conns.tuple6(c, d);
      found = cs.conns.lookup(c.protocol, t6.saddr, t6.daddr, t6.sport, t6.dport);
    } else {
      found = cs.conns.lookup(c.protocol, t.saddr, t.daddr, t.sport, t.dport);
    }
    XVS_FUZZ_CHECK(found.conn == &c && found.direction == d, "entry %u: its %s tuple finds %s", cs.conns.index_of(&c),
                   d == lb::kFromClient ? "client" : "server", found.conn == nullptr ? "nothing" : "another entry");
  }
}

inline void check_ownership(const lb::CoreState& cs, const lb::Conn& c) {
  const auto mode = static_cast<abi::Forwarding>(c.forwarding);
  if (mode == abi::Forwarding::fullnat && !(c.flags & lb::kTemplate)) {
    const uint16_t lport = core::ntohs(c.tuple[lb::kFromServer].dport);
    XVS_FUZZ_CHECK(lport >= lb::kMinLocalPort && cs.ports.range.contains(lport) && lb::local_port_owner(lport, cs.workers) == cs.id,
                   "worker %u of %u holds local port %u (range %u-%u)", cs.id, cs.workers, lport, cs.ports.range.first,
                   cs.ports.range.last);
  }
  if (mode == abi::Forwarding::nat && !(c.flags & lb::kTemplate)) {
    const lb::ConnTuple& client = c.tuple[lb::kFromClient];
    const uint32_t owner = c.ipv6 ? lb::nat_owner(cs.conns.tuple6(c, lb::kFromClient).saddr, client.sport, cs.workers)
                                  : lb::nat_owner(client.saddr, client.sport, cs.workers);
    XVS_FUZZ_CHECK(owner == cs.id, "worker %u holds another's nat connection", cs.id);
  }
}

// `relaxed`: backend ids whose load may lag what the table holds (they left and came back); an
// id with nothing bound any more is exact again and leaves the set.
inline void check_worker(const lb::CoreState& cs, std::set<uint32_t>& relaxed) {
  std::map<uint32_t, Bound> bound;                      // backend_id -> connections bound to it
  std::map<uint32_t, uint32_t> template_users;          // template index -> connections naming it
  std::set<std::string> server_tuples;
  uint32_t fullnat_entries = 0, stashed = 0, visited = 0;
  cs.conns.for_each(cs.conns.capacity(), [&](const lb::Conn& c) {
    ++visited;
    XVS_FUZZ_CHECK(c.forwarding <= static_cast<uint8_t>(abi::Forwarding::fullnat), "forwarding mode %u", c.forwarding);
    XVS_FUZZ_CHECK(static_cast<uint32_t>(c.state) < lb::kConnStates, "state %u", static_cast<unsigned>(c.state));
    check_links(cs, c);
    check_ownership(cs, c);
    if (static_cast<abi::Forwarding>(c.forwarding) == abi::Forwarding::fullnat && !(c.flags & lb::kTemplate)) {
      ++fullnat_entries;
      server_tuples.insert(tuple_key(cs, c, lb::kFromServer));
      XVS_FUZZ_CHECK(c.flags & lb::kLinkServer, "a Full-NAT entry whose server tuple is not linked");
    }
    // Synced from another node and not reached by a packet here: bound, not counted (lb/sync.h).
    if (!is_connection(c) || (c.client_port_index & lb::kSyncedAwaiting)) {
      if (is_connection(c) && (c.flags & lb::kPersistent)) ++template_users[c.template_index];
      return;
    }
    Bound& b = bound[c.backend_id];
    if (c.flags & lb::kCountedActive) ++b.active;
    else ++b.inactive;
    if (lb::is_half_open(c.state)) ++b.half_open;
    if (c.flags & lb::kPersistent) ++template_users[c.template_index];
    if ((c.flags & lb::kSynProxied) && cs.proxy.conns[cs.conns.index_of(&c)].stash != lb::ProxyStash::kNone) ++stashed;
  });
  XVS_FUZZ_CHECK(visited == cs.conns.size(), "%u entries in the table, %u on expiry lists", cs.conns.size(), visited);
  XVS_FUZZ_CHECK(server_tuples.size() == fullnat_entries, "%u Full-NAT entries hold %zu server tuples", fullnat_entries,
                 server_tuples.size());
  XVS_FUZZ_CHECK(cs.proxy.stash.in_use() == stashed, "%u stash slots taken, %u named", cs.proxy.stash.in_use(), stashed);

  // Templates: the connections bound to each, as detach_template recognises them (by its key).
  cs.conns.for_each(cs.conns.capacity(), [&](const lb::Conn& t) {
    if (!(t.flags & lb::kTemplate)) return;
    uint32_t users = 0;
    const uint32_t index = cs.conns.index_of(&t);
    if (template_users.count(index)) {
      const lb::ConnTuple& key = t.tuple[lb::kFromClient];
      cs.conns.for_each(cs.conns.capacity(), [&](const lb::Conn& c) {
        if (!is_connection(c) || !(c.flags & lb::kPersistent) || c.template_index != index || c.ipv6 != t.ipv6) return;
        const lb::ConnTuple& client = c.tuple[lb::kFromClient];
        if (c.ipv6) {
          const lb::ConnTuple6 key6 = cs.conns.tuple6(t, lb::kFromClient), client6 = cs.conns.tuple6(c, lb::kFromClient);
          users += key6.daddr == client6.daddr && key6.dport == client6.dport &&
                   key6.saddr == lb::V6::masked(client6.saddr, t.tuple[lb::kFromServer].saddr);
        } else {
          users += key.daddr == client.daddr && key.dport == client.dport && key.saddr == (client.saddr & t.tuple[lb::kFromServer].saddr);
        }
      });
    }
    XVS_FUZZ_CHECK(t.controlled == users, "template %u binds %u connections, counts %u", index, users, t.controlled);
  });

  const lb::Snapshot& snap = *cs.snapshot;
  for (uint32_t i = 0; i < snap.backends.size(); ++i) {
    const uint32_t id = snap.backends[i].backend_id;
    const lb::BackendLoad& load = cs.counters_of(i).load;
    const Bound b = bound.count(id) ? bound.at(id) : Bound{};
    if (relaxed.count(id)) {
      XVS_FUZZ_CHECK(load.active <= b.active && load.inactive <= b.inactive && load.half_open <= b.half_open,
                     "server %u counts %u/%u/%u, more than the %u/%u/%u bound", id, load.active, load.inactive, load.half_open,
                     b.active, b.inactive, b.half_open);
      if (b.active + b.inactive == 0) relaxed.erase(id);
      continue;
    }
    XVS_FUZZ_CHECK(load.active == b.active && load.inactive == b.inactive && load.half_open == b.half_open,
                   "worker %u, server %u: load active %u inactive %u half-open %u, table %u %u %u", cs.id, id, load.active,
                   load.inactive, load.half_open, b.active, b.inactive, b.half_open);
  }
  for (uint32_t s = 0; s < snap.services.size(); ++s) {
    const abi::ServiceRecord& svc = snap.services[s];
    uint32_t sum = 0;
    for (uint32_t i = svc.backend_first; i < svc.backend_first + svc.backend_count; ++i) sum += cs.counters_of(i).load.half_open;
    XVS_FUZZ_CHECK(cs.half_open[s] == sum, "service %u: %u half-open, its servers %u", s, cs.half_open[s], sum);
  }
}

}  // namespace xvs::fuzz
