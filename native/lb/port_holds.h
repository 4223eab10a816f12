// native/lb/port_holds.h — the Full-NAT server-side tuples a worker must keep from other clients
// across a restart (lb/local_port.h): collected from a stopped worker's table, given back to the
// next engine's workers before they start, as tcp_port_hold entries. A server keeps a tuple in
// TIME_WAIT (or still open) after xvs stopped; without these, the restarted xvs would hand it
// to another client at once. Runs on the control thread while the worker's thread is not
// running (after join, before start): the only time another thread may touch its table. Both
// families, and NAT64's mix, each kept for its own client.
#pragma once
#include <cstdint>
#include <vector>

#include "abi/records.h"
#include "core/net.h"
#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/tcp_state.h"

namespace xvs::lb {

// Which families a hold's two sides are (the connection's kind: IPv4, IPv6, or NAT64's IPv6
// client over an IPv4 server side).
enum class HoldFamily : uint8_t { ipv4 = 0, ipv6 = 1, nat64 = 2 };

// As a Conn keeps its tuples: `client` and `server` carry the ports whatever the family, and the
// addresses of an IPv4 side; an IPv6 side's addresses are in client6/server6 (whole tuples).
struct PortHold {
  ConnTuple client;  // CIP:cport -> VIP:vport: the one client that may take the tuple back
  ConnTuple server;  // RIP:rport -> LIP:lport
  ConnTuple6 client6;  // family ipv6, nat64
  ConnTuple6 server6;  // family ipv6
  uint32_t seconds_left;
  uint8_t protocol;
  HoldFamily family;
};
// The state file's record (control/port_hold_blob.h); src/control/main/port-hold-file.ts bounds a
// file's size by it.
static_assert(sizeof(PortHold) == 112);

// Every tuple of `cs`'s table a server may still hold: holds until they run out; connections its
// server answered, for timeouts.server_time_wait after their last packet, and live ones (their
// server still has them open) for timeouts.server_time_wait from now.
inline void collect_port_holds(const CoreState& cs, std::vector<PortHold>& out) {
  if (cs.snapshot == nullptr) return;
  const Timeouts& t = cs.snapshot->timeouts;
  cs.conns.for_each(cs.conns.capacity(), [&](const Conn& c) {
    if ((c.flags & (kTemplate | kServerSeen)) != kServerSeen && c.state != ConnState::tcp_port_hold) return;
    if (c.protocol != core::kIpProtoTcp || static_cast<abi::Forwarding>(c.forwarding) != abi::Forwarding::fullnat) return;
    int64_t left;
    if (c.state == ConnState::tcp_port_hold) {
      left = static_cast<int32_t>(c.expires - cs.now);
    } else if (c.state == ConnState::tcp_established || c.state == ConnState::tcp_syn_recv ||
               c.state == ConnState::tcp_syn_sent || c.state == ConnState::tcp_synack) {
      left = t.server_time_wait;
    } else {  // closing: the server's TIME_WAIT runs from about the last packet
      const uint32_t last_packet = c.expires - timeout_of(t, c.state);
      left = static_cast<int32_t>(last_packet + t.server_time_wait - cs.now);
    }
    if (left <= 0) return;
    PortHold h{c.tuple[kFromClient], c.tuple[kFromServer], {}, {}, static_cast<uint32_t>(left), c.protocol, HoldFamily::ipv4};
    if (c.ipv6) {
      h.family = c.nat64 ? HoldFamily::nat64 : HoldFamily::ipv6;
      h.client6 = cs.conns.tuple6(c, kFromClient);
      if (!c.nat64) h.server6 = cs.conns.tuple6(c, kFromServer);
    }
    out.push_back(h);
  });
}

// Enters `h` in `cs`'s table as a hold of its server-side tuple for its client; false when the
// table is full or the tuple is already there.
inline bool restore_port_hold(CoreState& cs, const PortHold& h) {
  const bool server_ipv6 = h.family == HoldFamily::ipv6;
  const ConnLookup there = server_ipv6 ? cs.conns.lookup(h.protocol, h.server6.saddr, h.server6.daddr, h.server6.sport, h.server6.dport)
                                       : cs.conns.lookup(h.protocol, h.server.saddr, h.server.daddr, h.server.sport, h.server.dport);
  if (there.conn != nullptr) return false;
  Conn* c = nullptr;
  switch (h.family) {
    case HoldFamily::ipv4: c = cs.conns.insert(h.protocol, h.client, h.server, kLinkServer); break;
    case HoldFamily::ipv6: c = cs.conns.insert(h.protocol, h.client6, h.server6, kLinkServer); break;
    case HoldFamily::nat64: c = cs.conns.insert(h.protocol, h.client6, h.server, kLinkServer); break;
  }
  if (c == nullptr) return false;
  c->forwarding = static_cast<uint8_t>(abi::Forwarding::fullnat);
  c->backend_id = 0;
  c->backend_index = 0;
  c->cached_generation = 0;
  cs.conns.touch(c, ConnState::tcp_port_hold, cs.now, h.seconds_left);
  return true;
}

}  // namespace xvs::lb
