// test/native/process_modes_test.cc — lb::process per forwarding mode x protocol x direction, byte for byte: dr (MACs only), nat (DNAT/SNAT, TTL - 1), tunnel (IPIP from the port address), fullnat behind a VLAN tag; TTL rules per mode.
#include <gtest/gtest.h>

#include "dataplane_fixture.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using abi::Counter;
using abi::Forwarding;
using lb::Verdict;
using xvs::core::kIpProtoTcp;
using xvs::core::kIpProtoUdp;
using xvs::core::kTcpAck;
using xvs::core::kTcpFin;
using xvs::core::kTcpSyn;

PacketSpec udp_from_client(uint16_t cport) {
  PacketSpec q = topo::from_client(cport, 0, topo::kDns);
  q.protocol = kIpProtoUdp;
  q.payload.assign(29, 'q');
  return q;
}
const BackendSpec kWebDr[3] = {topo::same_port(topo::kWeb[0], 80), topo::same_port(topo::kWeb[1], 80),
                               topo::same_port(topo::kWeb[2], 80)};
const BackendSpec kDnsDr = topo::same_port(topo::kDnsServer, 53);

TEST(ProcessDr, OnlyTheMacsChangeAndRepliesAreNotOurs) {
  Dataplane dp(topo::standard_mode(Forwarding::dr));
  for (uint16_t i = 0; i < 4; ++i) {
    PacketSpec syn = topo::from_client(static_cast<uint16_t>(40000 + i));
    syn.payload = {1, 2, 3};
    auto f = build_frame(syn);
    uint8_t port = 0xff;
    ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
    EXPECT_EQ(port, 1);
    EXPECT_EQ(f, build_frame(topo::dr_to_server(syn, kWebDr[i % 3]))) << "TTL kept, rr order";
  }
  PacketSpec ack = topo::from_client(40000, kTcpAck);
  auto f = build_frame(ack);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(topo::dr_to_server(ack, kWebDr[0])));
  lb::Conn* c = dp.client_conn(40000);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->state, lb::ConnState::tcp_established);
  EXPECT_EQ(c->flags & (lb::kLinkClient | lb::kLinkServer), lb::kLinkClient) << "replies bypass the balancer";
  // The client's FIN: INPUT-ONLY goes to FIN_WAIT (a nat connection would be in CLOSE_WAIT).
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpFin | kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(c->state, lb::ConnState::tcp_fin_wait);
  EXPECT_EQ(c->expires, 1000u + 120u);

  // A reply that happens to pass by (VIP:80 -> CIP) belongs to nobody here.
  PacketSpec reply = topo::from_client(80, kTcpSyn | kTcpAck);
  reply.saddr = topo::kVip, reply.daddr = topo::kCip, reply.dport = 40001;
  EXPECT_EQ(dp.run(reply, 1), Verdict::pass);

  auto q = build_frame(udp_from_client(5000));
  ASSERT_EQ(dp.run(q, 0), Verdict::tx);
  EXPECT_EQ(q, build_frame(topo::dr_to_server(udp_from_client(5000), kDnsDr)));
  ASSERT_NE(dp.client_conn(5000, kIpProtoUdp), nullptr);
  EXPECT_EQ(dp.client_conn(5000, kIpProtoUdp)->expires, 1000u + 300u);
  EXPECT_EQ(dp.drops(), 0u);
}

TEST(ProcessNat, DnatRequestsSnatRepliesBothProtocols) {
  Dataplane dp(topo::standard_mode(Forwarding::nat));
  PacketSpec syn = topo::from_client(40000);
  syn.payload.assign(7, 's');
  auto f = build_frame(syn);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
  EXPECT_EQ(port, 1);
  EXPECT_EQ(f, build_frame(topo::nat_to_server(syn, topo::kWeb[0])));
  EXPECT_TRUE(checksums_valid(f));

  PacketSpec synack = topo::nat_from_server(topo::kWeb[0], 40000);
  synack.payload.assign(11, 'a');
  auto g = build_frame(synack);
  ASSERT_EQ(dp.run(g, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 0);
  EXPECT_EQ(g, build_frame(topo::to_client(synack, 40000))) << "VIP:80 -> CIP:40000, TTL - 1";
  EXPECT_TRUE(checksums_valid(g));
  lb::Conn* c = dp.client_conn(40000);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(dp.conn(kIpProtoTcp, topo::kWeb[0].address, topo::kCip, 8080, 40000), c) << "reply side is CIP:cport";
  EXPECT_EQ(c->state, lb::ConnState::tcp_syn_recv);
  // The second connection goes to the next server.
  PacketSpec syn2 = topo::from_client(40001);
  auto h = build_frame(syn2);
  ASSERT_EQ(dp.run(h, 0), Verdict::tx);
  EXPECT_EQ(h, build_frame(topo::nat_to_server(syn2, topo::kWeb[1])));

  for (bool with_checksum : {true, false}) {
    const uint16_t cport = with_checksum ? 5000 : 5001;
    PacketSpec q = udp_from_client(cport);
    q.udp_no_checksum = !with_checksum;
    auto u = build_frame(q);
    ASSERT_EQ(dp.run(u, 0), Verdict::tx);
    EXPECT_EQ(u, build_frame(topo::nat_to_server(q, topo::kDnsServer)));
    PacketSpec a = topo::nat_from_server(topo::kDnsServer, cport, 0);
    a.protocol = kIpProtoUdp;
    a.payload.assign(64, 'a');
    a.udp_no_checksum = !with_checksum;
    auto r = build_frame(a);
    ASSERT_EQ(dp.run(r, 1), Verdict::tx);
    EXPECT_EQ(r, build_frame(topo::to_client(a, cport, topo::kDns)));
    EXPECT_TRUE(checksums_valid(r, !with_checksum));
  }
  EXPECT_EQ(dp.drops(), 0u);
}

TEST(ProcessTunnel, IpipFromThePortAddressToTheServer) {
  Dataplane dp(topo::standard_mode(Forwarding::tunnel));
  for (uint16_t i = 0; i < 3; ++i) {
    PacketSpec syn = topo::from_client(static_cast<uint16_t>(40000 + i));
    syn.tos = 0x10;
    syn.frag_off = xvs::core::kIpFlagDontFragment;
    syn.payload.assign(100, 'p');
    auto f = build_frame(syn);
    uint8_t port = 0xff;
    ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
    EXPECT_EQ(port, 1);
    EXPECT_EQ(f, topo::tunnel_to_server(syn, kWebDr[i])) << i;
    EXPECT_TRUE(checksums_valid(f));
  }
  PacketSpec ack = topo::from_client(40001, kTcpAck);
  auto f = build_frame(ack);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, topo::tunnel_to_server(ack, kWebDr[1]));
  EXPECT_EQ(dp.client_conn(40001)->state, lb::ConnState::tcp_established);

  auto q = build_frame(udp_from_client(5000));
  ASSERT_EQ(dp.run(q, 0), Verdict::tx);
  EXPECT_EQ(q, topo::tunnel_to_server(udp_from_client(5000), kDnsDr));
  EXPECT_EQ(dp.drops(), 0u);
}

// One 802.1Q tag rides through: the rewrite works behind it and the tag leaves with the frame.
TEST(ProcessVlan, TagKeptInEveryMode) {
  for (Forwarding mode : {Forwarding::dr, Forwarding::nat, Forwarding::tunnel, Forwarding::fullnat}) {
    SCOPED_TRACE(int(mode));
    Dataplane dp(topo::standard_mode(mode));
    PacketSpec syn = topo::from_client(40000);
    syn.vlan_tags = {0x0064};
    auto f = build_frame(syn);
    ASSERT_EQ(dp.run(f, 0), Verdict::tx);
    std::vector<uint8_t> want;
    switch (mode) {
      case Forwarding::dr: want = build_frame(topo::dr_to_server(syn, kWebDr[0])); break;
      case Forwarding::nat: want = build_frame(topo::nat_to_server(syn, topo::kWeb[0])); break;
      case Forwarding::tunnel: want = topo::tunnel_to_server(syn, kWebDr[0]); break;
      case Forwarding::fullnat: want = build_frame(topo::to_server(syn, topo::kWeb[0], 40000)); break;
    }
    EXPECT_EQ(f, want);
    EXPECT_EQ(f[12], 0x81);
    EXPECT_EQ(f[15], 0x64);
    if (mode == Forwarding::fullnat) {
      PacketSpec synack = topo::from_server(topo::kWeb[0], 40000);
      synack.vlan_tags = {0x0065};
      auto g = build_frame(synack);
      ASSERT_EQ(dp.run(g, 1), Verdict::tx);
      EXPECT_EQ(g, build_frame(topo::to_client(synack, 40000))) << "the reply keeps its own tag";
    }
  }
}

// TTL 0 is dropped everywhere; TTL 1 is forwarded where xvs is not a routed hop (dr, tunnel)
// and dropped where it is (nat, fullnat): for new and for existing connections.
TEST(ProcessTtl, PerMode) {
  for (Forwarding mode : {Forwarding::dr, Forwarding::nat, Forwarding::tunnel, Forwarding::fullnat}) {
    SCOPED_TRACE(int(mode));
    const bool routed = mode == Forwarding::nat || mode == Forwarding::fullnat;
    Dataplane dp(topo::standard_mode(mode));
    PacketSpec syn = topo::from_client(40000);
    syn.ttl = 0;
    EXPECT_EQ(dp.run(syn, 0), Verdict::drop);
    EXPECT_EQ(dp.cs->conns.size(), 0u);
    syn.ttl = 1;
    auto f = build_frame(syn);
    EXPECT_EQ(dp.run(f, 0), routed ? Verdict::drop : Verdict::tx);
    if (mode == Forwarding::dr) {
      EXPECT_EQ(f, build_frame(topo::dr_to_server(syn, kWebDr[0])));
    } else if (mode == Forwarding::tunnel) {
      EXPECT_EQ(f, topo::tunnel_to_server(syn, kWebDr[0]));
    }
    EXPECT_EQ(dp.cs->conns.size(), routed ? 0u : 1u);

    PacketSpec opener = topo::from_client(40001);
    ASSERT_EQ(dp.run(opener, 0), Verdict::tx);
    PacketSpec ack = topo::from_client(40001, kTcpAck);
    ack.ttl = 1;
    EXPECT_EQ(dp.run(ack, 0), routed ? Verdict::drop : Verdict::tx);
    ack.ttl = 0;
    EXPECT_EQ(dp.run(ack, 0), Verdict::drop);
    EXPECT_EQ(dp.counter(Counter::drop_ttl_expired), routed ? 4u : 2u);
    EXPECT_EQ(dp.drops(), dp.counter(Counter::drop_ttl_expired));
  }
}
}  // namespace
