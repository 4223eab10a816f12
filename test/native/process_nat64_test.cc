// test/native/process_nat64_test.cc — lb::process on a NAT64 service (an IPv6 fullnat VIP over
// IPv4 servers through an IPv4 pool), byte for byte against frames the other family's builder
// makes: the client's IPv6 SYN leaves as IPv4 from the LIP, the server's answer as IPv6 from the
// VIP, the entry is found from both sides; UDP; ICMP errors both ways (frag needed becomes packet
// too big and back); a server packet too big for the client's MTU once IPv6 gets frag-needed
// from the LIP (DF) or is dropped; the PROXY header of an IPv6 client reaches the IPv4 server;
// an IPv4 client of the same pool is never given a NAT64 connection's tuple; a burst of both
// sides (the look-ahead prefetch of NAT64 entries' addresses) gives what each frame gives alone.
#include <gtest/gtest.h>

#include "dataplane_fixture.h"
#include "lb/port_holds.h"
#include "packet_builder6.h"

namespace {
namespace abi = xvs::abi;
namespace core = xvs::core;
namespace lb = xvs::lb;
using namespace xvs::test;
using abi::Counter;
using abi::Forwarding;
using core::htons;
using core::kIpProtoTcp;
using core::kIpProtoUdp;
using core::kTcpAck;
using core::kTcpSyn;
using lb::Verdict;

// The IPv4 standard services, and [kVip6]:80/tcp (with `web`'s options) over the three IPv4 web
// servers and [kVip6]:53/udp over the IPv4 DNS server, both through the IPv4 pool [kLip].
SnapshotBuilder nat64(ServiceOptions web = {}) {
  SnapshotBuilder b = topo::standard(1);
  web.forwarding = Forwarding::fullnat;
  b.add_service64(topo::kVip6, topo::kHttp, kIpProtoTcp, {topo::kWeb[0], topo::kWeb[1], topo::kWeb[2]}, 0, web);
  ServiceOptions dns;
  dns.forwarding = Forwarding::fullnat;
  b.add_service64(topo::kVip6, topo::kDns, kIpProtoUdp, {topo::kDnsServer}, 0, dns);
  return b;
}

Packet6Spec from_client6(uint16_t cport, uint8_t flags = kTcpSyn, uint16_t vport = topo::kHttp) {
  Packet6Spec s;
  s.src_mac = topo::kRouterMac, s.dst_mac = topo::kPortMac[0];
  s.saddr = topo::kCip6, s.daddr = topo::kVip6, s.sport = cport, s.dport = vport;
  s.tcp_flags = flags;
  s.flow_label = 0;
  s.payload = {1, 2, 3, 4, 5};
  return s;
}
// `s` as the server gets it: IPv4 from the LIP on the client's own port, one hop less; small, so
// DF clear and the worker's next identification, `id` (1 for its first such packet, then on).
PacketSpec to_server(const Packet6Spec& s, const BackendSpec& server, uint16_t id) {
  PacketSpec p;
  p.src_mac = topo::kPortMac[1], p.dst_mac = server.mac;
  p.saddr = topo::kLip, p.daddr = server.address, p.sport = s.sport, p.dport = server.port;
  p.protocol = s.protocol, p.ttl = static_cast<uint8_t>(s.hop_limit - 1), p.ip_id = id, p.frag_off = 0;
  p.tcp_flags = s.tcp_flags, p.seq = s.seq, p.ack = s.ack, p.payload = s.payload;
  return p;
}
PacketSpec from_server(const BackendSpec& server, uint16_t lport, uint8_t flags, std::vector<uint8_t> payload = {}) {
  PacketSpec p;
  p.src_mac = server.mac, p.dst_mac = topo::kPortMac[1];
  p.saddr = server.address, p.daddr = topo::kLip, p.sport = server.port, p.dport = lport;
  p.tcp_flags = flags, p.seq = 5000, p.ack = 1001, p.payload = std::move(payload);
  p.frag_off = core::kIpFlagDontFragment;
  return p;
}
// `p` as the client gets it: IPv6 from the VIP, one hop less.
Packet6Spec to_client(const PacketSpec& p, uint16_t cport, uint16_t vport = topo::kHttp) {
  Packet6Spec s;
  s.src_mac = topo::kPortMac[0], s.dst_mac = topo::kRouterMac;
  s.saddr = topo::kVip6, s.daddr = topo::kCip6, s.sport = vport, s.dport = cport;
  s.protocol = p.protocol, s.hop_limit = static_cast<uint8_t>(p.ttl - 1), s.flow_label = 0;
  s.tcp_flags = p.tcp_flags, s.seq = p.seq, s.ack = p.ack, s.payload = p.payload;
  return s;
}

TEST(ProcessNat64, TcpBothWaysThroughTheIpv4Lip) {
  Dataplane dp(nat64());
  const BackendSpec& web = topo::kWeb[0];
  const Packet6Spec syn = from_client6(40000);
  auto f = build_frame6(syn);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
  EXPECT_EQ(port, 1);
  EXPECT_EQ(f, build_frame(to_server(syn, web, 1)));
  lb::Conn* c = dp.cs->conns.lookup(kIpProtoTcp, topo::kCip6, topo::kVip6, htons(40000), htons(80)).conn;
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->ipv6 && c->nat64);
  const lb::ConnLookup server_side = dp.cs->conns.lookup(kIpProtoTcp, web.address, topo::kLip, htons(web.port), htons(40000));
  EXPECT_EQ(server_side.conn, c);
  EXPECT_EQ(server_side.direction, lb::kFromServer);

  const PacketSpec syn_ack = from_server(web, 40000, kTcpSyn | kTcpAck, {9, 9, 9});
  f = build_frame(syn_ack);
  ASSERT_EQ(dp.run(f, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 0);
  EXPECT_EQ(f, build_frame6(to_client(syn_ack, 40000)));
  f = build_frame6(from_client6(40000, kTcpAck));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(c->state, lb::ConnState::tcp_established);
  EXPECT_EQ(dp.counter(Counter::conn_created), 1u);
  EXPECT_EQ(dp.drops(), 0u);
}

TEST(ProcessNat64, UdpBothWays) {
  Dataplane dp(nat64());
  Packet6Spec q = from_client6(5300, 0, topo::kDns);
  q.protocol = kIpProtoUdp;
  auto f = build_frame6(q);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(to_server(q, topo::kDnsServer, 1)));
  PacketSpec answer = from_server(topo::kDnsServer, 5300, 0, {7, 7, 7, 7});
  answer.protocol = kIpProtoUdp;
  answer.udp_no_checksum = true;  // IPv4 allows none; IPv6 gets one computed
  f = build_frame(answer);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  answer.udp_no_checksum = false;
  EXPECT_EQ(f, build_frame6(to_client(answer, 5300, topo::kDns)));
}

TEST(ProcessNat64, IcmpErrorsCrossTheFamiliesBothWays) {
  Dataplane dp(nat64());
  const BackendSpec& web = topo::kWeb[0];
  const Packet6Spec syn = from_client6(40000);
  auto f = build_frame6(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  const std::vector<uint8_t> sent_to_server = datagram(f);

  // The server side says the path to it takes 1400 bytes: the client hears 1420 over IPv6, about
  // the packet it sent.
  PacketSpec outer;
  outer.src_mac = web.mac, outer.dst_mac = topo::kPortMac[1], outer.saddr = web.address, outer.daddr = topo::kLip;
  PacketSpec error = icmp_error(outer, sent_to_server, core::kIcmpDestUnreachable, core::kIcmpCodeFragNeeded);
  error.icmp_rest_lo = 1400;
  f = build_frame(error);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 0);
  Packet6Spec quoted = syn;
  quoted.hop_limit = 63;  // as the server's copy had it
  EXPECT_EQ(f, build_icmp6_error(topo::kRouterMac, topo::kPortMac[0], topo::kVip6, topo::kCip6, core::kIcmpv6PacketTooBig, 0, 1420,
                                 ipv6_packet(quoted), SIZE_MAX, 63));

  // The client side says a server packet's port is unreachable: the server hears it from the LIP.
  const PacketSpec data = from_server(web, 40000, kTcpAck, std::vector<uint8_t>(30, 0x42));
  f = build_frame(data);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  const std::vector<uint8_t> sent_to_client(f.begin() + 14, f.end());
  f = build_icmp6_error(topo::kPortMac[0], topo::kRouterMac, topo::kCip6, topo::kVip6, core::kIcmpv6DestUnreachable, 4, 0, sent_to_client);
  ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
  EXPECT_EQ(port, 1);
  PacketSpec quoted4 = data;
  quoted4.ttl = 63, quoted4.ip_id = 0;
  PacketSpec back;
  back.src_mac = topo::kPortMac[1], back.dst_mac = web.mac, back.saddr = topo::kLip, back.daddr = web.address, back.ttl = 63, back.ip_id = 0;
  back.frag_off = core::kIpFlagDontFragment;
  EXPECT_EQ(f, build_frame(icmp_error(back, datagram(build_frame(quoted4)), core::kIcmpDestUnreachable, 3)));
  EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 2u);

  // A parameter problem has no equivalent: dropped and counted.
  error = icmp_error(outer, sent_to_server, core::kIcmpParameterProblem, 0);
  f = build_frame(error);
  ASSERT_EQ(dp.run(f, 1), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_nat64_icmp_untranslatable), 1u);
}

TEST(ProcessNat64, AServerPacketTooBigForTheClientsMtuOnceIpv6) {
  Dataplane dp(nat64());
  const BackendSpec& web = topo::kWeb[0];
  auto f = build_frame6(from_client6(40000));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  // 1500 bytes of IPv4 are 1520 of IPv6: frag-needed from the LIP (DF set) with 1480 ...
  PacketSpec big = from_server(web, 40000, kTcpAck, std::vector<uint8_t>(1460, 0x61));
  f = build_frame(big);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 1);
  const auto* ip = reinterpret_cast<const core::Ipv4Hdr*>(f.data() + 14);
  const auto* icmp = reinterpret_cast<const core::IcmpHdr*>(f.data() + 34);
  EXPECT_EQ(ip->saddr, topo::kLip);
  EXPECT_EQ(ip->daddr, web.address);
  EXPECT_EQ(icmp->type, core::kIcmpDestUnreachable);
  EXPECT_EQ(icmp->code, core::kIcmpCodeFragNeeded);
  EXPECT_EQ(core::ntohs(icmp->mtu), 1480);
  EXPECT_TRUE(checksums_valid(f));
  EXPECT_EQ(dp.counter(Counter::icmp_frag_needed_sent), 1u);
  // ... and without DF, dropped.
  big.frag_off = 0;
  f = build_frame(big);
  ASSERT_EQ(dp.run(f, 1), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_nat64_mtu), 1u);
}

TEST(ProcessNat64, TheProxyHeaderOfAnIpv6ClientReachesTheIpv4Server) {
  ServiceOptions o;
  o.flags = abi::client_address_proxy_v2;
  Dataplane dp(nat64(o));
  const BackendSpec& web = topo::kWeb[0];
  Packet6Spec syn = from_client6(40000);
  syn.payload.clear();
  auto f = build_frame6(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  f = build_frame(from_server(web, 40000, kTcpSyn | kTcpAck));
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  Packet6Spec ack = from_client6(40000, kTcpAck);
  ack.seq = syn.seq + 1, ack.ack = 5001;
  ack.payload.clear();
  f = build_frame6(ack);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  // The 52-byte TCP6 header: the client's IPv6 address and port, the IPv6 VIP's.
  std::vector<uint8_t> header = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x21, 0x00, 0x24};
  header.insert(header.end(), topo::kCip6.bytes, topo::kCip6.bytes + 16);
  header.insert(header.end(), topo::kVip6.bytes, topo::kVip6.bytes + 16);
  header.insert(header.end(), {0x9c, 0x40, 0x00, 0x50});
  ack.payload = header;
  EXPECT_EQ(f, build_frame(to_server(ack, web, 2)));
  EXPECT_EQ(dp.counter(Counter::proxy_header_sent), 1u);
}

TEST(ProcessNat64, AnIpv4ClientNeverGetsANat64ConnectionsServerTuple) {
  Dataplane dp(nat64());
  // The IPv6 client on port 40000 takes LIP:40000 -> web[0]; an IPv4 client on port 40000, which
  // the IPv4 service (its own rr) also sends to web[0] through the same pool, must take another
  // local port.
  auto f = build_frame6(from_client6(40000));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  f = build_frame(topo::from_client(40000));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  const auto* ip = reinterpret_cast<const core::Ipv4Hdr*>(f.data() + 14);
  const auto* tcp = reinterpret_cast<const core::TcpHdr*>(f.data() + 34);
  EXPECT_EQ(ip->daddr, topo::kWeb[0].address);
  EXPECT_EQ(ip->saddr, topo::kLip);
  EXPECT_NE(tcp->sport, htons(40000)) << "LIP:40000 -> web[0] is the NAT64 connection's";
  EXPECT_EQ(dp.counter(Counter::lport_busy), 1u);
  EXPECT_EQ(dp.cs->conns.size(), 2u);
}

// A NAT64 connection's server side is an IPv4 tuple of the shared pool: it is kept across a
// restart for its IPv6 client, which gets it back; no IPv4 client of the pool does.
TEST(ProcessNat64, ItsServerTupleIsHeldAcrossARestart) {
  Dataplane dp(nat64());
  const BackendSpec& web = topo::kWeb[0];
  auto f = build_frame6(from_client6(40000));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  f = build_frame(from_server(web, 40000, kTcpSyn | kTcpAck));
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  std::vector<lb::PortHold> holds;
  lb::collect_port_holds(*dp.cs, holds);
  ASSERT_EQ(holds.size(), 1u);
  EXPECT_EQ(holds[0].family, lb::HoldFamily::nat64);
  EXPECT_EQ(holds[0].server.saddr, web.address);
  EXPECT_EQ(holds[0].server.daddr, topo::kLip);
  EXPECT_EQ(holds[0].server.dport, htons(40000));
  EXPECT_EQ(holds[0].client6.saddr, topo::kCip6);
  EXPECT_EQ(holds[0].client6.sport, htons(40000));

  Dataplane next(nat64());
  ASSERT_TRUE(lb::restore_port_hold(*next.cs, holds[0]));
  EXPECT_FALSE(lb::restore_port_hold(*next.cs, holds[0])) << "the tuple is there already";
  f = build_frame(topo::from_client(40000));
  ASSERT_EQ(next.run(f, 0), Verdict::tx);
  EXPECT_NE(reinterpret_cast<const core::TcpHdr*>(f.data() + 34)->sport, htons(40000)) << "an IPv4 client does not get it";
  f = build_frame6(from_client6(40000));
  ASSERT_EQ(next.run(f, 0), Verdict::tx);
  EXPECT_EQ(reinterpret_cast<const core::TcpHdr*>(f.data() + 34)->sport, htons(40000)) << "its own IPv6 client gets it back";
  EXPECT_EQ(next.counter(abi::Counter::lport_reclaimed), 1u);
}

// A burst holding the IPv4 replies of NAT64 connections (whose addresses line process_burst
// prefetches a few frames ahead once the table has NAT64 entries) and their clients' IPv6
// segments gives byte for byte what each frame gives alone.
TEST(ProcessNat64, ABurstOfBothSidesMatchesOneByOne) {
  Dataplane one(nat64()), burst(nat64());
  std::vector<std::vector<uint8_t>> frames;
  for (uint16_t i = 0; i < 12; ++i) {
    const auto cport = static_cast<uint16_t>(41000 + i);
    auto a = build_frame6(from_client6(cport)), b = a;
    ASSERT_EQ(one.run(a, 0), Verdict::tx);
    ASSERT_EQ(burst.run(b, 0), Verdict::tx);
    ASSERT_EQ(a, b);
    // The server's answer to the SYN as it left: IPv4 from that server to the LIP.
    core::PacketView v{};
    ASSERT_EQ(core::parse_packet(a.data(), static_cast<uint32_t>(a.size()), v).status, core::ParseStatus::ok);
    const BackendSpec* server = nullptr;
    for (const BackendSpec& w : topo::kWeb)
      if (w.address == v.ip->daddr) server = &w;
    ASSERT_NE(server, nullptr);
    frames.push_back(build_frame(from_server(*server, core::ntohs(v.sport()), kTcpSyn | kTcpAck)));
    frames.push_back(build_frame6(from_client6(cport, kTcpAck)));
  }
  ASSERT_EQ(burst.cs->conns.paired_entries(), 12u) << "the NAT64 entries: their addresses lines are looked ahead for";
  std::vector<uint8_t> ports;  // the servers' IPv4 replies arrive on port 1
  for (const auto& f : frames) ports.push_back(f[12] == 0x08 ? 1 : 0);
  std::vector<std::vector<uint8_t>> expected = frames;
  std::vector<Verdict> want;
  for (size_t i = 0; i < expected.size(); ++i) want.push_back(one.run(expected[i], ports[i]));
  const std::vector<Verdict> got = burst.run_burst(frames, ports);
  for (size_t i = 0; i < frames.size(); ++i) {
    ASSERT_EQ(got[i], Verdict::tx) << i;
    EXPECT_EQ(want[i], Verdict::tx) << i;
    EXPECT_EQ(frames[i], expected[i]) << i;
  }
  EXPECT_EQ(burst.drops(), 0u);
}

}  // namespace
