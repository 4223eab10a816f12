// native/lb/port_holds.h — the Full-NAT server-side tuples a worker must keep from other clients
// across a restart (lb/local_port.h): collected from a stopped worker's table, given back to the
// next engine's workers before they start, as tcp_port_hold entries. A server keeps a tuple in
// TIME_WAIT (or still open) after xvs stopped; without these, the restarted xvs would hand it
// to another client at once. Runs on the control thread while the worker's thread is not
// running (after join, before start): the only time another thread may touch its table.
#pragma once
#include <cstdint>
#include <vector>

#include "abi/records.h"
#include "core/net.h"
#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/tcp_state.h"

namespace xvs::lb {

struct PortHold {
  ConnTuple client;  // CIP:cport -> VIP:vport: the one client that may take the tuple back
  ConnTuple server;  // RIP:rport -> LIP:lport
  uint32_t seconds_left;
  uint8_t protocol;
};

// Every tuple of `cs`'s table a server may still hold: holds until they run out; connections its
// server answered, for timeouts.server_time_wait after their last packet, and live ones (their
// server still has them open) for timeouts.server_time_wait from now.
inline void collect_port_holds(const CoreState& cs, std::vector<PortHold>& out) {
  if (cs.snapshot == nullptr) return;
  const Timeouts& t = cs.snapshot->timeouts;
  cs.conns.for_each(cs.conns.capacity(), [&](const Conn& c) {
    if ((c.flags & (kTemplate | kServerSeen)) != kServerSeen && c.state != ConnState::tcp_port_hold) return;
    if (c.protocol != core::kIpProtoTcp || static_cast<abi::Forwarding>(c.forwarding) != abi::Forwarding::fullnat) return;
    // The hold file's records are IPv4 (control/port_hold_blob.h): a NAT64 connection's server
    // side is, and is kept for no client (its IPv6 one has no place there: nobody takes it back).
    if (c.ipv6 && !c.nat64) return;
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
    const ConnTuple& client = c.tuple[kFromClient];  // a NAT64 entry's: its ports, no addresses
    if (left > 0) out.push_back({client, c.tuple[kFromServer], static_cast<uint32_t>(left), c.protocol});
  });
}

// Enters `h` in `cs`'s table as a hold of `h.server` for `h.client`; false when the table is full
// or the tuple is already there.
inline bool restore_port_hold(CoreState& cs, const PortHold& h) {
  if (cs.conns.lookup(h.protocol, h.server.saddr, h.server.daddr, h.server.sport, h.server.dport).conn != nullptr) return false;
  Conn* c = cs.conns.insert(h.protocol, h.client, h.server, kLinkServer);
  if (c == nullptr) return false;
  c->forwarding = static_cast<uint8_t>(abi::Forwarding::fullnat);
  c->backend_id = 0;
  c->backend_index = 0;
  c->cached_generation = 0;
  cs.conns.touch(c, ConnState::tcp_port_hold, cs.now, h.seconds_left);
  return true;
}

}  // namespace xvs::lb
