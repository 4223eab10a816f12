// test/native/process_lifecycle_test.cc — lb::process connection life beyond one flow: persistence templates, one-packet UDP, TIME_WAIT reuse by a new SYN, servers removed or made quiescent by a reload.
#include <gtest/gtest.h>

#include "dataplane_fixture.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using abi::Counter;
using abi::Forwarding;
using lb::Verdict;
using xvs::core::kIpProtoUdp;
using xvs::core::kTcpAck;
using xvs::core::kTcpFin;
using xvs::core::kTcpSyn;

// Which of the three web servers a fullnat frame was sent to (by destination address).
int server_of(std::vector<uint8_t>& f) {
  for (int i = 0; i < 3; ++i)
    if (ip_of(f)->daddr == topo::kWeb[i].address) return i;
  return -1;
}
int syn_from(Dataplane& dp, uint32_t cip, uint16_t cport) {
  PacketSpec syn = topo::from_client(cport);
  syn.saddr = cip;
  auto f = build_frame(syn);
  if (dp.run(f, 0) != Verdict::tx) return -2;
  return server_of(f);
}

SnapshotBuilder persistent(uint32_t timeout, uint32_t netmask, uint64_t generation = 1) {
  ServiceOptions o;
  o.flags = abi::persistent;
  o.persist_timeout = timeout;
  o.persist_netmask = netmask;
  return topo::standard_mode(Forwarding::fullnat, 1, o, generation);
}

TEST(Persistence, SameClientNetworkSameServerWhileTheTemplateLives) {
  Dataplane dp(persistent(300, ipv4(255, 255, 255, 0)));
  const uint32_t a = ipv4(198, 51, 100, 7), a2 = ipv4(198, 51, 100, 200), b = ipv4(198, 51, 101, 7);
  EXPECT_EQ(syn_from(dp, a, 40000), 0);
  EXPECT_EQ(syn_from(dp, a, 40001), 0) << "persistent, not rr";
  EXPECT_EQ(syn_from(dp, a2, 40000), 0) << "same /24";
  EXPECT_EQ(syn_from(dp, b, 40000), 1) << "another /24: scheduled (rr)";
  EXPECT_EQ(dp.counter(Counter::persistence_hits), 2u);
  EXPECT_EQ(dp.counter(Counter::conn_created), 4u);
  EXPECT_EQ(dp.cs->conns.size(), 4u + 2u) << "two templates";
  EXPECT_EQ(dp.load(0).inactive, 3u) << "templates are not connections";
  EXPECT_EQ(dp.load(1).inactive, 1u);

  // A template lives while it binds connections and 300 s after the last of them goes (IPVS
  // n_control); expiring connections re-arms it, expiring it while it binds some keeps it.
  dp.cs->now = 1100;
  EXPECT_EQ(syn_from(dp, a, 40002), 0);  // a hit: the /24 template binds four connections
  EXPECT_EQ(dp.expire(1200), 5u) << "the five SYN connections (60 s); both templates stay, now until 1500";
  EXPECT_EQ(dp.cs->conns.size(), 2u) << "the templates";
  dp.cs->now = 1499;
  EXPECT_EQ(syn_from(dp, a, 40003), 0) << "a second before the /24 template would expire";
  EXPECT_EQ(dp.expire(1700), 2u) << "that connection (its template now lives until 2000) and b's idle template";
  dp.cs->now = 1999;
  EXPECT_EQ(syn_from(dp, a, 40004), 0);
  EXPECT_EQ(dp.expire(2400), 1u) << "the connection; the template lives until 2700";
  dp.cs->now = 2700;
  EXPECT_EQ(syn_from(dp, a, 40005), 2) << "300 s after its last connection went: scheduled afresh (rr)";
  EXPECT_EQ(syn_from(dp, a2, 40006), 2) << "and the new template holds";
  EXPECT_EQ(dp.counter(Counter::persistence_hits), 6u);
  // Templates leave through the table's expiry too, and hold no server-side tuple.
  EXPECT_EQ(dp.local_ports_in_use(), 2u) << "2 connections are in the table, beside their template";
  EXPECT_EQ(dp.expire(5000), 2u) << "the connections; their template now lives until 5300";
  EXPECT_EQ(dp.expire(5300), 1u);
  EXPECT_EQ(dp.cs->conns.size(), 0u);
}

TEST(Persistence, TemplateOutlivesItsTimeoutWhileItBindsAConnection) {
  Dataplane dp(persistent(60, 0xffffffffu));
  const uint32_t a = ipv4(198, 51, 100, 7);
  PacketSpec syn = topo::from_client(40000), ack = syn;
  syn.saddr = ack.saddr = a;
  ack.tcp_flags = kTcpAck;
  auto f = build_frame(syn), g = build_frame(ack);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  ASSERT_EQ(dp.run(g, 0), Verdict::tx);  // established: 900 s
  EXPECT_EQ(dp.expire(1500), 0u) << "the template is past its 60 s but binds a live connection";
  dp.cs->now = 1500;
  EXPECT_EQ(syn_from(dp, a, 40001), server_of(f)) << "so the client's next connection keeps its server";
  EXPECT_EQ(dp.counter(Counter::persistence_hits), 1u);
}

TEST(Persistence, NetmaskOfAllOnesIsPerAddress) {
  Dataplane dp(persistent(60, 0xffffffffu));
  EXPECT_EQ(syn_from(dp, ipv4(198, 51, 100, 7), 1), 0);
  EXPECT_EQ(syn_from(dp, ipv4(198, 51, 100, 8), 1), 1);
  EXPECT_EQ(syn_from(dp, ipv4(198, 51, 100, 7), 2), 0);
  EXPECT_EQ(syn_from(dp, ipv4(198, 51, 100, 8), 2), 1);
  EXPECT_EQ(syn_from(dp, ipv4(198, 51, 100, 9), 1), 2);
  EXPECT_EQ(dp.counter(Counter::persistence_hits), 2u);
}

// A quiescent (weight 0) or removed server loses its persistent clients for new connections;
// their existing connections continue.
TEST(Persistence, QuiescentServersTemplateIsReplaced) {
  Dataplane dp(persistent(300, 0xffffffffu));
  const uint32_t a = topo::kCip;
  EXPECT_EQ(syn_from(dp, a, 40000), 0);
  SnapshotBuilder next = persistent(300, 0xffffffffu);
  next.backends[0].weight = 0;
  dp.reload(next);
  PacketSpec ack = topo::from_client(40000, kTcpAck);
  auto f = build_frame(ack);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(topo::to_server(ack, topo::kWeb[0], 40000))) << "the old connection continues";
  EXPECT_EQ(syn_from(dp, a, 40001), 1) << "the template named a quiescent server";
  EXPECT_EQ(syn_from(dp, a, 40002), 1);
  EXPECT_EQ(dp.counter(Counter::persistence_hits), 1u);
}

// Found by test/fuzz/packet_path_fuzz.cc (worker_invariants.h): a template replaced while a
// connection still named it was freed, its place went to a later template of the same client,
// and the old connection's end counted that one down: it expired under its own connection.
TEST(Persistence, AReplacedTemplatesConnectionsDoNotCountAgainstItsSuccessor) {
  Dataplane dp(persistent(60, 0xffffffffu));
  const uint32_t a = topo::kCip;
  PacketSpec ack = topo::from_client(40000, kTcpAck);
  auto f = build_frame(topo::from_client(40000)), g = build_frame(ack);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  ASSERT_EQ(dp.run(g, 0), Verdict::tx);  // established on server 0: 900 s
  SnapshotBuilder next = persistent(60, 0xffffffffu, 2);
  next.backends[0].weight = 0;
  dp.reload(next);
  ASSERT_EQ(syn_from(dp, a, 40001), 1) << "the template named a quiescent server: replaced";
  dp.expire(1061);  // that half-open connection goes; its template has 60 s
  dp.expire(1122);  // and goes
  const int server = syn_from(dp, a, 40002);  // the client's third template
  ASSERT_GE(server, 1);
  auto h = build_frame(topo::from_client(40002, kTcpAck));
  ASSERT_EQ(dp.run(h, 0), Verdict::tx);  // established: 900 s
  // The first connection ends: it counts itself out of its own (replaced) template.
  PacketSpec rst = topo::from_client(40000, xvs::core::kTcpRst);
  auto r = build_frame(rst);
  ASSERT_EQ(dp.run(r, 0), Verdict::tx);
  dp.expire(1133);
  dp.expire(1200);  // past the third template's 60 s: its connection still binds it
  dp.cs->now = 1200;
  EXPECT_EQ(syn_from(dp, a, 40003), server) << "the third template still binds its connection";
  EXPECT_EQ(dp.counter(Counter::persistence_hits), 1u);
}

PacketSpec datagram_from(uint16_t cport) {
  PacketSpec q = topo::from_client(cport, 0, topo::kDns);
  q.protocol = kIpProtoUdp;
  q.payload.assign(12, 'q');
  return q;
}
// Three DNS servers behind VIP:53/udp with one-packet scheduling.
SnapshotBuilder one_packet(Forwarding mode) {
  SnapshotBuilder b(1, topo::kPorts);
  for (uint32_t p = 0; p < topo::kPorts; ++p) b.ports[p].address = topo::kPortAddress[p];
  ServiceOptions o;
  o.forwarding = mode;
  o.flags = abi::one_packet;
  const uint16_t port = mode == Forwarding::dr || mode == Forwarding::tunnel ? topo::kDns : 5353;
  std::vector<BackendSpec> dns;
  for (const BackendSpec& w : topo::kWeb) dns.push_back(topo::same_port(w, port));
  b.add_service(topo::kVip, topo::kDns, kIpProtoUdp, dns, mode == Forwarding::fullnat ? b.add_pool({topo::kLip}) : abi::kNoPool, o);
  return b;
}

TEST(OnePacket, DrAndTunnelKeepNoState) {
  for (Forwarding mode : {Forwarding::dr, Forwarding::tunnel}) {
    SCOPED_TRACE(int(mode));
    Dataplane dp(one_packet(mode));
    for (int i = 0; i < 4; ++i) {
      auto f = build_frame(datagram_from(5000));  // the same flow, again and again
      ASSERT_EQ(dp.run(f, 0), Verdict::tx);
      const BackendSpec to = topo::same_port(topo::kWeb[i % 3], topo::kDns);
      EXPECT_EQ(f, mode == Forwarding::dr ? build_frame(topo::dr_to_server(datagram_from(5000), to))
                                          : topo::tunnel_to_server(datagram_from(5000), to))
          << "each datagram scheduled anew: " << i;
    }
    EXPECT_EQ(dp.cs->conns.size(), 0u);
    EXPECT_EQ(dp.counter(Counter::conn_created), 0u);
    EXPECT_EQ(dp.load(0).inactive, 0u);
  }
}

TEST(OnePacket, NatAndFullnatTrackOnlyTheReply) {
  for (Forwarding mode : {Forwarding::nat, Forwarding::fullnat}) {
    SCOPED_TRACE(int(mode));
    const bool full = mode == Forwarding::fullnat;
    Dataplane dp(one_packet(mode));
    auto q1 = build_frame(datagram_from(5000));
    ASSERT_EQ(dp.run(q1, 0), Verdict::tx);
    auto q2 = build_frame(datagram_from(5000));
    ASSERT_EQ(dp.run(q2, 0), Verdict::tx);
    const BackendSpec s0 = topo::same_port(topo::kWeb[0], 5353), s1 = topo::same_port(topo::kWeb[1], 5353);
    PacketSpec d = datagram_from(5000);
    // Full-NAT: the client's own port towards each server (a local port is unique per server).
    EXPECT_EQ(q1, build_frame(full ? topo::to_server(d, s0, 5000) : topo::nat_to_server(d, s0)));
    EXPECT_EQ(q2, build_frame(full ? topo::to_server(d, s1, 5000) : topo::nat_to_server(d, s1)));
    EXPECT_EQ(dp.cs->conns.size(), 2u) << "two exchanges awaiting their replies";
    EXPECT_EQ(dp.client_conn(5000, kIpProtoUdp), nullptr) << "the client side is not looked up";
    EXPECT_EQ(dp.load(0).inactive, 1u);

    for (int s = 1; s >= 0; --s) {
      const BackendSpec server = topo::same_port(topo::kWeb[s], 5353);
      PacketSpec a = full ? topo::from_server(server, 5000, 0) : topo::nat_from_server(server, 5000, 0);
      a.protocol = kIpProtoUdp;
      a.payload.assign(40, 'a');
      auto r = build_frame(a);
      ASSERT_EQ(dp.run(r, 1), Verdict::tx);
      EXPECT_EQ(r, build_frame(topo::to_client(a, 5000, topo::kDns)));
      EXPECT_EQ(dp.cs->conns.size(), static_cast<uint32_t>(s)) << "gone after its reply";
      EXPECT_EQ(dp.run(a, 1), Verdict::pass) << "a second reply finds nothing";
    }
    EXPECT_EQ(dp.load(0).inactive + dp.load(1).inactive, 0u);
    EXPECT_EQ(dp.counter(Counter::conn_created), 2u);
    EXPECT_EQ(dp.local_ports_in_use(), 0u) << "UDP holds nothing";
  }
}

// nat: a datagram scheduled to the same server as an exchange still awaiting its reply
// replaces it (one server-side tuple, one entry).
TEST(OnePacket, NatSameServerTwiceKeepsOneEntry) {
  SnapshotBuilder b = one_packet(Forwarding::nat);
  b.services[0].backend_count = 1;  // only the first server
  b.services[0].sched_count = 1;
  Dataplane dp(b);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(dp.run(datagram_from(5000), 0), Verdict::tx);
  EXPECT_EQ(dp.cs->conns.size(), 1u);
  EXPECT_EQ(dp.load(0).inactive, 1u);
}

TEST(PortReuse, NewSynInTimeWaitIsScheduledAtOnce) {
  Dataplane dp(topo::standard(1));
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_server(topo::kWeb[0], 40000), 1), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpFin | kTcpAck), 0), Verdict::tx);       // CLOSE_WAIT
  ASSERT_EQ(dp.run(topo::from_server(topo::kWeb[0], 40000, kTcpFin | kTcpAck), 1), Verdict::tx);  // TIME_WAIT
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::tx);
  ASSERT_EQ(dp.client_conn(40000)->state, lb::ConnState::tcp_time_wait);
  // A retransmitted SYN of a live connection is not a new one.
  ASSERT_EQ(dp.run(topo::from_client(40001), 0), Verdict::tx);  // server 1, port 40001
  ASSERT_EQ(dp.run(topo::from_client(40001), 0), Verdict::tx);
  EXPECT_EQ(dp.counter(Counter::conn_reused), 0u);

  PacketSpec syn = topo::from_client(40000, kTcpSyn);
  auto f = build_frame(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(topo::to_server(syn, topo::kWeb[2], 40000))) << "a new decision (rr); the client's port is free there";
  EXPECT_EQ(dp.counter(Counter::conn_reused), 1u);
  EXPECT_EQ(dp.counter(Counter::conn_created), 3u);
  EXPECT_EQ(dp.counter(Counter::conn_held), 1u) << "server 0 may hold 40000 in TIME_WAIT";
  EXPECT_EQ(dp.cs->conns.size(), 3u) << "two connections and the hold";
  EXPECT_EQ(dp.load(0).inactive + dp.load(0).active, 0u) << "the old server lost the connection";
  EXPECT_EQ(dp.client_conn(40000)->state, lb::ConnState::tcp_syn_recv);
  EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[0], 40000), 1), Verdict::pass) << "the old reply tuple matches nothing";
}

TEST(PortReuse, DrFinWaitIsReusable) {
  Dataplane dp(topo::standard_mode(Forwarding::dr));
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpFin | kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(dp.client_conn(40000)->state, lb::ConnState::tcp_fin_wait) << "ESTABLISHED + FIN (INPUT-ONLY)";
  PacketSpec syn = topo::from_client(40000);
  auto f = build_frame(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(topo::dr_to_server(syn, topo::same_port(topo::kWeb[1], 80))));
  EXPECT_EQ(dp.counter(Counter::conn_reused), 1u);
}

// The server leaves the configuration: its connections' next packets drop them, except a new
// SYN from the client, which is scheduled anew; servers that stay keep theirs.
TEST(ServerRemoved, ConnectionsGoWithTheirServer) {
  Dataplane dp(topo::standard(1));
  // rr: 40000, 40003, 40006 on server 0 (local ports: the clients' own).
  for (uint16_t cport = 40000; cport <= 40006; ++cport) ASSERT_EQ(dp.run(topo::from_client(cport), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::tx);
  SnapshotBuilder next = topo::standard(1, 2);
  next.services[0].backend_first = 1;  // server 0 gone; servers 1 and 2 keep their ids
  next.services[0].backend_count = 2;
  next.sched = {0, 1, 0};  // relative to each service's backend_first
  next.services[0].sched_count = 2;
  next.services[1].sched_first = 2;
  next.backends[0].backend_id = 999;  // unreferenced
  dp.reload(next);
  ASSERT_EQ(dp.local_ports_in_use(), 7u);

  EXPECT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_backend_removed), 1u);
  EXPECT_EQ(dp.client_conn(40000), nullptr) << "removed with its first packet";
  EXPECT_EQ(dp.local_ports_in_use(), 6u) << "its server never answered: nothing held";
  EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[0], 40003), 1), Verdict::drop) << "a reply of 40003";
  EXPECT_EQ(dp.counter(Counter::drop_backend_removed), 2u);
  EXPECT_EQ(dp.client_conn(40003), nullptr);

  PacketSpec ack = topo::from_client(40001, kTcpAck);
  auto f = build_frame(ack);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(topo::to_server(ack, topo::kWeb[1], 40001))) << "server 1 stayed";

  // A SYN on the 4-tuple of a removed server's connection is scheduled again, not dropped.
  PacketSpec syn = topo::from_client(40006);
  auto g = build_frame(syn);
  ASSERT_EQ(dp.run(g, 0), Verdict::tx);
  EXPECT_EQ(g, build_frame(topo::to_server(syn, topo::kWeb[1], 40006))) << "rr restarts over servers 1, 2";
  EXPECT_EQ(dp.counter(Counter::drop_backend_removed), 2u);
  EXPECT_EQ(dp.counter(Counter::conn_created), 8u);
  EXPECT_EQ(dp.cs->conns.size(), 5u);
  EXPECT_EQ(dp.local_ports_in_use(), 5u);
}

TEST(ServerRemoved, UdpDatagramIsScheduledAnew) {
  Dataplane dp(topo::standard(1));
  PacketSpec q = datagram_from(5000);
  ASSERT_EQ(dp.run(q, 0), Verdict::tx);
  SnapshotBuilder next = topo::standard(1, 2);
  next.backends[3].backend_id = 7777;  // the DNS server is replaced by another with the same address
  dp.reload(next);
  auto f = build_frame(q);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  // The old connection went first (UDP holds nothing): the new one takes the client's own port again.
  EXPECT_EQ(f, build_frame(topo::to_server(q, topo::kDnsServer, 5000))) << "a new connection";
  EXPECT_EQ(dp.counter(Counter::lport_client_port), 2u);
  EXPECT_EQ(dp.counter(Counter::conn_created), 2u);
  EXPECT_EQ(dp.counter(Counter::drop_backend_removed), 0u);
  EXPECT_EQ(dp.cs->conns.size(), 1u);
}

TEST(Quiescent, WeightZeroKeepsConnectionsTakesNoNewOnes) {
  Dataplane dp(topo::standard(1));
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);
  SnapshotBuilder next = topo::standard(1, 2);
  next.backends[0].weight = 0;
  dp.reload(next);
  PacketSpec ack = topo::from_client(40000, kTcpAck);
  auto f = build_frame(ack);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(topo::to_server(ack, topo::kWeb[0], 40000)));
  EXPECT_EQ(dp.load(0).active, 1u) << "its load came along";
  for (uint16_t i = 0; i < 6; ++i) EXPECT_NE(syn_from(dp, topo::kCip, static_cast<uint16_t>(41000 + i)), 0) << i;
  EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[0], 40000, kTcpAck), 1), Verdict::tx) << "replies too";
}
}  // namespace
