// test/native/process_test.cc — lb::process in fullnat on a hand-built snapshot: exact frames both ways, rr order, each reachable drop by counter.
#include <gtest/gtest.h>

#include <set>

#include "dataplane_fixture.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using abi::Counter;
using topo::to_client;
using topo::to_server;
using lb::Verdict;
using xvs::core::htons;
using xvs::core::kTcpAck;
using xvs::core::kTcpFin;
using xvs::core::kTcpRst;
using xvs::core::kTcpSyn;

TEST(Process, SynBecomesLipToRip) {
  Dataplane dp(topo::standard(1));
  PacketSpec syn = topo::from_client(40000);
  syn.payload = {1, 2, 3};  // odd length, checksummed through the rewrite
  auto f = build_frame(syn);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
  EXPECT_EQ(port, 1) << "frame.port is the backend's port_index";
  EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[0], 1024)));
  EXPECT_TRUE(checksums_valid(f));
  EXPECT_EQ(dp.counter(Counter::conn_created), 1u);
  EXPECT_EQ(dp.cs->conns.size(), 1u);
  EXPECT_EQ(dp.drops(), 0u);
  EXPECT_EQ(dp.pool().available(), dp.pool().capacity() - 1);
}

TEST(Process, ReplyBecomesVipToClientAndAckFollows) {
  Dataplane dp(topo::standard(1));
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);

  PacketSpec synack = topo::from_server(topo::kWeb[0], 1024);
  auto f = build_frame(synack);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 0) << "back out of the port the client came in on";
  EXPECT_EQ(f, build_frame(to_client(synack, 40000)));

  PacketSpec ack = topo::from_client(40000, kTcpAck);
  ack.payload.assign(100, 'x');
  auto g = build_frame(ack);
  ASSERT_EQ(dp.run(g, 0, &port), Verdict::tx);
  EXPECT_EQ(g, build_frame(to_server(ack, topo::kWeb[0], 1024)));
  EXPECT_EQ(dp.cs->conns.size(), 1u);
  const lb::ConnLookup c = dp.cs->conns.lookup(6, topo::kCip, topo::kVip, htons(40000), htons(80));
  ASSERT_NE(c.conn, nullptr);
  EXPECT_EQ(c.conn->state, lb::ConnState::tcp_established);
  EXPECT_EQ(c.conn->expires, 1000u + 900u);
  EXPECT_EQ(dp.drops(), 0u);
}

// Options are kept (offsets follow IHL and data offset), and a client that came in on port 1
// (one arm) is answered on port 1, from port 1's MAC.
TEST(Process, OptionsAndClientOnTheServerPort) {
  Dataplane dp(topo::standard(1));
  PacketSpec syn = topo::from_client(40000);
  syn.dst_mac = topo::kPortMac[1];
  syn.ip_option_words = 3;
  syn.tcp_option_words = 5;
  auto f = build_frame(syn);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 1);
  EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[0], 1024)));

  PacketSpec synack = topo::from_server(topo::kWeb[0], 1024);
  synack.tcp_option_words = 2;
  auto g = build_frame(synack);
  ASSERT_EQ(dp.run(g, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 1) << "the client's port, not port 0";
  PacketSpec want = to_client(synack, 40000);
  want.src_mac = topo::kPortMac[1];
  EXPECT_EQ(g, build_frame(want));
}

TEST(Process, UdpBothWays) {
  Dataplane dp(topo::standard(1));
  for (bool with_checksum : {true, false}) {
    const uint16_t cport = with_checksum ? 5000 : 5001, lport = with_checksum ? 1024 : 1025;
    PacketSpec q = topo::from_client(cport, 0, topo::kDns);
    q.protocol = xvs::core::kIpProtoUdp;
    q.payload.assign(29, 'q');
    q.udp_no_checksum = !with_checksum;
    auto f = build_frame(q);
    ASSERT_EQ(dp.run(f, 0), Verdict::tx);
    EXPECT_EQ(f, build_frame(to_server(q, topo::kDnsServer, lport)));

    PacketSpec a = topo::from_server(topo::kDnsServer, lport, 0);
    a.protocol = xvs::core::kIpProtoUdp;
    a.payload.assign(64, 'a');
    a.udp_no_checksum = !with_checksum;
    auto g = build_frame(a);
    ASSERT_EQ(dp.run(g, 1), Verdict::tx);
    EXPECT_EQ(g, build_frame(to_client(a, cport, topo::kDns)));
    EXPECT_TRUE(checksums_valid(g, /*udp_zero_ok=*/!with_checksum));
  }
  const lb::ConnLookup c = dp.cs->conns.lookup(17, topo::kCip, topo::kVip, htons(5000), htons(53));
  ASSERT_NE(c.conn, nullptr);
  EXPECT_EQ(c.conn->state, lb::ConnState::udp);
}

TEST(Process, RoundRobinOverThreeBackends) {
  Dataplane dp(topo::standard(1));
  for (uint16_t i = 0; i < 6; ++i) {
    PacketSpec syn = topo::from_client(static_cast<uint16_t>(41000 + i));
    auto f = build_frame(syn);
    ASSERT_EQ(dp.run(f, 0), Verdict::tx);
    EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[i % 3], static_cast<uint16_t>(1024 + i)))) << i;
  }
}

// Each worker starts at its own place in the sequence (worker 1 of 2: 3 * 1 / 2 = entry 1) and
// takes only its own (odd) local ports.
TEST(Process, SecondWorkerStartsLaterInTheSequence) {
  Dataplane dp(topo::standard(2), 2, 1);
  PacketSpec syn = topo::from_client(40000);
  auto f = build_frame(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[1], 1025)));
}

TEST(Process, PoolOfTwoLipsAlternates) {
  const uint32_t lip2 = ipv4(10, 0, 2, 101);
  SnapshotBuilder b(1, topo::kPorts);
  b.add_service(topo::kVip, 80, 6, {topo::kWeb[0]}, b.add_pool({topo::kLip, lip2}));
  Dataplane dp(b);
  const uint32_t want_lip[] = {topo::kLip, lip2, topo::kLip, lip2};
  const uint16_t want_port[] = {1024, 1024, 1025, 1025};
  for (uint16_t i = 0; i < 4; ++i) {
    PacketSpec syn = topo::from_client(static_cast<uint16_t>(42000 + i));
    auto f = build_frame(syn);
    ASSERT_EQ(dp.run(f, 0), Verdict::tx);
    EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[0], want_port[i], want_lip[i]))) << i;
  }
}

TEST(Process, NonSynWithoutConnectionDrops) {
  Dataplane dp(topo::standard(1));
  const uint8_t flags[] = {kTcpAck, kTcpSyn | kTcpAck, kTcpRst, kTcpSyn | kTcpRst, kTcpFin | kTcpAck, 0};
  for (uint8_t fl : flags) EXPECT_EQ(dp.run(topo::from_client(40000, fl), 0), Verdict::drop) << int(fl);
  EXPECT_EQ(dp.counter(Counter::drop_tcp_no_conn), std::size(flags));
  EXPECT_EQ(dp.drops(), std::size(flags));
  EXPECT_EQ(dp.cs->conns.size(), 0u);
}

TEST(Process, NotForAServicePassesUntouched) {
  Dataplane dp(topo::standard(1));
  ASSERT_EQ(dp.run(topo::from_client(40001), 0), Verdict::tx);  // a connection exists, on another client port
  PacketSpec other = topo::from_client(40000), port81 = other, udp80 = other, arp = other, echo = other, gre = other;
  other.daddr = topo::kOther;
  port81.dport = 81;
  udp80.protocol = xvs::core::kIpProtoUdp;
  arp.ethertype = 0x0806;
  echo.protocol = xvs::core::kIpProtoIcmp;  // a ping to the VIP is the kernel's to answer
  echo.payload.assign(56, 0x42);
  gre.protocol = 47;
  // An ICMP error about a flow xvs does not track.
  const auto unknown = icmp_error(topo::from_client(40000), datagram(build_frame(topo::to_client(topo::from_server(topo::kWeb[0], 1024), 40000)), 28));
  for (const PacketSpec& s : {other, port81, udp80, arp, echo, gre, unknown}) {
    auto f = build_frame(s);
    const auto before = f;
    EXPECT_EQ(dp.run(f, 0), Verdict::pass);
    EXPECT_EQ(f, before);
  }
  EXPECT_EQ(dp.drops(), 0u);
  EXPECT_EQ(dp.cs->conns.size(), 1u);
}

TEST(Process, TtlExpired) {
  Dataplane dp(topo::standard(1));
  for (uint8_t ttl : {0, 1}) {
    PacketSpec syn = topo::from_client(40000);
    syn.ttl = ttl;
    EXPECT_EQ(dp.run(syn, 0), Verdict::drop);
  }
  EXPECT_EQ(dp.cs->conns.size(), 0u);
  EXPECT_EQ(dp.pool().available(), dp.pool().capacity()) << "no port taken for a dropped SYN";
  PacketSpec syn = topo::from_client(40000);
  syn.ttl = 2;
  ASSERT_EQ(dp.run(syn, 0), Verdict::tx);
  PacketSpec reply = topo::from_server(topo::kWeb[0], 1024);
  reply.ttl = 1;
  EXPECT_EQ(dp.run(reply, 1), Verdict::drop) << "an existing connection checks TTL too";
  EXPECT_EQ(dp.counter(Counter::drop_ttl_expired), 3u);
  EXPECT_EQ(dp.drops(), 3u);
}

TEST(Process, UnresolvedBackendMacDrops) {
  SnapshotBuilder b = topo::standard(1);
  b.backends[0].mac = abi::mac48{};
  Dataplane dp(b);
  EXPECT_EQ(dp.run(topo::from_client(40000), 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_neighbor_unresolved), 1u);
  EXPECT_EQ(dp.cs->conns.size(), 0u);
  EXPECT_EQ(dp.pool().available(), dp.pool().capacity());
  EXPECT_EQ(dp.run(topo::from_client(40001), 0), Verdict::tx) << "the next server in rr is resolved";
}

TEST(Process, NoBackendNoSnapshotAndMalformedDrop) {
  SnapshotBuilder b(1, topo::kPorts);
  b.add_service(topo::kVip, 80, 6, {}, b.add_pool({topo::kLip}));
  Dataplane dp(b);
  EXPECT_EQ(dp.run(topo::from_client(40000), 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_no_backend), 1u);

  auto cut = build_frame(topo::from_client(40000));
  cut.resize(30);
  EXPECT_EQ(dp.run(cut, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_truncated_ip), 1u);

  dp.cs->snapshot = nullptr;
  EXPECT_EQ(dp.run(topo::from_client(40000), 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_no_snapshot), 1u);
  EXPECT_EQ(dp.drops(), 3u);
}

// Worker 0 of 2 owns the even half of the LIP's ports: 32256 connections, then the pool is dry.
TEST(Process, LocalPortExhaustion) {
  Dataplane dp(topo::standard(2), 2, 0, 40000);
  const uint32_t share = dp.pool().capacity();
  ASSERT_EQ(share, 32256u);
  std::set<uint16_t> lports;
  for (uint32_t i = 0; i < share; ++i) {
    PacketSpec syn = topo::from_client(static_cast<uint16_t>(10000 + i % 50000));
    syn.saddr = ipv4(198, 51, 100, static_cast<uint8_t>(7 + i / 50000));
    auto f = build_frame(syn);
    ASSERT_EQ(dp.run(f, 0), Verdict::tx) << i;
    const uint16_t lport = static_cast<uint16_t>(l4_of(f)[0] << 8 | l4_of(f)[1]);  // rewritten source port
    ASSERT_EQ(lport % 2, 0) << lport;
    lports.insert(lport);
  }
  EXPECT_EQ(lports.size(), share);
  EXPECT_EQ(dp.run(topo::from_client(9999), 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_lport_exhausted), 1u);
  EXPECT_EQ(dp.drops(), 1u);
  EXPECT_EQ(dp.cs->conns.size(), share);

  // Existing connections still forward, both ways.
  PacketSpec ack = topo::from_client(10000, kTcpAck);
  auto f = build_frame(ack);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(to_server(ack, topo::kWeb[0], 1024)));
  EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[1], 1026), 1), Verdict::tx);
}

TEST(Process, ConnectionTableFull) {
  Dataplane dp(topo::standard(1), 1, 0, 1024);
  for (uint16_t i = 0; i < 1024; ++i) ASSERT_EQ(dp.run(topo::from_client(static_cast<uint16_t>(10000 + i)), 0), Verdict::tx);
  EXPECT_EQ(dp.run(topo::from_client(20000), 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_conn_table_full), 1u);
  EXPECT_EQ(dp.drops(), 1u);
  EXPECT_EQ(dp.pool().available(), dp.pool().capacity() - 1024) << "the refused connection gave its port back";
  EXPECT_EQ(dp.run(topo::from_client(10000, kTcpAck), 0), Verdict::tx);
}

// Worker 1 of 2 sees a reply for local port 1024, which worker 0 owns: redirected there, untouched.
TEST(Process, ReplyOnTheWrongWorker) {
  Dataplane dp(topo::standard(2), 2, 1);
  const PacketSpec reply = topo::from_server(topo::kWeb[0], 1024);
  auto f = build_frame(reply);
  EXPECT_EQ(dp.run(f, 1), Verdict::redirect_to(0));
  EXPECT_EQ(f, build_frame(reply)) << "a redirected frame leaves as it came";
  EXPECT_EQ(dp.counter(Counter::drop_not_owner), 0u);
  // Its own port without a connection, and ports below the pool range, are not ours: pass.
  EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[0], 1025), 1), Verdict::pass);
  EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[0], 22), 1), Verdict::pass);
  EXPECT_EQ(dp.drops(), 0u);
}

TEST(Process, FragmentsForAServiceDrop) {
  Dataplane dp(topo::standard(1));
  PacketSpec first = topo::from_client(40000);
  first.frag_off = xvs::core::kIpFlagMoreFragments;
  first.payload.assign(64, 0);
  PacketSpec later = first;
  later.frag_off = 8;
  PacketSpec to_lip = later;
  to_lip.daddr = topo::kLip;
  for (const PacketSpec& s : {first, later, to_lip}) EXPECT_EQ(dp.run(s, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_ip_fragment), 3u);
  PacketSpec elsewhere = later;
  elsewhere.daddr = topo::kOther;
  EXPECT_EQ(dp.run(elsewhere, 0), Verdict::pass);
  EXPECT_EQ(dp.drops(), 3u);
  EXPECT_EQ(dp.cs->conns.size(), 0u);
}

// Expiry through the table and release_connection, as the worker's safe point does it.
TEST(Process, ExpiryReturnsTheLocalPort) {
  Dataplane dp(topo::standard(1));
  auto expire = [&](uint32_t now) {
    return dp.cs->conns.expire(now, 256, [&](lb::Conn& c) { lb::release_connection(*dp.cs, c); });
  };
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);  // syn: expires at 1060
  ASSERT_EQ(dp.run(topo::from_client(40001), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40001, kTcpAck), 0), Verdict::tx);  // established: 1900
  const uint32_t capacity = dp.pool().capacity();
  EXPECT_EQ(dp.pool().available(), capacity - 2);
  EXPECT_EQ(expire(1059), 0u);
  EXPECT_EQ(expire(1060), 1u);
  EXPECT_EQ(dp.pool().available(), capacity - 1);
  EXPECT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::drop) << "the connection is gone";
  EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[0], 1024), 1), Verdict::pass);
  EXPECT_EQ(dp.run(topo::from_client(40001, kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(expire(1899), 0u);
  EXPECT_EQ(expire(1900), 1u);
  EXPECT_EQ(dp.pool().available(), capacity);
  // Released ports queue behind every never-used one: 1024 and 1025 come back last, in order.
  std::vector<uint16_t> order;
  for (uint16_t p; dp.pool().allocate(p);) order.push_back(xvs::core::ntohs(p));
  ASSERT_EQ(order.size(), capacity);
  EXPECT_EQ(order[capacity - 2], 1024);
  EXPECT_EQ(order[capacity - 1], 1025);
}
}  // namespace
