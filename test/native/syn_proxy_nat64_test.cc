// test/native/syn_proxy_nat64_test.cc — the SYN proxy in front of a NAT64 service (an IPv6 VIP
// over IPv4 servers, fullnat through an IPv4 pool), through lb::process packet by packet: the
// cookie SYN-ACK over IPv6, the SYN the server gets as IPv4 from the LIP, the server's IPv4
// SYN-ACK completed towards the server with an IPv4 ACK (or the client's held IPv6 data segment,
// translated, its FIN tracked), sequence numbers translated both ways across the families, a
// challenge ACK reset from the LIP, the server's refusal reaching the client, and an ICMPv6 error
// from the client side quoting the server's own sequence number when it reaches the server as ICMP;
// a SYN-ACK repeated after the handshake, a SACK block in the held segment, the server's next hop
// unresolved at its SYN-ACK, a held segment too large for the server's frame.
#include <gtest/gtest.h>

#include "core/parse6.h"
#include "core/tcp_options.h"
#include "dataplane_fixture.h"
#include "syn_proxy_fixture.h"
#include "lb/syn_proxy.h"
#include "packet_builder6.h"

namespace {
using namespace xvs::test;
using namespace xvs::test::proxy;
namespace abi = xvs::abi;
namespace core = xvs::core;
namespace lb = xvs::lb;
// MSS 1440, NOP, WS 7, NOP NOP, SACK-permitted: a Linux client over IPv6.
const std::vector<uint8_t> kSynOptions6 = {2, 4, 0x05, 0xa0, 1, 3, 3, 7, 1, 1, 4, 2};

// [kVip6]:80/tcp, syn_proxy on, over the three IPv4 web servers through the IPv4 pool [kLip].
SnapshotBuilder proxied_nat64() {
  SnapshotBuilder b = topo::standard(1);
  ServiceOptions web;
  web.forwarding = abi::Forwarding::fullnat;
  web.flags = abi::syn_proxy_on;
  b.add_service64(topo::kVip6, topo::kHttp, core::kIpProtoTcp, {topo::kWeb[0], topo::kWeb[1], topo::kWeb[2]}, 0, web);
  return b;
}

struct ProxyNat64Test : ::testing::Test {
  Dataplane dp{proxied_nat64()};
  const BackendSpec& web = topo::kWeb[0];
  uint32_t cookie = 0;
  uint16_t lport = 0;

  Packet6Spec client(uint8_t flags, uint32_t seq, uint32_t ack = 0) {
    Packet6Spec s;
    s.src_mac = topo::kRouterMac, s.dst_mac = topo::kPortMac[0];
    s.saddr = topo::kCip6, s.daddr = topo::kVip6, s.sport = kCport, s.dport = topo::kHttp;
    s.tcp_flags = flags, s.seq = seq, s.ack = ack;
    s.flow_label = 0;
    return s;
  }
  PacketSpec from_server(uint8_t flags, uint32_t seq, uint32_t ack) {
    PacketSpec p;
    p.src_mac = web.mac, p.dst_mac = topo::kPortMac[1];
    p.saddr = web.address, p.daddr = topo::kLip, p.sport = web.port, p.dport = lport;
    p.tcp_flags = flags, p.seq = seq, p.ack = ack;
    p.frag_off = core::kIpFlagDontFragment;
    return p;
  }
  Segment run(std::vector<uint8_t>& f, uint8_t in, uint8_t want_out, Verdict want = Verdict::tx) {
    uint8_t out = 9;
    EXPECT_EQ(dp.run(f, in, &out), want);
    if (want == Verdict::tx) EXPECT_EQ(out, want_out);
    return read_segment(f);
  }
  Segment syn() {
    Packet6Spec s = client(kTcpSyn, kClientIsn);
    s.tcp_options = kSynOptions6;
    auto f = build_frame6(s);
    const Segment a = run(f, 0, 0);
    cookie = a.seq;
    return a;
  }
  Segment ack(std::vector<uint8_t> payload = {}) {
    Packet6Spec p = client(kTcpAck, kClientIsn + 1, cookie + 1);
    p.window = 502;
    p.payload = std::move(payload);
    auto f = build_frame6(p);
    const Segment s = run(f, 0, 1);
    lport = s.sport;
    return s;
  }
  Segment server_synack() {
    PacketSpec p = with_tcp_options(from_server(kTcpSyn | kTcpAck, kServerIsn, kClientIsn + 1), {2, 4, 0x05, 0xb4, 1, 3, 3, 9});
    auto f = build_frame(p);
    return run(f, 1, 1);
  }
  // What completes the server's handshake: an IPv4 ACK from the LIP at the client's ISN + 1,
  // acknowledging the server's ISN, nothing in it.
  void expect_handshake_ack(const Segment& s) {
    EXPECT_FALSE(s.ipv6);
    EXPECT_TRUE(s.checksums_ok);
    EXPECT_EQ(s.flags, kTcpAck);
    EXPECT_EQ(s.saddr, topo::kLip);
    EXPECT_EQ(s.daddr, web.address);
    EXPECT_EQ(s.seq, kClientIsn + 1);
    EXPECT_EQ(s.ack, kServerIsn + 1);
    EXPECT_TRUE(s.payload.empty());
  }
  lb::Conn* conn() {
    return dp.cs->conns.lookup(core::kIpProtoTcp, topo::kCip6, topo::kVip6, core::htons(kCport), core::htons(topo::kHttp)).conn;
  }
};

TEST_F(ProxyNat64Test, TheHandshakeCrossesTheFamiliesAndSequencesAreTranslated) {
  const Segment a = syn();
  EXPECT_TRUE(a.ipv6 && a.checksums_ok);
  EXPECT_EQ(a.saddr6, topo::kVip6);
  EXPECT_EQ(a.daddr6, topo::kCip6);
  EXPECT_EQ(a.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(a.options.mss, 1440) << "the IPv6 client's MSS: its segments shrink by 20 bytes on the way";
  EXPECT_EQ(dp.cs->conns.size(), 0u);

  const Segment s = ack();
  EXPECT_FALSE(s.ipv6) << "the server's SYN is IPv4";
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.saddr, topo::kLip);
  EXPECT_EQ(s.daddr, web.address);
  EXPECT_EQ(s.dport, web.port);
  EXPECT_EQ(s.flags, kTcpSyn);
  EXPECT_EQ(s.seq, kClientIsn) << "the server sees the client's own ISN";
  EXPECT_EQ(s.options.mss, 1440);
  EXPECT_EQ(s.options.wscale, 7);
  EXPECT_TRUE(s.options.sack_permitted);
  ASSERT_NE(conn(), nullptr);
  EXPECT_TRUE(conn()->nat64);
  EXPECT_EQ(conn()->state, ConnState::tcp_syn_sent);

  const Segment done = server_synack();
  EXPECT_FALSE(done.ipv6) << "the server's handshake is completed in its own family";
  EXPECT_TRUE(done.checksums_ok);
  EXPECT_EQ(done.saddr, topo::kLip);
  EXPECT_EQ(done.daddr, web.address);
  EXPECT_EQ(done.sport, lport);
  EXPECT_EQ(done.dport, web.port);
  EXPECT_EQ(done.flags, kTcpAck);
  EXPECT_EQ(done.seq, kClientIsn + 1);
  EXPECT_EQ(done.ack, kServerIsn + 1);
  EXPECT_EQ(done.window, 502) << "both sides scale: the server reads the client's window with the client's 2^7";
  EXPECT_EQ(conn()->state, ConnState::tcp_established);
  EXPECT_EQ(dp.drops(), 0u);

  // The server's data reaches the client as IPv6 in the cookie's sequence space.
  PacketSpec data = from_server(kTcpAck, kServerIsn + 1, kClientIsn + 1);
  data.window = 1000;
  data.payload.assign(100, 0x42);
  auto f = build_frame(data);
  Segment back = run(f, 1, 0);
  EXPECT_TRUE(back.ipv6 && back.checksums_ok);
  EXPECT_EQ(back.saddr6, topo::kVip6);
  EXPECT_EQ(back.daddr6, topo::kCip6);
  EXPECT_EQ(back.seq, cookie + 1);
  EXPECT_EQ(back.window, 4000) << "the server's 2^9 scale in the client's 2^7";
  EXPECT_EQ(back.payload, data.payload);

  // The client's acknowledgement reaches the server as IPv4 in the server's space.
  f = build_frame6(client(kTcpAck, kClientIsn + 1, cookie + 101));
  const Segment fwd = run(f, 0, 1);
  EXPECT_FALSE(fwd.ipv6);
  EXPECT_TRUE(fwd.checksums_ok);
  EXPECT_EQ(fwd.ack, kServerIsn + 101);
  EXPECT_EQ(fwd.saddr, topo::kLip);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_accepted), 1u);
  EXPECT_EQ(dp.drops(), 0u);
}

TEST_F(ProxyNat64Test, TheHeldDataSegmentReachesTheServerAsIpv4) {
  syn();
  ack();
  const std::vector<uint8_t> request = {'G', 'E', 'T', ' ', '/', '\r', '\n'};
  Packet6Spec get = client(kTcpAck | 0x08, kClientIsn + 1, cookie + 1);
  get.payload = request;
  auto f = build_frame6(get);
  EXPECT_EQ(dp.run(f, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_stashed), 1u);
  EXPECT_EQ(dp.drops(), 0u) << "held, not a drop";

  const Segment s = server_synack();
  EXPECT_FALSE(s.ipv6);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.payload, request);
  EXPECT_EQ(s.saddr, topo::kLip);
  EXPECT_EQ(s.daddr, web.address);
  EXPECT_EQ(s.sport, lport);
  EXPECT_EQ(s.seq, kClientIsn + 1);
  EXPECT_EQ(s.ack, kServerIsn + 1) << "acknowledging the server's ISN, not the cookie";
  EXPECT_EQ(dp.cs->proxy.stash.in_use(), 0u);
  EXPECT_EQ(conn()->state, ConnState::tcp_established);
  EXPECT_EQ(dp.drops(), 0u);
}

// A held segment that also ends the client's side: its FIN moves the connection's state when it
// leaves, as the same segment does over IPv6.
TEST_F(ProxyNat64Test, AHeldSegmentsFinMovesTheStateWhenItLeaves) {
  syn();
  ack();
  Packet6Spec last = client(kTcpAck | kTcpFin | 0x08, kClientIsn + 1, cookie + 1);
  last.payload = {'B', 'Y', 'E'};
  auto f = build_frame6(last);
  EXPECT_EQ(dp.run(f, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_stashed), 1u);
  const Segment s = server_synack();
  EXPECT_FALSE(s.ipv6);
  EXPECT_EQ(s.flags & kTcpFin, kTcpFin);
  EXPECT_EQ(s.payload, last.payload);
  EXPECT_EQ(conn()->state, ConnState::tcp_close_wait) << "the client's FIN, as IPVS's input table takes it (so over IPv6 too)";
}

// The server's SYN-ACK again, once established (it missed what completed its handshake): it gets
// the ACK again, IPv4 from the LIP; nothing reaches the client.
TEST_F(ProxyNat64Test, ARepeatedSynAckIsAnsweredAgainTowardsTheServer) {
  syn();
  ack();
  server_synack();
  expect_handshake_ack(server_synack());
  EXPECT_EQ(conn()->state, ConnState::tcp_established);
  EXPECT_EQ(dp.drops(), 0u);
}

// A held segment with a SACK block (the client's view of the cookie's space) reaches the server
// with the block in the server's space.
TEST_F(ProxyNat64Test, AHeldSegmentsSackBlockIsTranslated) {
  syn();
  ack();
  std::vector<uint8_t> sack = {1, 1, 5, 10};
  for (uint32_t edge : {cookie + 201, cookie + 301})
    for (int shift = 24; shift >= 0; shift -= 8) sack.push_back(static_cast<uint8_t>(edge >> shift));
  Packet6Spec held = client(kTcpAck | 0x08, kClientIsn + 1, cookie + 1);
  held.tcp_options = sack;
  held.payload = {'x'};
  auto f = build_frame6(held);
  EXPECT_EQ(dp.run(f, 0), Verdict::drop);
  std::vector<uint8_t> out = build_frame(with_tcp_options(from_server(kTcpSyn | kTcpAck, kServerIsn, kClientIsn + 1), {2, 4, 0x05, 0xb4}));
  ASSERT_EQ(dp.run(out, 1), Verdict::tx);
  const Segment s = read_segment(out);
  EXPECT_FALSE(s.ipv6);
  EXPECT_TRUE(s.checksums_ok);
  ASSERT_EQ(s.options.sack_blocks, 1);
  const uint8_t* block = out.data() + 14 + 20 + s.options.sack_offset;
  auto be32 = [](const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; };
  EXPECT_EQ(be32(block), kServerIsn + 201);
  EXPECT_EQ(be32(block + 4), kServerIsn + 301);
  EXPECT_EQ(s.ack, kServerIsn + 1);
}

// The server's next hop unresolved when its SYN-ACK comes (a reload re-resolving it): the ACK the
// proxy writes for it is dropped and counted, the connection kept; the server's SYN-ACK again,
// once resolved, gets it.
TEST_F(ProxyNat64Test, AnUnresolvedServerNextHopDropsTheHandshakesAckButKeepsTheConnection) {
  syn();
  ack();
  SnapshotBuilder unresolved = proxied_nat64();
  for (auto& r : unresolved.backends) r.mac = mac48(mac_of(0, 0, 0, 0, 0, 0));
  dp.reload(unresolved);
  auto f = build_frame(with_tcp_options(from_server(kTcpSyn | kTcpAck, kServerIsn, kClientIsn + 1), {2, 4, 0x05, 0xb4}));
  EXPECT_EQ(dp.run(f, 1), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_neighbor_unresolved), 1u);
  ASSERT_NE(conn(), nullptr) << "the connection stays";
  EXPECT_EQ(conn()->state, ConnState::tcp_established);

  dp.reload(proxied_nat64());
  expect_handshake_ack(server_synack());
  EXPECT_EQ(dp.drops(), 1u);
}

// A held segment larger than the frame of the server's SYN-ACK it would go out in: let go (the
// client sends it again), the server's handshake completed by a plain ACK; the client's
// retransmission then reaches the server as IPv4.
TEST_F(ProxyNat64Test, AHeldSegmentLargerThanTheServersFrameIsLetGo) {
  syn();
  ack();
  Packet6Spec held = client(kTcpAck | 0x08, kClientIsn + 1, cookie + 1);
  held.payload.assign(400, 'h');
  auto g = build_frame6(held);
  EXPECT_EQ(dp.run(g, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_stashed), 1u);

  auto f = build_frame(with_tcp_options(from_server(kTcpSyn | kTcpAck, kServerIsn, kClientIsn + 1), {2, 4, 0x05, 0xb4}));
  uint8_t out = 9;
  ASSERT_EQ(dp.run(f, 1, &out, Dataplane::kHeadroom, /*tailroom=*/64), Verdict::tx);
  EXPECT_EQ(out, 1);
  expect_handshake_ack(read_segment(f));
  EXPECT_EQ(dp.cs->proxy.stash.in_use(), 0u) << "its slot is free again";
  EXPECT_EQ(conn()->state, ConnState::tcp_established);

  g = build_frame6(held);
  const Segment again = run(g, 0, 1);
  EXPECT_FALSE(again.ipv6);
  EXPECT_TRUE(again.checksums_ok);
  EXPECT_EQ(again.payload, held.payload);
  EXPECT_EQ(again.seq, kClientIsn + 1);
  EXPECT_EQ(again.ack, kServerIsn + 1);
  EXPECT_EQ(dp.drops(), 0u);
}

TEST_F(ProxyNat64Test, AServerStillHoldingTheTupleIsResetFromTheLip) {
  syn();
  ack();
  auto f = build_frame(from_server(kTcpAck, 777, 99999));
  const Segment s = run(f, 1, 1);
  EXPECT_FALSE(s.ipv6);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.flags, kTcpRst);
  EXPECT_EQ(s.seq, 99999u) << "at the challenge ACK's acknowledgement";
  EXPECT_EQ(s.saddr, topo::kLip);
  EXPECT_EQ(s.daddr, web.address);
  EXPECT_EQ(s.sport, lport);
  EXPECT_EQ(s.dport, web.port);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_server_reset), 1u);
}

TEST_F(ProxyNat64Test, AServersRefusalReachesTheClientInItsSequenceSpace) {
  syn();
  ack();
  auto f = build_frame(from_server(kTcpRst | kTcpAck, 0, kClientIsn + 1));
  const Segment s = run(f, 1, 0);
  EXPECT_TRUE(s.ipv6 && s.checksums_ok);
  EXPECT_EQ(s.flags & kTcpRst, kTcpRst);
  EXPECT_EQ(s.seq, cookie + 1);
  EXPECT_EQ(s.daddr6, topo::kCip6);
  EXPECT_EQ(conn()->state, ConnState::tcp_close);
}

// An ICMPv6 error from the client's side quotes a server segment as the client got it (IPv6, in
// the cookie's sequence space): the server gets ICMP quoting its own segment and sequence.
TEST_F(ProxyNat64Test, AnIcmpv6ErrorFromTheClientSideReachesTheServerWithItsSequence) {
  syn();
  ack();
  server_synack();
  Packet6Spec as_client_got = client(kTcpAck, cookie + 1, kClientIsn + 1);
  std::swap(as_client_got.saddr, as_client_got.daddr);
  std::swap(as_client_got.sport, as_client_got.dport);
  const auto quoted = ipv6_packet(as_client_got);
  auto f = build_icmp6_error(topo::kPortMac[0], topo::kRouterMac, topo::kCip6, topo::kVip6, core::kIcmpv6DestUnreachable, 4, 0,
                             quoted);
  uint8_t out = 9;
  ASSERT_EQ(dp.run(f, 0, &out), Verdict::tx);
  EXPECT_EQ(out, 1);
  core::PacketView v{};
  ASSERT_EQ(core::parse_packet(f.data(), static_cast<uint32_t>(f.size()), v).status, core::ParseStatus::ok);
  ASSERT_EQ(v.protocol, core::kIpProtoIcmp);
  EXPECT_EQ(v.ip->daddr, web.address);
  EXPECT_EQ(v.ip->saddr, topo::kLip);
  ASSERT_NE(v.quoted.l4, nullptr);
  EXPECT_EQ(core::ntohl(reinterpret_cast<const core::TcpHdr*>(v.quoted.l4)->seq), kServerIsn + 1);
  EXPECT_TRUE(checksums_valid(f)) << "the ICMP checksum and the quoted headers'";
  EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 1u);
}

}  // namespace
