// native/lb/process.cc — the packet path, top to bottom: parse, find the connection (either
// direction), or classify and create one, then translate per forwarding mode. Each step either
// continues or returns a verdict. Runs on a data-plane worker only.
#include "lb/process.h"

#include "core/parse.h"
#include "lb/rewrite.h"
#include "lb/schedule.h"
#include "lb/tcp_state.h"

namespace xvs::lb {
namespace {

using abi::Counter;
using abi::Forwarding;

inline Verdict drop(CoreState& cs, Counter why) {
  cs.count(why);
  return Verdict::drop;
}

// Picks a LIP of the service's pool (round-robin per worker) and a local port from this
// worker's share of it. Returns false when every LIP of the pool is out of ports.
bool allocate_local_address(CoreState& cs, const abi::ServiceRecord& svc, const Lip*& lip_out, uint16_t& lport) {
  const Snapshot& snap = *cs.snapshot;
  const abi::PoolRecord& pool = snap.pools[svc.pool];
  uint32_t& cursor = cs.pool_cursor[svc.pool];
  for (uint32_t tried = 0; tried < pool.lip_count; ++tried) {
    const Lip& lip = snap.lips[pool.lip_first + cursor];
    cursor = cursor + 1 == pool.lip_count ? 0 : cursor + 1;
    if (cs.port_pools[lip.slot]->allocate(lport)) {
      lip_out = &lip;
      return true;
    }
  }
  return false;
}

// Forwarding-mode specific translation of a packet of an existing connection.
template <Forwarding Mode>
Verdict translate(CoreState& cs, io::Frame& frame, core::PacketView& pkt, const Conn& c, Direction dir);

// Full-NAT: each direction becomes the reverse of the other direction's tuple, i.e.
// CIP:cport->VIP:vport becomes LIP:lport->RIP:rport and RIP:rport->LIP:lport becomes
// VIP:vport->CIP:cport. Routed hop: TTL is decremented.
template <>
Verdict translate<Forwarding::fullnat>(CoreState& cs, io::Frame& frame, core::PacketView& pkt, const Conn& c,
                                       Direction dir) {
  const ConnTuple& other = c.tuple[dir == kFromClient ? kFromServer : kFromClient];
  const uint8_t out_port = dir == kFromClient ? c.server_port : c.client_port;
  const uint8_t* next_hop = dir == kFromClient ? c.server_mac : c.client_mac;
  rewrite_addresses(pkt, other.daddr, other.saddr, other.dport, other.sport);
  decrement_ttl(pkt.ip);
  rewrite_macs(pkt.eth, cs.snapshot->ports[out_port].mac.bytes, next_hop);
  frame.port = out_port;
  return Verdict::tx;
}

// A packet that matches no connection: is it the first packet of a new one for a service?
Verdict create_connection(CoreState& cs, io::Frame& frame, core::PacketView& pkt, Conn*& created) {
  const Snapshot& snap = *cs.snapshot;
  const uint32_t daddr = pkt.ip->daddr;
  const abi::ServiceRecord* svc = snap.find_service(daddr, pkt.dport(), pkt.protocol);
  if (svc == nullptr) {
    if (snap.is_lip(daddr)) {
      // A reply whose local port belongs to another worker's partition: that worker has the
      // connection. (Hand-over through a per-pair ring replaces this drop; DESIGN §4.)
      const uint16_t lport = core::ntohs(pkt.dport());
      if (lport >= PortPool::kFirstPort && PortPool::owner_of(lport, cs.workers) != cs.id)
        return drop(cs, Counter::drop_not_owner);
    }
    return Verdict::pass;
  }
  if (pkt.protocol == core::kIpProtoTcp && (pkt.tcp_flags & (core::kTcpSyn | core::kTcpAck | core::kTcpRst)) != core::kTcpSyn)
    return drop(cs, Counter::drop_tcp_no_conn);
  if (pkt.ip->ttl <= 1) return drop(cs, Counter::drop_ttl_expired);

  const abi::BackendRecord* backend = schedule(cs, *svc);
  if (backend == nullptr) return drop(cs, Counter::drop_no_backend);
  if (core::mac_is_zero(backend->mac.bytes)) return drop(cs, Counter::drop_neighbor_unresolved);

  const Lip* lip = nullptr;
  uint16_t lport = 0;
  if (!allocate_local_address(cs, *svc, lip, lport)) return drop(cs, Counter::drop_lport_exhausted);

  const ConnTuple from_client{pkt.ip->saddr, daddr, pkt.sport(), pkt.dport(), 0};
  const ConnTuple from_server{backend->address, lip->address, backend->port, lport, 0};
  Conn* c = cs.conns.insert(pkt.protocol, from_client, from_server);
  if (c == nullptr) {
    cs.port_pools[lip->slot]->release(lport);
    return drop(cs, Counter::drop_conn_table_full);
  }
  c->backend_id = backend->backend_id;
  c->lip_slot = static_cast<uint16_t>(lip->slot);
  c->forwarding = svc->forwarding;
  c->client_port = frame.port;
  c->server_port = backend->port_index;
  core::copy_mac(c->client_mac, pkt.eth->src);
  core::copy_mac(c->server_mac, backend->mac.bytes);
  cs.count(Counter::conn_created);
  created = c;
  return Verdict::tx;
}

}  // namespace

// Called by the worker when a connection times out: gives its local port back.
void release_connection(CoreState& cs, const Conn& c) {
  if (static_cast<Forwarding>(c.forwarding) == Forwarding::fullnat)
    cs.port_pools[c.lip_slot]->release(c.tuple[kFromServer].dport);
}

Verdict process(CoreState& cs, io::Frame& frame) {
  if (cs.snapshot == nullptr) return drop(cs, Counter::drop_no_snapshot);
  const Snapshot& snap = *cs.snapshot;

  core::PacketView pkt;
  const core::ParseResult parsed = core::parse_packet(frame.data, frame.len, pkt);
  if (parsed.status == core::ParseStatus::drop) return drop(cs, parsed.drop_reason);
  if (parsed.status == core::ParseStatus::pass) return Verdict::pass;

  if (pkt.fragment) {
    // Later fragments carry no ports and nothing is reassembled: a fragmented datagram for a
    // service cannot be balanced, so all its fragments are dropped and counted.
    if (snap.is_vip(pkt.ip->daddr) || snap.is_lip(pkt.ip->daddr)) return drop(cs, Counter::drop_ip_fragment);
    return Verdict::pass;
  }

  ConnLookup found = cs.conns.lookup(pkt.protocol, pkt.ip->saddr, pkt.ip->daddr, pkt.sport(), pkt.dport());
  if (found.conn == nullptr) {
    const Verdict v = create_connection(cs, frame, pkt, found.conn);
    if (v != Verdict::tx) return v;
    found.direction = kFromClient;
  } else if (pkt.ip->ttl <= 1) {
    return drop(cs, Counter::drop_ttl_expired);
  }

  Conn& c = *found.conn;
  const TimerClass cls = next_timer_class(c, pkt.tcp_flags);
  cs.conns.touch(&c, cls, cs.now, timeout_of(snap.timeouts, cls));

  switch (static_cast<Forwarding>(c.forwarding)) {
    case Forwarding::fullnat: return translate<Forwarding::fullnat>(cs, frame, pkt, c, found.direction);
    case Forwarding::dr:
    case Forwarding::nat:
    case Forwarding::tunnel: break;  // rejected by the snapshot builder until implemented
  }
  return Verdict::pass;
}

}  // namespace xvs::lb
