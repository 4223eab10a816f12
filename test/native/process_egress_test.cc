// test/native/process_egress_test.cc — where packets towards a server leave: the bound server's backend record in the current snapshot (port and next-hop MAC; connections do not copy them), in every mode, for one-packet datagrams and ICMP errors, across reloads that move, unresolve or remove the server.
#include <gtest/gtest.h>

#include "dataplane_fixture.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using abi::Counter;
using abi::Forwarding;
using lb::Verdict;
using xvs::core::kIcmpTimeExceeded;
using xvs::core::kIpProtoUdp;
using xvs::core::kTcpAck;

const Mac kMovedMac = mac_of(2, 0xee, 0, 0, 0, 1);
const Mac kNoMac = mac_of(0, 0, 0, 0, 0, 0);

// Server 0 re-resolved through port 0 and another next hop.
BackendSpec moved(BackendSpec b) {
  b.mac = kMovedMac;
  b.port_index = 0;
  return b;
}

TEST(ServerEgress, ConnectionsFollowTheServersNextHopAcrossReloads) {
  Dataplane dp(topo::standard(1));
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);  // server 0, local port 40000 (the client's own)
  SnapshotBuilder next = topo::standard(1, 2);
  next.backends[0].mac = mac48(kMovedMac);
  next.backends[0].port_index = 0;
  dp.reload(next);

  PacketSpec ack = topo::from_client(40000, kTcpAck);
  auto f = build_frame(ack);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
  EXPECT_EQ(port, 0);
  EXPECT_EQ(f, build_frame(topo::to_server(ack, moved(topo::kWeb[0]), 40000)));
  // The client side keeps the port and next hop its first packet came from.
  PacketSpec reply = topo::from_server(topo::kWeb[0], 40000, kTcpAck);
  auto g = build_frame(reply);
  ASSERT_EQ(dp.run(g, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 0);
  EXPECT_EQ(g, build_frame(topo::to_client(reply, 40000)));
  EXPECT_EQ(dp.drops(), 0u);
}

TEST(ServerEgress, UnresolvedNextHopDropsButKeepsTheConnection) {
  for (Forwarding mode : {Forwarding::dr, Forwarding::nat, Forwarding::tunnel, Forwarding::fullnat}) {
    SCOPED_TRACE(int(mode));
    Dataplane dp(topo::standard_mode(mode));
    ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);  // server 0
    SnapshotBuilder next = topo::standard_mode(mode, 1, {}, 2);
    next.backends[0].mac = mac48(kNoMac);
    dp.reload(next);
    EXPECT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::drop);
    EXPECT_EQ(dp.counter(Counter::drop_neighbor_unresolved), 1u);
    ASSERT_NE(dp.client_conn(40000), nullptr) << "the connection stays";

    dp.reload(topo::standard_mode(mode));  // resolved again
    PacketSpec ack = topo::from_client(40000, kTcpAck);
    auto f = build_frame(ack);
    ASSERT_EQ(dp.run(f, 0), Verdict::tx);
    BackendSpec web0 = topo::kWeb[0];
    if (mode == Forwarding::dr || mode == Forwarding::tunnel) web0.port = topo::kHttp;
    switch (mode) {
      case Forwarding::dr: EXPECT_EQ(f, build_frame(topo::dr_to_server(ack, web0))); break;
      case Forwarding::nat: EXPECT_EQ(f, build_frame(topo::nat_to_server(ack, web0))); break;
      case Forwarding::tunnel: EXPECT_EQ(f, topo::tunnel_to_server(ack, web0)); break;
      case Forwarding::fullnat: EXPECT_EQ(f, build_frame(topo::to_server(ack, web0, 40000))); break;
    }
    EXPECT_EQ(dp.counter(Counter::drop_neighbor_unresolved), 1u);
  }
}

// dr/tunnel one-packet datagrams leave no connection: their egress comes from the record too.
TEST(ServerEgress, OnePacketDatagramsUseTheRecord) {
  for (Forwarding mode : {Forwarding::dr, Forwarding::tunnel}) {
    SCOPED_TRACE(int(mode));
    SnapshotBuilder b(1, topo::kPorts);
    for (uint32_t p = 0; p < topo::kPorts; ++p) b.ports[p].address = topo::kPortAddress[p];
    ServiceOptions o;
    o.forwarding = mode;
    o.flags = abi::one_packet;
    const BackendSpec dns = moved(topo::same_port(topo::kDnsServer, topo::kDns));
    b.add_service(topo::kVip, topo::kDns, kIpProtoUdp, {dns}, abi::kNoPool, o);
    Dataplane dp(b);
    PacketSpec q = topo::from_client(5000, 0, topo::kDns);
    q.protocol = kIpProtoUdp;
    q.payload.assign(12, 'q');
    auto f = build_frame(q);
    uint8_t port = 0xff;
    ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
    EXPECT_EQ(port, 0);
    EXPECT_EQ(f, mode == Forwarding::dr ? build_frame(topo::dr_to_server(q, dns)) : topo::tunnel_to_server(q, dns));
    EXPECT_EQ(dp.cs->conns.size(), 0u);
  }
}

// An ICMP error quoting a connection whose server has left the configuration removes the
// connection (as any of its packets does) instead of following it.
TEST(ServerEgress, IcmpErrorAboutARemovedServersConnectionRemovesIt) {
  Dataplane dp(topo::standard(1));
  PacketSpec syn = topo::from_client(40000);
  ASSERT_EQ(dp.run(syn, 0), Verdict::tx);  // server 0, local port 40000 (the client's own)
  SnapshotBuilder next = topo::standard(1, 2);
  next.backends[0].backend_id = 999;  // server 0 replaced: its connections' server is gone
  dp.reload(next);
  ASSERT_EQ(dp.local_ports_in_use(), 1u);

  PacketSpec outer;
  outer.src_mac = topo::kRouterMac;
  outer.dst_mac = topo::kPortMac[0];
  outer.saddr = ipv4(198, 51, 100, 1);
  outer.daddr = topo::kVip;
  PacketSpec synack = topo::from_server(topo::kWeb[0], 40000);
  const PacketSpec error =
      icmp_error(outer, datagram(build_frame(topo::to_client(synack, 40000)), 48), kIcmpTimeExceeded, 0);
  EXPECT_EQ(dp.run(error, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_backend_removed), 1u);
  EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 0u);
  EXPECT_EQ(dp.client_conn(40000), nullptr);
  EXPECT_EQ(dp.local_ports_in_use(), 0u) << "its server never answered: its tuple is free, not held";
}

}  // namespace
