// native/lb/encap.h — packets xvs makes rather than rewrites: IPIP encapsulation for tunnel
// mode (outer header in the frame's headroom) and the ICMP fragmentation-needed reply sent when
// encapsulation would exceed the MTU and DF is set (as IPVS does). Runs on the workers.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/checksum.h"
#include "core/net.h"
#include "core/parse.h"
#include "io/frame.h"

namespace xvs::lb {

inline constexpr uint32_t kIpipOverhead = sizeof(core::Ipv4Hdr);

// Prepends an outer IPv4 header (protocol 4) between the L2 header and the packet: outer source
// `saddr`, destination `daddr`, TTL and TOS copied from the inner header, DF copied too. The
// caller has checked frame.headroom >= kIpipOverhead. Updates the frame and the view's eth.
// Makes room for an outer header of `bytes` between the L2 header (`l2` bytes, VLAN tag
// included) and the packet: the frame starts `bytes` earlier and the L2 header moves forward.
// The caller has checked frame.headroom >= bytes. Returns where the outer header goes.
inline uint8_t* room_for_outer_header(io::Frame& frame, uint32_t l2, uint32_t bytes) {
  frame.data -= bytes;
  frame.headroom -= bytes;
  frame.len += bytes;
  frame.capacity += bytes;
  std::memmove(frame.data, frame.data + bytes, l2);
  return frame.data + l2;
}

inline void encapsulate_ipip(io::Frame& frame, core::PacketView& pkt, uint32_t saddr, uint32_t daddr) {
  const uint32_t l2 = pkt.l3_offset;
  const core::Ipv4Hdr inner = *pkt.ip;
  auto* outer = reinterpret_cast<core::Ipv4Hdr*>(room_for_outer_header(frame, l2, kIpipOverhead));
  outer->version_ihl = 0x45;
  outer->tos = inner.tos;
  outer->total_length = core::htons(static_cast<uint16_t>(core::ntohs(inner.total_length) + kIpipOverhead));
  outer->id = inner.id;
  outer->frag_off = inner.frag_off & core::htons(core::kIpFlagDontFragment);
  outer->ttl = inner.ttl;
  outer->protocol = core::kIpProtoIpip;
  outer->checksum = 0;
  outer->saddr = saddr;
  outer->daddr = daddr;
  outer->checksum = core::ipv4_header_checksum(outer);
  pkt.eth = reinterpret_cast<core::EthHdr*>(frame.data);
}

// Turns the frame into an ICMP "fragmentation needed" (type 3 code 4) from `from` back to the
// packet's sender, quoting its IPv4 header and 8 bytes, announcing `mtu`. L2 addresses swap.
inline void make_frag_needed(io::Frame& frame, core::PacketView& pkt, uint32_t from, uint16_t mtu) {
  const uint32_t l2 = pkt.l3_offset;
  const uint32_t quoted_len = pkt.ip->header_length() + 8;  // parse guaranteed an L4 header >= 8
  uint8_t quoted[60 + 8];
  std::memcpy(quoted, pkt.ip, quoted_len);
  const uint32_t to = pkt.ip->saddr;

  uint8_t mac[6];
  core::copy_mac(mac, pkt.eth->src);
  core::copy_mac(pkt.eth->src, pkt.eth->dst);
  core::copy_mac(pkt.eth->dst, mac);

  auto* ip = reinterpret_cast<core::Ipv4Hdr*>(frame.data + l2);
  auto* icmp = reinterpret_cast<core::IcmpHdr*>(frame.data + l2 + sizeof(core::Ipv4Hdr));
  const uint32_t icmp_len = sizeof(core::IcmpHdr) + quoted_len;
  ip->version_ihl = 0x45;
  ip->tos = 0;
  ip->total_length = core::htons(static_cast<uint16_t>(sizeof(core::Ipv4Hdr) + icmp_len));
  ip->id = 0;
  ip->frag_off = core::htons(core::kIpFlagDontFragment);
  ip->ttl = 64;
  ip->protocol = core::kIpProtoIcmp;
  ip->checksum = 0;
  ip->saddr = from;
  ip->daddr = to;
  ip->checksum = core::ipv4_header_checksum(ip);
  icmp->type = core::kIcmpDestUnreachable;
  icmp->code = core::kIcmpCodeFragNeeded;
  icmp->checksum = 0;
  icmp->unused = 0;
  icmp->mtu = core::htons(mtu);
  std::memcpy(reinterpret_cast<uint8_t*>(icmp) + sizeof(core::IcmpHdr), quoted, quoted_len);
  icmp->checksum = core::checksum_finish(core::checksum_partial(icmp, icmp_len));
  frame.len = l2 + sizeof(core::Ipv4Hdr) + icmp_len;
}

}  // namespace xvs::lb
