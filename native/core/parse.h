// native/core/parse.h — Ethernet/IPv4/TCP/UDP parsing into a PacketView over the frame, with
// every bound checked before use. Consumes a frame, produces either a view, "not ours" (pass to
// the kernel) or a drop reason from abi/counters.h. Runs on the data-plane workers; no I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "abi/counters.h"
#include "core/net.h"

namespace xvs::core {

struct PacketView {
  uint8_t* frame;
  uint32_t frame_len;
  EthHdr* eth;
  Ipv4Hdr* ip;
  uint32_t l4_offset;  // from the frame start
  uint32_t l4_len;     // IPv4 payload length, from the IPv4 total length
  uint8_t protocol;
  uint8_t tcp_flags;   // 0 for UDP
  bool fragment;       // a fragment of a larger datagram (first or later)
  uint8_t* l4;         // TCP/UDP header, nullptr for other protocols and later fragments
  uint8_t checksum_offset;  // of the TCP/UDP checksum field within l4

  // Ports and checksum in network order. Accessed through memcpy: frame fields are unaligned.
  uint16_t sport() const { return load16(l4); }
  uint16_t dport() const { return load16(l4 + 2); }
  uint16_t l4_checksum() const { return load16(l4 + checksum_offset); }
  void set_ports(uint16_t sport, uint16_t dport) {
    store16(l4, sport);
    store16(l4 + 2, dport);
  }
  void set_l4_checksum(uint16_t v) { store16(l4 + checksum_offset, v); }

  static uint16_t load16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  static void store16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
};

enum class ParseStatus : uint8_t { ok, pass, drop };

struct ParseResult {
  ParseStatus status;
  abi::Counter drop_reason;  // meaningful when status == drop
};

inline constexpr ParseResult parse_ok() { return {ParseStatus::ok, abi::Counter::count_}; }
inline constexpr ParseResult parse_pass() { return {ParseStatus::pass, abi::Counter::count_}; }
inline constexpr ParseResult parse_drop(abi::Counter why) { return {ParseStatus::drop, why}; }

// Not-IPv4 frames (ARP, IPv6, 802.1Q for now) and IPv4 protocols other than TCP/UDP pass to the
// kernel. Later fragments carry no ports: they parse as ok with fragment set and ports null.
inline ParseResult parse_packet(uint8_t* frame, uint32_t len, PacketView& out) {
  if (len < sizeof(EthHdr)) return parse_drop(abi::Counter::drop_truncated_l2);
  out.frame = frame;
  out.frame_len = len;
  out.eth = reinterpret_cast<EthHdr*>(frame);
  if (out.eth->type != htons(kEthTypeIpv4)) return parse_pass();

  const uint32_t l3_offset = sizeof(EthHdr);
  const uint32_t l3_available = len - l3_offset;
  if (l3_available < sizeof(Ipv4Hdr)) return parse_drop(abi::Counter::drop_truncated_ip);
  out.ip = reinterpret_cast<Ipv4Hdr*>(frame + l3_offset);
  const uint32_t ihl = out.ip->header_length();
  if (out.ip->version() != 4 || ihl < sizeof(Ipv4Hdr)) return parse_drop(abi::Counter::drop_bad_ip_header);
  if (ihl > l3_available) return parse_drop(abi::Counter::drop_truncated_ip);
  const uint32_t total = ntohs(out.ip->total_length);
  // Frames longer than the datagram are Ethernet padding; shorter ones were cut in transit.
  if (total < ihl || total > l3_available) return parse_drop(abi::Counter::drop_bad_ip_length);

  out.protocol = out.ip->protocol;
  out.l4_offset = l3_offset + ihl;
  out.l4_len = total - ihl;
  out.tcp_flags = 0;
  const uint16_t frag = ntohs(out.ip->frag_off);
  out.fragment = (frag & (kIpFlagMoreFragments | kIpFragOffsetMask)) != 0;
  out.l4 = nullptr;
  out.checksum_offset = 0;
  if (out.protocol != kIpProtoTcp && out.protocol != kIpProtoUdp) return parse_pass();
  if ((frag & kIpFragOffsetMask) != 0) return parse_ok();  // later fragment: no L4 header here

  uint8_t* l4 = frame + out.l4_offset;
  if (out.protocol == kIpProtoTcp) {
    if (out.l4_len < sizeof(TcpHdr)) return parse_drop(abi::Counter::drop_truncated_l4);
    auto* tcp = reinterpret_cast<TcpHdr*>(l4);
    const uint32_t doff = tcp->header_length();
    if (doff < sizeof(TcpHdr) || doff > out.l4_len) return parse_drop(abi::Counter::drop_bad_tcp_header);
    out.tcp_flags = tcp->flags;
    out.checksum_offset = offsetof(TcpHdr, checksum);
  } else {
    if (out.l4_len < sizeof(UdpHdr)) return parse_drop(abi::Counter::drop_truncated_l4);
    out.checksum_offset = offsetof(UdpHdr, checksum);
  }
  out.l4 = l4;
  return parse_ok();
}

}  // namespace xvs::core
