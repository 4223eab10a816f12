// native/core/parse.h — Ethernet (optionally one 802.1Q tag) / IPv4 / TCP, UDP, ICMP parsing
// into a PacketView over the frame, every bound checked before use. For ICMP errors the quoted
// IPv4 header and the first 8 bytes of its payload are parsed too. Consumes a frame, produces a
// view, "not ours" (pass to the kernel) or a drop reason from abi/counters.h. Runs on the
// data-plane workers; no I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "abi/counters.h"
#include "core/net.h"

namespace xvs::core {

inline uint16_t load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline void store16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

// The packet an ICMP error quotes: its IPv4 header and at least 8 bytes of its payload (ports).
struct QuotedPacket {
  Ipv4Hdr* ip;
  uint8_t* l4;       // 8 bytes available: ports at 0 and 2
  uint32_t l4_len;   // bytes of the quoted payload present in the frame (>= 8)
  uint8_t protocol;
  uint16_t sport() const { return load16(l4); }
  uint16_t dport() const { return load16(l4 + 2); }
};

// The ports and checksum of a view's upper-layer header, in network order, through memcpy: frame
// fields are unaligned. The same for both families' views (CRTP: `View` has l4, checksum_offset
// and quoted).
template <typename View>
struct UpperLayerAccess {
  uint16_t sport() const { return load16(self().l4); }
  uint16_t dport() const { return load16(self().l4 + 2); }
  uint16_t l4_checksum() const { return load16(self().l4 + self().checksum_offset); }
  void set_ports(uint16_t sport, uint16_t dport) {
    store16(self().l4, sport);
    store16(self().l4 + 2, dport);
  }
  void set_l4_checksum(uint16_t v) { store16(self().l4 + self().checksum_offset, v); }
  bool is_icmp_error() const { return self().quoted.ip != nullptr; }

 private:
  const View& self() const { return static_cast<const View&>(*this); }
  View& self() { return static_cast<View&>(*this); }
};

struct PacketView : UpperLayerAccess<PacketView> {
  uint8_t* frame;
  uint32_t frame_len;
  EthHdr* eth;
  uint32_t l3_offset;  // 14, or 18 behind one 802.1Q tag
  Ipv4Hdr* ip;
  uint32_t l4_offset;  // from the frame start
  uint32_t l4_len;     // IPv4 payload length, from the IPv4 total length
  uint8_t protocol;
  uint8_t tcp_flags;   // 0 for UDP and ICMP
  bool fragment;       // a fragment of a larger datagram (first or later)
  uint8_t* l4;         // TCP/UDP/ICMP header; nullptr for other protocols and later fragments
  uint8_t checksum_offset;  // of the L4 checksum field within l4
  QuotedPacket quoted;      // ICMP errors only (quoted.ip != nullptr)
};

enum class ParseStatus : uint8_t { ok, pass, drop };

struct ParseResult {
  ParseStatus status;
  abi::Counter drop_reason;  // meaningful when status == drop
};

inline constexpr ParseResult parse_ok() { return {ParseStatus::ok, abi::Counter::count_}; }
inline constexpr ParseResult parse_pass() { return {ParseStatus::pass, abi::Counter::count_}; }
inline constexpr ParseResult parse_drop(abi::Counter why) { return {ParseStatus::drop, why}; }

inline bool is_icmp_error_type(uint8_t type) {
  return type == kIcmpDestUnreachable || type == kIcmpSourceQuench || type == kIcmpTimeExceeded ||
         type == kIcmpParameterProblem;
}

// The quoted packet of an ICMP error: a complete IPv4 header of the right version and at least
// 8 bytes after it; anything less is malformed.
inline bool parse_quoted(uint8_t* p, uint32_t len, QuotedPacket& q) {
  if (len < sizeof(Ipv4Hdr)) return false;
  q.ip = reinterpret_cast<Ipv4Hdr*>(p);
  const uint32_t ihl = q.ip->header_length();
  if (q.ip->version() != 4 || ihl < sizeof(Ipv4Hdr) || len < ihl + 8) return false;
  q.l4 = p + ihl;
  q.l4_len = len - ihl;
  q.protocol = q.ip->protocol;
  return true;
}

// The TCP, UDP or ICMP (ICMPv6) header at `l4` of a view whose protocol and l4_len are set:
// bounds, flags and the checksum's offset; for an ICMP error (`is_error` of its type) the quoted
// packet through `quote`, false for a malformed quote. Shared by parse_packet and parse_ipv6.
template <typename View, typename Quote>
inline ParseResult parse_upper_layer(View& out, uint8_t* l4, bool (*is_error)(uint8_t), Quote&& quote) {
  if (out.protocol == kIpProtoTcp) {
    if (out.l4_len < sizeof(TcpHdr)) return parse_drop(abi::Counter::drop_truncated_l4);
    auto* tcp = reinterpret_cast<TcpHdr*>(l4);
    const uint32_t doff = tcp->header_length();
    if (doff < sizeof(TcpHdr) || doff > out.l4_len) return parse_drop(abi::Counter::drop_bad_tcp_header);
    out.tcp_flags = tcp->flags;
    out.checksum_offset = offsetof(TcpHdr, checksum);
  } else if (out.protocol == kIpProtoUdp) {
    if (out.l4_len < sizeof(UdpHdr)) return parse_drop(abi::Counter::drop_truncated_l4);
    out.checksum_offset = offsetof(UdpHdr, checksum);
  } else {  // ICMP, ICMPv6: the same header layout
    if (out.l4_len < sizeof(IcmpHdr)) return parse_drop(abi::Counter::drop_truncated_l4);
    out.checksum_offset = offsetof(IcmpHdr, checksum);
    const auto* icmp = reinterpret_cast<const IcmpHdr*>(l4);
    if (is_error(icmp->type) && !quote(l4 + sizeof(IcmpHdr), out.l4_len - sizeof(IcmpHdr), out.quoted)) {
      out.quoted = {};
      return parse_drop(abi::Counter::drop_bad_icmp);
    }
  }
  out.l4 = l4;
  return parse_ok();
}

// ARP, IPv6, double tags and other ethertypes, and IPv4 protocols other than TCP/UDP/ICMP pass
// to the kernel. Later fragments carry no ports: they parse as ok with fragment set and l4 null.
// Inlined where the caller asks (parse_packet_inline: an IPv4 burst's first stage, ~1 ns a packet
// less than the call, bench/README.md); parse_packet, out of line, everywhere else, so that the
// other paths keep the code size and inlining decisions they were measured with.
[[gnu::always_inline]] inline ParseResult parse_packet_inline(uint8_t* frame, uint32_t len, PacketView& out) {
  if (len < sizeof(EthHdr)) return parse_drop(abi::Counter::drop_truncated_l2);
  out.frame = frame;
  out.frame_len = len;
  out.eth = reinterpret_cast<EthHdr*>(frame);
  out.l3_offset = sizeof(EthHdr);
  uint16_t type = out.eth->type;
  if (type == htons(kEthTypeVlan)) {
    if (len < sizeof(EthHdr) + sizeof(VlanHdr)) return parse_drop(abi::Counter::drop_truncated_l2);
    type = reinterpret_cast<const VlanHdr*>(frame + sizeof(EthHdr))->type;
    out.l3_offset += sizeof(VlanHdr);
  }
  if (type != htons(kEthTypeIpv4)) return parse_pass();

  const uint32_t l3_available = len - out.l3_offset;
  if (l3_available < sizeof(Ipv4Hdr)) return parse_drop(abi::Counter::drop_truncated_ip);
  out.ip = reinterpret_cast<Ipv4Hdr*>(frame + out.l3_offset);
  const uint32_t ihl = out.ip->header_length();
  if (out.ip->version() != 4 || ihl < sizeof(Ipv4Hdr)) return parse_drop(abi::Counter::drop_bad_ip_header);
  if (ihl > l3_available) return parse_drop(abi::Counter::drop_truncated_ip);
  const uint32_t total = ntohs(out.ip->total_length);
  // Frames longer than the datagram are Ethernet padding; shorter ones were cut in transit.
  if (total < ihl || total > l3_available) return parse_drop(abi::Counter::drop_bad_ip_length);

  out.protocol = out.ip->protocol;
  out.l4_offset = out.l3_offset + ihl;
  out.l4_len = total - ihl;
  out.tcp_flags = 0;
  out.l4 = nullptr;
  out.checksum_offset = 0;
  out.quoted = QuotedPacket{};
  const uint16_t frag = ntohs(out.ip->frag_off);
  out.fragment = (frag & (kIpFlagMoreFragments | kIpFragOffsetMask)) != 0;
  if (out.protocol != kIpProtoTcp && out.protocol != kIpProtoUdp && out.protocol != kIpProtoIcmp) return parse_pass();
  if ((frag & kIpFragOffsetMask) != 0) return parse_ok();  // later fragment: no L4 header here

  return parse_upper_layer(out, frame + out.l4_offset, is_icmp_error_type, parse_quoted);
}
[[gnu::noinline]] inline ParseResult parse_packet(uint8_t* frame, uint32_t len, PacketView& out) {
  return parse_packet_inline(frame, len, out);
}

}  // namespace xvs::core
