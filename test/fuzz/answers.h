// test/fuzz/answers.h — frames that answer a frame the balancer sent, so that a fuzz script
// reaches replies, handshakes (a SYN proxy's cookie is only proved by answering its SYN-ACK)
// and ICMP errors about live connections without guessing hashes: the receiver's next TCP
// segment or UDP datagram (sequence numbers following the frame's, flags and options chosen
// by the script), or an ICMP error quoting the frame, from its receiver or a router on the way.
// IPIP and ip6ip6 are answered as their server sees them: the inner packet. IPv6 frames get IPv6
// answers and ICMPv6 errors. Built with the unit tests' frame builders (valid checksums; the
// script corrupts them separately).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "core/parse.h"
#include "core/parse6.h"
#include "fuzz_topology.h"
#include "lb/family.h"
#include "packet_builder.h"
#include "packet_builder6.h"

namespace xvs::fuzz {

// A frame's headers, read back (network-order addresses, host-order ports and numbers).
struct Seen {
  test::PacketSpec spec;  // addresses, ports, protocol, flags, seq/ack, VLAN, MACs as received
  uint32_t payload = 0;
  std::vector<uint8_t> datagram;  // the IPv4 datagram (outer, for IPIP), or the IPv6 packet
  std::vector<uint8_t> inner;     // IPIP, ip6ip6: the inner packet
  bool ipv6 = false;              // then the addresses are these (spec's are unset)
  core::Ipv6Address saddr6{}, daddr6{};
};

// The ports, TCP flags, numbers and payload length of a parsed view's TCP/UDP header into `s`.
template <typename View>
inline void read_l4(const View& v, Seen& s) {
  s.spec.sport = core::ntohs(v.sport());
  s.spec.dport = core::ntohs(v.dport());
  if (v.protocol == core::kIpProtoTcp) {
    const auto* t = reinterpret_cast<const core::TcpHdr*>(v.l4);
    s.spec.tcp_flags = t->flags;
    s.spec.seq = core::ntohl(t->seq);
    s.spec.ack = core::ntohl(t->ack_seq);
    s.payload = v.l4_len - t->header_length();
  } else {
    s.payload = v.l4_len - sizeof(core::UdpHdr);
  }
}

inline std::optional<Seen> read_frame(const std::vector<uint8_t>& frame);

// read_frame of an IPv6 frame whose header is at `l3`.
inline std::optional<Seen> read_frame6(const std::vector<uint8_t>& frame, uint32_t l3) {
  std::vector<uint8_t> copy = frame;
  core::Packet6View v{};
  const core::ParseResult r = core::parse_ipv6(copy.data(), static_cast<uint32_t>(copy.size()), l3, v);
  if (r.status == core::ParseStatus::drop || v.ip == nullptr) return std::nullopt;
  const uint32_t total = sizeof(core::Ipv6Hdr) + core::ntohs(v.ip->payload_length);
  if (l3 + total > copy.size()) return std::nullopt;
  Seen s;
  s.ipv6 = true;
  s.datagram.assign(copy.begin() + l3, copy.begin() + l3 + total);
  std::copy(copy.begin(), copy.begin() + 6, s.spec.dst_mac.begin());
  std::copy(copy.begin() + 6, copy.begin() + 12, s.spec.src_mac.begin());
  if (l3 == 18) s.spec.vlan_tags = {static_cast<uint16_t>(copy[14] << 8 | copy[15])};
  if (r.status == core::ParseStatus::pass) {
    if (v.ip->next_header != 41) return std::nullopt;
    // ip6ip6: the server's view, the inner packet behind the same L2 header.
    s.inner.assign(s.datagram.begin() + sizeof(core::Ipv6Hdr), s.datagram.end());
    std::vector<uint8_t> inner_frame(copy.begin(), copy.begin() + l3);
    inner_frame.insert(inner_frame.end(), s.inner.begin(), s.inner.end());
    std::optional<Seen> in = read_frame(inner_frame);
    if (!in || !in->inner.empty() || !in->ipv6) return std::nullopt;
    in->datagram = s.datagram;
    in->inner = s.inner;
    return in;
  }
  if (v.l4 == nullptr || v.fragment) return std::nullopt;
  s.saddr6 = lb::V6::saddr(v);
  s.daddr6 = lb::V6::daddr(v);
  s.spec.protocol = v.protocol;
  if (v.protocol == core::kIpProtoIcmpv6) return s;
  read_l4(v, s);
  return s;
}

inline std::optional<Seen> read_frame(const std::vector<uint8_t>& frame) {
  if (const uint32_t l3 = lb::ipv6_header_offset(frame.data(), static_cast<uint32_t>(frame.size())); l3 != 0) return read_frame6(frame, l3);
  std::vector<uint8_t> copy = frame;
  core::PacketView v{};
  const core::ParseResult r = core::parse_packet(copy.data(), static_cast<uint32_t>(copy.size()), v);
  if (r.status == core::ParseStatus::drop || copy.size() < v.l3_offset + sizeof(core::Ipv4Hdr)) return std::nullopt;
  if (r.status == core::ParseStatus::pass && (v.ip == nullptr || v.ip->protocol != core::kIpProtoIpip)) return std::nullopt;
  Seen s;
  const uint32_t total = core::ntohs(v.ip->total_length);
  if (v.l3_offset + total > copy.size()) return std::nullopt;
  s.datagram.assign(copy.begin() + v.l3_offset, copy.begin() + v.l3_offset + total);
  std::copy(copy.begin(), copy.begin() + 6, s.spec.dst_mac.begin());
  std::copy(copy.begin() + 6, copy.begin() + 12, s.spec.src_mac.begin());
  if (v.l3_offset == 18) s.spec.vlan_tags = {static_cast<uint16_t>(copy[14] << 8 | copy[15])};
  if (v.ip->protocol == core::kIpProtoIpip) {
    // The server's view: the inner packet behind the same L2 header.
    s.inner.assign(s.datagram.begin() + v.ip->header_length(), s.datagram.end());
    std::vector<uint8_t> inner_frame(copy.begin(), copy.begin() + v.l3_offset);
    inner_frame.insert(inner_frame.end(), s.inner.begin(), s.inner.end());
    std::optional<Seen> in = read_frame(inner_frame);
    if (!in || !in->inner.empty()) return std::nullopt;
    in->datagram = s.datagram;
    in->inner = s.inner;
    return in;
  }
  if (v.l4 == nullptr || v.fragment) return std::nullopt;
  s.spec.saddr = v.ip->saddr;
  s.spec.daddr = v.ip->daddr;
  s.spec.protocol = v.protocol;
  if (v.protocol == core::kIpProtoIcmp) return s;
  read_l4(v, s);
  return s;
}

// How the script wants the answer.
struct AnswerChoice {
  uint8_t flags;        // 0-7: natural, data, FIN, RST, RST+ACK, SYN, pure ACK, raw_flags
  uint8_t raw_flags;
  uint16_t payload;     // bytes of data (data answers, UDP)
  uint32_t isn;         // the answerer's ISN when the frame acknowledged nothing
  uint8_t options;      // bit 0: handshake options on a SYN; bit 1: no window scale; bit 2: a SACK block
};

inline std::vector<uint8_t> pattern(uint32_t n, uint8_t seed) {
  std::vector<uint8_t> out(n);
  for (uint32_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(seed + i * 13);
  return out;
}

// The TCP/UDP answer of the frame's receiver, back the way the frame went.
inline std::optional<std::vector<uint8_t>> answer(const std::vector<uint8_t>& frame, const AnswerChoice& c) {
  const std::optional<Seen> seen = read_frame(frame);
  if (!seen || (seen->spec.protocol != core::kIpProtoTcp && seen->spec.protocol != core::kIpProtoUdp)) return std::nullopt;
  const test::PacketSpec& in = seen->spec;
  test::PacketSpec out;
  out.src_mac = in.dst_mac;
  out.dst_mac = in.src_mac;
  out.vlan_tags = in.vlan_tags;
  out.saddr = in.daddr;
  out.daddr = in.saddr;
  out.sport = in.dport;
  out.dport = in.sport;
  out.protocol = in.protocol;
  out.payload = pattern(c.payload % 1400, static_cast<uint8_t>(c.isn));
  // The IPv6 answer of the same choices (no TCP options: IPv6 services have no SYN proxy).
  const auto as_ipv6 = [&](const test::PacketSpec& o) {
    test::Packet6Spec six;
    six.src_mac = o.src_mac, six.dst_mac = o.dst_mac, six.vlan_tags = o.vlan_tags;
    six.saddr = seen->daddr6, six.daddr = seen->saddr6;
    six.sport = o.sport, six.dport = o.dport, six.protocol = o.protocol;
    six.tcp_flags = o.tcp_flags, six.seq = o.seq, six.ack = o.ack, six.payload = o.payload;
    return test::build_frame6(six);
  };
  if (in.protocol == core::kIpProtoUdp) return seen->ipv6 ? as_ipv6(out) : test::build_frame(out);
  out.payload.clear();
  const bool syn = in.tcp_flags & core::kTcpSyn;
  out.seq = (in.tcp_flags & core::kTcpAck) ? in.ack : c.isn;
  out.ack = in.seq + seen->payload + syn + ((in.tcp_flags & core::kTcpFin) != 0);
  static constexpr uint8_t kChoices[8] = {0, core::kTcpAck | 0x08, core::kTcpFin | core::kTcpAck, core::kTcpRst,
                                          core::kTcpRst | core::kTcpAck, core::kTcpSyn, core::kTcpAck, 0};
  uint8_t flags = kChoices[c.flags % 8];
  if (c.flags % 8 == 0) flags = syn && !(in.tcp_flags & core::kTcpAck) ? core::kTcpSyn | core::kTcpAck : core::kTcpAck;
  if (c.flags % 8 == 7) flags = c.raw_flags;
  out.tcp_flags = flags;
  if (c.flags % 8 == 1) out.payload = pattern(c.payload % 1400 + 1, static_cast<uint8_t>(c.isn));
  if (seen->ipv6) return as_ipv6(out);
  std::vector<uint8_t> options;
  if ((flags & core::kTcpSyn) && (c.options & 1)) {
    options = {2, 4, 0x05, 0xb4, 4, 2};  // MSS 1460, SACK-permitted
    if (!(c.options & 2)) options.insert(options.end(), {1, 3, 3, 9});  // window scale 9
  }
  if (c.options & 4) {
    const uint32_t left = out.ack + 100, right = out.ack + 200;
    options.insert(options.end(), {1, 1, 5, 10});
    for (const uint32_t edge : {left, right})
      for (int shift = 24; shift >= 0; shift -= 8) options.push_back(static_cast<uint8_t>(edge >> shift));
  }
  if (!options.empty()) out = test::with_tcp_options(out, options);
  return test::build_frame(out);
}

// How the script wants an ICMP error about a frame.
struct ErrorChoice {
  uint8_t kind;   // which error (below)
  uint8_t quote;  // 0: header + 8 bytes, 1: + 20 (TCP's checksum too), 2: all of it, 3: less than 8 (malformed)
  bool from_router;
  bool outer;     // IPIP: quote the outer datagram rather than the inner one
};

// icmp_error for an IPv6 frame: an ICMPv6 error quoting the packet (cut as the choice says).
inline std::vector<uint8_t> icmp6_error(const Seen& seen, const ErrorChoice& c, uint8_t port) {
  std::vector<uint8_t> quoted = c.outer || seen.inner.empty() ? seen.datagram : seen.inner;
  static constexpr size_t kExtra[4] = {8, 28, 548, 4};
  quoted.resize(std::min(quoted.size(), sizeof(core::Ipv6Hdr) + kExtra[c.quote % 4]));
  // unreachable (port, no route), packet too big, time exceeded, parameter problem, and an echo request.
  static constexpr uint8_t kTypes[8][2] = {{1, 4}, {2, 0}, {3, 0}, {1, 0}, {4, 0}, {1, 3}, {3, 1}, {128, 0}};
  const core::Ipv6Address quoted_saddr = core::Ipv6Address::load(quoted.data() + 8);
  const core::Ipv6Address quoted_daddr = core::Ipv6Address::load(quoted.data() + 24);
  return test::build_icmp6_error(seen.spec.src_mac, seen.spec.dst_mac, c.from_router ? kRouters6[port % 2] : quoted_daddr, quoted_saddr,
                                 kTypes[c.kind % 8][0], kTypes[c.kind % 8][1], kTypes[c.kind % 8][0] == 2 ? 1280 : 0, quoted);
}

// An ICMP error about `frame` from its receiver (or the router of `port`), back to its sender.
inline std::optional<std::vector<uint8_t>> icmp_error(const std::vector<uint8_t>& frame, const ErrorChoice& c, uint8_t port) {
  const std::optional<Seen> seen = read_frame(frame);
  if (!seen) return std::nullopt;
  if (seen->ipv6) return icmp6_error(*seen, c, port);
  std::vector<uint8_t> quoted = c.outer || seen->inner.empty() ? seen->datagram : seen->inner;
  const auto* q = reinterpret_cast<const core::Ipv4Hdr*>(quoted.data());
  const size_t ihl = q->header_length();
  static constexpr size_t kExtra[4] = {8, 28, 548, 4};
  quoted.resize(std::min(quoted.size(), ihl + kExtra[c.quote % 4]));
  static constexpr uint8_t kTypes[8][2] = {{3, 3}, {3, 4}, {11, 0}, {3, 1}, {12, 0}, {4, 0}, {3, 13}, {0, 0}};
  test::PacketSpec out;
  out.src_mac = seen->spec.dst_mac;
  out.dst_mac = seen->spec.src_mac;
  out.vlan_tags = seen->spec.vlan_tags;
  out.saddr = c.from_router ? kRouters[port % 2] : q->daddr;
  out.daddr = q->saddr;
  out.protocol = core::kIpProtoIcmp;
  out.icmp_type = kTypes[c.kind % 8][0];
  out.icmp_code = kTypes[c.kind % 8][1];
  out.icmp_rest_lo = out.icmp_code == 4 ? 1400 : 0;
  out.payload = quoted;
  return test::build_frame(out);
}

}  // namespace xvs::fuzz
