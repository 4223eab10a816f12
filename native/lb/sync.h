// native/lb/sync.h — connection sync between the nodes of a cluster, on the worker side (issue 15,
// IPVS sync-daemon semantics). Export: a connection is queued for the other nodes as an
// abi::SyncRecord when it is created and whenever its state changes (track_state), and again when
// its timer is extended and the last record is half a timeout old (a long-lived connection's
// copies must not run out), or when its timer runs out and the XDP fast path shows it alive;
// SYN-proxied and one-packet connections, those carrying their client's address
// (lb/client_address.h) and held tuples are not synced. IPv4 connections travel as
// abi::SyncRecord, IPv6 and NAT64 ones as abi::SyncRecord6 (abi::SyncItem on the rings). Install: a record from
// another node enters (or updates) the entry of the worker that would own it, bound to the same
// server of this node's configuration, marked kSyncedAwaiting: not counted in the server's load
// until its first packet arrives here (sync_adopt), and kept for the time the sender gave it plus
// one more timeout of its state, so that the sender's refreshes always arrive in time. Runs on
// the owning worker; the rings are SPSC with the control thread (worker/worker.h).
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "abi/sync.h"
#include "core/net.h"
#include "core/spsc_ring.h"
#include "io/frame.h"
#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/family.h"
#include "lb/load.h"
#include "lb/local_port.h"
#include "lb/owner.h"
#include "lb/persistence.h"
#include "lb/schedule.h"
#include "lb/tcp_state.h"

namespace xvs::lb {

inline bool syncable(const Conn& c) {
  return c.state != ConnState::unarmed && c.state != ConnState::tcp_port_hold && (c.flags & (kSynProxied | kOnePacket)) == 0 &&
         c.client_address == 0;
}

namespace sync_detail {

// What both records carry alike, filled from `c` bound to server `b`.
template <typename Record>
void fill_common(const CoreState& cs, const Conn& c, const abi::BackendRecord& b, Record& r) {
  r.client_sport = c.tuple[kFromClient].sport;
  r.client_dport = c.tuple[kFromClient].dport;
  r.server_sport = c.tuple[kFromServer].sport;
  r.server_dport = c.tuple[kFromServer].dport;
  r.backend_port = b.port;
  r.protocol = c.protocol;
  r.forwarding = c.forwarding;
  r.state = static_cast<uint8_t>(c.state);
  r.flags = static_cast<uint8_t>(((c.flags & kTemplate) ? abi::kSyncTemplate : 0) | ((c.flags & kPersistent) ? abi::kSyncPersistent : 0) |
                                 ((c.flags & kServerSeen) ? abi::kSyncServerSeen : 0));
  r.client_port = c.client_port_index & kClientPortMask;
  r.owner = static_cast<uint8_t>(cs.id);
  std::memcpy(r.client_mac.bytes, c.client_mac, sizeof r.client_mac.bytes);
  const auto left = static_cast<int32_t>(c.expires - cs.now);
  r.timeout_left = left > 0 ? static_cast<uint32_t>(left) : 0;
}

}  // namespace sync_detail

// The record of `c` (either family); false when it is not synced (see above) or its server has left.
inline bool sync_record_of(CoreState& cs, Conn& c, abi::SyncItem& out) {
  if (!syncable(c)) return false;
  const uint32_t index = backend_of(cs, c);
  if (index == kNoBackend) return false;
  const abi::BackendRecord& b = cs.snapshot->backends[index];
  if (!c.ipv6) {
    abi::SyncRecord r{};
    r.family = abi::kSyncFamily4;
    sync_detail::fill_common(cs, c, b, r);
    r.client_saddr = c.tuple[kFromClient].saddr;
    r.client_daddr = c.tuple[kFromClient].daddr;
    r.server_saddr = c.tuple[kFromServer].saddr;
    r.server_daddr = c.tuple[kFromServer].daddr;
    r.backend_address = b.address;
    out.set(r);
    return true;
  }
  abi::SyncRecord6 r{};
  r.family = abi::kSyncFamily6;
  sync_detail::fill_common(cs, c, b, r);
  const ConnTuple6 client = cs.conns.tuple6(c, kFromClient);
  client.saddr.store(r.client_saddr.bytes);
  client.daddr.store(r.client_daddr.bytes);
  // NAT64's server side, and a template's settings, are in the entry's own (IPv4) line.
  r.server_family = c.nat64 ? abi::kSyncFamily4 : abi::kSyncFamily6;
  if (c.nat64 || (c.flags & kTemplate)) {
    r.server_saddr4 = c.tuple[kFromServer].saddr;
    r.server_daddr4 = c.tuple[kFromServer].daddr;
  } else {
    const ConnTuple6 server = cs.conns.tuple6(c, kFromServer);
    server.saddr.store(r.server_saddr.bytes);
    server.daddr.store(r.server_daddr.bytes);
  }
  if (b.family == static_cast<uint8_t>(abi::AddressFamily::ipv4)) r.backend_address4 = b.address;
  else r.backend_address = b.address6;
  out.set(r);
  return true;
}

// Queues `c` for the other nodes (no-op without a cluster).
inline void sync_export(CoreState& cs, Conn& c) {
  if (cs.sync.out == nullptr) return;
  abi::SyncItem r;
  if (!sync_record_of(cs, c, r)) return;
  if (!cs.sync.out->push(r)) {
    cs.count(abi::Counter::sync_queue_full);
    return;
  }
  cs.sync.queued_at[cs.conns.index_of(&c)] = cs.now;
  cs.count(abi::Counter::sync_queued);
}

// After its timer was extended: queued again once the last record is refresh_seconds old, or
// half a timeout if that comes first (a copy lives the time left plus one timeout).
inline void sync_refresh(CoreState& cs, Conn& c) {
  if (cs.sync.out == nullptr || (c.flags & kTemplate)) return;
  const uint32_t half = timeout_of(cs.snapshot->timeouts, c.state) / 2;
  const uint32_t period = cs.sync.refresh_seconds != 0 && cs.sync.refresh_seconds < half ? cs.sync.refresh_seconds : half;
  if (cs.now - cs.sync.queued_at[cs.conns.index_of(&c)] >= period) sync_export(cs, c);
}

namespace sync_detail {

// The client's address of a record, as lb/owner.h reads it.
inline uint32_t client_address(const abi::SyncRecord& r) { return r.client_saddr; }
inline core::Ipv6Address client_address(const abi::SyncRecord6& r) { return core::Ipv6Address::load(r.client_saddr.bytes); }

template <typename Record>
uint32_t owner(const Record& r, uint32_t workers, const LocalPortRange& local_ports) {
  const bool is_template = (r.flags & abi::kSyncTemplate) != 0;
  const auto mode = static_cast<abi::Forwarding>(r.forwarding);
  if (!is_template && mode == abi::Forwarding::nat) return nat_owner(client_address(r), r.client_sport, workers);
  if (!is_template && mode == abi::Forwarding::fullnat && local_ports.contains(core::ntohs(r.server_dport)))
    return fullnat_owner(r.server_dport, workers);
  return r.owner % workers;
}

// What both records must hold to describe an entry at all.
template <typename Record>
bool common_valid(const Record& r) {
  const bool is_template = (r.flags & abi::kSyncTemplate) != 0;
  const uint8_t transport = is_template ? static_cast<uint8_t>(r.protocol & ~kTemplateProtocol) : r.protocol;
  if (is_template != ((r.protocol & kTemplateProtocol) != 0)) return false;
  if (transport != core::kIpProtoTcp && transport != core::kIpProtoUdp) return false;
  if (r.forwarding > static_cast<uint8_t>(abi::Forwarding::fullnat)) return false;
  if (r.state >= kConnStates || r.state == static_cast<uint8_t>(ConnState::tcp_port_hold)) return false;
  if (is_template != (r.state == static_cast<uint8_t>(ConnState::persist_template))) return false;
  if (!is_template && transport == core::kIpProtoUdp && r.state != static_cast<uint8_t>(ConnState::udp)) return false;
  if (!is_template && transport == core::kIpProtoTcp && r.state == static_cast<uint8_t>(ConnState::udp)) return false;
  if ((r.flags & ~(abi::kSyncTemplate | abi::kSyncPersistent | abi::kSyncServerSeen)) != 0) return false;
  return r.client_port < abi::kMaxPorts && r.timeout_left < (1u << 30);
}

inline bool valid(const abi::SyncRecord& r) {
  return common_valid(r) && r.reserved0 == 0 && r.client_saddr != 0 && r.client_daddr != 0 && r.backend_address != 0;
}
inline bool valid(const abi::SyncRecord6& r) {
  if (!common_valid(r)) return false;
  const bool server4 = r.server_family == abi::kSyncFamily4;
  if (!server4 && r.server_family != abi::kSyncFamily6) return false;
  const bool backend6 = !core::Ipv6Address::load(r.backend_address.bytes).is_zero();
  // One backend address, of the server side's family (a template's: of its service's servers).
  if (backend6 == (r.backend_address4 != 0)) return false;
  if ((r.flags & abi::kSyncTemplate) == 0 && backend6 == server4) return false;
  // NAT64 is Full-NAT's alone.
  if (server4 && (r.flags & abi::kSyncTemplate) == 0 && r.forwarding != static_cast<uint8_t>(abi::Forwarding::fullnat)) return false;
  return !core::Ipv6Address::load(r.client_saddr.bytes).is_zero() && !core::Ipv6Address::load(r.client_daddr.bytes).is_zero();
}

// The index of this node's server `address`:`port` (family S) of `svc`, or kNoBackend.
template <typename S>
uint32_t backend_index(const Snapshot& snap, const abi::ServiceRecord& svc, const typename S::Addr& address, uint16_t port) {
  for (uint32_t i = svc.backend_first; i < svc.backend_first + svc.backend_count; ++i)
    if (snap.backends[i].family == static_cast<uint8_t>(S::kFamily) && S::address(snap.backends[i]) == address && snap.backends[i].port == port)
      return i;
  return kNoBackend;
}

// What a record says beside its tuples, as install() needs it.
struct Installing {
  const abi::ServiceRecord* svc;
  uint32_t index;  // this node's server
  uint8_t protocol, forwarding, flags, client_port;
  ConnState state;
  uint32_t keep;  // seconds
  const uint8_t* client_mac;
};

// Enters (or updates) the connection of client-side tuple `client` (family C) and server-side
// tuple `server` (family S: C's, or IPv4 under NAT64).
template <typename C, typename S>
void install_connection(CoreState& cs, const Installing& m, const typename C::Tuple& client, const typename S::Tuple& server) {
  const Snapshot& snap = *cs.snapshot;
  const ConnLookup found = cs.conns.lookup(m.protocol, client.saddr, client.daddr, client.sport, client.dport);
  // The tuple of a connection no record describes (a forged or stale one): this node's stays.
  if (found.conn != nullptr &&
      (found.direction != kFromClient || (found.conn->flags & (kSynProxied | kOnePacket)) || found.conn->client_address != 0))
    return cs.count(abi::Counter::sync_conflict);
  if (found.conn != nullptr) {
    // Ours too (a flow that came back, or a refresh): the newer state and time, same server.
    Conn& c = *found.conn;
    if (c.state != m.state) account_state(cs, c, m.state);
    cs.conns.touch(&c, m.state, cs.now, m.keep);
    return cs.count(abi::Counter::sync_updated);
  }
  const auto mode = static_cast<abi::Forwarding>(m.forwarding);
  const bool routed = mode == abi::Forwarding::nat || mode == abi::Forwarding::fullnat;
  // The server side as this node would have made it: from the server, to a local address of
  // this node (Full-NAT) or to the client. Nothing else reaches the table (whose interned
  // addresses are then this configuration's, lb/address_ids.h).
  bool to_local = false;  // NAT64 (C is not S) is Full-NAT's alone
  if (mode == abi::Forwarding::fullnat) to_local = snap.is_lip(server.daddr);
  else if constexpr (std::is_same_v<C, S>) to_local = server.daddr == client.saddr;
  if (!(S::address(snap.backends[m.index]) == server.saddr) || !to_local) return cs.count(abi::Counter::sync_invalid);
  // Replies name one connection: a server-side tuple already here (a held one included) stays its own.
  if (routed && cs.conns.lookup(m.protocol, server.saddr, server.daddr, server.sport, server.dport).conn != nullptr)
    return cs.count(abi::Counter::sync_conflict);
  Conn* c = cs.conns.insert(m.protocol, client, server, routed ? (kLinkClient | kLinkServer) : kLinkClient);
  if (c == nullptr) return cs.count(abi::Counter::sync_table_full);
  c->forwarding = m.forwarding;
  c->client_port_index = static_cast<uint8_t>(m.client_port | kSyncedAwaiting);
  std::memcpy(c->client_mac, m.client_mac, sizeof c->client_mac);
  if (m.flags & abi::kSyncServerSeen) c->flags |= kServerSeen;
  // Bound without counting: another node's connection until a packet arrives here.
  c->backend_id = snap.backends[m.index].backend_id;
  c->backend_index = m.index;
  c->cached_generation = static_cast<uint32_t>(snap.generation);
  if (m.flags & abi::kSyncPersistent) {
    if (Conn* t = find_template(cs, *m.svc, client.saddr)) attach_template(cs, *c, *t);
  }
  cs.conns.touch(c, m.state, cs.now, m.keep);
  cs.count(abi::Counter::sync_installed);
}

// The record's client tuple, server tuple (of `server_family`) and server address, per record type.
inline ConnTuple client_tuple(const abi::SyncRecord& r) { return {r.client_saddr, r.client_daddr, r.client_sport, r.client_dport}; }
inline ConnTuple6 client_tuple(const abi::SyncRecord6& r) {
  return {core::Ipv6Address::load(r.client_saddr.bytes), core::Ipv6Address::load(r.client_daddr.bytes), r.client_sport, r.client_dport};
}

// Installs record `r` of client family C.
template <typename C, typename Record>
void install(CoreState& cs, const Record& r) {
  if (!valid(r)) return cs.count(abi::Counter::sync_invalid);
  if (cs.snapshot == nullptr) return cs.count(abi::Counter::sync_no_server);
  const Snapshot& snap = *cs.snapshot;
  const bool is_template = (r.flags & abi::kSyncTemplate) != 0;
  const uint8_t transport = static_cast<uint8_t>(r.protocol & ~kTemplateProtocol);
  const typename C::Tuple client = client_tuple(r);
  const abi::ServiceRecord* svc = snap.find_service(client.daddr, client.dport, transport);
  if (svc == nullptr || svc->forwarding != r.forwarding) return cs.count(abi::Counter::sync_no_server);
  bool server4 = true;
  if constexpr (C::kIpv6) server4 = r.backend_address4 != 0;
  uint32_t index = kNoBackend;
  if constexpr (C::kIpv6) {
    index = server4 ? backend_index<V4>(snap, *svc, r.backend_address4, r.backend_port)
                    : backend_index<V6>(snap, *svc, core::Ipv6Address::load(r.backend_address.bytes), r.backend_port);
  } else {
    index = backend_index<V4>(snap, *svc, r.backend_address, r.backend_port);
  }
  if (index == kNoBackend) return cs.count(abi::Counter::sync_no_server);

  // A Full-NAT local port outside this node's range, or a nat or Full-NAT connection whose packets
  // another worker owns here, would never see its replies: no node of the same config sends one.
  const auto mode = static_cast<abi::Forwarding>(r.forwarding);
  if (!is_template && mode == abi::Forwarding::fullnat && !cs.ports.range.contains(core::ntohs(r.server_dport)))
    return cs.count(abi::Counter::sync_invalid);
  if (!is_template && (mode == abi::Forwarding::nat || mode == abi::Forwarding::fullnat) && owner(r, cs.workers, cs.ports.range) != cs.id)
    return cs.count(abi::Counter::sync_invalid);

  const auto state = static_cast<ConnState>(r.state);
  const uint32_t keep = r.timeout_left + (is_template ? svc->persist_timeout : timeout_of(snap.timeouts, state));
  if (is_template) {
    Conn* t = find_template(cs, *svc, client.saddr);
    const bool fresh = t == nullptr;
    if (fresh && (t = create_template(cs, *svc, client.saddr, index)) == nullptr) return cs.count(abi::Counter::sync_table_full);
    // The template's own users re-arm it at the service's timeout; a synced one lives as long as the sender's.
    cs.conns.touch(t, ConnState::persist_template, cs.now, keep);
    return cs.count(fresh ? abi::Counter::sync_installed : abi::Counter::sync_updated);
  }
  const Installing m{svc, index, r.protocol, r.forwarding, r.flags, r.client_port, state, keep, r.client_mac.bytes};
  if constexpr (!C::kIpv6) {
    install_connection<V4, V4>(cs, m, client, ConnTuple{r.server_saddr, r.server_daddr, r.server_sport, r.server_dport});
  } else if (r.server_family == abi::kSyncFamily4) {
    install_connection<V6, V4>(cs, m, client, ConnTuple{r.server_saddr4, r.server_daddr4, r.server_sport, r.server_dport});
  } else {
    install_connection<V6, V6>(cs, m, client,
                               ConnTuple6{core::Ipv6Address::load(r.server_saddr.bytes), core::Ipv6Address::load(r.server_daddr.bytes),
                                          r.server_sport, r.server_dport});
  }
}

}  // namespace sync_detail

// The worker of this node that owns the record's connection: for nat and Full-NAT what owns its
// packets here (DESIGN §4: the client's address and port, the local port), whatever the sender
// said; for dr, tunnel and templates the sender's worker, which receives its client's packets on
// a node with the same workers and RSS configuration. A record of no known family: worker 0
// (which counts it invalid).
inline uint32_t sync_owner(const abi::SyncItem& r, uint32_t workers, const LocalPortRange& local_ports) {
  switch (r.family()) {
    case abi::kSyncFamily4: return sync_detail::owner(r.as<abi::SyncRecord>(), workers, local_ports);
    case abi::kSyncFamily6: return sync_detail::owner(r.as<abi::SyncRecord6>(), workers, local_ports);
    default: return 0;
  }
}

// Whether a record can describe an entry at all; the rest is checked against the snapshot.
inline bool sync_record_valid(const abi::SyncItem& r) {
  switch (r.family()) {
    case abi::kSyncFamily4: return sync_detail::valid(r.as<abi::SyncRecord>());
    case abi::kSyncFamily6: return sync_detail::valid(r.as<abi::SyncRecord6>());
    default: return false;
  }
}

// Enters another node's record in this worker's table (or updates the entry it names).
inline void sync_install(CoreState& cs, const abi::SyncItem& r) {
  switch (r.family()) {
    case abi::kSyncFamily4: return sync_detail::install<V4>(cs, r.as<abi::SyncRecord>());
    case abi::kSyncFamily6: return sync_detail::install<V6>(cs, r.as<abi::SyncRecord6>());
    default: return cs.count(abi::Counter::sync_invalid);
  }
}

// The first packet of a synced connection arrived here: from now on it is this node's — counted
// in its server's load, and its client-side packets leave where this one came from.
inline void sync_adopt(CoreState& cs, Conn& c, Direction dir, const io::Frame& frame, const uint8_t* source_mac) {
  c.client_port_index &= kClientPortMask;
  if (dir == kFromClient) {
    c.client_port_index = frame.port;
    std::memcpy(c.client_mac, source_mac, sizeof c.client_mac);
  }
  cs.count(abi::Counter::sync_adopted);
  const uint32_t index = backend_of(cs, c);
  if (index == kNoBackend) return;
  // As bind_backend then account_state from no state would have counted it.
  BackendLoad& load = load_of(cs, index);
  increment(load.inactive);
  const ConnState state = c.state;
  c.state = ConnState::tcp_none;
  account_state(cs, c, state);
  c.state = state;
  update_overload(cs, cs.snapshot->backends[index], load);
}

}  // namespace xvs::lb
