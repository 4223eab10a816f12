// native/lb/fast_path.h — the XDP fast path seen from the owning worker. fast_entry_for() builds
// the entry for one direction of an established connection (abi/fast_path.h): what lb::process
// would do to that direction's plain segments and datagrams, precomputed so that the steering
// program can do it without the worker — the rewritten tuple (nat, fullnat), the RFC 1624
// checksum deltas of that rewrite and of the TTL decrement, the MACs and the egress interface.
// The rest is the entries' life, driven by lb/process.cc: installed when a connection proves
// itself (update_fast_path), replaced when a packet shows its entries are of an older snapshot,
// taken back when it closes, leaves an eligible state or is removed (remove_fast_path), and
// consulted when its timer runs out (keep_for_fast_path: the steering program's last-seen time
// re-arms it). What the steering program forwards it counts itself, per CPU and per server
// (xvs_fast_traffic, by the server's counter slot), and the engine adds that to the workers'
// counts wherever it reports traffic. Runs on the owning worker; each table call is a system
// call, made per connection event, never per packet.
//
// Only what the steering program can do alike is eligible: connections of every mode in TCP
// ESTABLISHED or UDP, not SYN-proxied nor carrying their client's address (sequence numbers are
// translated, options and headers inserted), not one-packet, not NAT64 (the family changes),
// bound to a configured server whose next hop is resolved. Of a tunnel's packets the program
// leaves to the worker those too big for the tunnel (fragmentation needed, packet too big) and
// those behind a VLAN tag. IPv4 and IPv6 connections have their own maps (xvs_fast, xvs_fast6);
// the code is written once over the family (FastPathFamily<F>), chosen per connection.
#pragma once
#include <cstdint>
#include <cstring>

#include "abi/fast_path.h"
#include "core/checksum.h"
#include "lb/egress.h"
#include "lb/encap.h"
#include "lb/family.h"
#include "lb/fast_path_table.h"
#include "lb/rewrite.h"
#include "lb/schedule.h"
#include "lb/tcp_state.h"

namespace xvs::lb {

inline bool fast_path_eligible(CoreState& cs, Conn& c) {
  if ((c.flags & (kTemplate | kOnePacket | kSynProxied)) || c.client_address != 0 || c.nat64) return false;
  if (c.protocol == core::kIpProtoTcp ? c.state != ConnState::tcp_established : c.state != ConnState::udp) return false;
  return backend_of(cs, c) != kNoBackend;
}

// A family's map types and what differs in filling them.
template <typename F>
struct FastPathFamily;

template <>
struct FastPathFamily<V4> {
  using Key = xvs_fast_key;
  using Entry = xvs_fast_entry;
  static constexpr uint32_t kTunnelOverhead = kIpipOverhead;
  static void set(__be32& field, uint32_t address) { field = address; }
  static uint64_t delta(uint32_t from, uint32_t to) { return core::checksum_delta32(from, to); }
  static uint32_t port_address(const abi::PortRecord& p) { return p.address; }
  // The IPv4 header's checksum changes with the addresses and the TTL decrement.
  static void set_ip_delta(Entry& e, uint64_t addresses) { e.ip_delta = core::checksum_fold(addresses + ttl_decrement_delta()); }
};

template <>
struct FastPathFamily<V6> {
  using Key = xvs_fast_key6;
  using Entry = xvs_fast_entry6;
  static constexpr uint32_t kTunnelOverhead = sizeof(core::Ipv6Hdr);
  static void set(__u8 (&field)[16], const core::Ipv6Address& address) { address.store(field); }
  static uint64_t delta(const core::Ipv6Address& from, const core::Ipv6Address& to) { return core::checksum_delta128(from.bytes, to.bytes); }
  static core::Ipv6Address port_address(const abi::PortRecord& p) { return core::Ipv6Address::load(p.address6.bytes); }
  static void set_ip_delta(Entry&, uint64_t) {}  // no header checksum
};

// The map key of direction `dir` of `c`: its tuple as its packets arrive.
template <typename F>
typename FastPathFamily<F>::Key fast_key_for(const ConnTable& conns, const Conn& c, Direction dir) {
  using Family = FastPathFamily<F>;
  typename Family::Key key{};
  const typename F::Tuple t = F::tuple(conns, c, dir);
  Family::set(key.saddr, t.saddr);
  Family::set(key.daddr, t.daddr);
  key.sport = t.sport;
  key.dport = t.dport;
  key.protocol = c.protocol;
  return key;
}
inline xvs_fast_key fast_key_of(const Conn& c, Direction dir) {
  xvs_fast_key key{};
  key.saddr = c.tuple[dir].saddr;
  key.daddr = c.tuple[dir].daddr;
  key.sport = c.tuple[dir].sport;
  key.dport = c.tuple[dir].dport;
  key.protocol = c.protocol;
  return key;
}

// Fills `key` and `entry` for direction `dir` of `c` (of family F); false when `c` is not
// eligible or that direction's next hop is unresolved.
template <typename F>
bool fast_entry_for(CoreState& cs, Conn& c, Direction dir, typename FastPathFamily<F>::Key& key, typename FastPathFamily<F>::Entry& entry) {
  using Family = FastPathFamily<F>;
  if (!fast_path_eligible(cs, c)) return false;
  const Egress out = egress(cs, c, dir);
  if (out.mac == nullptr) return false;
  const typename F::Tuple in = F::tuple(cs.conns, c, dir);
  key = fast_key_for<F>(cs.conns, c, dir);

  entry = typename Family::Entry{};
  const auto mode = static_cast<abi::Forwarding>(c.forwarding);
  const bool routed = mode == abi::Forwarding::nat || mode == abi::Forwarding::fullnat;
  if (routed) {
    // Each direction leaves as the reverse of the other direction's tuple (lb/translate.h).
    const typename F::Tuple other = F::tuple(cs.conns, c, dir == kFromClient ? kFromServer : kFromClient);
    Family::set(entry.saddr, other.daddr);
    Family::set(entry.daddr, other.saddr);
    entry.sport = other.dport;
    entry.dport = other.sport;
    const uint64_t addresses = Family::delta(in.saddr, other.daddr) + Family::delta(in.daddr, other.saddr);
    Family::set_ip_delta(entry, addresses);
    entry.l4_delta = core::checksum_fold(addresses + core::checksum_delta16(in.sport, entry.sport) + core::checksum_delta16(in.dport, entry.dport));
    entry.flags = XVS_FAST_ROUTED;
  } else if (mode == abi::Forwarding::tunnel) {
    // As lb/translate.h's tunnel: from the egress port's address to the server.
    const abi::PortRecord& port = cs.snapshot->ports[out.port];
    if (port.mtu <= Family::kTunnelOverhead) return false;
    Family::set(entry.saddr, Family::port_address(port));
    Family::set(entry.daddr, F::tuple(cs.conns, c, kFromServer).saddr);
    const uint32_t max_len = port.mtu - Family::kTunnelOverhead;
    entry.max_len = static_cast<uint16_t>(max_len > 0xffff ? 0xffff : max_len);
    entry.flags = XVS_FAST_TUNNEL;
  } else {
    Family::set(entry.saddr, in.saddr);
    Family::set(entry.daddr, in.daddr);
    entry.sport = in.sport;
    entry.dport = in.dport;
  }
  std::memcpy(entry.src_mac, cs.snapshot->ports[out.port].mac.bytes, 6);
  std::memcpy(entry.dst_mac, out.mac, 6);
  entry.egress_port = out.port;
  entry.server_slot = cs.snapshot->server_slot[backend_of(cs, c)];
  entry.from_server = dir == kFromServer ? 1 : 0;
  entry.generation = static_cast<uint32_t>(cs.snapshot->generation);
  entry.worker = static_cast<uint8_t>(cs.id);
  return true;
}
inline bool fast_entry_of(CoreState& cs, Conn& c, Direction dir, xvs_fast_key& key, xvs_fast_entry& entry) {
  return !c.ipv6 && fast_entry_for<V4>(cs, c, dir, key, entry);
}

// Conn::fast_path: kFastPathInstalled with the low bits of the generation its entries came
// from, or kFastPathRefused with those of the generation in which the table refused them (no
// new try before the next snapshot), or 0.
inline constexpr uint8_t kFastPathInstalled = 0x80;
inline constexpr uint8_t kFastPathRefused = 0x40;
inline constexpr uint8_t kFastPathGenerationBits = 0x3f;

inline uint8_t fast_path_generation(const CoreState& cs) {
  return static_cast<uint8_t>(cs.snapshot->generation & kFastPathGenerationBits);
}

// The directions whose packets pass this balancer: both for nat and fullnat, the client's for
// dr (replies bypass it).
inline bool passes_balancer(const Conn& c, Direction dir) { return (c.flags & (dir == kFromClient ? kLinkClient : kLinkServer)) != 0; }

namespace fast_path_detail {

template <typename F>
void remove(CoreState& cs, Conn& c) {
  for (Direction dir : {kFromClient, kFromServer}) {
    if (!passes_balancer(c, dir)) continue;
    cs.fast_path->remove(fast_key_for<F>(cs.conns, c, dir));
    cs.count(abi::Counter::fast_path_removed);
  }
}

template <typename F>
void update(CoreState& cs, Conn& c, uint8_t generation) {
  const bool replacing = (c.fast_path & kFastPathInstalled) != 0;
  const auto refuse = [&] {
    if (c.fast_path & kFastPathInstalled) remove<F>(cs, c);  // entries it had before (each counted when installed) go
    c.fast_path = static_cast<uint8_t>(kFastPathRefused | generation);
  };
  typename FastPathFamily<F>::Key keys[2];
  typename FastPathFamily<F>::Entry entries[2];
  bool wanted[2] = {};
  for (Direction dir : {kFromClient, kFromServer}) {
    if (!passes_balancer(c, dir)) continue;
    if (!fast_entry_for<F>(cs, c, dir, keys[dir], entries[dir])) return refuse();  // the worker's packets count that drop
    wanted[dir] = true;
  }
  for (Direction dir : {kFromClient, kFromServer}) {
    if (!wanted[dir] || cs.fast_path->install(keys[dir], entries[dir])) continue;
    cs.count(abi::Counter::fast_path_install_failed);
    // A new direction put in by this try comes out again uncounted; replaced ones go with refuse().
    if (!replacing && dir == kFromServer && wanted[kFromClient]) cs.fast_path->remove(keys[kFromClient]);
    return refuse();
  }
  if (!replacing)
    for (Direction dir : {kFromClient, kFromServer})
      if (wanted[dir]) cs.count(abi::Counter::fast_path_installed);
  c.fast_path = static_cast<uint8_t>(kFastPathInstalled | generation);
}

template <typename F>
uint64_t last_seen_ns(CoreState& cs, const Conn& c) {
  uint64_t last = 0;
  for (Direction dir : {kFromClient, kFromServer}) {
    if (!passes_balancer(c, dir)) continue;
    typename FastPathFamily<F>::Entry e;
    if (!cs.fast_path->read(fast_key_for<F>(cs.conns, c, dir), e)) continue;
    if (e.last_seen_ns > last) last = e.last_seen_ns;
  }
  return last;
}

}  // namespace fast_path_detail

// Deletes the entries of `c`.
inline void remove_fast_path(CoreState& cs, Conn& c) {
  if ((c.fast_path & kFastPathInstalled) != 0 && cs.fast_path != nullptr) {
    if (c.ipv6) fast_path_detail::remove<V6>(cs, c);
    else fast_path_detail::remove<V4>(cs, c);
  }
  c.fast_path = 0;
}

// After the worker forwarded a packet of `c` that was not its first: hands the connection to the
// fast path if it is eligible and not there yet, or there with entries of an older snapshot
// (replaced). A connection that is no longer eligible leaves it. When an entry cannot be built
// (an unresolved next hop) or the table refuses one, the connection stays with the worker, with
// no new try before the next snapshot.
inline void update_fast_path(CoreState& cs, Conn& c) {
  if (cs.fast_path == nullptr) return;
  const uint8_t generation = fast_path_generation(cs);
  if (!fast_path_eligible(cs, c)) {
    if (c.fast_path & kFastPathInstalled) remove_fast_path(cs, c);
    return;
  }
  if (c.fast_path != 0 && (c.fast_path & kFastPathGenerationBits) == generation) return;
  if (c.ipv6) fast_path_detail::update<V6>(cs, c, generation);
  else fast_path_detail::update<V4>(cs, c, generation);
}

// When the timer of `c` runs out: true, with the timer re-armed, if the steering program
// forwarded a packet of it within its timeout (the worker saw none meanwhile); false if it is due
// (its entries are still there: the caller removes the connection, which removes them).
inline bool keep_for_fast_path(CoreState& cs, Conn& c) {
  if ((c.fast_path & kFastPathInstalled) == 0 || cs.fast_path == nullptr) return false;
  const uint64_t last_seen_ns = c.ipv6 ? fast_path_detail::last_seen_ns<V6>(cs, c) : fast_path_detail::last_seen_ns<V4>(cs, c);
  if (last_seen_ns == 0) return false;
  const uint32_t timeout = timeout_of(cs.snapshot->timeouts, c.state);
  const auto remaining = static_cast<int32_t>(timeout - cs.fast_path->age_seconds(last_seen_ns));
  if (remaining <= 0) return false;
  cs.conns.touch(&c, c.state, cs.now, static_cast<uint32_t>(remaining));
  return true;
}

}  // namespace xvs::lb
