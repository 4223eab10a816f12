// test/native/traffic_test.cc — per-server traffic (lb/traffic.h): a scheduled connection and
// every forwarded packet are counted on the server, client side as "in" and server side as
// "out", with the IP length as received; drops count nothing; one-packet datagrams count one
// connection each; the counts follow their server into the next snapshot and go with it.
#include <gtest/gtest.h>

#include "dataplane_fixture.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using abi::Forwarding;
using lb::Verdict;
using xvs::core::kIpProtoUdp;
using xvs::core::kTcpAck;
using xvs::core::ntohs;

uint32_t ip_length(const PacketSpec& spec) { return ntohs(ip_of(build_frame(spec))->total_length); }

const lb::BackendTraffic& traffic(const Dataplane& dp, uint32_t backend) { return dp.cs->counters_of(backend).traffic; }

TEST(Traffic, ConnectionsPacketsAndBytesPerServerAndDirection) {
  Dataplane dp(topo::standard(1));
  PacketSpec syn = topo::from_client(40000);
  syn.payload.assign(20, 'x');
  ASSERT_EQ(dp.run(syn, 0), Verdict::tx);  // rr: server 0
  const lb::Conn* c = dp.client_conn(40000);
  ASSERT_NE(c, nullptr);
  const uint16_t lport = ntohs(c->tuple[lb::kFromServer].dport);
  const PacketSpec reply = topo::from_server(topo::kWeb[0], lport);
  ASSERT_EQ(dp.run(reply, 1), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::tx);

  const lb::BackendTraffic& t = traffic(dp, 0);
  EXPECT_EQ(t.conns, 1u);
  EXPECT_EQ(t.in_packets, 2u);
  EXPECT_EQ(t.in_bytes, ip_length(syn) + ip_length(topo::from_client(40000, kTcpAck)));
  EXPECT_EQ(t.out_packets, 1u);
  EXPECT_EQ(t.out_bytes, ip_length(reply));
  EXPECT_EQ(traffic(dp, 1).conns, 0u) << "the other servers saw nothing";
  EXPECT_EQ(traffic(dp, 1).in_packets, 0u);

  // Dropped (an ACK without a connection) or passed (not for a service): nothing counted.
  ASSERT_EQ(dp.run(topo::from_client(40001, kTcpAck), 0), Verdict::drop);
  EXPECT_EQ(traffic(dp, 1).in_packets, 0u);
  EXPECT_EQ(traffic(dp, 0).in_packets, 2u);
}

TEST(Traffic, OnePacketDatagramsAreOneConnectionEach) {
  SnapshotBuilder b(1, topo::kPorts);
  ServiceOptions o;
  o.forwarding = Forwarding::dr;
  o.flags = abi::one_packet;
  b.add_service(topo::kVip, topo::kDns, kIpProtoUdp, {topo::same_port(topo::kDnsServer, topo::kDns)}, abi::kNoPool, o);
  Dataplane dp(b);
  PacketSpec q = topo::from_client(5000, 0, topo::kDns);
  q.protocol = kIpProtoUdp;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(dp.run(q, 0), Verdict::tx);
  EXPECT_EQ(traffic(dp, 0).conns, 3u);
  EXPECT_EQ(traffic(dp, 0).in_packets, 3u);
  EXPECT_EQ(traffic(dp, 0).in_bytes, 3u * ip_length(q));
  EXPECT_EQ(dp.load(0).inactive, 0u) << "no connection stays";
}

TEST(Traffic, FollowsItsServerIntoTheNextSnapshotAndLeavesWithIt) {
  Dataplane dp(topo::standard(1));
  for (uint16_t cport = 40000; cport < 40003; ++cport) ASSERT_EQ(dp.run(topo::from_client(cport), 0), Verdict::tx);
  // Server 0 leaves: servers 1 and 2 move to indices 0 and 1 and keep their ids and counts.
  dp.reload(topo::standard_without_first_web(1, 2));
  EXPECT_EQ(traffic(dp, 0).conns, 0u) << "index 0 is the unreferenced record now";
  EXPECT_EQ(traffic(dp, 1).conns, 1u) << "server 1";
  EXPECT_EQ(traffic(dp, 2).conns, 1u) << "server 2";
  EXPECT_EQ(traffic(dp, 1).in_packets, 1u);

  dp.reload(topo::standard(1, 3));  // server 0 is back under its old id: it starts from zero
  EXPECT_EQ(traffic(dp, 0).conns, 0u);
  EXPECT_EQ(traffic(dp, 1).conns, 1u);
}

}  // namespace
