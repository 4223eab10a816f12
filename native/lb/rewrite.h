// native/lb/rewrite.h — in-place header rewrites with incremental checksums (RFC 1624): the
// address/port translation shared by nat and fullnat, TTL decrement, MAC rewrite. Consumes a
// parsed PacketView; runs on the data-plane workers.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/checksum.h"
#include "core/net.h"
#include "core/parse.h"

namespace xvs::lb {

// Addresses and ports of one direction of a connection, network order.
struct ConnTupleValues {
  uint32_t saddr, daddr;
  uint16_t sport, dport;
};

// Replaces addresses and ports; fixes the IPv4 header checksum and the TCP/UDP checksum, whose
// pseudo-header covers the addresses too. The address delta is shared and each checksum folds
// once (RFC 1624 over all four fields at a time). `ip_delta`: more changes to the IPv4 header
// already made or about to be, folded into its checksum with the addresses (rewrite_routed).
[[gnu::always_inline]]
inline void rewrite_addresses(core::PacketView& p, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
                              uint64_t ip_delta = 0) {
  core::Ipv4Hdr* ip = p.ip;
  const uint64_t addresses = core::checksum_delta32(ip->saddr, saddr) + core::checksum_delta32(ip->daddr, daddr);
  // Both ports as one 32-bit word: a one's-complement sum does not care how words are grouped.
  uint32_t old_ports;
  std::memcpy(&old_ports, p.l4, sizeof old_ports);
  const uint32_t new_ports = static_cast<uint32_t>(dport) << 16 | sport;
  const uint64_t l4 = addresses + core::checksum_delta32(old_ports, new_ports);
  const uint16_t l4sum = p.l4_checksum();
  p.set_l4_checksum(p.protocol == core::kIpProtoUdp ? core::udp_checksum_apply(l4sum, l4) : core::checksum_apply(l4sum, l4));
  p.set_ports(sport, dport);
  ip->checksum = core::checksum_apply(ip->checksum, addresses + ip_delta);
  ip->saddr = saddr;
  ip->daddr = daddr;
}

// The TTL decrement's delta: TTL and protocol share one 16-bit word of the IPv4 header (TTL
// first); taking one off a TTL of at least 1 changes that word by the same amount whatever the
// values, so the delta depends only on the byte order of the machine. The XDP fast path's
// entries carry it too (lb/fast_path.h).
inline uint64_t ttl_decrement_delta() {
  const uint8_t before[2] = {2, 0}, after[2] = {1, 0};
  uint16_t b, a;
  std::memcpy(&b, before, 2);
  std::memcpy(&a, after, 2);
  return core::checksum_delta16(b, a);
}

// TTL >= 1: every caller has dropped packets whose TTL would expire here.
inline void decrement_ttl(core::Ipv4Hdr* ip) {
  ip->checksum = core::checksum_apply(ip->checksum, ttl_decrement_delta());
  --ip->ttl;
}

// What a routed hop (nat, fullnat) does to a packet: rewrite_addresses and decrement_ttl with
// one fold of the IPv4 checksum. TTL >= 1, as for decrement_ttl.
[[gnu::always_inline]]
inline void rewrite_routed(core::PacketView& p, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport) {
  rewrite_addresses(p, saddr, daddr, sport, dport, ttl_decrement_delta());
  --p.ip->ttl;
}

// ICMP error about a tracked connection (nat, fullnat): the quoted packet becomes `quoted`
// (addresses and ports as the other side sent or expects them), the outer header goes from
// `saddr` to `daddr`. The ICMP checksum is recomputed over the message: errors are rare and
// short, and the quoted header's own checksum fields change too.
inline void translate_icmp_error(core::PacketView& p, const ConnTupleValues& quoted, uint32_t saddr, uint32_t daddr) {
  core::QuotedPacket& q = p.quoted;
  const uint32_t old_qs = q.ip->saddr, old_qd = q.ip->daddr;
  const uint16_t old_qsp = q.sport(), old_qdp = q.dport();
  uint16_t qsum = core::checksum_replace32(q.ip->checksum, old_qs, quoted.saddr);
  q.ip->checksum = core::checksum_replace32(qsum, old_qd, quoted.daddr);
  q.ip->saddr = quoted.saddr;
  q.ip->daddr = quoted.daddr;
  // The quoted L4 checksum, if the quoted bytes reach it (always for UDP, rarely for TCP).
  const uint32_t sum_at = q.protocol == core::kIpProtoUdp ? 6 : 16;
  if (q.l4_len >= sum_at + 2) {
    uint16_t l4sum = core::load16(q.l4 + sum_at);
    const bool udp = q.protocol == core::kIpProtoUdp;
    if (!udp || l4sum != 0) {
      l4sum = core::checksum_replace32(l4sum, old_qs, quoted.saddr);
      l4sum = core::checksum_replace32(l4sum, old_qd, quoted.daddr);
      l4sum = core::checksum_replace16(l4sum, old_qsp, quoted.sport);
      l4sum = core::checksum_replace16(l4sum, old_qdp, quoted.dport);
      if (udp && l4sum == 0) l4sum = 0xffff;
      core::store16(q.l4 + sum_at, l4sum);
    }
  }
  core::store16(q.l4, quoted.sport);
  core::store16(q.l4 + 2, quoted.dport);

  core::Ipv4Hdr* ip = p.ip;
  uint16_t ipsum = core::checksum_replace32(ip->checksum, ip->saddr, saddr);
  ip->checksum = core::checksum_replace32(ipsum, ip->daddr, daddr);
  ip->saddr = saddr;
  ip->daddr = daddr;
  p.set_l4_checksum(0);
  p.set_l4_checksum(core::checksum_finish(core::checksum_partial(p.l4, p.l4_len)));
}

inline void rewrite_macs(core::EthHdr* eth, const uint8_t* src, const uint8_t* dst) {
  core::copy_mac(eth->src, src);
  core::copy_mac(eth->dst, dst);
}

}  // namespace xvs::lb
