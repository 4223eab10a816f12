// native/lb/process.cc — the packet path, top to bottom: parse, ICMP errors, find the
// connection (either direction), or decide whose it is and create one, then the IPVS state
// machine and the translation of the connection's forwarding mode (lb/translate.h). Each step
// either continues or returns a verdict; a packet whose connection another worker owns leaves
// unchanged with a redirect verdict naming that worker. Only a packet that matched no connection
// here is redirected, to the owner this worker's snapshot names; should the owner's snapshot name
// yet another worker (a reload between their safe points), the owner drops it (drop_not_owner)
// rather than hand it on. Written once over both address families (lb/family.h): every function
// below that reads an address is a template on the family, and the burst dispatches each frame to
// the IPv4 or IPv6 instance. Runs on a data-plane worker only.
#include "lb/process.h"

#include <type_traits>

#include "core/parse.h"
#include "core/parse6.h"
#include "lb/client_address.h"
#include "lb/egress.h"
#include "lb/family.h"
#include "lb/fast_path.h"
#include "lb/load.h"
#include "lb/local_port.h"
#include "lb/owner.h"
#include "lb/persistence.h"
#include "lb/rewrite.h"
#include "lb/rewrite6.h"
#include "lb/schedule.h"
#include "lb/syn_proxy.h"
#include "lb/sync.h"
#include "lb/tcp_state.h"
#include "lb/translate.h"

namespace xvs::lb {
namespace {

using abi::Counter;
using abi::Forwarding;
using namespace path;

// ---- connection life -----------------------------------------------------------------------

// An ended Full-NAT TCP connection whose server answered may leave the server holding its tuple
// in TIME_WAIT for up to timeouts.server_time_wait after the last packet: what is left of it
// stays as a tcp_port_hold entry, so that no other client gets that tuple (lb/local_port.h). The
// hold runs server_time_wait from now rather than from the last packet: a little longer than the
// server needs, and every hold of a worker then shares one timeout (its expiry list stays in
// order). Call after release_connection(); true when `c` became a hold.
bool hold_server_tuple(CoreState& cs, Conn& c) {
  if (static_cast<Forwarding>(c.forwarding) != Forwarding::fullnat || c.protocol != core::kIpProtoTcp ||
      (c.flags & (kTemplate | kServerSeen)) != kServerSeen || c.state == ConnState::tcp_port_hold || cs.snapshot == nullptr)
    return false;
  const Timeouts& t = cs.snapshot->timeouts;
  const uint32_t last_packet = c.expires - timeout_of(t, c.state);
  if (static_cast<int32_t>(last_packet + t.server_time_wait - cs.now) <= 0) return false;
  cs.conns.unlink_client_tuple(&c);
  c.flags &= static_cast<uint8_t>(~(kPersistent | kCountedActive | kOnePacket));
  cs.conns.touch(&c, ConnState::tcp_port_hold, cs.now, t.server_time_wait);
  cs.count(Counter::conn_held);
  return true;
}

// A connection ends now (replaced, its server gone, a one-packet exchange over): it leaves the
// table, or stays as a hold of its server-side tuple.
void end_connection(CoreState& cs, Conn& c) {
  release_connection(cs, c);
  if (!hold_server_tuple(cs, c)) cs.conns.remove(&c);
}

// Room in a full table: the oldest half-open (SYN_RECV) connection goes, which a SYN flood
// leaves by the thousand and a real client leaves for one round trip. false if there is none.
bool evict_half_open(CoreState& cs) {
  Conn* oldest = cs.conns.oldest(ConnState::tcp_syn_recv);
  if (oldest == nullptr) return false;
  release_connection(cs, *oldest);
  cs.conns.remove(oldest);
  cs.count(Counter::conn_evicted);
  return true;
}

// A hold of `client`'s own earlier tuple: that client may take it back (lb/local_port.h).
template <typename F>
inline bool held_for(const CoreState& cs, const Conn& c, const typename F::Tuple& client) {
  if (c.state != ConnState::tcp_port_hold || c.ipv6 != F::kIpv6) return false;
  const typename F::Tuple t = F::tuple(cs.conns, c, kFromClient);
  return t.saddr == client.saddr && t.daddr == client.daddr && t.sport == client.sport && t.dport == client.dport;
}

// What choose_local_address chose: the LIP and local port, whether that is the client's own port
// (free at the first try), and the server-side tuple's table probe (ConnTable::insert reuses it).
template <typename F>
struct LocalAddress {
  typename F::Addr lip;
  uint32_t lip_index;  // into the snapshot's lips
  uint16_t lport;
  bool client_port;
  ConnTable::Probe probe;
};

// The LIP and local port of a new Full-NAT connection from `client` (family C) to `backend`
// (family S: C's, or IPv4 under NAT64) (lb/local_port.h): the first server-side tuple no entry
// holds, trying the client's own port or its keyed hash first on the LIP its address hashes to.
// false when every try was taken.
template <typename C, typename S>
bool choose_local_address(CoreState& cs, const abi::ServiceRecord& svc, uint8_t protocol, const typename C::Tuple& client,
                          const abi::BackendRecord& backend, LocalAddress<S>& chosen) {
  const Snapshot& snap = *cs.snapshot;
  const abi::PoolRecord& pool = snap.pools[svc.pool];
  const LocalPortShare& share = cs.ports;
  if (pool.lip_count == 0 || share.count == 0) return false;
  const uint32_t own = share.index_of(core::ntohs(client.sport));
  const bool own_port = own < share.count;
  // Where the walk goes on when the client's own port is taken (or not in this worker's share):
  // a keyed hash of the whole tuple. Clients that share a source port (resolvers on 53, hosts
  // behind one NAT) must not walk one sequence, or kLocalPortTries of them use up every try.
  const auto scattered = [&] {
    return static_cast<uint32_t>(client_tuple_hash(cs.port_key, cs.port_key6, client.saddr, client.daddr, client.sport, client.dport, protocol) %
                                 share.count);
  };
  const uint32_t first = own_port ? own : scattered();
  uint32_t after_own = share.count;  // computed once, on the first taken own port
  const auto step = [&share](uint32_t i) {
    i += share.stride;
    return i >= share.count ? i - share.count : i;
  };
  const uint32_t first_lip =
      pool.lip_count == 1 ? 0 : static_cast<uint32_t>(client_address_hash(cs.port_key, cs.port_key6, client.saddr, client.daddr) % pool.lip_count);
  const uint32_t tries = share.count < kLocalPortTries ? share.count : kLocalPortTries;
  for (uint32_t l = 0; l < pool.lip_count; ++l) {
    const uint32_t lip_index = pool.lip_first + (first_lip + l) % pool.lip_count;
    const typename S::Addr address = S::lip(snap, lip_index);
    const typename S::Addr server = S::address(backend);
    uint32_t index = first;
    for (uint32_t t = 0; t < tries; ++t) {
      const uint16_t port = core::htons(share.port_at(index));
      const ConnTable::Probe probe = cs.conns.probe(protocol, server, address, backend.port, port);
      Conn* used = cs.conns.lookup(probe, protocol, server, address, backend.port, port).conn;
      if (used == nullptr || held_for<C>(cs, *used, client)) {
        if (used != nullptr) {
          cs.conns.remove(used);
          cs.count(Counter::lport_reclaimed);
        }
        chosen = {address, lip_index, port, used == nullptr && own_port && l == 0 && t == 0, probe};
        return true;
      }
      cs.count(Counter::lport_busy);
      if (t == 0 && own_port) {
        if (after_own == share.count) after_own = scattered();
        index = after_own;
      } else {
        index = step(index);
      }
      // The own port was tried first: the walk passes over it, so a small share is still covered.
      if (own_port && index == own) index = step(index);
    }
  }
  return false;
}

// What create_connection decided for a new connection: its service, its server (family S of
// open_connection), the persistence template that chose it, if any, and the SYN proxy's cookie.
struct NewConnection {
  const abi::ServiceRecord& svc;
  const abi::BackendRecord& backend;
  uint32_t index;
  Conn* tmpl;
  CookieOptions cookie;
  bool proxied;
};

// The rest of create_connection once the server is chosen: the connection's tuples (the client
// side of family C, the server side of family S), its local address (fullnat), its entry, and
// its template.
template <typename C, typename S>
Verdict open_connection(CoreState& cs, io::Frame& frame, typename C::View& pkt, const ConnTable::Probe& client_probe,
                        const NewConnection& n, Conn& transient, Conn*& created) {
  const Snapshot& snap = *cs.snapshot;
  const abi::ServiceRecord* svc = &n.svc;
  const abi::BackendRecord& backend = n.backend;
  const uint32_t index = n.index;
  Conn* tmpl = n.tmpl;
  const bool proxied = n.proxied;
  const auto mode = static_cast<Forwarding>(svc->forwarding);
  const bool persistent = (svc->flags & abi::persistent) != 0;
  const typename C::Addr saddr = C::saddr(pkt), daddr = C::daddr(pkt);
  constexpr bool kNat64 = !std::is_same_v<C, S>;

  const bool one_packet = (svc->flags & abi::one_packet) != 0;
  const typename C::Tuple from_client{saddr, daddr, pkt.sport(), pkt.dport()};
  // The server answers the client (nat) or the LIP (fullnat: set below; always so under NAT64).
  typename S::Tuple from_server{S::address(backend), {}, backend.port, pkt.sport()};
  if constexpr (!kNat64) from_server.daddr = saddr;
  if (!kNat64 && one_packet && !is_routed_hop(mode)) {
    // Not in the table: an IPv6 one has its ports only (translations of dr and tunnel read no
    // address of it).
    transient = Conn{};
    transient.tuple[kFromClient] = {0, 0, from_client.sport, from_client.dport};
    transient.tuple[kFromServer] = {0, 0, from_server.sport, from_server.dport};
    if constexpr (!C::kIpv6) {
      transient.tuple[kFromClient] = from_client;
      transient.tuple[kFromServer] = from_server;
    }
    transient.ipv6 = C::kIpv6;
    transient.forwarding = svc->forwarding;
    // Bound without counting in the load: it leaves with this packet, which needs its server's
    // egress. Scheduled, though: a connection in the server's traffic (IPVS counts it too).
    transient.backend_id = backend.backend_id;
    transient.backend_index = index;
    transient.cached_generation = static_cast<uint32_t>(snap.generation);
    count_connection(cs, index);
    if (persistent) {
      // Nothing to bind: the template simply lives `timeout` seconds from this datagram.
      if (tmpl != nullptr) cs.count(Counter::persistence_hits);
      else tmpl = create_template(cs, *svc, saddr, index);
      if (tmpl != nullptr) arm_template(cs, *tmpl);
    }
    created = &transient;
    return Verdict::tx;
  }
  // One-packet datagrams are scheduled anew every time; only their reply is tracked.
  const uint8_t links = one_packet ? kLinkServer : is_routed_hop(mode) ? (kLinkClient | kLinkServer) : kLinkClient;
  LocalAddress<S> local{};
  if (mode == Forwarding::fullnat) {
    if (!choose_local_address<C, S>(cs, *svc, pkt.protocol, from_client, backend, local))
      return drop(cs, Counter::drop_lport_exhausted);
    from_server.daddr = local.lip;
    from_server.dport = local.lport;
  }
  if (one_packet && mode == Forwarding::nat) {
    // A reply of an earlier datagram of this flow to this server may still be awaited: reuse it.
    const ConnLookup earlier = cs.conns.lookup(pkt.protocol, from_server.saddr, from_server.daddr, from_server.sport,
                                               from_server.dport);
    if (earlier.conn != nullptr) end_connection(cs, *earlier.conn);
  }
  // A refused connection leaves nothing behind: its server-side tuple was only looked at. A full
  // table makes room by evicting its oldest half-open connection, never a proven one.
  const ConnTable::KnownProbes known{&client_probe, mode == Forwarding::fullnat ? &local.probe : nullptr};
  const auto insert = [&] {
    if constexpr (C::kIpv6 && !kNat64) {
      // The snapshot's ids of its addresses: no lookup of them by address (lb/snapshot_ids.h).
      const SnapshotIds& ids = cs.snapshot_ids;
      const KnownIds known_ids{ids.vip(static_cast<uint32_t>(svc - snap.services.data())), ids.server(index),
                               mode == Forwarding::fullnat ? ids.local(local.lip_index) : SnapshotIds::kNone};
      return cs.conns.insert(pkt.protocol, from_client, from_server, links, known, known_ids);
    } else {
      return cs.conns.insert(pkt.protocol, from_client, from_server, links, known);
    }
  };
  Conn* c = insert();
  if (c == nullptr && evict_half_open(cs)) c = insert();
  if (c == nullptr) return drop(cs, Counter::drop_conn_table_full);
  if (local.client_port) cs.count(Counter::lport_client_port);
  if (one_packet) c->flags |= kOnePacket;
  c->forwarding = svc->forwarding;
  c->client_port_index = frame.port;
  if (const ClientAddress kind = client_address_of(svc->flags);
      kind != ClientAddress::none && !proxied && mode == Forwarding::fullnat && pkt.protocol == core::kIpProtoTcp)
    start_client_address(cs, *c, kind, pkt);
  core::copy_mac(c->client_mac, pkt.eth->src);
  bind_backend(cs, *c, index);
  cs.count(Counter::conn_created);
  if (persistent) {
    // The template is made only now that the connection exists: a refused one leaves none.
    const bool new_template = tmpl == nullptr;
    if (tmpl != nullptr) cs.count(Counter::persistence_hits);
    else tmpl = create_template(cs, *svc, saddr, index);
    if (tmpl != nullptr) attach_template(cs, *c, *tmpl);
    // Before its connection's first record: a node that installs both finds the template first.
    if (tmpl != nullptr && new_template) sync_export(cs, *tmpl);
  }
  // The SYN for the server is written in the client's family, as the client would send it to
  // the VIP; the mode's translation (NAT64's too) follows.
  if (proxied) open_proxied<C>(cs, frame, pkt, *c, n.cookie);
  created = c;
  return Verdict::tx;
}

// A packet that matches no connection: is it the first packet of a new one for a service? On
// tx, `created` is the new connection, or `transient` for a one-packet datagram in dr/tunnel
// mode, which leaves no state behind; a SYN the SYN proxy answers leaves with tx and no
// connection (`created` stays nullptr).
// Out of line: an established flow's packets (most of them) keep the inlining budget of the path.
template <typename F>
[[gnu::noinline]] Verdict create_connection(CoreState& cs, io::Frame& frame, typename F::View& pkt, const ConnTable::Probe& client_probe,
                                            Conn& transient, Conn*& created) {
  const Snapshot& snap = *cs.snapshot;
  const typename F::Addr saddr = F::saddr(pkt), daddr = F::daddr(pkt);
  const abi::ServiceRecord* svc = snap.find_service(daddr, pkt.dport(), pkt.protocol);
  // A reply, or a nat client's packet, whose connection is (or would be) another worker's.
  const uint32_t owner = owner_of_unmatched(snap, cs.ports.range, svc, cs.workers, cs.id, saddr, daddr, pkt.sport(), pkt.dport(), pkt.protocol);
  if (owner != cs.id) return Verdict::redirect_to(owner);
  if (svc == nullptr) return Verdict::pass;  // not for a service, and no connection here: the kernel's
  const auto mode = static_cast<Forwarding>(svc->forwarding);
  // A TCP connection starts with the client's SYN, or, behind a SYN proxy, with its ACK of a cookie.
  CookieOptions cookie{};
  bool proxied = false;
  if (pkt.protocol == core::kIpProtoTcp) {
    const uint8_t flags = pkt.tcp_flags & (core::kTcpSyn | core::kTcpAck | core::kTcpRst);
    if (flags == core::kTcpAck && proxy_checks_ack(cs, *svc)) {
      if (!check_cookie<F>(cs, pkt, cookie)) return drop(cs, Counter::drop_syn_cookie_invalid);
      if (!server_syn_fits<F>(frame, pkt)) return drop(cs, Counter::drop_no_room);
      proxied = true;
    }
    if (!proxied && flags != core::kTcpSyn) return drop(cs, Counter::drop_tcp_no_conn);
  }
  if (is_routed_hop(mode) && F::hop_limit(pkt) <= 1) return drop(cs, Counter::drop_ttl_expired);
  if (pkt.protocol == core::kIpProtoTcp && !proxied) {
    if (proxy_answers_syn(cs, *svc)) return answer_syn<F>(cs, frame, pkt);
    // A limit of the whole table is none: a full table evicts its oldest half-open connection.
    if (snap.half_open.limit < cs.conns.capacity() && cs.half_open[svc - snap.services.data()] >= snap.half_open.limit)
      return drop(cs, Counter::drop_half_open_limit);
  }

  const bool persistent = (svc->flags & abi::persistent) != 0;
  Conn* tmpl = persistent ? find_template(cs, *svc, saddr) : nullptr;
  const uint32_t index = tmpl != nullptr ? backend_of(cs, *tmpl) : schedule(cs, *svc, saddr, daddr);
  if (index == kNoBackend) return drop(cs, Counter::drop_no_backend);
  const abi::BackendRecord& backend = snap.backends[index];
  if (core::mac_is_zero(backend.mac.bytes)) return drop(cs, Counter::drop_neighbor_unresolved);
  const NewConnection n{*svc, backend, index, tmpl, cookie, proxied};
  if constexpr (F::kIpv6) {
    // An IPv6 service over IPv4 servers (fullnat only: the snapshot builder sees to it) is NAT64.
    if (backend.family == static_cast<uint8_t>(abi::AddressFamily::ipv4)) [[unlikely]]
      return open_connection<V6, V4>(cs, frame, pkt, client_probe, n, transient, created);
  }
  return open_connection<F, F>(cs, frame, pkt, client_probe, n, transient, created);
}

// Moves the connection to its next state and re-arms its timer.
[[gnu::always_inline]] inline void track_state(CoreState& cs, Conn& c, Direction dir, uint8_t tcp_flags) {
  ConnState next = ConnState::udp;
  if (c.protocol == core::kIpProtoTcp) {
    const TcpTable table = dir == kFromServer                          ? TcpTable::output
                           : is_routed_hop(static_cast<Forwarding>(c.forwarding)) ? TcpTable::input
                                                                       : TcpTable::input_only;
    next = next_tcp_state(c.state == ConnState::unarmed ? ConnState::tcp_none : c.state, table, tcp_flags);
  }
  // The counts follow the state alone: an unchanged state (every packet of an established flow
  // but the first) has nothing to account.
  if (next != c.state) {
    account_state(cs, c, next);
    cs.conns.touch(&c, next, cs.now, timeout_of(cs.snapshot->timeouts, next));
    sync_export(cs, c);
    return;
  }
  const uint32_t expires = c.expires;
  cs.conns.touch(&c, next, cs.now, timeout_of(cs.snapshot->timeouts, next));
  // At most once a second per connection (the clock's step), and only in a cluster.
  if (cs.sync.out != nullptr && c.expires != expires) [[unlikely]] sync_refresh(cs, c);
}

// ICMP errors quoting a packet of a tracked connection follow that connection: translated for
// nat/fullnat (quoted packet and outer addresses), routed by the quoted header for dr/tunnel.
// Other ICMP (echo, errors about anything else) is the kernel's.
template <typename F>
Verdict process_icmp(CoreState& cs, io::Frame& frame, typename F::View& pkt) {
  if (!pkt.is_icmp_error()) return Verdict::pass;
  const auto& q = pkt.quoted;
  if (q.protocol != core::kIpProtoTcp && q.protocol != core::kIpProtoUdp) return Verdict::pass;
  const typename F::Addr quoted_saddr = F::quoted_saddr(pkt), quoted_daddr = F::quoted_daddr(pkt);
  // The quoted packet went from the balancer towards this error's sender: seen from the
  // balancer, the same flow arrives with source and destination swapped.
  ConnLookup found = cs.conns.lookup(q.protocol, quoted_daddr, quoted_saddr, q.dport(), q.sport());
  if (found.conn != nullptr && found.conn->state == ConnState::tcp_port_hold) found.conn = nullptr;  // an ended connection
  if (found.conn == nullptr) {
    // Another worker's connection, if the quoted packet names one; else the kernel's.
    if (cs.workers < 2) return Verdict::pass;
    const Snapshot& snap = *cs.snapshot;
    const uint32_t owner = owner_of_unmatched(snap, cs.ports.range, snap.find_service(quoted_saddr, q.sport(), q.protocol), cs.workers,
                                              cs.id, quoted_daddr, quoted_saddr, q.dport(), q.sport(), q.protocol);
    return owner != cs.id ? Verdict::redirect_to(owner) : Verdict::pass;
  }
  Conn& c = *found.conn;
  if (backend_of(cs, c) == kNoBackend) {
    // Its server left the configuration: the connection goes, as with any of its packets.
    end_connection(cs, c);
    return drop(cs, Counter::drop_backend_removed);
  }
  if (F::hop_limit(pkt) == 0 || (is_routed_hop(static_cast<Forwarding>(c.forwarding)) && F::hop_limit(pkt) <= 1))
    return drop(cs, Counter::drop_ttl_expired);
  if ((c.flags & kSynProxied) && found.direction == kFromClient && q.protocol == core::kIpProtoTcp)
    untranslate_quoted_seq<F>(cs, pkt, c);
  if (c.nat64) [[unlikely]] return translate_nat64_icmp<F>(cs, frame, pkt, c, found.direction);
  switch (static_cast<Forwarding>(c.forwarding)) {
    case Forwarding::nat:
    case Forwarding::fullnat: {
      const auto& other = F::tuple(cs.conns, c, opposite(found.direction));
      // Towards a nat server the error keeps its sender (IPVS ip_vs_nat_icmp changes only the
      // destination); fullnat must name the LIP, the only source its server routes back.
      const bool keep_sender = found.direction == kFromClient && static_cast<Forwarding>(c.forwarding) == Forwarding::nat;
      const Egress out = egress(cs, c, found.direction);
      if (out.mac == nullptr) return drop(cs, Counter::drop_neighbor_unresolved);
      if (c.client_address != 0 && found.direction == kFromServer) {
        lower_reported_mtu(cs, pkt, c);
        if (c.client_address == static_cast<uint8_t>(ClientAddress::proxy_v2)) untranslate_quoted_client_seq(cs, pkt, c);
      }
      translate_icmp_error(pkt, values(other), keep_sender ? F::saddr(pkt) : other.daddr, other.saddr);
      decrement_ttl(pkt.ip);
      set_l2(cs, frame, pkt, out);
      cs.count(Counter::icmp_forwarded);
      return Verdict::tx;
    }
    case Forwarding::dr: {
      const Verdict v = Translate<Forwarding::dr, F>::run(cs, frame, pkt, c, found.direction);
      if (v == Verdict::tx) cs.count(Counter::icmp_forwarded);
      return v;
    }
    case Forwarding::tunnel: {
      const Verdict v = Translate<Forwarding::tunnel, F>::run(cs, frame, pkt, c, found.direction);
      if (v == Verdict::tx) cs.count(Counter::icmp_forwarded);  // not when it is too big for the tunnel
      return v;
    }
  }
  return Verdict::pass;
}

}  // namespace

bool expire_connection(CoreState& cs, Conn& c) {
  if (c.state == ConnState::tcp_port_hold) return true;  // its connection was counted when it ended
  // Its packets may have been the steering program's: then it lives on from the last of them.
  if (keep_for_fast_path(cs, c)) {
    sync_refresh(cs, c);
    return false;
  }
  if ((c.flags & kTemplate) && !template_expires(cs, c)) {
    sync_export(cs, c);  // still binding connections: its copies must live as long
    return false;
  }
  cs.count(Counter::conn_expired);
  release_connection(cs, c);
  return !hold_server_tuple(cs, c);
}

void release_connection(CoreState& cs, Conn& c) {
  remove_fast_path(cs, c);
  detach_template(cs, c);
  unbind_backend(cs, c);
  release_proxied(cs, c);
}

// The packet path after parsing: `pkt` and `parsed` describe `frame` as it is now.
// From process_burst: `probe`, the packet's table probe (nullptr: not computed yet); `hint`, a
// still valid candidate of that probe (ConnTable::kNone: none).
template <typename F>
[[gnu::always_inline]]
static inline Verdict process_parsed(CoreState& cs, io::Frame& frame, typename F::View& pkt, core::ParseResult parsed,
                                      const ConnTable::Probe* probe, uint32_t hint) {
  if (cs.snapshot == nullptr) return drop(cs, Counter::drop_no_snapshot);
  const Snapshot& snap = *cs.snapshot;
  if (parsed.status == core::ParseStatus::drop) return drop(cs, parsed.drop_reason);
  if (parsed.status == core::ParseStatus::pass) return Verdict::pass;

  if (pkt.fragment) {
    // Nothing is reassembled and later fragments carry no ports, so a fragmented datagram for a
    // service cannot be balanced in any mode: all its fragments are dropped and counted.
    if (snap.is_vip(F::daddr(pkt)) || snap.is_lip(F::daddr(pkt))) return drop(cs, Counter::drop_ip_fragment);
    return Verdict::pass;
  }
  if (pkt.protocol == F::kIcmp) return process_icmp<F>(cs, frame, pkt);
  if constexpr (F::kIpv6) {
    // IPv6 forbids a zero UDP checksum (RFC 8200 8.1) but for tunnels that agree to it (RFC
    // 6935): to a VIP or LIP it is dropped and counted; anything else stays the kernel's to judge.
    if (pkt.protocol == core::kIpProtoUdp && pkt.l4_checksum() == 0) [[unlikely]] {
      if (snap.is_vip(F::daddr(pkt)) || snap.is_lip(F::daddr(pkt))) return drop(cs, Counter::drop_ipv6_udp_zero_checksum);
      return Verdict::pass;
    }
  }
  // TTL 0 is never valid on the wire: dropped when it is ours (to a VIP or LIP here; a nat reply
  // below, on its connection); anything else is the kernel's, like every packet not ours.
  if (F::hop_limit(pkt) == 0 && (snap.is_vip(F::daddr(pkt)) || snap.is_lip(F::daddr(pkt))))
    return drop(cs, Counter::drop_ttl_expired);

  const typename F::Addr saddr = F::saddr(pkt), daddr = F::daddr(pkt);
  const uint16_t sport = pkt.sport(), dport = pkt.dport();
  const ConnTable::Probe p = probe != nullptr ? *probe : cs.conns.probe(pkt.protocol, saddr, daddr, sport, dport);
  ConnLookup found = cs.conns.lookup(p, hint, pkt.protocol, saddr, daddr, sport, dport);
  // A held tuple is an ended connection's: no packet belongs to it (the kernel's, as any miss).
  if (found.conn != nullptr && found.conn->state == ConnState::tcp_port_hold) found.conn = nullptr;
  if (found.conn != nullptr && found.direction == kFromClient) {
    Conn& old = *found.conn;
    const bool new_syn = (pkt.tcp_flags & (core::kTcpSyn | core::kTcpAck | core::kTcpRst | core::kTcpFin)) == core::kTcpSyn;
    if (new_syn && (reusable_for_new_syn(old.state) || ((old.flags & kSynProxied) && proxy_restarts<F>(cs, old, pkt)))) {
      // The client reuses the port of a finished connection: schedule it afresh, now. Its
      // server-side tuple is held for it (Full-NAT): the same server gives it back.
      end_connection(cs, old);
      cs.count(Counter::conn_reused);
      found.conn = nullptr;
    }
  }
  if (found.conn != nullptr && backend_of(cs, *found.conn) == kNoBackend) {
    // Its server left the configuration (IPVS expire_nodest_conn): the connection goes; a new
    // SYN or datagram from the client is scheduled anew, anything else is dropped.
    const bool restart = found.direction == kFromClient &&
                         (pkt.protocol == core::kIpProtoUdp ||
                          (pkt.tcp_flags & (core::kTcpSyn | core::kTcpAck | core::kTcpRst)) == core::kTcpSyn);
    end_connection(cs, *found.conn);
    if (!restart) return drop(cs, Counter::drop_backend_removed);
    found.conn = nullptr;
  }
  // Read before the rewrite: ipvsadm counts what was received.
  uint32_t ip_bytes = F::ip_bytes(pkt);
  const bool fresh = found.conn == nullptr;
  if (found.conn == nullptr) {
    Conn transient;
    const Verdict v = create_connection<F>(cs, frame, pkt, p, transient, found.conn);
    if (v != Verdict::tx || found.conn == nullptr) return v;  // nullptr: the SYN proxy answered
    if (found.conn == &transient) {
      const Verdict sent = translate_by_mode<F>(cs, frame, pkt, transient, kFromClient);
      if (sent == Verdict::tx) count_forwarded(cs, transient.backend_index, kFromClient, ip_bytes);
      return sent;
    }
    found.direction = kFromClient;
  } else if (is_routed_hop(static_cast<Forwarding>(found.conn->forwarding)) && F::hop_limit(pkt) <= 1) {
    return drop(cs, Counter::drop_ttl_expired);
  }
  Conn& c = *found.conn;
  Direction dir = found.direction;
  if (c.client_port_index & kSyncedAwaiting) [[unlikely]] sync_adopt(cs, c, dir, frame, pkt.eth->src);
  // Only when it changes: an established flow's packets leave its line clean (no write-back).
  if (dir == kFromServer && !(c.flags & kServerSeen)) c.flags |= kServerSeen;

  // A SYN-proxied connection's segments are translated between the two sequence spaces first;
  // the proxy may answer for one side, or make the frame a segment of the other side.
  bool tracked = fresh && (c.flags & kSynProxied);
  if ((c.flags & kSynProxied) && !fresh) {
    const ProxyStep step = proxied_segment<F>(cs, frame, pkt, c, dir);
    if (step.done) return step.verdict;
    if (step.dir != dir) ip_bytes = F::ip_bytes(pkt);
    dir = step.dir;
    tracked = step.tracked;
  }
  // Before the state machine: a segment the header replaces leaves without its FIN.
  if (c.client_address != 0 && !carry_client_address(cs, frame, pkt, c, dir)) [[unlikely]]
    return Verdict::drop;
  if (!tracked) track_state(cs, c, dir, pkt.tcp_flags);
  const Verdict v = translate_by_mode<F>(cs, frame, pkt, c, dir);
  if (v == Verdict::tx) count_forwarded(cs, backend_of(cs, c), dir, ip_bytes);
  // A connection that has carried more than its first packet is the fast path's, for as long as
  // it is eligible (lb/fast_path.h); a UDP flood of single datagrams never costs a table call.
  if (cs.fast_path != nullptr && !fresh && v == Verdict::tx) update_fast_path(cs, c);
  // One-packet scheduling: the reply has passed, the exchange is over.
  if ((c.flags & kOnePacket) && dir == kFromServer) end_connection(cs, c);
  return v;
}

// The IPv6 path out of line, for process() and mixed bursts (see BurstFamilies).
[[gnu::noinline]] static Verdict process_parsed_v6(CoreState& cs, io::Frame& frame, core::Packet6View& pkt, core::ParseResult parsed,
                                                   const ConnTable::Probe* probe, uint32_t hint) {
  return process_parsed<V6>(cs, frame, pkt, parsed, probe, hint);
}

// An IPv6 frame: parse_packet passed it (its ethertype is not IPv4); its own parser and path.
static Verdict process_ipv6(CoreState& cs, io::Frame& frame, uint32_t l3_offset) {
  core::Packet6View pkt;
  const core::ParseResult parsed = core::parse_ipv6(frame.data, frame.len, l3_offset, pkt);
  return process_parsed_v6(cs, frame, pkt, parsed, nullptr, ConnTable::kNone);
}

Verdict process(CoreState& cs, io::Frame& frame) {
  core::PacketView pkt;
  const core::ParseResult parsed = core::parse_packet(frame.data, frame.len, pkt);
  if (parsed.status == core::ParseStatus::pass)
    if (const uint32_t l3 = ipv6_header_offset(frame.data, frame.len); l3 != 0) return process_ipv6(cs, frame, l3);
  return process_parsed<V4>(cs, frame, pkt, parsed, nullptr, ConnTable::kNone);
}

// What stage 1 of process_burst leaves for the others: every frame parsed, its probe where it
// has one; IPv6 frames in their own views.
struct ParsedBurst {
  core::PacketView views[kMaxBurst];
  core::Packet6View views6[kMaxBurst];
  core::ParseResult parsed[kMaxBurst];
  ConnTable::Probe probes[kMaxBurst];
  uint32_t ipv6_at[kMaxBurst];  // the IPv6 header's offset; 0: an IPv4 frame (or neither)
  bool probed[kMaxBurst];
};

// Which families a burst holds: each gets its own instance of stages 2 and 3, so that a burst of
// one family (the common case, dual-stack or not: a NIC queue's burst is often one flow's
// packets) pays no family check per frame and has its path inlined; a mixed burst calls the IPv6
// path out of line, which keeps the compiler's inlining budget for the IPv4 one.
enum class BurstFamilies { ipv4, ipv6, mixed };

// Stages 2 and 3, one function per instance (each inlining its family's path once).
template <BurstFamilies Families>
[[gnu::noinline]] static void lookup_and_process(CoreState& cs, io::Frame* frames, uint32_t n, ParsedBurst& b,
                                                 Verdict* verdicts) {
  constexpr bool kMixed = Families == BurstFamilies::mixed;
  uint32_t candidates[kMaxBurst];
  // Stage 2: the node each bucket's tags point to, and that connection's line on its way, for
  // the whole burst at once: on a table far larger than the caches every bucket and every
  // connection is a trip to memory, and the more of them are in flight together the less each
  // costs (a few packets ahead instead of the whole burst cost 30 % more per packet at 1 M
  // connections, bench/README.md). An interned IPv6 connection is one line as an IPv4 one is.
  for (uint32_t i = 0; i < n; ++i) {
    candidates[i] = b.probed[i] ? cs.conns.candidate(b.probes[i]) : ConnTable::kNone;
    if (candidates[i] != ConnTable::kNone) cs.conns.prefetch_conn(candidates[i]);
  }
  // Stage 3: the packet path proper. Frames are independent: earlier packets never touch later
  // frames' bytes, so parse results and probes stay valid; candidates stay valid hints while no
  // packet of the burst has inserted or removed a connection. A frame may belong to a paired
  // entry (NAT64, either side; an IPv6 connection that found no free address id), whose
  // addresses line only its connection line tells: asked a few frames ahead (without it, 1 M
  // NAT64 connections cost ~190 ns a packet instead of ~70).
  constexpr uint32_t kAhead = 4;
  const bool paired_ahead = cs.conns.paired_entries() != 0;
  const auto paired_prefetch = [&](uint32_t j) {
    if (candidates[j] != ConnTable::kNone) cs.conns.prefetch_addresses_if_paired(candidates[j]);
  };
  if (paired_ahead) [[unlikely]]
    for (uint32_t j = 0; j < kAhead && j < n; ++j) paired_prefetch(j);
  const uint32_t edits = cs.conns.edits();
  for (uint32_t i = 0; i < n; ++i) {
    if (paired_ahead && i + kAhead < n) [[unlikely]]
      paired_prefetch(i + kAhead);
    const uint32_t hint = cs.conns.edits() == edits ? candidates[i] : ConnTable::kNone;
    const ConnTable::Probe* probe = b.probed[i] ? &b.probes[i] : nullptr;
    if constexpr (Families == BurstFamilies::ipv6)
      verdicts[i] = process_parsed<V6>(cs, frames[i], b.views6[i], b.parsed[i], probe, hint);
    else if (kMixed && b.ipv6_at[i] != 0)
      verdicts[i] = process_parsed_v6(cs, frames[i], b.views6[i], b.parsed[i], probe, hint);
    else
      verdicts[i] = process_parsed<V4>(cs, frames[i], b.views[i], b.parsed[i], probe, hint);
  }
}

// Stage 1 for an IPv6 frame: parsed into its own view; its flow's two words (for the burst's one
// hash batch) when it has a flow.
[[gnu::always_inline]] static inline core::FlowWords parse_ipv6_for_probe(const CoreState& cs, const io::Frame& frame,
                                                                         uint32_t i, ParsedBurst& b) {
  b.parsed[i] = core::parse_ipv6(frame.data, frame.len, b.ipv6_at[i], b.views6[i]);
  const core::Packet6View& p = b.views6[i];
  b.probed[i] = b.parsed[i].status == core::ParseStatus::ok && p.l4 != nullptr && p.protocol != core::kIpProtoIcmpv6;
  return b.probed[i] ? cs.conns.flow_words6(p.protocol, V6::saddr(p), V6::daddr(p), p.sport(), p.dport())
                     : core::FlowWords{0, 0};
}

// An untagged IPv6 frame, known before any parser runs (a tagged one is found when the IPv4
// parser passes it).
inline bool untagged_ipv6(const io::Frame& frame) {
  return frame.len >= sizeof(core::EthHdr) &&
         reinterpret_cast<const core::EthHdr*>(frame.data)->type == core::htons(core::kEthTypeIpv6);
}

// Stage 1 for every frame of a burst: parsed, its flow's two words staged for the one hash batch
// (zeros where it has none: hashed and unused). `Ipv6First`: which parser tries a frame first,
// chosen per burst by its first frame; either order handles every frame, the other family's
// costs a few instructions more (a failed IPv4 parse, or an ethertype check with registers
// spilled around parse_packet: ~12 instructions under callgrind).
struct StagedWords {
  uint64_t first[kMaxBurst], second[kMaxBurst];
  uint32_t probed = 0, ipv6_frames = 0;
};
template <bool Ipv6First>
[[gnu::noinline]] static void parse_burst(const CoreState& cs, io::Frame* frames, uint32_t n, ParsedBurst& b,
                                          StagedWords& staged) {
  uint32_t probed = 0, ipv6_frames = 0;  // in registers: `staged` may alias `b` as far as the compiler knows
  for (uint32_t i = 0; i < n; ++i) {
    core::FlowWords w{0, 0};
    b.ipv6_at[i] = Ipv6First && untagged_ipv6(frames[i]) ? sizeof(core::EthHdr) : 0;
    if (b.ipv6_at[i] == 0) {
      b.parsed[i] = Ipv6First ? core::parse_packet(frames[i].data, frames[i].len, b.views[i])
                              : core::parse_packet_inline(frames[i].data, frames[i].len, b.views[i]);
      const core::PacketView& p = b.views[i];
      b.probed[i] = b.parsed[i].status == core::ParseStatus::ok && p.l4 != nullptr && p.protocol != core::kIpProtoIcmp;
      if (b.probed[i]) w = core::flow_words(p.ip->saddr, p.ip->daddr, p.sport(), p.dport(), p.protocol);
      else if (b.parsed[i].status == core::ParseStatus::pass)
        b.ipv6_at[i] = ipv6_header_offset(frames[i].data, frames[i].len);
    }
    if (b.ipv6_at[i] != 0) {
      ++ipv6_frames;
      w = parse_ipv6_for_probe(cs, frames[i], i, b);
    }
    probed += b.probed[i];
    staged.first[i] = w.first;
    staged.second[i] = w.second;
  }
  staged.probed = probed;
  staged.ipv6_frames = ipv6_frames;
}

void process_burst(CoreState& cs, io::Frame* frames, uint32_t n, Verdict* verdicts) {
  if (n == 0) return;
  ParsedBurst b;
  StagedWords staged;
  // Stage 1: parse everything, hash every TCP/UDP flow of either family in one batch and
  // prefetch its bucket.
  if (untagged_ipv6(frames[0])) parse_burst<true>(cs, frames, n, b, staged);
  else parse_burst<false>(cs, frames, n, b, staged);
  if (staged.probed != 0) cs.conns.probe_burst(staged.first, staged.second, b.probes, n);
  for (uint32_t i = 0; i < n; ++i)
    if (b.probed[i]) cs.conns.prefetch_bucket(b.probes[i]);
  if (staged.ipv6_frames == 0) lookup_and_process<BurstFamilies::ipv4>(cs, frames, n, b, verdicts);
  else if (staged.ipv6_frames == n) lookup_and_process<BurstFamilies::ipv6>(cs, frames, n, b, verdicts);
  else lookup_and_process<BurstFamilies::mixed>(cs, frames, n, b, verdicts);
}

}  // namespace xvs::lb
