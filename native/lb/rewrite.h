// native/lb/rewrite.h — in-place header rewrites with incremental checksums (RFC 1624): the
// address/port translation shared by nat and fullnat, TTL decrement, MAC rewrite. Consumes a
// parsed PacketView; runs on the data-plane workers.
#pragma once
#include <cstdint>

#include "core/checksum.h"
#include "core/net.h"
#include "core/parse.h"

namespace xvs::lb {

// Replaces addresses and ports; fixes the IPv4 header checksum and the TCP/UDP checksum, whose
// pseudo-header covers the addresses too.
inline void rewrite_addresses(core::PacketView& p, uint32_t saddr, uint32_t daddr, uint16_t sport,
                              uint16_t dport) {
  core::Ipv4Hdr* ip = p.ip;
  const uint32_t old_saddr = ip->saddr, old_daddr = ip->daddr;
  const uint16_t old_sport = p.sport(), old_dport = p.dport();
  uint16_t l4sum = p.l4_checksum();
  if (p.protocol == core::kIpProtoUdp) {
    l4sum = core::udp_checksum_replace32(l4sum, old_saddr, saddr);
    l4sum = core::udp_checksum_replace32(l4sum, old_daddr, daddr);
    l4sum = core::udp_checksum_replace16(l4sum, old_sport, sport);
    l4sum = core::udp_checksum_replace16(l4sum, old_dport, dport);
  } else {
    l4sum = core::checksum_replace32(l4sum, old_saddr, saddr);
    l4sum = core::checksum_replace32(l4sum, old_daddr, daddr);
    l4sum = core::checksum_replace16(l4sum, old_sport, sport);
    l4sum = core::checksum_replace16(l4sum, old_dport, dport);
  }
  p.set_l4_checksum(l4sum);
  p.set_ports(sport, dport);
  uint16_t ipsum = core::checksum_replace32(ip->checksum, old_saddr, saddr);
  ip->checksum = core::checksum_replace32(ipsum, old_daddr, daddr);
  ip->saddr = saddr;
  ip->daddr = daddr;
}

// TTL shares a 16-bit checksum word with the protocol field: TTL is its high byte.
inline void decrement_ttl(core::Ipv4Hdr* ip) {
  const uint16_t old_word = core::htons(static_cast<uint16_t>((ip->ttl << 8) | ip->protocol));
  --ip->ttl;
  const uint16_t new_word = core::htons(static_cast<uint16_t>((ip->ttl << 8) | ip->protocol));
  ip->checksum = core::checksum_replace16(ip->checksum, old_word, new_word);
}

inline void rewrite_macs(core::EthHdr* eth, const uint8_t* src, const uint8_t* dst) {
  core::copy_mac(eth->src, src);
  core::copy_mac(eth->dst, dst);
}

}  // namespace xvs::lb
