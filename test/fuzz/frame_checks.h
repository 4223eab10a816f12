// test/fuzz/frame_checks.h — what must hold of a frame the packet path hands back. Checksums:
// `checksums_ok` verifies every checksum a frame carries (IPv4 header; TCP/UDP over the
// pseudo-header, UDP 0 meaning none; ICMP over the message, and for an error the quoted IPv4
// header and, when the quoted datagram is whole, its TCP/UDP checksum; IPIP: outer header and
// inner datagram; IPv6: TCP/UDP/ICMPv6 over the IPv6 pseudo-header, a zero UDP sum being invalid,
// an ICMPv6 error's quoted packet when whole, ip6ip6's inner packet), and is false for anything
// malformed; the caller requires it of a transmitted
// frame whenever it held of what came in (rewrites are incremental, so a bad sum in stays bad
// out). Verification sums the covered bytes with the field in place and expects all ones
// (RFC 1071), which accepts either zero of one's complement. The frame's place in its buffer,
// its egress port and its MACs are checked too.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/checksum.h"
#include "core/net.h"
#include "core/parse.h"
#include "core/parse6.h"
#include "fuzz_check.h"
#include "io/frame.h"
#include "lb/process.h"
#include "lb/snapshot.h"

namespace xvs::fuzz {

inline bool sum_verifies(const uint8_t* p, size_t n, uint64_t sum = 0) {
  return core::checksum_fold(core::checksum_partial(p, n, sum)) == 0xffff;
}

inline bool datagram_checksums_ok(const uint8_t* d, size_t available, int depth = 0) {
  if (available < sizeof(core::Ipv4Hdr)) return false;
  const auto* ip = reinterpret_cast<const core::Ipv4Hdr*>(d);
  const uint32_t ihl = ip->header_length();
  if (ip->version() != 4 || ihl < sizeof(core::Ipv4Hdr) || ihl > available || !sum_verifies(d, ihl)) return false;
  const uint32_t total = core::ntohs(ip->total_length);
  if (total < ihl || total > available) return false;
  if (core::ntohs(ip->frag_off) & (core::kIpFlagMoreFragments | core::kIpFragOffsetMask)) return true;  // no L4 sum to verify
  const uint8_t* l4 = d + ihl;
  const uint32_t l4_len = total - ihl;
  const uint64_t pseudo = static_cast<uint64_t>(ip->saddr) + ip->daddr + core::htons(ip->protocol) +
                          core::htons(static_cast<uint16_t>(l4_len));
  switch (ip->protocol) {
    case core::kIpProtoTcp: return l4_len >= sizeof(core::TcpHdr) && sum_verifies(l4, l4_len, pseudo);
    case core::kIpProtoUdp:
      if (l4_len < sizeof(core::UdpHdr)) return false;
      return core::load16(l4 + 6) == 0 || sum_verifies(l4, l4_len, pseudo);
    case core::kIpProtoIcmp: {
      if (l4_len < sizeof(core::IcmpHdr) || !sum_verifies(l4, l4_len)) return false;
      if (!core::is_icmp_error_type(l4[0])) return true;
      const uint8_t* quoted = l4 + sizeof(core::IcmpHdr);
      const uint32_t quoted_len = l4_len - sizeof(core::IcmpHdr);
      if (quoted_len < sizeof(core::Ipv4Hdr)) return false;
      const auto* q = reinterpret_cast<const core::Ipv4Hdr*>(quoted);
      const uint32_t q_ihl = q->header_length();
      if (q_ihl < sizeof(core::Ipv4Hdr) || q_ihl > quoted_len || !sum_verifies(quoted, q_ihl)) return false;
      if (core::ntohs(q->total_length) > quoted_len || depth > 2) return true;  // cut short: no sum to verify
      return datagram_checksums_ok(quoted, quoted_len, depth + 1);
    }
    case core::kIpProtoIpip: return depth > 2 || datagram_checksums_ok(l4, l4_len, depth + 1);
    default: return true;
  }
}

// An IPv6 packet whose upper layer follows its fixed header (what the packet path sends and the
// fuzz scripts build); one with extension headers (fragments) is taken as it is.
inline bool ipv6_packet_checksums_ok(const uint8_t* d, size_t available, int depth = 0) {
  if (available < sizeof(core::Ipv6Hdr)) return false;
  const auto* ip = reinterpret_cast<const core::Ipv6Hdr*>(d);
  const uint32_t payload = core::ntohs(ip->payload_length);
  if (ip->version() != 6 || sizeof(core::Ipv6Hdr) + payload > available) return false;
  const uint8_t* l4 = d + sizeof(core::Ipv6Hdr);
  const uint64_t pseudo = core::ipv6_pseudo_sum(ip, payload, ip->next_header);
  switch (ip->next_header) {
    case core::kIpProtoTcp: return payload >= sizeof(core::TcpHdr) && sum_verifies(l4, payload, pseudo);
    case core::kIpProtoUdp: return payload >= sizeof(core::UdpHdr) && core::load16(l4 + 6) != 0 && sum_verifies(l4, payload, pseudo);
    case core::kIpProtoIcmpv6: {
      if (payload < sizeof(core::IcmpHdr) || !sum_verifies(l4, payload, pseudo)) return false;
      if (!core::is_icmpv6_error_type(l4[0]) || depth > 2) return true;
      const uint8_t* quoted = l4 + sizeof(core::IcmpHdr);
      const uint32_t quoted_len = payload - sizeof(core::IcmpHdr);
      if (quoted_len < sizeof(core::Ipv6Hdr)) return false;
      const auto* q = reinterpret_cast<const core::Ipv6Hdr*>(quoted);
      if (sizeof(core::Ipv6Hdr) + core::ntohs(q->payload_length) > quoted_len) return true;  // cut short: no sum to verify
      return ipv6_packet_checksums_ok(quoted, quoted_len, depth + 1);
    }
    case 41: return depth > 2 || ipv6_packet_checksums_ok(l4, payload, depth + 1);  // ip6ip6
    default: return true;
  }
}

// Where the IP header starts behind Ethernet and at most one 802.1Q tag; 0: not of that family.
inline size_t l3_offset(const uint8_t* f, size_t len, uint16_t ethertype) {
  size_t at = 12;
  if (len >= 18 && f[12] == 0x81 && f[13] == 0x00) at = 16;
  if (len < at + 2 || f[at] != (ethertype >> 8) || f[at + 1] != (ethertype & 0xff)) return 0;
  return at + 2;
}
inline size_t ipv4_offset(const uint8_t* f, size_t len) { return l3_offset(f, len, core::kEthTypeIpv4); }
inline size_t ipv6_offset(const uint8_t* f, size_t len) { return l3_offset(f, len, core::kEthTypeIpv6); }

inline bool checksums_ok(const uint8_t* f, size_t len) {
  if (const size_t l3 = ipv6_offset(f, len); l3 != 0) return ipv6_packet_checksums_ok(f + l3, len - l3);
  const size_t l3 = ipv4_offset(f, len);
  return l3 != 0 && datagram_checksums_ok(f + l3, len - l3);
}

// A frame as a worker gets it: `buffer` is the whole AF_XDP-style chunk, `size` long.
struct FrameBuffer {
  const uint8_t* buffer;
  uint32_t size;
};

// The frame still lies in its buffer, its headroom and capacity say where (lb::process may move
// the start for encapsulation and grow the length for a built segment, never past the chunk).
inline void check_frame_bounds(const io::Frame& f, const FrameBuffer& b) {
  XVS_FUZZ_CHECK(f.data >= b.buffer && f.data + f.len <= b.buffer + b.size, "frame [%td, +%u) outside its %u-byte buffer",
                 f.data - b.buffer, f.len, b.size);
  XVS_FUZZ_CHECK(f.headroom == static_cast<uint32_t>(f.data - b.buffer), "headroom %u, frame at %td", f.headroom, f.data - b.buffer);
  XVS_FUZZ_CHECK(f.capacity == static_cast<uint32_t>(b.buffer + b.size - f.data), "capacity %u, %td bytes left", f.capacity,
                 b.buffer + b.size - f.data);
}

inline void check_verdict(const lb::Verdict& v, uint32_t self, uint32_t workers) {
  XVS_FUZZ_CHECK(v.kind <= lb::Verdict::redirect, "verdict kind %u", v.kind);
  if (v.kind == lb::Verdict::redirect)
    XVS_FUZZ_CHECK(v.owner < workers && v.owner != self, "worker %u redirects to %u of %u workers", self, v.owner, workers);
}

// A transmitted frame: leaves by a port of the snapshot, from that port's MAC, to a resolved
// next hop, with every checksum valid if the frame that came in had them valid.
inline void check_tx(const io::Frame& f, const lb::Snapshot& snap, bool input_checksums_ok) {
  XVS_FUZZ_CHECK(f.port < snap.ports.size(), "tx on port %u of %zu", f.port, snap.ports.size());
  XVS_FUZZ_CHECK(f.len >= sizeof(core::EthHdr), "tx frame of %u bytes", f.len);
  XVS_FUZZ_CHECK(std::memcmp(f.data + 6, snap.ports[f.port].mac.bytes, 6) == 0, "tx source MAC is not port %u's", f.port);
  XVS_FUZZ_CHECK(!core::mac_is_zero(f.data), "tx to an all-zero MAC on port %u", f.port);
  if (input_checksums_ok) XVS_FUZZ_CHECK(checksums_ok(f.data, f.len), "tx frame of %u bytes with a bad checksum from a good one", f.len);
}

}  // namespace xvs::fuzz
