// native/lb/encap6.h — lb/encap.h for IPv6: IPv6-in-IPv6 encapsulation (RFC 2473) for tunnel
// mode, the outer header in the frame's headroom, and the ICMPv6 "packet too big" (RFC 4443 3.2)
// sent back to the client when the encapsulated packet would exceed the MTU (IPv6 routers never
// fragment: there is no DF bit to consult). Runs on the workers.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/checksum.h"
#include "core/ipv6_address.h"
#include "core/net.h"
#include "core/parse6.h"
#include "io/frame.h"
#include "lb/encap.h"

namespace xvs::lb {

inline constexpr uint32_t kIp6ip6Overhead = sizeof(core::Ipv6Hdr);
inline constexpr uint8_t kIpProtoIpv6 = 41;  // IPv6 encapsulation (RFC 2473)
// An ICMPv6 error quotes as much of the packet as fits the minimum IPv6 MTU (RFC 4443 2.4 c).
inline constexpr uint32_t kIpv6MinMtu = 1280;
inline constexpr uint32_t kIcmpv6ErrorHeader = 8;  // type, code, checksum, 4 bytes (the MTU here)

// Prepends an outer IPv6 header (next header 41) between the L2 header and the packet: outer
// source `saddr`, destination `daddr`, traffic class, flow label and hop limit copied from the
// inner header. The caller has checked frame.headroom >= kIp6ip6Overhead.
inline void encapsulate_ip6ip6(io::Frame& frame, core::Packet6View& pkt, const core::Ipv6Address& saddr,
                               const core::Ipv6Address& daddr) {
  const core::Ipv6Hdr inner = *pkt.ip;
  auto* outer = reinterpret_cast<core::Ipv6Hdr*>(room_for_outer_header(frame, pkt.l3_offset, kIp6ip6Overhead));
  outer->version_class = inner.version_class;
  std::memcpy(outer->class_flow, inner.class_flow, sizeof outer->class_flow);
  outer->payload_length = core::htons(static_cast<uint16_t>(sizeof(core::Ipv6Hdr) + core::ntohs(inner.payload_length)));
  outer->next_header = kIpProtoIpv6;
  outer->hop_limit = inner.hop_limit;
  saddr.store(outer->saddr);
  daddr.store(outer->daddr);
  pkt.eth = reinterpret_cast<core::EthHdr*>(frame.data);
}

// Turns the frame into an ICMPv6 "packet too big" from `from` back to the packet's sender,
// announcing `mtu` and quoting as much of the packet as the minimum MTU leaves room for. L2
// addresses swap. false (frame untouched) when the frame's buffer cannot hold the message.
inline bool make_packet_too_big(io::Frame& frame, core::Packet6View& pkt, const core::Ipv6Address& from, uint32_t mtu) {
  const uint32_t l2 = pkt.l3_offset;
  const uint32_t packet_len = sizeof(core::Ipv6Hdr) + core::ntohs(pkt.ip->payload_length);
  const uint32_t room = kIpv6MinMtu - sizeof(core::Ipv6Hdr) - kIcmpv6ErrorHeader;
  const uint32_t quoted_len = packet_len < room ? packet_len : room;
  const uint32_t new_len = l2 + sizeof(core::Ipv6Hdr) + kIcmpv6ErrorHeader + quoted_len;
  if (new_len > frame.capacity) return false;
  const core::Ipv6Address to = core::Ipv6Address::load(pkt.ip->saddr);

  uint8_t mac[6];
  core::copy_mac(mac, pkt.eth->src);
  core::copy_mac(pkt.eth->src, pkt.eth->dst);
  core::copy_mac(pkt.eth->dst, mac);

  uint8_t* l3 = frame.data + l2;
  std::memmove(l3 + sizeof(core::Ipv6Hdr) + kIcmpv6ErrorHeader, l3, quoted_len);
  auto* ip = reinterpret_cast<core::Ipv6Hdr*>(l3);
  ip->version_class = 0x60;
  ip->class_flow[0] = ip->class_flow[1] = ip->class_flow[2] = 0;
  ip->payload_length = core::htons(static_cast<uint16_t>(kIcmpv6ErrorHeader + quoted_len));
  ip->next_header = core::kIpProtoIcmpv6;
  ip->hop_limit = 64;
  from.store(ip->saddr);
  to.store(ip->daddr);
  uint8_t* icmp = l3 + sizeof(core::Ipv6Hdr);
  icmp[0] = core::kIcmpv6PacketTooBig;
  icmp[1] = 0;
  core::store16(icmp + 2, 0);
  const uint32_t mtu_be = core::htonl(mtu);
  std::memcpy(icmp + 4, &mtu_be, 4);
  core::store16(icmp + 2, core::ipv6_l4_checksum(ip, core::kIpProtoIcmpv6, icmp, kIcmpv6ErrorHeader + quoted_len));
  frame.len = new_len;
  pkt.ip = ip;
  return true;
}

}  // namespace xvs::lb
