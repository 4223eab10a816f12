// test/native/process_test.cc — lb::process in fullnat on a hand-built snapshot: exact frames both ways, rr order, each reachable drop by counter.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "dataplane_fixture.h"
#include "lb/local_port.h"

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
  EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[0], 40000))) << "the client's own port, free towards that server";
  EXPECT_TRUE(checksums_valid(f));
  EXPECT_EQ(dp.counter(Counter::conn_created), 1u);
  EXPECT_EQ(dp.counter(Counter::lport_client_port), 1u);
  EXPECT_EQ(dp.cs->conns.size(), 1u);
  EXPECT_EQ(dp.drops(), 0u);
  EXPECT_EQ(dp.local_ports_in_use(), 1u);
}

TEST(Process, ReplyBecomesVipToClientAndAckFollows) {
  Dataplane dp(topo::standard(1));
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);

  PacketSpec synack = topo::from_server(topo::kWeb[0], 40000);
  auto f = build_frame(synack);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 0) << "back out of the port the client came in on";
  EXPECT_EQ(f, build_frame(to_client(synack, 40000)));

  PacketSpec ack = topo::from_client(40000, kTcpAck);
  ack.payload.assign(100, 'x');
  auto g = build_frame(ack);
  ASSERT_EQ(dp.run(g, 0, &port), Verdict::tx);
  EXPECT_EQ(g, build_frame(to_server(ack, topo::kWeb[0], 40000)));
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
  EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[0], 40000)));

  PacketSpec synack = topo::from_server(topo::kWeb[0], 40000);
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
    // One worker: the local port is the client's own.
    const uint16_t cport = with_checksum ? 5000 : 5001, lport = cport;
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
    EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[i % 3], static_cast<uint16_t>(41000 + i)))) << i;
  }
}

// Each worker starts at its own place in the sequence (worker 1 of 2: 3 * 1 / 2 = entry 1) and
// takes only its own (odd) local ports: the client's own port when it is odd, else another odd one.
TEST(Process, SecondWorkerStartsLaterInTheSequence) {
  Dataplane dp(topo::standard(2), 2, 1);
  PacketSpec syn = topo::from_client(40001);
  auto f = build_frame(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[1], 40001)));
  EXPECT_EQ(dp.counter(Counter::lport_client_port), 1u);

  PacketSpec even = topo::from_client(40002);  // worker 0's share: not the client's port
  auto g = build_frame(even);
  ASSERT_EQ(dp.run(g, 0), Verdict::tx);
  const uint16_t lport = static_cast<uint16_t>(l4_of(g)[0] << 8 | l4_of(g)[1]);
  EXPECT_EQ(lport % 2, 1) << lport;
  EXPECT_GE(lport, 1024);
  EXPECT_EQ(g, build_frame(to_server(even, topo::kWeb[2], lport))) << "rr goes on to server 2";
  EXPECT_EQ(dp.counter(Counter::lport_client_port), 1u);
}

// A pool of two LIPs: the client's address (with the VIP) picks the LIP by a keyed hash, so all of
// a client's connections leave from one LIP and clients spread over both. A local port is unique
// per (LIP, server, server port): clients on different LIPs both keep their own port, a client on
// the same LIP as a busy tuple is given the next port of the sequence on that LIP.
TEST(Process, PoolOfTwoLipsSpreadsClientsByAddress) {
  const uint32_t lip2 = ipv4(10, 0, 2, 101);
  SnapshotBuilder b(1, topo::kPorts);
  b.add_service(topo::kVip, 80, 6, {topo::kWeb[0]}, b.add_pool({topo::kLip, lip2}));
  Dataplane dp(b);
  // With kPortKey, towards the VIP: 198.51.100.7 (kCip) and .8 hash to lip2, .10 to kLip.
  const uint32_t on_lip2 = topo::kCip, on_lip1 = ipv4(198, 51, 100, 10), also_on_lip2 = ipv4(198, 51, 100, 8);
  for (uint16_t i = 0; i < 2; ++i) {
    for (const auto& [client, lip] : {std::pair{on_lip2, lip2}, std::pair{on_lip1, topo::kLip}}) {
      PacketSpec syn = topo::from_client(static_cast<uint16_t>(42000 + i));
      syn.saddr = client;
      auto f = build_frame(syn);
      ASSERT_EQ(dp.run(f, 0), Verdict::tx);
      EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[0], static_cast<uint16_t>(42000 + i), lip))) << i;
    }
  }
  EXPECT_EQ(dp.counter(Counter::lport_client_port), 4u);
  EXPECT_EQ(dp.local_ports_in_use(topo::kLip), 2u);
  EXPECT_EQ(dp.local_ports_in_use(lip2), 2u);
  EXPECT_EQ(dp.counter(Counter::lport_busy), 0u);

  // lip2:42000 towards server 0 is taken: the next try, on the same LIP, is the keyed hash of the
  // client's tuple into the share.
  PacketSpec syn = topo::from_client(42000);
  syn.saddr = also_on_lip2;
  auto f = build_frame(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  const lb::LocalPortShare& share = dp.cs->ports;
  const uint64_t tuple_hash = lb::client_tuple_hash(dp.cs->port_key, dp.cs->port_key6, also_on_lip2, topo::kVip, xvs::core::htons(42000), xvs::core::htons(80), 6);
  const uint16_t next = share.port_at(static_cast<uint32_t>(tuple_hash % share.count));
  EXPECT_EQ(f, build_frame(to_server(syn, topo::kWeb[0], next, lip2)));
  EXPECT_EQ(dp.counter(Counter::lport_busy), 1u);
  EXPECT_EQ(dp.counter(Counter::lport_client_port), 4u);
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
  EXPECT_EQ(dp.local_ports_in_use(), 0u) << "no port taken for a dropped SYN";
  PacketSpec syn = topo::from_client(40000);
  syn.ttl = 2;
  ASSERT_EQ(dp.run(syn, 0), Verdict::tx);
  PacketSpec reply = topo::from_server(topo::kWeb[0], 40000);
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
  EXPECT_EQ(dp.local_ports_in_use(), 0u);
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

// Worker 0 of 2 owns the even half of the LIP's ports: towards one server, 32256 connections,
// then every try finds its tuple taken. Tries start at keyed places, so enough new clients find
// every last free port; existing connections forward on.
TEST(Process, LocalPortExhaustion) {
  SnapshotBuilder b(2, topo::kPorts);
  b.add_service(topo::kVip, topo::kHttp, xvs::core::kIpProtoTcp, {topo::kWeb[0]}, b.add_pool({topo::kLip}));
  Dataplane dp(b, 2, 0, 40000);
  constexpr uint32_t kShare = 32256;
  std::set<uint16_t> lports;
  uint16_t first_lport = 0;
  uint32_t attempts = 0;
  for (; lports.size() < kShare && attempts < 8 * kShare; ++attempts) {
    PacketSpec syn = topo::from_client(static_cast<uint16_t>(10000 + attempts % 50000));
    syn.saddr = xvs::core::htonl((198u << 24) | (18u << 16) | attempts);
    auto f = build_frame(syn);
    const Verdict v = dp.run(f, 0);
    if (v != Verdict::tx) {
      ASSERT_EQ(v, Verdict::drop);
      continue;
    }
    const uint16_t lport = static_cast<uint16_t>(l4_of(f)[0] << 8 | l4_of(f)[1]);  // rewritten source port
    ASSERT_EQ(lport % 2, 0) << lport;
    ASSERT_GE(lport, 1024);
    ASSERT_TRUE(lports.insert(lport).second) << "local port " << lport << " handed out twice towards one server";
    if (first_lport == 0) first_lport = lport;
  }
  ASSERT_EQ(lports.size(), kShare) << "after " << attempts << " attempts";
  EXPECT_EQ(dp.counter(Counter::drop_lport_exhausted), attempts - kShare);
  const uint64_t dropped = dp.counter(Counter::drop_lport_exhausted);
  EXPECT_EQ(dp.run(topo::from_client(9998), 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_lport_exhausted), dropped + 1);
  EXPECT_EQ(dp.cs->conns.size(), kShare);

  // Existing connections still forward, both ways.
  PacketSpec ack = topo::from_client(10000, kTcpAck);
  ack.saddr = xvs::core::htonl((198u << 24) | (18u << 16));
  auto f = build_frame(ack);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(to_server(ack, topo::kWeb[0], first_lport)));
  EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[0], first_lport), 1), Verdict::tx);
}

// A full table makes room by evicting its oldest half-open connection; one full of proven
// (established) connections refuses the new one and keeps them all.
TEST(Process, ConnectionTableFull) {
  Dataplane dp(topo::standard(1), 1, 0, 1024);
  for (uint16_t i = 0; i < 1024; ++i) ASSERT_EQ(dp.run(topo::from_client(static_cast<uint16_t>(10000 + i)), 0), Verdict::tx);
  EXPECT_EQ(dp.run(topo::from_client(20000), 0), Verdict::tx);
  EXPECT_EQ(dp.counter(Counter::conn_evicted), 1u);
  EXPECT_EQ(dp.client_conn(10000), nullptr) << "the half-open connection that waited longest went";
  EXPECT_NE(dp.client_conn(10001), nullptr);
  EXPECT_NE(dp.client_conn(20000), nullptr);
  EXPECT_EQ(dp.drops(), 0u);
  EXPECT_EQ(dp.run(topo::from_client(10000, kTcpAck), 0), Verdict::drop) << "its ACK finds no connection";

  for (uint16_t i = 1; i < 1024; ++i) ASSERT_EQ(dp.run(topo::from_client(static_cast<uint16_t>(10000 + i), kTcpAck), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(20000, kTcpAck), 0), Verdict::tx);
  const uint64_t drops = dp.drops();
  EXPECT_EQ(dp.run(topo::from_client(30000), 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_conn_table_full), 1u);
  EXPECT_EQ(dp.drops(), drops + 1);
  EXPECT_EQ(dp.counter(Counter::conn_evicted), 1u) << "an established connection is never evicted";
  EXPECT_EQ(dp.local_ports_in_use(), 1024u) << "the refused connection took no port";
  EXPECT_EQ(dp.run(topo::from_client(10001, kTcpAck), 0), Verdict::tx);
}

// Worker 1 of 2 sees a reply for local port 1024, which worker 0 owns: redirected there, untouched.
TEST(Process, ReplyOnTheWrongWorker) {
  Dataplane dp(topo::standard(2), 2, 1);
  const PacketSpec reply = topo::from_server(topo::kWeb[0], 1024);
  auto f = build_frame(reply);
  EXPECT_EQ(dp.run(f, 1), Verdict::redirect_to(0));
  EXPECT_EQ(f, build_frame(reply)) << "a redirected frame leaves as it came";
  EXPECT_EQ(dp.counter(Counter::drop_not_owner), 0u);
  // Its own port without a connection, and ports below the first local port (1024), are not ours: pass.
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

// Expiry as the worker's safe point runs it: the server-side tuple is free again (these servers
// never answered: nothing to hold), and the same client gets the same port back.
TEST(Process, ExpiryFreesTheServerSideTuple) {
  Dataplane dp(topo::standard(1));
  auto expire = [&](uint32_t now) {
    return dp.cs->conns.expire(now, 256, [&](lb::Conn& c) { return lb::expire_connection(*dp.cs, c); });
  };
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);  // syn: expires at 1060
  ASSERT_EQ(dp.run(topo::from_client(40001), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40001, kTcpAck), 0), Verdict::tx);  // established: 1900
  EXPECT_EQ(dp.local_ports_in_use(), 2u);
  EXPECT_EQ(expire(1059), 0u);
  EXPECT_EQ(expire(1060), 1u);
  EXPECT_EQ(dp.local_ports_in_use(), 1u);
  EXPECT_EQ(dp.counter(Counter::conn_expired), 1u);
  EXPECT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::drop) << "the connection is gone";
  EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[0], 40000), 1), Verdict::pass);
  EXPECT_EQ(dp.run(topo::from_client(40001, kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(expire(1899), 0u);
  EXPECT_EQ(expire(1900), 1u);
  EXPECT_EQ(dp.local_ports_in_use(), 0u);
  EXPECT_EQ(dp.counter(Counter::conn_held), 0u);
  PacketSpec again = topo::from_client(40000);
  auto f = build_frame(again);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(to_server(again, topo::kWeb[2], 40000))) << "rr moved on; the client's port again";
}
}  // namespace
