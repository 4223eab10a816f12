// native/lb/translate.h — the translation of each forwarding mode (lb/process.cc's last step):
// dr rewrites MACs, nat and fullnat rewrite addresses and ports (TTL or hop limit decremented),
// tunnel encapsulates (IPIP or ip6ip6, with frag-needed / packet-too-big when it would not fit),
// each a template on the address family (lb/family.h); fullnat's NAT64 connections change family
// (lb/nat64.h), their ICMP errors too; and the small helpers the packet path
// shares with them (counted drops, the L2 rewrite). Consumes a parsed frame and its connection;
// produces a verdict with the frame rewritten in place. Runs on the data-plane workers, inside
// lb::process only.
#pragma once
#include <cstdint>

#include "abi/records.h"
#include "core/net.h"
#include "io/frame.h"
#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/egress.h"
#include "lb/encap.h"
#include "lb/encap6.h"
#include "lb/family.h"
#include "lb/client_address.h"
#include "lb/load.h"
#include "lb/nat64.h"
#include "lb/process.h"
#include "lb/rewrite.h"
#include "lb/rewrite6.h"

namespace xvs::lb::path {

using abi::Counter;
using abi::Forwarding;

inline Verdict drop(CoreState& cs, Counter why) {
  cs.count(why);
  return Verdict::drop;
}

// nat and fullnat make xvs a routed hop (addresses rewritten, TTL decremented); dr and tunnel
// deliver the client's packet as it came.
inline bool is_routed_hop(Forwarding f) { return f == Forwarding::nat || f == Forwarding::fullnat; }

inline ConnTupleValues values(const ConnTuple& t) { return {t.saddr, t.daddr, t.sport, t.dport}; }
inline const ConnTuple6& values(const ConnTuple6& t) { return t; }

inline Direction opposite(Direction dir) { return static_cast<Direction>(dir ^ 1); }

template <typename View>
inline void set_l2(CoreState& cs, io::Frame& frame, View& pkt, Egress out) {
  rewrite_macs(pkt.eth, cs.snapshot->ports[out.port].mac.bytes, out.mac);
  frame.port = out.port;
}

template <Forwarding Mode, typename F>
struct Translate;

// dr: the server holds the VIP; only the destination MAC changes. Not a routed hop: TTL stays.
template <typename F>
struct Translate<Forwarding::dr, F> {
  [[gnu::always_inline]] static Verdict run(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, Direction dir) {
    const Egress out = egress(cs, c, dir);
    if (out.mac == nullptr) return drop(cs, Counter::drop_neighbor_unresolved);
    set_l2(cs, frame, pkt, out);
    return Verdict::tx;
  }
};

// nat and fullnat: each direction becomes the reverse of the other direction's tuple:
//   nat:     CIP:cport->VIP:vport => CIP:cport->RIP:rport,  RIP:rport->CIP:cport => VIP:vport->CIP:cport
//   fullnat: CIP:cport->VIP:vport => LIP:lport->RIP:rport,  RIP:rport->LIP:lport => VIP:vport->CIP:cport
// A routed hop: TTL (hop limit) is decremented.
template <typename F>
[[gnu::always_inline]]
inline Verdict translate_nat(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, Direction dir) {
  const Egress out = egress(cs, c, dir);
  if (out.mac == nullptr) return drop(cs, Counter::drop_neighbor_unresolved);
  // IPv4: a reference into the connection's line; IPv6: a copy made of both lines, the checksum
  // delta kept in the connection (lb/conn.h rewrite_delta6).
  const auto& other = F::tuple(cs.conns, c, opposite(dir));
  if constexpr (F::kIpv6) rewrite_routed(pkt, other.daddr, other.saddr, other.dport, other.sport, rewrite_delta6(c, dir));
  else rewrite_routed(pkt, other.daddr, other.saddr, other.dport, other.sport);
  set_l2(cs, frame, pkt, out);
  return Verdict::tx;
}
template <typename F>
struct Translate<Forwarding::nat, F> {
  [[gnu::always_inline]] static Verdict run(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, Direction dir) {
    return translate_nat<F>(cs, frame, pkt, c, dir);
  }
};
template <typename F>
struct Translate<Forwarding::fullnat, F> {
  [[gnu::always_inline]] static Verdict run(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, Direction dir) {
    return translate_nat<F>(cs, frame, pkt, c, dir);
  }
};

// tunnel: IPIP to the server (outer source: the egress port's address), inner packet untouched.
// Too big for the MTU: ICMP fragmentation-needed back to the client if DF is set, else a drop.
inline Verdict tunnel_ipv4(CoreState& cs, io::Frame& frame, core::PacketView& pkt, Conn& c, Direction dir) {
  const Egress out = egress(cs, c, dir);
  if (out.mac == nullptr) return drop(cs, Counter::drop_neighbor_unresolved);
  const abi::PortRecord& port = cs.snapshot->ports[out.port];
  const uint32_t inner = core::ntohs(pkt.ip->total_length);
  if (inner + kIpipOverhead > port.mtu) {
    // An ICMP error never answers an ICMP error (RFC 1122 3.2.2; IPVS skips ICMP here too).
    if ((pkt.ip->frag_off & core::htons(core::kIpFlagDontFragment)) == 0 || pkt.protocol == core::kIpProtoIcmp)
      return drop(cs, Counter::drop_tunnel_mtu);
    const abi::PortRecord& arrival = cs.snapshot->ports[frame.port];
    // From the arrival port's address; a port without one answers from the address the client
    // wrote to (the VIP, as the kernel's icmp_send does), never from 0.0.0.0.
    const uint32_t from = arrival.address != 0 ? arrival.address : pkt.ip->daddr;
    make_frag_needed(frame, pkt, from, static_cast<uint16_t>(port.mtu - kIpipOverhead));
    rewrite_macs(pkt.eth, arrival.mac.bytes, pkt.eth->dst);
    cs.count(Counter::icmp_frag_needed_sent);
    return Verdict::tx;
  }
  if (frame.headroom < kIpipOverhead) return drop(cs, Counter::drop_no_headroom);
  encapsulate_ipip(frame, pkt, port.address, c.tuple[kFromServer].saddr);
  set_l2(cs, frame, pkt, out);
  return Verdict::tx;
}

// tunnel over IPv6: IPv6-in-IPv6 to the server (outer source: the egress port's IPv6 address).
// Too big for the MTU: ICMPv6 packet-too-big back to the client (IPv6 is never fragmented on
// the way), except for ICMPv6 errors, which no error answers (RFC 4443 2.4 e).
inline Verdict tunnel_ipv6(CoreState& cs, io::Frame& frame, core::Packet6View& pkt, Conn& c, Direction dir) {
  const Egress out = egress(cs, c, dir);
  if (out.mac == nullptr) return drop(cs, Counter::drop_neighbor_unresolved);
  const abi::PortRecord& port = cs.snapshot->ports[out.port];
  if (V6::ip_bytes(pkt) + kIp6ip6Overhead > port.mtu) {
    if (pkt.protocol == core::kIpProtoIcmpv6) return drop(cs, Counter::drop_tunnel_mtu);
    const abi::PortRecord& arrival = cs.snapshot->ports[frame.port];
    const core::Ipv6Address own = V6::port_address(arrival);
    const core::Ipv6Address from = own.is_zero() ? V6::daddr(pkt) : own;
    if (!make_packet_too_big(frame, pkt, from, port.mtu - kIp6ip6Overhead)) return drop(cs, Counter::drop_tunnel_mtu);
    rewrite_macs(pkt.eth, arrival.mac.bytes, pkt.eth->dst);
    cs.count(Counter::icmp_frag_needed_sent);
    return Verdict::tx;
  }
  if (frame.headroom < kIp6ip6Overhead) return drop(cs, Counter::drop_no_headroom);
  // The server's address from its record: a transient (one-packet) connection has no address line.
  encapsulate_ip6ip6(frame, pkt, V6::port_address(port), V6::address(cs.snapshot->backends[backend_of(cs, c)]));
  set_l2(cs, frame, pkt, out);
  return Verdict::tx;
}

template <typename F>
struct Translate<Forwarding::tunnel, F> {
  static Verdict run(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, Direction dir) {
    if constexpr (F::kIpv6) return tunnel_ipv6(cs, frame, pkt, c, dir);
    else return tunnel_ipv4(cs, frame, pkt, c, dir);
  }
};

// fullnat with an IPv6 client and IPv4 servers (NAT64, lb/nat64.h): the client's packets leave
// as IPv4 from the LIP, the server's as IPv6 from the VIP, one hop less. A server's packet too big
// for the client's MTU once IPv6 is answered with ICMP fragmentation-needed from the LIP when DF
// is set (as an IPv4 router would), else dropped; the client's packets only shrink.
// Out of line: the common paths keep their inlining budget (an IPv4 packet of a NAT64 connection
// is a server's, rarer than the others).
template <typename F>
[[gnu::noinline]] Verdict translate_nat64(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, Direction dir) {
  const Egress out = egress(cs, c, dir);
  if (out.mac == nullptr) return drop(cs, Counter::drop_neighbor_unresolved);
  core::EthHdr* eth;
  if constexpr (F::kIpv6) {
    const ConnTuple& server = c.tuple[kFromServer];
    eth = nat64::to_ipv4(frame, pkt, ConnTuple{server.daddr, server.saddr, server.dport, server.sport}, cs.next_ip_id++);
    if (eth == nullptr) return drop(cs, Counter::drop_nat64_mtu);
  } else {
    const uint32_t mtu = cs.snapshot->ports[out.port].mtu;
    if (V4::ip_bytes(pkt) + nat64::kGrowth > mtu) {
      if ((pkt.ip->frag_off & core::htons(core::kIpFlagDontFragment)) == 0) return drop(cs, Counter::drop_nat64_mtu);
      const abi::PortRecord& arrival = cs.snapshot->ports[frame.port];
      make_frag_needed(frame, pkt, pkt.ip->daddr, static_cast<uint16_t>(mtu - nat64::kGrowth));
      rewrite_macs(pkt.eth, arrival.mac.bytes, pkt.eth->dst);
      cs.count(Counter::icmp_frag_needed_sent);
      return Verdict::tx;
    }
    const ConnTuple6 client = cs.conns.tuple6(c, kFromClient);
    eth = nat64::to_ipv6(frame, pkt, ConnTuple6{client.daddr, client.saddr, client.dport, client.sport});
    if (eth == nullptr) return drop(cs, Counter::drop_no_headroom);
  }
  rewrite_macs(eth, cs.snapshot->ports[out.port].mac.bytes, out.mac);
  frame.port = out.port;
  return Verdict::tx;
}

// An ICMP error about a NAT64 connection goes to the other side in the other family (RFC 7915),
// from the address that side talks to: to the server from the LIP, to the client from the VIP.
// `dir`: the side the error came from (an IPv6 error can only be about the client side).
template <typename F>
[[gnu::noinline, gnu::cold]] Verdict translate_nat64_icmp(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, Direction dir) {
  const Egress out = egress(cs, c, dir);
  if (out.mac == nullptr) return drop(cs, Counter::drop_neighbor_unresolved);
  nat64::IcmpResult r;
  if constexpr (F::kIpv6) {
    const ConnTuple& server = c.tuple[kFromServer];
    r = nat64::icmp_to_ipv4(frame, pkt, server.daddr, server.saddr, server);
  } else {
    if (c.client_address != 0) {
      lower_reported_mtu(cs, pkt, c);
      if (c.client_address == static_cast<uint8_t>(ClientAddress::proxy_v2)) untranslate_quoted_client_seq(cs, pkt, c);
    }
    const ConnTuple6 client = cs.conns.tuple6(c, kFromClient);
    r = nat64::icmp_to_ipv6(frame, pkt, client.daddr, client.saddr, client, cs.snapshot->ports[out.port].mtu);
  }
  if (r == nat64::IcmpResult::untranslatable) return drop(cs, Counter::drop_nat64_icmp_untranslatable);
  if (r == nat64::IcmpResult::no_room) return drop(cs, Counter::drop_no_headroom);
  rewrite_macs(reinterpret_cast<core::EthHdr*>(frame.data), cs.snapshot->ports[out.port].mac.bytes, out.mac);
  frame.port = out.port;
  cs.count(Counter::icmp_forwarded);
  return Verdict::tx;
}

template <typename F>
[[gnu::always_inline]]
inline Verdict translate_by_mode(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, Direction dir) {
  switch (static_cast<Forwarding>(c.forwarding)) {
    case Forwarding::dr: return Translate<Forwarding::dr, F>::run(cs, frame, pkt, c, dir);
    case Forwarding::nat: return Translate<Forwarding::nat, F>::run(cs, frame, pkt, c, dir);
    case Forwarding::tunnel: return Translate<Forwarding::tunnel, F>::run(cs, frame, pkt, c, dir);
    case Forwarding::fullnat:
      if (c.nat64) [[unlikely]] return translate_nat64<F>(cs, frame, pkt, c, dir);
      return Translate<Forwarding::fullnat, F>::run(cs, frame, pkt, c, dir);
  }
  return Verdict::pass;
}

}  // namespace xvs::lb::path
