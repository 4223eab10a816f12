// test/native/process6_test.cc — lb::process and lb::process_burst on IPv6 frames, byte for byte
// against independently built frames: fullnat (both directions, LIP and local port), nat, dr,
// tunnel (ip6ip6, packet too big), ICMPv6 errors translated, hop-limit rules, fragments, NDP and
// echo left to the kernel, persistence by prefix length, one-packet scheduling, a zero UDP
// checksum, and IPv4 and IPv6 frames mixed in one burst. The IPv4 services of the same snapshot
// run beside them (standard_mode + add_standard6).
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

// A client's packet to [VIP6]:vport as it arrives on port 0, with a little payload.
Packet6Spec from_client6(uint16_t cport, uint8_t flags = kTcpSyn, uint16_t vport = topo::kHttp) {
  Packet6Spec s = topo::from_client6(cport, flags, vport);
  s.payload = {1, 2, 3, 4, 5};
  return s;
}
Packet6Spec udp6(Packet6Spec s) {
  s.protocol = kIpProtoUdp;
  s.dport = topo::kDns;
  return s;
}

// What a routed hop makes of `s` towards a server: new addresses and ports, hop limit - 1, the
// server-facing MACs.
Packet6Spec routed(Packet6Spec s, const core::Ipv6Address& saddr, const core::Ipv6Address& daddr, uint16_t sport, uint16_t dport,
                   const Mac& src_mac, const Mac& dst_mac) {
  s.saddr = saddr, s.daddr = daddr, s.sport = sport, s.dport = dport;
  s.src_mac = src_mac, s.dst_mac = dst_mac;
  --s.hop_limit;
  return s;
}

Verdict run6(Dataplane& dp, const Packet6Spec& s, uint8_t in_port) {
  auto f = build_frame6(s);
  return dp.run(f, in_port);
}

lb::Conn* conn6(const Dataplane& dp, uint8_t protocol, const core::Ipv6Address& s, const core::Ipv6Address& d, uint16_t sport,
                uint16_t dport) {
  return dp.cs->conns.lookup(protocol, s, d, htons(sport), htons(dport)).conn;
}

TEST(Process6Fullnat, BothDirectionsThroughTheLip) {
  Dataplane dp(topo::both_families(Forwarding::fullnat));
  const BackendSpec6& web = topo::kWeb6[0];
  Packet6Spec syn = from_client6(40000);
  auto f = build_frame6(syn);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
  EXPECT_EQ(port, 1);
  EXPECT_EQ(f, build_frame6(routed(syn, topo::kLip6, web.address, 40000, web.port, topo::kPortMac[1], web.mac)))
      << "LIP:client's own port -> RIP:rport, hop limit - 1";
  EXPECT_TRUE(ipv6_checksum_ok(f));
  lb::Conn* c = conn6(dp, kIpProtoTcp, topo::kCip6, topo::kVip6, 40000, 80);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->ipv6);
  EXPECT_EQ(c->forwarding, static_cast<uint8_t>(Forwarding::fullnat));
  EXPECT_EQ(conn6(dp, kIpProtoTcp, web.address, topo::kLip6, web.port, 40000), c) << "the server side is linked";
  EXPECT_EQ(dp.client_conn(40000), nullptr) << "no IPv4 entry";

  Packet6Spec reply;
  reply.src_mac = web.mac, reply.dst_mac = topo::kPortMac[1];
  reply.saddr = web.address, reply.daddr = topo::kLip6, reply.sport = web.port, reply.dport = 40000;
  reply.tcp_flags = kTcpSyn | kTcpAck;
  reply.payload = {9, 9};
  f = build_frame6(reply);
  ASSERT_EQ(dp.run(f, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 0);
  EXPECT_EQ(f, build_frame6(routed(reply, topo::kVip6, topo::kCip6, 80, 40000, topo::kPortMac[0], topo::kRouterMac)));
  ASSERT_EQ(run6(dp, from_client6(40000, kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(c->state, lb::ConnState::tcp_established);
  EXPECT_EQ(dp.load(dp.snapshot().services[2].backend_first).active, 1u);
  EXPECT_EQ(dp.drops(), 0u);

  // The IPv4 service beside it is untouched: its own connection, its own LIP.
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);
  ASSERT_NE(dp.client_conn(40000), nullptr);
  EXPECT_FALSE(dp.client_conn(40000)->ipv6);
  EXPECT_EQ(dp.cs->conns.size(), 2u);
}

TEST(Process6Nat, UdpKeepsTheClientsAddress) {
  Dataplane dp(topo::both_families(Forwarding::nat));
  const BackendSpec6& dns = topo::kDnsServer6;
  Packet6Spec q = udp6(from_client6(5353));
  auto f = build_frame6(q);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame6(routed(q, topo::kCip6, dns.address, 5353, dns.port, topo::kPortMac[1], dns.mac)));
  Packet6Spec answer = q;
  answer.src_mac = dns.mac, answer.dst_mac = topo::kPortMac[1];
  answer.saddr = dns.address, answer.daddr = topo::kCip6, answer.sport = dns.port, answer.dport = 5353;
  f = build_frame6(answer);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  EXPECT_EQ(f, build_frame6(routed(answer, topo::kVip6, topo::kCip6, topo::kDns, 5353, topo::kPortMac[0], topo::kRouterMac)));
  EXPECT_TRUE(ipv6_checksum_ok(f));
}

TEST(Process6Dr, OnlyTheMacsChange) {
  Dataplane dp(topo::both_families(Forwarding::dr));
  for (uint16_t i = 0; i < 3; ++i) {
    Packet6Spec syn = from_client6(static_cast<uint16_t>(41000 + i));
    syn.hop_limit = 1;  // not a routed hop: no expiry here
    auto f = build_frame6(syn);
    ASSERT_EQ(dp.run(f, 0), Verdict::tx);
    Packet6Spec want = syn;
    want.src_mac = topo::kPortMac[1], want.dst_mac = topo::kWeb6[i].mac;
    EXPECT_EQ(f, build_frame6(want)) << "rr order, hop limit kept";
  }
  lb::Conn* c = conn6(dp, kIpProtoTcp, topo::kCip6, topo::kVip6, 41000, 80);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->flags & (lb::kLinkClient | lb::kLinkServer), lb::kLinkClient);
}

TEST(Process6Dr, OnePacketUdpLeavesNothingBehind) {
  ServiceOptions o;
  o.flags = abi::one_packet;
  SnapshotBuilder b(1, topo::kPorts);
  std::vector<BackendSpec6> dns = {topo::kDnsServer6};
  dns[0].port = topo::kDns;
  o.forwarding = Forwarding::dr;
  b.add_service6(topo::kVip6, topo::kDns, kIpProtoUdp, dns, abi::kNoPool, o);
  Dataplane dp(b);
  Packet6Spec q = udp6(from_client6(6000));
  auto f = build_frame6(q);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  Packet6Spec want = q;
  want.src_mac = topo::kPortMac[1], want.dst_mac = dns[0].mac;
  EXPECT_EQ(f, build_frame6(want));
  EXPECT_EQ(dp.cs->conns.size(), 0u);
  EXPECT_EQ(dp.counter(Counter::conn_created), 0u);
}

TEST(Process6Tunnel, Ip6ip6FromThePortAddressAndPacketTooBig) {
  Dataplane dp(topo::both_families(Forwarding::tunnel));
  Packet6Spec syn = from_client6(42000);
  const std::vector<uint8_t> inner = ipv6_packet(syn);
  auto f = build_frame6(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  const BackendSpec6& web = topo::kWeb6[0];
  EXPECT_EQ(f, build_ip6ip6_frame(web.mac, topo::kPortMac[1], topo::kPortAddress6[1], web.address, inner));

  // 1500-byte MTU: an inner packet of 1461 bytes does not fit with the outer header.
  Packet6Spec big = from_client6(42000, kTcpAck);
  big.payload.assign(1461 - 60, 'x');
  const std::vector<uint8_t> big_packet = ipv6_packet(big);
  ASSERT_EQ(big_packet.size(), 1461u);
  f = build_frame6(big);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
  EXPECT_EQ(port, 0);
  EXPECT_EQ(f, build_icmp6_error(topo::kRouterMac, topo::kPortMac[0], topo::kPortAddress6[0], topo::kCip6, 2, 0, 1460, big_packet,
                                 1280 - 48))
      << "from the arrival port's address, quoting what the minimum MTU leaves room for";
  EXPECT_TRUE(ipv6_checksum_ok(f));
  EXPECT_EQ(dp.counter(Counter::icmp_frag_needed_sent), 1u);
  // An ICMPv6 error is never answered with one.
  EXPECT_EQ(dp.drops(), 0u);
}

// A restart keeps the IPv6 server-side tuples the servers may still hold (lb/port_holds.h):
// another client does not get one; the client that held it does.
TEST(Process6Fullnat, HeldTuplesSurviveARestart) {
  Dataplane dp(topo::both_families(Forwarding::fullnat));
  const BackendSpec6& web = topo::kWeb6[0];
  ASSERT_EQ(run6(dp, from_client6(40000), 0), Verdict::tx);
  Packet6Spec answer = from_client6(40000, kTcpSyn | kTcpAck);
  answer.saddr = web.address, answer.daddr = topo::kLip6, answer.sport = web.port, answer.dport = 40000;
  answer.src_mac = web.mac, answer.dst_mac = topo::kPortMac[1];
  ASSERT_EQ(run6(dp, answer, 1), Verdict::tx);
  std::vector<lb::PortHold> holds;
  lb::collect_port_holds(*dp.cs, holds);
  ASSERT_EQ(holds.size(), 1u);
  EXPECT_EQ(holds[0].family, lb::HoldFamily::ipv6);
  EXPECT_EQ(holds[0].server6.saddr, web.address);
  EXPECT_EQ(holds[0].server6.daddr, topo::kLip6);
  EXPECT_EQ(holds[0].server.dport, htons(40000)) << "the local port where the engine reads it";
  EXPECT_EQ(holds[0].client6.saddr, topo::kCip6);

  // Each restarted table's first connection goes to web6[0] (rr), the held tuple's server.
  Dataplane next(topo::both_families(Forwarding::fullnat));
  ASSERT_TRUE(lb::restore_port_hold(*next.cs, holds[0]));
  EXPECT_FALSE(lb::restore_port_hold(*next.cs, holds[0])) << "the tuple is there already";
  Packet6Spec other = from_client6(40000);
  other.saddr.bytes[15] ^= 1;
  auto f = build_frame6(other);
  ASSERT_EQ(next.run(f, 0), Verdict::tx);
  EXPECT_EQ(core::Ipv6Address::load(f.data() + 14 + 24), web.address);
  EXPECT_NE(reinterpret_cast<const core::TcpHdr*>(f.data() + 14 + 40)->sport, htons(40000)) << "another client does not get it";
  EXPECT_EQ(next.counter(Counter::lport_busy), 1u);

  Dataplane again(topo::both_families(Forwarding::fullnat));
  ASSERT_TRUE(lb::restore_port_hold(*again.cs, holds[0]));
  f = build_frame6(from_client6(40000));
  ASSERT_EQ(again.run(f, 0), Verdict::tx);
  EXPECT_EQ(core::Ipv6Address::load(f.data() + 14 + 24), web.address);
  EXPECT_EQ(reinterpret_cast<const core::TcpHdr*>(f.data() + 14 + 40)->sport, htons(40000)) << "the client that held it gets it back";
  EXPECT_EQ(again.counter(Counter::lport_reclaimed), 1u);
}

TEST(Process6Fullnat, IcmpErrorFromTheServerReachesTheClientTranslated) {
  Dataplane dp(topo::both_families(Forwarding::fullnat));
  const BackendSpec6& web = topo::kWeb6[0];
  Packet6Spec syn = from_client6(40000);
  auto f = build_frame6(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  const std::vector<uint8_t> sent(f.begin() + 14, f.end());  // as the server got it: LIP -> RIP
  auto error = build_icmp6_error(topo::kPortMac[1], web.mac, web.address, topo::kLip6, 2, 0, 1400, sent);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(error, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 0);
  Packet6Spec quoted = syn;
  quoted.hop_limit = 63;
  EXPECT_EQ(error, build_icmp6_error(topo::kRouterMac, topo::kPortMac[0], topo::kVip6, topo::kCip6, 2, 0, 1400, ipv6_packet(quoted),
                                     SIZE_MAX, 63))
      << "outer VIP -> CIP, the quoted packet as the client sent it";
  EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 1u);

  // An error about no connection is the kernel's.
  auto stray = build_icmp6_error(topo::kPortMac[1], web.mac, web.address, topo::kLip6, 1, 4, 0,
                                 ipv6_packet(routed(from_client6(49999), topo::kLip6, web.address, 49999, web.port, {}, {})));
  EXPECT_EQ(dp.run(stray, 1), Verdict::pass);
}

TEST(Process6, HopLimitFragmentsAndTheKernelsIcmp) {
  Dataplane dp(topo::both_families(Forwarding::fullnat));
  Packet6Spec last_hop = from_client6(40000);
  last_hop.hop_limit = 1;
  EXPECT_EQ(run6(dp, last_hop, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_ttl_expired), 1u);

  Packet6Spec fragment = from_client6(40001);
  fragment.fragment_header = true;
  fragment.fragment = 1;  // offset 0, more fragments
  EXPECT_EQ(run6(dp, fragment, 0), Verdict::drop);
  fragment.fragment = 185 << 3;  // a later fragment: no ports
  EXPECT_EQ(run6(dp, fragment, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_ip_fragment), 2u);

  for (uint8_t type : {128 /* echo */, 135 /* neighbour solicitation */, 136 /* advertisement */}) {
    Packet6Spec icmp = from_client6(0);
    icmp.protocol = core::kIpProtoIcmpv6;
    icmp.icmp_type = type;
    icmp.hop_limit = 255;
    EXPECT_EQ(run6(dp, icmp, 0), Verdict::pass) << int(type);
  }
  Packet6Spec zero = udp6(from_client6(7000));
  zero.zero_udp_checksum = true;
  EXPECT_EQ(run6(dp, zero, 0), Verdict::drop) << "to a VIP";
  EXPECT_EQ(dp.counter(Counter::drop_ipv6_udp_zero_checksum), 1u);
  zero.daddr = topo::kPortAddress6[0];  // the host's own (a tunnel endpoint may use zero checksums, RFC 6935)
  EXPECT_EQ(run6(dp, zero, 0), Verdict::pass);
  // Not ours: another destination.
  Packet6Spec other = from_client6(40002);
  other.daddr = topo::kPortAddress6[0];
  EXPECT_EQ(run6(dp, other, 0), Verdict::pass);
  EXPECT_EQ(dp.cs->conns.size(), 0u);
}

TEST(Process6Nat, PersistenceByPrefixLength) {
  ServiceOptions o;
  o.flags = abi::persistent;
  o.persist_timeout = 300;
  o.persist_prefix6 = 64;
  Dataplane dp(topo::both_families(Forwarding::nat, o));
  auto server_of = [&](const core::Ipv6Address& client, uint16_t cport) {
    Packet6Spec syn = from_client6(cport);
    syn.saddr = client;
    auto f = build_frame6(syn);
    EXPECT_EQ(dp.run(f, 0), Verdict::tx);
    return core::Ipv6Address::load(f.data() + 14 + 24);
  };
  const core::Ipv6Address same_net = ipv6({0x2001, 0xdb8, 0xc, 0, 0xffff, 1, 2, 3});
  const core::Ipv6Address other_net = ipv6({0x2001, 0xdb8, 0xd, 0, 0, 0, 0, 7});
  const core::Ipv6Address first = server_of(topo::kCip6, 40000);
  EXPECT_EQ(server_of(topo::kCip6, 40001), first);
  EXPECT_EQ(server_of(same_net, 40002), first) << "the same /64";
  EXPECT_NE(server_of(other_net, 40003), first) << "another /64: rr moves on";
  EXPECT_EQ(dp.counter(Counter::persistence_hits), 2u);
  // Both connections of the first client release their template's hold when they end.
  lb::Conn* c = conn6(dp, kIpProtoTcp, topo::kCip6, topo::kVip6, 40000, 80);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->flags & lb::kPersistent);
  lb::Conn* t = dp.cs->conns.at(c->template_index);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->ipv6);
  EXPECT_EQ(t->controlled, 3u);
  dp.expire(1000 + 61);  // SYN_RECV connections time out (60 s)
  EXPECT_EQ(t->controlled, 0u) << "every connection detached from its template";
}

// IPv4 and IPv6 frames in one burst give what each gives alone, whichever family leads the
// burst (process_burst tries the first frame's family first), with a VLAN-tagged IPv6 frame and
// a truncated one among them.
TEST(Process6Burst, MixedFamiliesMatchOneByOne) {
  for (const bool ipv6_first : {false, true}) {
    auto make = [&] {
      std::vector<std::vector<uint8_t>> frames;
      for (uint16_t i = 0; i < 24; ++i) {
        const auto cport = static_cast<uint16_t>(43000 + i);
        if (i % 3 == (ipv6_first ? 1 : 0)) {
          frames.push_back(build_frame(topo::from_client(cport)));
        } else if (i == 5) {
          Packet6Spec tagged = from_client6(cport);
          tagged.vlan_tags = {7};
          frames.push_back(build_frame6(tagged));
        } else if (i == 8) {
          auto cut = build_frame6(from_client6(cport));
          cut.resize(14 + 30);  // inside the IPv6 header
          frames.push_back(cut);
        } else {
          frames.push_back(build_frame6(from_client6(cport)));
        }
      }
      return frames;
    };
    Dataplane one(topo::both_families(Forwarding::fullnat)), burst(topo::both_families(Forwarding::fullnat));
    auto expected = make();
    std::vector<Verdict> want;
    for (auto& f : expected) want.push_back(one.run(f, 0));
    ASSERT_EQ(want[8], Verdict::drop);
    for (int round = 0; round < 2; ++round) {  // the second round finds every connection
      auto frames = make();
      const std::vector<Verdict> got = burst.run_burst(frames);
      for (size_t i = 0; i < frames.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << "frame " << i << ", IPv6 first " << ipv6_first;
        if (round == 0 && got[i] == Verdict::tx) EXPECT_EQ(frames[i], expected[i]) << i;
      }
    }
    EXPECT_EQ(burst.cs->conns.size(), one.cs->conns.size());
    EXPECT_EQ(burst.cs->conns.size(), 23u) << "every frame but the truncated one made a connection";
    EXPECT_EQ(burst.counter(Counter::drop_truncated_ip), 2u) << "the truncated frame, in each round";
  }
}

}  // namespace
