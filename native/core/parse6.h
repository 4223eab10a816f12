// native/core/parse6.h — IPv6 (RFC 8200) after the Ethernet header, with its extension headers
// (hop-by-hop, routing, destination options, fragment, authentication), then TCP, UDP or ICMPv6,
// into a Packet6View over the frame whose fields mirror core::PacketView's, so that the packet
// path can be written once over both families; for ICMPv6 errors (RFC 4443: unreachable, packet
// too big, time exceeded, parameter problem) the quoted IPv6 packet is parsed too, through its
// own extension headers, to its first 8 bytes of TCP/UDP. Every bound is checked before use: a
// chain longer than kMaxIpv6ExtensionHeaders, or a hop-by-hop header anywhere but first, is a
// drop of its own (drop_ipv6_extension_headers); ESP, "no next header" and protocols other than
// TCP, UDP and ICMPv6 are the kernel's. (A UDP datagram with a zero checksum parses: whether it
// is dropped depends on whom it is for, lb/process.cc.) Later fragments carry no ports: they parse as ok with
// `fragment` set and l4 null; so does a first fragment's view have `fragment` set. Consumes a
// frame and the offset of its IPv6 header (after any VLAN tag); runs on the data-plane workers.
#pragma once
#include <cstddef>
#include <cstdint>

#include "abi/counters.h"
#include "core/net.h"
#include "core/parse.h"

namespace xvs::core {

inline constexpr uint32_t kMaxIpv6ExtensionHeaders = 8;

inline constexpr uint8_t kIcmpv6DestUnreachable = 1;
inline constexpr uint8_t kIcmpv6PacketTooBig = 2;
inline constexpr uint8_t kIcmpv6TimeExceeded = 3;
inline constexpr uint8_t kIcmpv6ParameterProblem = 4;

// The packet an ICMPv6 error quotes: its IPv6 header and at least 8 bytes of its TCP/UDP header.
struct Quoted6Packet {
  Ipv6Hdr* ip;
  uint8_t* l4;      // 8 bytes available: ports at 0 and 2
  uint32_t l4_len;  // bytes of the quoted upper-layer packet present in the frame (>= 8)
  uint8_t protocol;
  uint16_t sport() const { return load16(l4); }
  uint16_t dport() const { return load16(l4 + 2); }
};

struct Packet6View : UpperLayerAccess<Packet6View> {
  uint8_t* frame;
  uint32_t frame_len;
  EthHdr* eth;
  uint32_t l3_offset;  // 14, or 18 behind one 802.1Q tag
  Ipv6Hdr* ip;
  uint32_t l4_offset;  // from the frame start: after the extension headers
  uint32_t l4_len;     // upper-layer length: the payload length less the extension headers
  uint8_t protocol;    // the upper-layer protocol (the last next-header value)
  uint8_t tcp_flags;   // 0 for UDP and ICMPv6
  bool fragment;       // a fragment of a larger datagram (first or later); atomic fragments are not
  uint8_t* l4;         // TCP/UDP/ICMPv6 header; nullptr for later fragments
  uint8_t checksum_offset;
  Quoted6Packet quoted;  // ICMPv6 errors only (quoted.ip != nullptr)
};

inline bool is_icmpv6_error_type(uint8_t type) {
  return type == kIcmpv6DestUnreachable || type == kIcmpv6PacketTooBig || type == kIcmpv6TimeExceeded ||
         type == kIcmpv6ParameterProblem;
}

// Where the extension headers after an IPv6 header at `ip` end, within `end` bytes of it.
struct Ipv6Chain {
  enum class Result : uint8_t { upper, pass, truncated, bad } result;
  uint8_t protocol;     // the upper-layer protocol (result upper)
  uint32_t offset;      // of the upper-layer header from `ip`
  bool fragment;        // a fragment header with an offset or more fragments
  bool later_fragment;  // a fragment header with a non-zero offset: no upper-layer header here
};

inline Ipv6Chain walk_ipv6_chain(const uint8_t* ip, uint32_t end) {
  Ipv6Chain c{Ipv6Chain::Result::upper, reinterpret_cast<const Ipv6Hdr*>(ip)->next_header, sizeof(Ipv6Hdr), false, false};
  for (uint32_t count = 0;; ++count) {
    const uint8_t next = c.protocol;
    if (next != kIpv6HopByHop && next != kIpv6Routing && next != kIpv6DestOptions && next != kIpv6Fragment && next != kIpv6Auth)
      break;
    // RFC 8200 4.3: a hop-by-hop header only right after the IPv6 header.
    if (count == kMaxIpv6ExtensionHeaders || (next == kIpv6HopByHop && count != 0)) return {Ipv6Chain::Result::bad, next, c.offset, false, false};
    if (c.offset + 8 > end) return {Ipv6Chain::Result::truncated, next, c.offset, false, false};
    const uint8_t* h = ip + c.offset;
    uint32_t length = 8;
    if (next == kIpv6Fragment) {
      const uint16_t field = ntohs(load16(h + 2));
      const bool later = (field & kIpv6FragOffsetMask) != 0;
      // An atomic fragment (offset 0, no more) is a whole datagram (RFC 6946).
      c.fragment = c.fragment || later || (field & kIpv6MoreFragments) != 0;
      if (later) {  // what follows is the middle of the datagram: its next header names its protocol
        c.protocol = h[0];
        c.offset += 8;
        c.later_fragment = true;
        break;
      }
    } else if (next == kIpv6Auth) {
      length = (h[1] + 2u) * 4u;  // RFC 4302 2.2: in 4-byte units, less 2
    } else {
      length = (h[1] + 1u) * 8u;
    }
    if (c.offset + length > end) return {Ipv6Chain::Result::truncated, next, c.offset, false, false};
    c.protocol = h[0];
    c.offset += length;
  }
  if (c.protocol != kIpProtoTcp && c.protocol != kIpProtoUdp && c.protocol != kIpProtoIcmpv6) c.result = Ipv6Chain::Result::pass;
  return c;
}

// The packet quoted by an ICMPv6 error: an IPv6 header, its extension headers and at least 8
// bytes of a TCP or UDP header (a quote of anything else is of no connection: quoted.ip stays
// null and the error is the kernel's). false when the quote is malformed.
inline bool parse_quoted6(uint8_t* p, uint32_t len, Quoted6Packet& q) {
  q = Quoted6Packet{};
  if (len < sizeof(Ipv6Hdr) || reinterpret_cast<const Ipv6Hdr*>(p)->version() != 6) return false;
  const Ipv6Chain c = walk_ipv6_chain(p, len);
  if (c.result == Ipv6Chain::Result::bad || c.result == Ipv6Chain::Result::truncated) return false;
  if (c.result == Ipv6Chain::Result::pass || c.later_fragment || c.protocol == kIpProtoIcmpv6) return true;
  if (len < c.offset + 8) return false;
  q.ip = reinterpret_cast<Ipv6Hdr*>(p);
  q.l4 = p + c.offset;
  q.l4_len = len - c.offset;
  q.protocol = c.protocol;
  return true;
}

// Always inlined: called out of line from a burst's parse loop (lb/process.cc parse_burst), the
// view went through memory between the two and an IPv6 packet cost 1.4 ns more at 1 000 and at
// 1 M flows (interleaved runs, bench/README.md). IPv4's parse_packet is inlined there too
// (parse_packet_inline, core/parse.h).
[[gnu::always_inline]] inline ParseResult parse_ipv6(uint8_t* frame, uint32_t len, uint32_t l3_offset, Packet6View& out) {
  // Every field is set before a verdict of ok (the rest only matter then): no blanket zeroing.
  out.tcp_flags = 0;
  out.fragment = false;
  out.l4 = nullptr;
  out.checksum_offset = 0;
  out.quoted = Quoted6Packet{};
  out.frame = frame;
  out.frame_len = len;
  out.eth = reinterpret_cast<EthHdr*>(frame);
  out.l3_offset = l3_offset;
  const uint32_t l3_available = len - l3_offset;
  if (len < l3_offset || l3_available < sizeof(Ipv6Hdr)) return parse_drop(abi::Counter::drop_truncated_ip);
  out.ip = reinterpret_cast<Ipv6Hdr*>(frame + l3_offset);
  if (out.ip->version() != 6) return parse_drop(abi::Counter::drop_bad_ip_header);
  // A zero payload length announces a jumbogram (RFC 2675), which no Ethernet frame holds.
  // Frames longer than the datagram are Ethernet padding; shorter ones were cut in transit.
  const uint32_t payload = ntohs(out.ip->payload_length);
  if (payload == 0 || sizeof(Ipv6Hdr) + payload > l3_available) return parse_drop(abi::Counter::drop_bad_ip_length);
  const uint32_t end = sizeof(Ipv6Hdr) + payload;

  // Most packets carry their upper layer right after the fixed header: no chain to walk.
  const uint8_t first = out.ip->next_header;
  const Ipv6Chain c = first == kIpProtoTcp || first == kIpProtoUdp || first == kIpProtoIcmpv6
                          ? Ipv6Chain{Ipv6Chain::Result::upper, first, sizeof(Ipv6Hdr), false, false}
                          : walk_ipv6_chain(frame + l3_offset, end);
  if (c.result == Ipv6Chain::Result::bad) return parse_drop(abi::Counter::drop_ipv6_extension_headers);
  if (c.result == Ipv6Chain::Result::truncated) return parse_drop(abi::Counter::drop_bad_ip_length);
  out.protocol = c.protocol;
  out.l4_offset = l3_offset + c.offset;
  out.l4_len = end - c.offset;
  out.fragment = c.fragment;
  if (c.result == Ipv6Chain::Result::pass) return parse_pass();
  if (c.later_fragment) return parse_ok();  // no upper-layer header here

  return parse_upper_layer(out, frame + out.l4_offset, is_icmpv6_error_type, parse_quoted6);
}

}  // namespace xvs::core
