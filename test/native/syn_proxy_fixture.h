// test/native/syn_proxy_fixture.h — what the SYN proxy's packet tests (syn_proxy_test.cc,
// syn_proxy6_test.cc, syn_proxy_nat64_test.cc) share: the names they use, the handshake's fixed
// numbers (the client's port and ISN, the server's ISN) and the TCP segment a frame of either
// family carries, read back.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "abi/counters.h"
#include "core/net.h"
#include "core/parse.h"
#include "core/parse6.h"
#include "core/tcp_options.h"
#include "dataplane_fixture.h"
#include "lb/syn_proxy.h"
#include "packet_builder.h"
#include "packet_builder6.h"

namespace xvs::test::proxy {

using xvs::abi::Counter;
using xvs::core::kTcpAck;
using xvs::core::kTcpFin;
using xvs::core::kTcpRst;
using xvs::core::kTcpSyn;
using xvs::lb::ConnState;
using xvs::lb::Verdict;

inline constexpr uint16_t kCport = 40000;
inline constexpr uint32_t kClientIsn = 1000;
inline constexpr uint32_t kServerIsn = 5000;

// A TCP segment as a test reads it: addresses in the fields of its family (saddr/daddr for
// IPv4, saddr6/daddr6 for IPv6).
struct Segment {
  bool ipv6;
  uint32_t saddr, daddr;
  core::Ipv6Address saddr6, daddr6;
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;
  uint16_t window;
  uint8_t hop_limit;
  bool extension_headers;  // IPv6: anything between the fixed header and TCP
  core::TcpOptions options;
  std::vector<uint8_t> payload;
  bool checksums_ok;  // IPv4: header and TCP; IPv6: TCP (false behind extension headers)
};

inline Segment read_segment(std::vector<uint8_t>& f) {
  Segment s{};
  const uint8_t* l4;
  uint32_t l4_len;
  if (f.size() >= 14 && f[12] == 0x86 && f[13] == 0xdd) {
    core::Packet6View v{};
    EXPECT_EQ(core::parse_ipv6(f.data(), static_cast<uint32_t>(f.size()), 14, v).status, core::ParseStatus::ok);
    EXPECT_EQ(v.protocol, core::kIpProtoTcp);
    EXPECT_EQ(f.size(), 14 + sizeof(core::Ipv6Hdr) + core::ntohs(v.ip->payload_length)) << "the frame ends with the packet";
    s.ipv6 = true;
    s.saddr6 = core::Ipv6Address::load(v.ip->saddr);
    s.daddr6 = core::Ipv6Address::load(v.ip->daddr);
    s.hop_limit = v.ip->hop_limit;
    s.extension_headers = v.l4_offset != 14 + sizeof(core::Ipv6Hdr);
    s.checksums_ok = !s.extension_headers && ipv6_checksum_ok(f);
    l4 = v.l4, l4_len = v.l4_len;
  } else {
    core::PacketView v{};
    EXPECT_EQ(core::parse_packet(f.data(), static_cast<uint32_t>(f.size()), v).status, core::ParseStatus::ok);
    s.saddr = v.ip->saddr, s.daddr = v.ip->daddr;
    s.hop_limit = v.ip->ttl;
    s.checksums_ok = core::ipv4_header_checksum(v.ip) == v.ip->checksum && full_l4_checksum(v.ip, v.l4, v.l4_len) == v.l4_checksum();
    l4 = v.l4, l4_len = v.l4_len;
  }
  const auto* t = reinterpret_cast<const core::TcpHdr*>(l4);
  s.sport = core::ntohs(t->sport), s.dport = core::ntohs(t->dport);
  s.seq = core::ntohl(t->seq), s.ack = core::ntohl(t->ack_seq);
  s.flags = t->flags, s.window = core::ntohs(t->window);
  s.options = core::parse_tcp_options(l4);
  s.payload.assign(l4 + t->header_length(), l4 + l4_len);
  return s;
}

}  // namespace xvs::test::proxy
