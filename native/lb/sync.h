// native/lb/sync.h — connection sync between the nodes of a cluster, on the worker side (issue 15,
// IPVS sync-daemon semantics). Export: a connection is queued for the other nodes as an
// abi::SyncRecord when it is created and whenever its state changes (track_state), and again when
// its timer is extended and the last record is half a timeout old (a long-lived connection's
// copies must not run out), or when its timer runs out and the XDP fast path shows it alive;
// SYN-proxied and one-packet connections, those carrying their client's address
// (lb/client_address.h) and held tuples are not synced. Install: a record from
// another node enters (or updates) the entry of the worker that would own it, bound to the same
// server of this node's configuration, marked kSyncedAwaiting: not counted in the server's load
// until its first packet arrives here (sync_adopt), and kept for the time the sender gave it plus
// one more timeout of its state, so that the sender's refreshes always arrive in time. Runs on
// the owning worker; the rings are SPSC with the control thread (worker/worker.h).
#pragma once
#include <cstdint>
#include <cstring>

#include "abi/sync.h"
#include "core/net.h"
#include "core/spsc_ring.h"
#include "io/frame.h"
#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/load.h"
#include "lb/local_port.h"
#include "lb/owner.h"
#include "lb/persistence.h"
#include "lb/schedule.h"
#include "lb/tcp_state.h"

namespace xvs::lb {

// IPv6 connections are not synced yet: the record carries IPv4 addresses.
inline bool syncable(const Conn& c) {
  return !c.ipv6 && c.state != ConnState::unarmed && c.state != ConnState::tcp_port_hold && (c.flags & (kSynProxied | kOnePacket)) == 0 &&
         c.client_address == 0;
}

// The record of `c`; false when it is not synced (see above) or its server has left.
inline bool sync_record_of(CoreState& cs, Conn& c, abi::SyncRecord& r) {
  if (!syncable(c)) return false;
  const uint32_t index = backend_of(cs, c);
  if (index == kNoBackend) return false;
  const abi::BackendRecord& b = cs.snapshot->backends[index];
  r = abi::SyncRecord{};
  const ConnTuple& client = c.tuple[kFromClient];
  const ConnTuple& server = c.tuple[kFromServer];
  r.client_saddr = client.saddr;
  r.client_daddr = client.daddr;
  r.client_sport = client.sport;
  r.client_dport = client.dport;
  r.server_saddr = server.saddr;
  r.server_daddr = server.daddr;
  r.server_sport = server.sport;
  r.server_dport = server.dport;
  r.backend_address = b.address;
  r.backend_port = b.port;
  r.protocol = c.protocol;
  r.forwarding = c.forwarding;
  r.state = static_cast<uint8_t>(c.state);
  r.flags = static_cast<uint8_t>(((c.flags & kTemplate) ? abi::kSyncTemplate : 0) |
                                 ((c.flags & kPersistent) ? abi::kSyncPersistent : 0) |
                                 ((c.flags & kServerSeen) ? abi::kSyncServerSeen : 0));
  r.client_port = c.client_port_index & kClientPortMask;
  r.owner = static_cast<uint8_t>(cs.id);
  std::memcpy(r.client_mac.bytes, c.client_mac, sizeof r.client_mac.bytes);
  const auto left = static_cast<int32_t>(c.expires - cs.now);
  r.timeout_left = left > 0 ? static_cast<uint32_t>(left) : 0;
  return true;
}

// Queues `c` for the other nodes (no-op without a cluster).
inline void sync_export(CoreState& cs, Conn& c) {
  if (cs.sync.out == nullptr) return;
  abi::SyncRecord r;
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

// The worker of this node that owns the record's connection: for nat and Full-NAT what owns its
// packets here (DESIGN §4: the client's address and port, the local port), whatever the sender
// said; for dr, tunnel and templates the sender's worker, which receives its client's packets on
// a node with the same workers and RSS configuration.
inline uint32_t sync_owner(const abi::SyncRecord& r, uint32_t workers, const LocalPortRange& local_ports) {
  const bool is_template = (r.flags & abi::kSyncTemplate) != 0;
  const auto mode = static_cast<abi::Forwarding>(r.forwarding);
  if (!is_template && mode == abi::Forwarding::nat) return nat_owner(r.client_saddr, r.client_sport, workers);
  if (!is_template && mode == abi::Forwarding::fullnat && local_ports.contains(core::ntohs(r.server_dport)))
    return fullnat_owner(r.server_dport, workers);
  return r.owner % workers;
}

// Whether a record can describe an entry at all; the rest is checked against the snapshot.
inline bool sync_record_valid(const abi::SyncRecord& r) {
  const bool is_template = (r.flags & abi::kSyncTemplate) != 0;
  const uint8_t transport = is_template ? static_cast<uint8_t>(r.protocol & ~kTemplateProtocol) : r.protocol;
  if (is_template != ((r.protocol & kTemplateProtocol) != 0)) return false;
  if (transport != core::kIpProtoTcp && transport != core::kIpProtoUdp) return false;
  if (r.forwarding > static_cast<uint8_t>(abi::Forwarding::fullnat)) return false;
  if (r.state >= kConnStates || r.state == static_cast<uint8_t>(ConnState::tcp_port_hold)) return false;
  if (is_template != (r.state == static_cast<uint8_t>(ConnState::persist_template))) return false;
  if (!is_template && transport == core::kIpProtoUdp && r.state != static_cast<uint8_t>(ConnState::udp)) return false;
  if (!is_template && transport == core::kIpProtoTcp && r.state == static_cast<uint8_t>(ConnState::udp)) return false;
  if ((r.flags & ~(abi::kSyncTemplate | abi::kSyncPersistent | abi::kSyncServerSeen)) != 0 || r.reserved0 != 0) return false;
  if (r.client_port >= abi::kMaxPorts || r.timeout_left >= (1u << 30)) return false;
  return r.client_saddr != 0 && r.client_daddr != 0 && r.backend_address != 0;
}

// The index of this node's server `address`:`port` of `svc`, or kNoBackend.
inline uint32_t sync_backend_index(const Snapshot& snap, const abi::ServiceRecord& svc, uint32_t address, uint16_t port) {
  for (uint32_t i = svc.backend_first; i < svc.backend_first + svc.backend_count; ++i)
    if (snap.backends[i].address == address && snap.backends[i].port == port) return i;
  return kNoBackend;
}

// Enters another node's record in this worker's table (or updates the entry it names).
inline void sync_install(CoreState& cs, const abi::SyncRecord& r) {
  if (!sync_record_valid(r)) return cs.count(abi::Counter::sync_invalid);
  if (cs.snapshot == nullptr) return cs.count(abi::Counter::sync_no_server);
  const Snapshot& snap = *cs.snapshot;
  const bool is_template = (r.flags & abi::kSyncTemplate) != 0;
  const uint8_t transport = static_cast<uint8_t>(r.protocol & ~kTemplateProtocol);
  const abi::ServiceRecord* svc = snap.find_service(r.client_daddr, r.client_dport, transport);
  if (svc == nullptr || svc->forwarding != r.forwarding) return cs.count(abi::Counter::sync_no_server);
  const uint32_t index = sync_backend_index(snap, *svc, r.backend_address, r.backend_port);
  if (index == kNoBackend) return cs.count(abi::Counter::sync_no_server);

  // A Full-NAT local port outside this node's range, or a nat or Full-NAT connection whose packets
  // another worker owns here, would never see its replies: no node of the same config sends one.
  const auto mode = static_cast<abi::Forwarding>(r.forwarding);
  if (!is_template && mode == abi::Forwarding::fullnat && !cs.ports.range.contains(core::ntohs(r.server_dport)))
    return cs.count(abi::Counter::sync_invalid);
  if (!is_template && (mode == abi::Forwarding::nat || mode == abi::Forwarding::fullnat) &&
      sync_owner(r, cs.workers, cs.ports.range) != cs.id)
    return cs.count(abi::Counter::sync_invalid);

  const auto state = static_cast<ConnState>(r.state);
  const uint32_t keep = r.timeout_left + (is_template ? svc->persist_timeout : timeout_of(snap.timeouts, state));
  const ConnTuple client{r.client_saddr, r.client_daddr, r.client_sport, r.client_dport};
  const ConnTuple server{r.server_saddr, r.server_daddr, r.server_sport, r.server_dport};
  if (is_template) {
    Conn* t = find_template(cs, *svc, r.client_saddr);
    const bool fresh = t == nullptr;
    if (fresh && (t = create_template(cs, *svc, r.client_saddr, index)) == nullptr)
      return cs.count(abi::Counter::sync_table_full);
    // The template's own users re-arm it at the service's timeout; a synced one lives as long as the sender's.
    cs.conns.touch(t, ConnState::persist_template, cs.now, keep);
    return cs.count(fresh ? abi::Counter::sync_installed : abi::Counter::sync_updated);
  }

  const ConnLookup found = cs.conns.lookup(r.protocol, client.saddr, client.daddr, client.sport, client.dport);
  // The tuple of a connection no record describes (a forged or stale one): this node's stays.
  if (found.conn != nullptr &&
      (found.direction != kFromClient || (found.conn->flags & (kSynProxied | kOnePacket)) || found.conn->client_address != 0))
    return cs.count(abi::Counter::sync_conflict);
  if (found.conn != nullptr) {
    // Ours too (a flow that came back, or a refresh): the newer state and time, same server.
    Conn& c = *found.conn;
    if (c.state != state) account_state(cs, c, state);
    cs.conns.touch(&c, state, cs.now, keep);
    return cs.count(abi::Counter::sync_updated);
  }
  const bool routed = mode == abi::Forwarding::nat || mode == abi::Forwarding::fullnat;
  // Replies name one connection: a server-side tuple already here (a held one included) stays its own.
  if (routed && cs.conns.lookup(r.protocol, server.saddr, server.daddr, server.sport, server.dport).conn != nullptr)
    return cs.count(abi::Counter::sync_conflict);
  Conn* c = cs.conns.insert(r.protocol, client, server, routed ? (kLinkClient | kLinkServer) : kLinkClient);
  if (c == nullptr) return cs.count(abi::Counter::sync_table_full);
  c->forwarding = r.forwarding;
  c->client_port_index = static_cast<uint8_t>(r.client_port | kSyncedAwaiting);
  std::memcpy(c->client_mac, r.client_mac.bytes, sizeof c->client_mac);
  if (r.flags & abi::kSyncServerSeen) c->flags |= kServerSeen;
  // Bound without counting: another node's connection until a packet arrives here.
  c->backend_id = snap.backends[index].backend_id;
  c->backend_index = index;
  c->cached_generation = static_cast<uint32_t>(snap.generation);
  if (r.flags & abi::kSyncPersistent) {
    if (Conn* t = find_template(cs, *svc, client.saddr)) attach_template(cs, *c, *t);
  }
  cs.conns.touch(c, state, cs.now, keep);
  cs.count(abi::Counter::sync_installed);
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
