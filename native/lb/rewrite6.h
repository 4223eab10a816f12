// native/lb/rewrite6.h — lb/rewrite.h's header rewrites for IPv6 (overloads on Packet6View):
// the nat/fullnat address and port translation with its incremental upper-layer checksum (RFC
// 1624; IPv6 has no header checksum, its pseudo-header covers both addresses), the hop-limit
// decrement, and the translation of an ICMPv6 error about a tracked connection. Runs on the
// data-plane workers.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/checksum.h"
#include "core/ipv6_address.h"
#include "core/net.h"
#include "core/parse6.h"
#include "lb/conn.h"

namespace xvs::lb {

// Hop limit >= 1: callers drop packets whose hop limit would expire here.
inline void decrement_ttl(core::Ipv6Hdr* ip) { --ip->hop_limit; }

// Replaces addresses and ports, and decrements the hop limit: what a routed hop does. `delta`:
// the change's upper-layer checksum delta, lb/conn.h routed_rewrite_delta (a connection keeps it).
[[gnu::always_inline]]
inline void rewrite_routed(core::Packet6View& p, const core::Ipv6Address& saddr, const core::Ipv6Address& daddr, uint16_t sport,
                           uint16_t dport, uint16_t delta) {
  core::Ipv6Hdr* ip = p.ip;
  const uint16_t sum = p.l4_checksum();
  p.set_l4_checksum(p.protocol == core::kIpProtoUdp ? core::udp_checksum_apply(sum, delta) : core::checksum_apply(sum, delta));
  p.set_ports(sport, dport);
  saddr.store(ip->saddr);
  daddr.store(ip->daddr);
  --ip->hop_limit;
}

// ICMPv6 error about a tracked connection (nat, fullnat): the quoted packet becomes `quoted`, the
// outer header goes from `saddr` to `daddr`. The ICMPv6 checksum (over the pseudo-header too) is
// recomputed over the message: errors are rare, and the quoted checksum fields change as well.
inline void translate_icmp_error(core::Packet6View& p, const ConnTuple6& quoted, const core::Ipv6Address& saddr,
                                 const core::Ipv6Address& daddr) {
  core::Quoted6Packet& q = p.quoted;
  // The quoted TCP/UDP checksum, if the quoted bytes reach it: its pseudo-header has the quoted
  // addresses, its header the ports.
  const uint32_t sum_at = q.protocol == core::kIpProtoUdp ? 6 : 16;
  if (q.l4_len >= sum_at + 2) {
    uint32_t old_ports, new_ports = static_cast<uint32_t>(quoted.dport) << 16 | quoted.sport;
    std::memcpy(&old_ports, q.l4, sizeof old_ports);
    const uint64_t delta = core::checksum_delta128(q.ip->saddr, quoted.saddr.bytes) +
                           core::checksum_delta128(q.ip->daddr, quoted.daddr.bytes) + core::checksum_delta32(old_ports, new_ports);
    const uint16_t sum = core::load16(q.l4 + sum_at);
    core::store16(q.l4 + sum_at, q.protocol == core::kIpProtoUdp ? core::udp_checksum_apply(sum, delta) : core::checksum_apply(sum, delta));
  }
  quoted.saddr.store(q.ip->saddr);
  quoted.daddr.store(q.ip->daddr);
  core::store16(q.l4, quoted.sport);
  core::store16(q.l4 + 2, quoted.dport);

  saddr.store(p.ip->saddr);
  daddr.store(p.ip->daddr);
  p.set_l4_checksum(0);
  p.set_l4_checksum(core::ipv6_l4_checksum(p.ip, core::kIpProtoIcmpv6, p.l4, p.l4_len));
}

}  // namespace xvs::lb
