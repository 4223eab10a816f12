// test/native/process_icmp_test.cc — lb::process for ICMP errors about tracked connections in every mode (byte for byte), tunnel MTU (fragmentation-needed or drop), and nat ownership by (CIP, cport).
#include <gtest/gtest.h>

#include "dataplane_fixture.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using abi::Counter;
using abi::Forwarding;
using lb::Verdict;
using xvs::core::kIcmpCodeFragNeeded;
using xvs::core::kIcmpDestUnreachable;
using xvs::core::kIcmpTimeExceeded;
using xvs::core::kIpFlagDontFragment;
using xvs::core::kTcpAck;

constexpr uint32_t kClientRouter = ipv4(198, 51, 100, 1), kServerRouter = ipv4(10, 0, 2, 254);
const Mac kServerRouterMac = mac_of(2, 0xdd, 0, 0, 0, 1);
const BackendSpec kWeb0Dr = topo::same_port(topo::kWeb[0], 80);

// An ICMP error from a router about `quoted` (a packet the balancer sent), arriving on `port`.
PacketSpec error_about(const PacketSpec& quoted, uint8_t port, uint32_t to, size_t quoted_len = 48) {
  PacketSpec outer;
  outer.src_mac = port == 0 ? topo::kRouterMac : kServerRouterMac;
  outer.dst_mac = topo::kPortMac[port];
  outer.saddr = port == 0 ? kClientRouter : kServerRouter;
  outer.daddr = to;
  return icmp_error(outer, datagram(build_frame(quoted), quoted_len), kIcmpTimeExceeded, 0);
}
// The error as it must leave: new outer addresses and MACs, TTL - 1, quoting `quoted`.
std::vector<uint8_t> translated(PacketSpec error, const PacketSpec& quoted, uint32_t saddr, uint32_t daddr, uint8_t port,
                                const Mac& dst_mac, size_t quoted_len = 48) {
  error.src_mac = topo::kPortMac[port];
  error.dst_mac = dst_mac;
  error.saddr = saddr;
  error.daddr = daddr;
  --error.ttl;
  error.payload = datagram(build_frame(quoted), quoted_len);
  return build_frame(error);
}

TEST(ProcessIcmp, FullnatBothDirections) {
  Dataplane dp(topo::standard(1));
  PacketSpec syn = topo::from_client(40000);
  syn.payload.assign(20, 's');
  ASSERT_EQ(dp.run(syn, 0), Verdict::tx);
  // Server side: a router quotes LIP:40000 -> RIP:8080 (one worker: the client's own port as
  // local port); the client hears of CIP:40000 -> VIP:80.
  const PacketSpec sent = topo::to_server(syn, topo::kWeb[0], 40000);
  const PacketSpec e1 = error_about(sent, 1, topo::kLip);
  auto f = build_frame(e1);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 1, &port), Verdict::tx);
  EXPECT_EQ(port, 0);
  PacketSpec as_sent_by_client = syn;
  as_sent_by_client.ttl = sent.ttl;
  EXPECT_EQ(f, translated(e1, as_sent_by_client, topo::kVip, topo::kCip, 0, topo::kRouterMac));
  EXPECT_TRUE(checksums_valid(f));

  // Client side: a router quotes VIP:80 -> CIP:40000; the server hears of RIP:8080 -> LIP:40000.
  PacketSpec synack = topo::from_server(topo::kWeb[0], 40000);
  ASSERT_EQ(dp.run(synack, 1), Verdict::tx);
  const PacketSpec e2 = error_about(topo::to_client(synack, 40000), 0, topo::kVip);
  auto g = build_frame(e2);
  ASSERT_EQ(dp.run(g, 0, &port), Verdict::tx);
  EXPECT_EQ(port, 1);
  PacketSpec as_sent_by_server = synack;
  as_sent_by_server.ttl = static_cast<uint8_t>(synack.ttl - 1);
  EXPECT_EQ(g, translated(e2, as_sent_by_server, topo::kLip, topo::kWeb[0].address, 1, topo::kWeb[0].mac));
  EXPECT_TRUE(checksums_valid(g));
  EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 2u);
  EXPECT_EQ(dp.client_conn(40000)->state, lb::ConnState::tcp_syn_recv) << "errors do not move the state";
  EXPECT_EQ(dp.drops(), 0u);
}

TEST(ProcessIcmp, NatBothDirections) {
  Dataplane dp(topo::standard_mode(Forwarding::nat));
  PacketSpec syn = topo::from_client(40000);
  ASSERT_EQ(dp.run(syn, 0), Verdict::tx);
  const PacketSpec sent = topo::nat_to_server(syn, topo::kWeb[0]);
  const PacketSpec e1 = error_about(sent, 1, topo::kCip);
  auto f = build_frame(e1);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  PacketSpec as_sent_by_client = syn;
  as_sent_by_client.ttl = sent.ttl;
  EXPECT_EQ(f, translated(e1, as_sent_by_client, topo::kVip, topo::kCip, 0, topo::kRouterMac));

  // Towards a nat server only the destination changes: the error keeps its sender (IPVS
  // ip_vs_nat_icmp), whom the server reaches through the balancer anyway.
  PacketSpec reply = topo::nat_from_server(topo::kWeb[0], 40000);
  const PacketSpec e2 = error_about(topo::to_client(reply, 40000), 0, topo::kVip, 500);
  auto g = build_frame(e2);
  ASSERT_EQ(dp.run(g, 0), Verdict::tx);
  PacketSpec as_sent_by_server = reply;
  as_sent_by_server.ttl = static_cast<uint8_t>(reply.ttl - 1);
  EXPECT_EQ(g, translated(e2, as_sent_by_server, kClientRouter, topo::kWeb[0].address, 1, topo::kWeb[0].mac, 500));
  EXPECT_TRUE(checksums_valid(g)) << "the whole quoted datagram: its TCP checksum too";
  EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 2u);
}

// dr and tunnel: the server's replies went to the client directly; an error about one comes
// back to the VIP and goes to the server unchanged (by MAC, or inside IPIP).
TEST(ProcessIcmp, DrAndTunnelForwardToTheServer) {
  for (Forwarding mode : {Forwarding::dr, Forwarding::tunnel}) {
    SCOPED_TRACE(int(mode));
    Dataplane dp(topo::standard_mode(mode));
    ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);
    PacketSpec direct_reply = topo::from_client(80);
    direct_reply.saddr = topo::kVip, direct_reply.daddr = topo::kCip, direct_reply.dport = 40000;
    PacketSpec e = error_about(direct_reply, 0, topo::kVip);
    e.ttl = 1;  // not a routed hop: still forwarded
    auto f = build_frame(e);
    ASSERT_EQ(dp.run(f, 0), Verdict::tx);
    EXPECT_EQ(f, mode == Forwarding::dr ? build_frame(topo::dr_to_server(e, kWeb0Dr)) : topo::tunnel_to_server(e, kWeb0Dr));
    EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 1u);
    e.ttl = 0;
    EXPECT_EQ(dp.run(e, 0), Verdict::drop);
    EXPECT_EQ(dp.counter(Counter::drop_ttl_expired), 1u);
  }
}

TEST(ProcessIcmp, UntrackedOrUnusablePassOrDrop) {
  Dataplane dp(topo::standard_mode(Forwarding::nat));
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);
  const PacketSpec reply = topo::to_client(topo::nat_from_server(topo::kWeb[0], 40000), 40000);
  PacketSpec other_flow = reply;
  other_flow.dport = 40001;
  EXPECT_EQ(dp.run(error_about(other_flow, 0, topo::kVip), 0), Verdict::pass) << "no such connection";
  PacketSpec ping = reply;
  ping.protocol = xvs::core::kIpProtoIcmp;
  EXPECT_EQ(dp.run(error_about(ping, 0, topo::kVip), 0), Verdict::pass) << "errors about ICMP are the kernel's";
  PacketSpec e = error_about(reply, 0, topo::kVip);
  e.ttl = 1;
  EXPECT_EQ(dp.run(e, 0), Verdict::drop) << "nat routes: TTL 1 cannot be forwarded";
  EXPECT_EQ(dp.counter(Counter::drop_ttl_expired), 1u);
  EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 0u);
  auto bad = build_frame(error_about(reply, 0, topo::kVip, 27));
  EXPECT_EQ(dp.run(bad, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_bad_icmp), 1u);
}

PacketSpec big_syn(uint32_t payload, bool df) {
  PacketSpec s = topo::from_client(40000);
  s.frag_off = df ? kIpFlagDontFragment : 0;
  s.payload.assign(payload, 'b');
  return s;
}

// Port 1's MTU is 1500: an inner datagram of 1480 fits in IPIP, 1481 does not.
TEST(ProcessTunnelMtu, FragNeededWithDfDropWithout) {
  Dataplane dp(topo::standard_mode(Forwarding::tunnel));
  auto fits = build_frame(big_syn(1440, true));
  ASSERT_EQ(dp.run(fits, 0), Verdict::tx);
  EXPECT_EQ(fits.size(), 14u + 1500);
  EXPECT_EQ(fits, topo::tunnel_to_server(big_syn(1440, true), kWeb0Dr));

  const PacketSpec too_big = big_syn(1441, true);
  auto f = build_frame(too_big);
  uint8_t port = 0xff;
  ASSERT_EQ(dp.run(f, 0, &port), Verdict::tx);
  EXPECT_EQ(port, 0) << "back out of the arrival port";
  PacketSpec want;
  want.src_mac = topo::kPortMac[0];
  want.dst_mac = topo::kRouterMac;
  want.saddr = topo::kPortAddress[0];
  want.daddr = topo::kCip;
  want.ttl = 64;
  want.ip_id = 0;
  want.frag_off = kIpFlagDontFragment;
  want = icmp_error(want, datagram(build_frame(too_big), 28), kIcmpDestUnreachable, kIcmpCodeFragNeeded);
  want.icmp_rest_lo = 1480;
  EXPECT_EQ(f, build_frame(want));
  EXPECT_TRUE(checksums_valid(f));
  EXPECT_EQ(dp.counter(Counter::icmp_frag_needed_sent), 1u);
  EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 0u);

  EXPECT_EQ(dp.run(big_syn(1441, false), 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_tunnel_mtu), 1u);
  auto g = build_frame(big_syn(0, true));
  EXPECT_EQ(dp.run(g, 0, nullptr, /*headroom=*/19), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_no_headroom), 1u);
  EXPECT_EQ(dp.drops(), 2u);
}

// An ICMP error never answers an ICMP error: one too big for the tunnel is dropped even with DF.
TEST(ProcessTunnelMtu, IcmpErrorTooBigIsDroppedNotAnswered) {
  Dataplane dp(topo::standard_mode(Forwarding::tunnel));
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);
  PacketSpec direct_reply = topo::from_client(80, kTcpAck);
  direct_reply.saddr = topo::kVip, direct_reply.daddr = topo::kCip, direct_reply.dport = 40000;
  direct_reply.payload.assign(1440, 'r');
  PacketSpec e = error_about(direct_reply, 0, topo::kVip, 2000);  // quotes all 1480 bytes
  e.frag_off = kIpFlagDontFragment;
  EXPECT_EQ(dp.run(e, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_tunnel_mtu), 1u);
  EXPECT_EQ(dp.counter(Counter::icmp_frag_needed_sent), 0u);
  EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 0u);
}

// The arrival port has no address of its own: the error comes from the address the client
// wrote to (the VIP), as the kernel's icmp_send does, never from 0.0.0.0.
TEST(ProcessTunnelMtu, FragNeededFromTheVipWhenThePortHasNoAddress) {
  SnapshotBuilder b = topo::standard_mode(Forwarding::tunnel);
  b.ports[0].address = 0;
  Dataplane dp(b);
  auto f = build_frame(big_syn(1441, true));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  ASSERT_TRUE(checksums_valid(f));
  EXPECT_EQ(ip_of(f)->saddr, topo::kVip);
  EXPECT_EQ(ip_of(f)->daddr, topo::kCip);
}

// An error about another worker's connection names that worker through the packet it quotes.
TEST(ProcessIcmp, ErrorsAboutAnotherWorkersConnectionAreRedirectedUntouched) {
  Dataplane dp(topo::standard(2), 2, 0);
  // Worker 1's packet to the server, from its local port 40001 (odd: its share, the client's own
  // port); the error arrives on worker 0.
  const PacketSpec theirs = topo::to_server(topo::from_client(40001), topo::kWeb[0], 40001);
  auto f = build_frame(error_about(theirs, 1, topo::kLip));
  EXPECT_EQ(dp.run(f, 1), Verdict::redirect_to(1));
  EXPECT_EQ(f, build_frame(error_about(theirs, 1, topo::kLip)));
  const PacketSpec own = topo::to_server(topo::from_client(40000), topo::kWeb[0], 40000);
  EXPECT_EQ(dp.run(error_about(own, 1, topo::kLip), 1), Verdict::pass) << "its own port, no connection: the kernel's";
  EXPECT_EQ(dp.drops(), 0u);
}

// nat: owner = (ntohl(CIP) ^ cport) % workers, on both directions.
uint32_t owner(uint32_t cip, uint16_t cport, uint32_t workers) { return (xvs::core::ntohl(cip) ^ cport) % workers; }

TEST(ProcessNatOwner, RequestsAndRepliesOnTheWrongWorkerAreRedirectedToTheOwner) {
  ASSERT_EQ(owner(topo::kCip, 40000, 2), 1u);  // 198.51.100.7 = 0xc6336407: odd ^ even
  ASSERT_EQ(owner(topo::kCip, 40001, 2), 0u);
  ASSERT_EQ(owner(topo::kCip, 40003, 3), (0xc6336407u ^ 40003u) % 3);
  for (uint32_t id : {0u, 1u}) {
    SCOPED_TRACE(id);
    Dataplane dp(topo::standard_mode(Forwarding::nat, 2), 2, id);
    for (uint16_t cport : {40000, 40001}) {
      const uint32_t owner_id = owner(topo::kCip, cport, 2);
      const bool mine = owner_id == id;
      const lb::Verdict elsewhere = lb::Verdict::redirect_to(owner_id);
      auto f = build_frame(topo::from_client(cport));
      EXPECT_EQ(dp.run(f, 0), mine ? lb::Verdict(Verdict::tx) : elsewhere) << cport;
      const BackendSpec& server = topo::kWeb[id];  // worker 1 starts rr at entry 3 * 1 / 2 = 1
      EXPECT_EQ(f, mine ? build_frame(topo::nat_to_server(topo::from_client(cport), server)) : build_frame(topo::from_client(cport)));
      EXPECT_EQ(dp.run(topo::nat_from_server(server, cport), 1), mine ? lb::Verdict(Verdict::tx) : elsewhere) << cport;
    }
    EXPECT_EQ(dp.counter(Counter::conn_created), 1u) << "only the owner's connection";
    // From an address that is no nat server: not a reply of ours at all.
    PacketSpec stray = topo::nat_from_server(topo::kWeb[0], id == 0 ? 40000 : 40001);
    stray.saddr = topo::kOther;
    EXPECT_EQ(dp.run(stray, 1), Verdict::pass);
    stray = topo::nat_from_server(topo::kWeb[0], id == 0 ? 40000 : 40001);
    stray.sport = 9999;
    EXPECT_EQ(dp.run(stray, 1), Verdict::pass) << "right address, not the server's port";
    EXPECT_EQ(dp.drops(), 0u);
  }
}
}  // namespace
