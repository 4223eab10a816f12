// test/native/syn_proxy_test.cc — the SYN proxy through lb::process, packet by packet: the cookie
// SYN-ACK (options, nothing stored), valid / forged / late ACKs, the SYN the server gets, the
// server's SYN-ACK completing with an ACK or the held first data segment, sequence, SACK and
// window translation for the connection's life (data, FIN, RST), the auto threshold and the
// half-open bound.
#include <gtest/gtest.h>

#include <cstring>

#include "core/tcp_options.h"
#include "dataplane_fixture.h"
#include "syn_proxy_fixture.h"
#include "lb/syn_proxy.h"

namespace {
using namespace xvs::test;
using namespace xvs::test::proxy;
namespace abi = xvs::abi;
namespace core = xvs::core;
namespace lb = xvs::lb;
// MSS 1460, NOP, WS 7, NOP NOP, SACK-permitted, timestamps: what Linux clients send.
const std::vector<uint8_t> kLinuxSynOptions = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};

SnapshotBuilder proxied(uint8_t flag, abi::Forwarding mode = abi::Forwarding::fullnat, uint32_t workers = 1) {
  ServiceOptions o;
  o.flags = flag;
  SnapshotBuilder b = topo::standard_mode(mode, workers, o);
  b.services[1].flags = 0;  // the udp service: no proxy
  return b;
}

PacketSpec client(uint8_t flags, uint32_t seq, uint32_t ack = 0, uint16_t cport = kCport) {
  PacketSpec p = topo::from_client(cport, flags);
  p.seq = seq;
  p.ack = ack;
  return p;
}

struct ProxyTest : ::testing::Test {
  Dataplane dp{proxied(abi::syn_proxy_on)};
  uint32_t cookie = 0;
  uint16_t lport = 0;

  // The client's SYN, answered with a cookie.
  Segment syn(uint16_t cport = kCport, uint32_t isn = kClientIsn) {
    auto f = build_frame(with_tcp_options(client(kTcpSyn, isn, 0, cport), kLinuxSynOptions));
    uint8_t out = 9;
    EXPECT_EQ(dp.run(f, 0, &out), Verdict::tx);
    EXPECT_EQ(out, 0) << "the SYN-ACK leaves where the SYN came in";
    const Segment s = read_segment(f);
    if (cport == kCport) cookie = s.seq;
    return s;
  }
  // The client's ACK of the cookie: the SYN towards the server.
  Segment ack(std::vector<uint8_t> payload = {}) {
    PacketSpec p = client(kTcpAck, kClientIsn + 1, cookie + 1);
    p.window = 502;
    p.payload = std::move(payload);
    auto f = build_frame(p);
    uint8_t out = 9;
    const Verdict v = dp.run(f, 0, &out);
    if (!p.payload.empty() && v == Verdict::drop) return {};
    EXPECT_EQ(v, Verdict::tx);
    EXPECT_EQ(out, 1);
    const Segment s = read_segment(f);
    lport = s.sport;
    return s;
  }
  // The server's SYN-ACK (window scale `wscale`, 0xff: none): what the server gets back.
  Segment server_synack(uint8_t wscale = 9) {
    std::vector<uint8_t> options = {2, 4, 0x05, 0xb4, 4, 2};
    if (wscale != core::kNoWscale) options.insert(options.end(), {1, 3, 3, wscale});
    PacketSpec p = with_tcp_options(topo::from_server(topo::kWeb[0], lport, kTcpSyn | kTcpAck), options);
    p.seq = kServerIsn;
    p.ack = kClientIsn + 1;
    auto f = build_frame(p);
    uint8_t out = 9;
    EXPECT_EQ(dp.run(f, 1, &out), Verdict::tx);
    EXPECT_EQ(out, 1) << "the server's handshake is completed towards the server";
    return read_segment(f);
  }
  lb::Conn* conn() { return dp.client_conn(kCport); }
};

TEST_F(ProxyTest, TheSynIsAnsweredWithACookieAndNothingIsStored) {
  const Segment s = syn();
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.saddr, topo::kVip);
  EXPECT_EQ(s.daddr, topo::kCip);
  EXPECT_EQ(s.sport, topo::kHttp);
  EXPECT_EQ(s.dport, kCport);
  EXPECT_EQ(s.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(s.ack, kClientIsn + 1);
  EXPECT_EQ(s.options.mss, 1460) << "the ports' MTU (1500) less 40";
  EXPECT_EQ(s.options.wscale, lb::kProxyWscale);
  EXPECT_TRUE(s.options.sack_permitted);
  EXPECT_FALSE(s.options.timestamps) << "a cookie cannot carry time stamps";
  EXPECT_EQ(s.window, 1460) << "one segment until the server has answered";
  EXPECT_TRUE(s.payload.empty());
  EXPECT_EQ(dp.cs->conns.size(), 0u);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_cookie_sent), 1u);
  EXPECT_EQ(dp.drops(), 0u);

  // Stateless: the same SYN gets the same cookie; another ISN or port another, unrelated one.
  EXPECT_EQ(syn().seq, s.seq);
  const uint32_t other_isn = syn(kCport, kClientIsn + 1).seq;
  const uint32_t other_port = syn(kCport + 1).seq;
  EXPECT_NE(other_isn, s.seq);
  EXPECT_NE(other_port, s.seq);
  EXPECT_NE(other_port, s.seq + 1);
  EXPECT_EQ(dp.cs->conns.size(), 0u);
}

TEST_F(ProxyTest, AClientWithoutOptionsGetsNone) {
  auto f = build_frame(client(kTcpSyn, kClientIsn));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  const Segment s = read_segment(f);
  EXPECT_EQ(s.options.wscale, core::kNoWscale);
  EXPECT_FALSE(s.options.sack_permitted);
  EXPECT_EQ(s.options.mss, 1460);
  cookie = s.seq;
  const Segment to_server = ack();
  EXPECT_EQ(to_server.options.mss, 536) << "no MSS from the client: the RFC 9293 default";
  EXPECT_EQ(to_server.options.wscale, core::kNoWscale);
  EXPECT_FALSE(to_server.options.sack_permitted);
}

TEST_F(ProxyTest, AValidAckOpensTheConnectionWithASynToTheServer) {
  syn();
  const Segment s = ack();
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.saddr, topo::kLip);
  EXPECT_EQ(s.daddr, topo::kWeb[0].address);
  EXPECT_EQ(s.dport, topo::kWeb[0].port);
  EXPECT_EQ(s.flags, kTcpSyn);
  EXPECT_EQ(s.seq, kClientIsn) << "the server sees the client's own ISN";
  EXPECT_EQ(s.options.mss, 1460);
  EXPECT_EQ(s.options.wscale, 7) << "the client's window scale, kept in the cookie";
  EXPECT_TRUE(s.options.sack_permitted);
  EXPECT_EQ(s.window, 502 << 7) << "the client's window in bytes";
  ASSERT_NE(conn(), nullptr);
  EXPECT_EQ(conn()->state, ConnState::tcp_syn_sent);
  EXPECT_TRUE(conn()->flags & lb::kSynProxied);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_accepted), 1u);
  EXPECT_EQ(dp.counter(Counter::conn_created), 1u);
  EXPECT_EQ(dp.cs->half_open[0], 0u) << "a proven client is not half-open";
}

TEST_F(ProxyTest, AForgedAckCostsNothing) {
  syn();
  for (uint32_t guess : {0u, 1u, cookie, cookie + 2, cookie ^ 0x80000000u}) {
    auto f = build_frame(client(kTcpAck, kClientIsn + 1, guess));
    EXPECT_EQ(dp.run(f, 0), Verdict::drop) << guess;
  }
  // The right cookie from another port, or for another ISN.
  auto other_port = build_frame(client(kTcpAck, kClientIsn + 1, cookie + 1, kCport + 1));
  EXPECT_EQ(dp.run(other_port, 0), Verdict::drop);
  auto other_isn = build_frame(client(kTcpAck, kClientIsn + 2, cookie + 1));
  EXPECT_EQ(dp.run(other_isn, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_syn_cookie_invalid), 7u);
  EXPECT_EQ(dp.cs->conns.size(), 0u);
  EXPECT_EQ(dp.counter(Counter::conn_created), 0u);
}

TEST_F(ProxyTest, ACookieIsValidInTheNextPeriodToo) {
  syn();
  dp.cs->now += lb::kCookiePeriod;
  ack();
  EXPECT_EQ(dp.counter(Counter::syn_proxy_accepted), 1u);
}

TEST_F(ProxyTest, ALateAckIsRefused) {
  syn(kCport + 1);
  const uint32_t old_cookie = dp.cs->proxy.cookies.make(dp.cs->now, topo::kCip, topo::kVip, core::htons(kCport + 1),
                                                       core::htons(topo::kHttp), kClientIsn,
                                                       {1460, 7, true});
  dp.cs->now += 2 * lb::kCookiePeriod;
  syn();  // cookies are still being sent: late ACKs are read as cookies, and refused
  auto f = build_frame(client(kTcpAck, kClientIsn + 1, old_cookie + 1, kCport + 1));
  EXPECT_EQ(dp.run(f, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_syn_cookie_invalid), 1u);

  // Once no cookie has been sent for two periods, a stray ACK is what it always was.
  dp.cs->now += 2 * lb::kCookiePeriod;
  auto stray = build_frame(client(kTcpAck, kClientIsn + 1, cookie + 1));
  EXPECT_EQ(dp.run(stray, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_tcp_no_conn), 1u);
}

TEST_F(ProxyTest, TheServersSynAckIsAnsweredWithAnAck) {
  syn();
  ack();
  const Segment s = server_synack();
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.saddr, topo::kLip);
  EXPECT_EQ(s.sport, lport);
  EXPECT_EQ(s.daddr, topo::kWeb[0].address);
  EXPECT_EQ(s.dport, topo::kWeb[0].port);
  EXPECT_EQ(s.flags, kTcpAck);
  EXPECT_EQ(s.seq, kClientIsn + 1);
  EXPECT_EQ(s.ack, kServerIsn + 1);
  EXPECT_EQ(s.window, 502) << "both sides scale: the client's window as it is";
  EXPECT_EQ(conn()->state, ConnState::tcp_established);
  EXPECT_EQ(dp.load(0).active, 1u);

  // The server missed it and sends its SYN-ACK again: it gets the ACK again.
  const Segment again = server_synack();
  EXPECT_EQ(again.flags, kTcpAck);
  EXPECT_EQ(again.ack, kServerIsn + 1);
  EXPECT_EQ(conn()->state, ConnState::tcp_established);
}

TEST_F(ProxyTest, SequenceNumbersSackBlocksAndWindowsAreTranslatedForTheConnectionsLife) {
  syn();
  ack();
  server_synack(9);
  // Server data: its sequence space becomes the cookie's; its window (scaled by 2^9) is said in
  // the client's scale (2^7).
  PacketSpec data = topo::from_server(topo::kWeb[0], lport, kTcpAck);
  data.seq = kServerIsn + 1;
  data.ack = kClientIsn + 1;
  data.window = 1000;
  data.payload.assign(100, 0x42);
  auto f = build_frame(data);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  Segment s = read_segment(f);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.daddr, topo::kCip);
  EXPECT_EQ(s.seq, cookie + 1);
  EXPECT_EQ(s.ack, kClientIsn + 1);
  EXPECT_EQ(s.window, 4000);
  EXPECT_EQ(s.payload, data.payload);

  // The client's ACK with a SACK block, in the cookie's space: the server's space again.
  const uint32_t left = cookie + 1 + 200, right = cookie + 1 + 300;
  std::vector<uint8_t> sack = {1, 1, 5, 10};
  for (uint32_t edge : {left, right})
    for (int shift = 24; shift >= 0; shift -= 8) sack.push_back(static_cast<uint8_t>(edge >> shift));
  PacketSpec c = with_tcp_options(client(kTcpAck, kClientIsn + 1, cookie + 1 + 100), sack);
  c.window = 300;
  f = build_frame(c);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  s = read_segment(f);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.ack, kServerIsn + 1 + 100);
  EXPECT_EQ(s.seq, kClientIsn + 1) << "the client's own space is the server's";
  EXPECT_EQ(s.window, 300) << "the server reads the client's scale as the client meant it";
  ASSERT_EQ(s.options.sack_blocks, 1);
  const uint8_t* block = f.data() + 14 + 20 + s.options.sack_offset;
  auto be32 = [](const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; };
  EXPECT_EQ(be32(block), kServerIsn + 1 + 200);
  EXPECT_EQ(be32(block + 4), kServerIsn + 1 + 300);

  // FIN and RST from the server, and the client's FIN: the same translation.
  PacketSpec fin = topo::from_server(topo::kWeb[0], lport, kTcpFin | kTcpAck);
  fin.seq = kServerIsn + 101;
  fin.ack = kClientIsn + 1;
  f = build_frame(fin);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  EXPECT_EQ(read_segment(f).seq, cookie + 101);
  f = build_frame(client(kTcpFin | kTcpAck, kClientIsn + 1, cookie + 102));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(read_segment(f).ack, kServerIsn + 102);
  PacketSpec rst = topo::from_server(topo::kWeb[0], lport, kTcpRst);
  rst.seq = kServerIsn + 102;
  f = build_frame(rst);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  s = read_segment(f);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.seq, cookie + 102);
}

TEST_F(ProxyTest, AServerWithoutWindowScalingGetsTheClientsWindowsInBytes) {
  syn();
  ack();
  const Segment s = server_synack(core::kNoWscale);
  EXPECT_EQ(s.window, 502 << 7) << "the client's window in bytes: the server does not scale it";
  PacketSpec data = topo::from_server(topo::kWeb[0], lport, kTcpAck);
  data.seq = kServerIsn + 1;
  data.ack = kClientIsn + 1;
  data.window = 29200;
  auto f = build_frame(data);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  EXPECT_EQ(read_segment(f).window, 29200 >> 7) << "the client multiplies by 2^7";
}

TEST_F(ProxyTest, TheFirstDataSegmentIsHeldUntilTheServerAnswers) {
  syn();
  ack();
  // The request, sent right after the ACK: held, not dropped.
  const std::vector<uint8_t> request = {'G', 'E', 'T', ' ', '/', '\r', '\n'};
  PacketSpec get = client(kTcpAck | 0x08, kClientIsn + 1, cookie + 1);
  get.payload = request;
  auto f = build_frame(get);
  EXPECT_EQ(dp.run(f, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_stashed), 1u);
  EXPECT_EQ(dp.drops(), 0u) << "held, not a drop";
  EXPECT_EQ(dp.cs->proxy.stash.in_use(), 1u);

  // The server's SYN-ACK brings it out, as the segment that completes the server's handshake.
  const Segment s = server_synack();
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.payload, request);
  EXPECT_EQ(s.seq, kClientIsn + 1);
  EXPECT_EQ(s.ack, kServerIsn + 1);
  EXPECT_EQ(s.saddr, topo::kLip);
  EXPECT_EQ(s.daddr, topo::kWeb[0].address);
  EXPECT_EQ(dp.cs->proxy.stash.in_use(), 0u);
  EXPECT_EQ(conn()->state, ConnState::tcp_established);
}

TEST_F(ProxyTest, AnAckCarryingDataIsHeldToo) {
  syn();
  const std::vector<uint8_t> request = {'h', 'i'};
  PacketSpec p = client(kTcpAck, kClientIsn + 1, cookie + 1);
  p.payload = request;
  auto f = build_frame(p);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  const Segment syn_to_server = read_segment(f);
  EXPECT_EQ(syn_to_server.flags, kTcpSyn);
  EXPECT_TRUE(syn_to_server.payload.empty());
  lport = syn_to_server.sport;
  EXPECT_EQ(server_synack().payload, request);
}

TEST_F(ProxyTest, ClientRetransmissionsWhileTheServerIsSilentResendTheSyn) {
  syn();
  ack();
  PacketSpec get = client(kTcpAck, kClientIsn + 1, cookie + 1);
  get.payload = {'x'};
  auto first = build_frame(get);
  EXPECT_EQ(dp.run(first, 0), Verdict::drop);  // held
  auto again = build_frame(get);
  ASSERT_EQ(dp.run(again, 0), Verdict::tx);
  const Segment s = read_segment(again);
  EXPECT_EQ(s.flags, kTcpSyn);
  EXPECT_EQ(s.seq, kClientIsn);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_syn_resent), 1u);

  // A segment from the server that is neither an answer nor an ACK is dropped and counted (an ACK
  // is a challenge: AServerStillHoldingTheTupleIsResetSoThatTheSynGoesThrough).
  PacketSpec stray = topo::from_server(topo::kWeb[0], lport, 0x08);
  auto f = build_frame(stray);
  EXPECT_EQ(dp.run(f, 1), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_syn_proxy_pending), 1u);
}

TEST_F(ProxyTest, AServersRefusalReachesTheClientInItsSequenceSpace) {
  syn();
  ack();
  PacketSpec rst = topo::from_server(topo::kWeb[0], lport, kTcpRst | kTcpAck);
  rst.seq = 0;
  rst.ack = kClientIsn + 1;
  auto f = build_frame(rst);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  const Segment s = read_segment(f);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.daddr, topo::kCip);
  EXPECT_EQ(s.seq, cookie + 1);
  EXPECT_EQ(conn()->state, ConnState::tcp_close);
}

TEST_F(ProxyTest, AClientResetWhilePendingReachesTheServerWithoutTheCookiesAck) {
  syn();
  ack();
  auto f = build_frame(client(kTcpRst | kTcpAck, kClientIsn + 1, cookie + 1));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  const Segment s = read_segment(f);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.flags, kTcpRst);
  EXPECT_EQ(s.ack, 0u);
  EXPECT_EQ(s.seq, kClientIsn + 1);
  EXPECT_EQ(conn()->state, ConnState::tcp_close);
}

TEST_F(ProxyTest, AnExpiredPendingConnectionGivesItsHeldSegmentBack) {
  syn();
  ack();
  PacketSpec get = client(kTcpAck, kClientIsn + 1, cookie + 1);
  get.payload = {'x'};
  auto f = build_frame(get);
  EXPECT_EQ(dp.run(f, 0), Verdict::drop);
  EXPECT_EQ(dp.cs->proxy.stash.in_use(), 1u);
  EXPECT_EQ(dp.expire(dp.cs->now + 61), 1u);
  EXPECT_EQ(dp.cs->proxy.stash.in_use(), 0u);
}

TEST(SynProxy, NatModeProxiesToo) {
  Dataplane dp(proxied(abi::syn_proxy_on, abi::Forwarding::nat));
  auto f = build_frame(with_tcp_options(client(kTcpSyn, kClientIsn), kLinuxSynOptions));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  const uint32_t cookie = read_segment(f).seq;
  f = build_frame(client(kTcpAck, kClientIsn + 1, cookie + 1));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  Segment s = read_segment(f);
  EXPECT_EQ(s.saddr, topo::kCip) << "nat keeps the client's address";
  EXPECT_EQ(s.daddr, topo::kWeb[0].address);
  EXPECT_EQ(s.flags, kTcpSyn);
  PacketSpec synack = topo::nat_from_server(topo::kWeb[0], kCport, kTcpSyn | kTcpAck);
  synack.seq = kServerIsn;
  synack.ack = kClientIsn + 1;
  f = build_frame(synack);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  s = read_segment(f);
  EXPECT_EQ(s.flags, kTcpAck);
  EXPECT_EQ(s.saddr, topo::kCip);
  EXPECT_EQ(s.daddr, topo::kWeb[0].address);
  EXPECT_EQ(s.ack, kServerIsn + 1);
  PacketSpec data = topo::nat_from_server(topo::kWeb[0], kCport, kTcpAck);
  data.seq = kServerIsn + 1;
  f = build_frame(data);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  s = read_segment(f);
  EXPECT_EQ(s.saddr, topo::kVip);
  EXPECT_EQ(s.seq, cookie + 1);
}

// auto: SYNs make connections until the service has syn_proxy_above half-open ones on the
// worker; then cookies; once handshakes complete, connections again.
TEST(SynProxy, AutoEngagesAboveTheThresholdOfHalfOpenConnections) {
  SnapshotBuilder b = proxied(abi::syn_proxy_auto);
  b.header.syn_proxy_above = 4;
  Dataplane dp(b);
  for (uint16_t i = 0; i < 4; ++i) ASSERT_EQ(dp.run(client(kTcpSyn, kClientIsn, 0, 10000 + i), 0), Verdict::tx);
  EXPECT_EQ(dp.cs->conns.size(), 4u);
  EXPECT_EQ(dp.cs->half_open[0], 4u);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_cookie_sent), 0u);
  auto f = build_frame(client(kTcpSyn, kClientIsn, 0, 20000));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(read_segment(f).flags, kTcpSyn | kTcpAck) << "answered by the proxy";
  EXPECT_EQ(dp.counter(Counter::syn_proxy_cookie_sent), 1u);
  EXPECT_EQ(dp.cs->conns.size(), 4u);
  // One handshake completes: below the threshold, the next SYN makes a connection again.
  ASSERT_EQ(dp.run(client(kTcpAck, kClientIsn + 1, 1, 10000), 0), Verdict::tx);
  EXPECT_EQ(dp.cs->half_open[0], 3u);
  ASSERT_EQ(dp.run(client(kTcpSyn, kClientIsn, 0, 20001), 0), Verdict::tx);
  EXPECT_EQ(dp.cs->conns.size(), 5u);
  // The cookie answered earlier is still honoured.
  const uint32_t cookie = read_segment(f).seq;
  auto ack = build_frame(client(kTcpAck, kClientIsn + 1, cookie + 1, 20000));
  ASSERT_EQ(dp.run(ack, 0), Verdict::tx);
  EXPECT_EQ(read_segment(ack).flags, kTcpSyn);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_accepted), 1u);
}

// The half-open count follows reloads: a server that stays keeps its count, one that leaves
// takes its count with it.
TEST(SynProxy, HalfOpenCountsFollowReloads) {
  Dataplane dp(topo::standard(1));
  for (uint16_t i = 0; i < 6; ++i) ASSERT_EQ(dp.run(client(kTcpSyn, kClientIsn, 0, 10000 + i), 0), Verdict::tx);
  EXPECT_EQ(dp.cs->half_open[0], 6u);
  dp.reload(topo::standard_without_first_web(1, 2));
  EXPECT_EQ(dp.cs->half_open[0], 4u) << "rr: two of the six went to the server that left";
}

TEST(SynProxy, WithoutAProxyHalfOpenConnectionsAreBoundedPerService) {
  SnapshotBuilder b = proxied(0);
  b.header.half_open_limit = 3;
  Dataplane dp(b);
  for (uint16_t i = 0; i < 3; ++i) ASSERT_EQ(dp.run(client(kTcpSyn, kClientIsn, 0, 10000 + i), 0), Verdict::tx);
  EXPECT_EQ(dp.run(client(kTcpSyn, kClientIsn, 0, 10003), 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_half_open_limit), 1u);
  ASSERT_EQ(dp.run(client(kTcpAck, kClientIsn + 1, 1, 10000), 0), Verdict::tx);  // one completes
  EXPECT_EQ(dp.run(client(kTcpSyn, kClientIsn, 0, 10003), 0), Verdict::tx);
}

TEST(SynProxy, TheDecoderRefusesAProxyWhereRepliesBypassTheBalancer) {
  for (abi::Forwarding mode : {abi::Forwarding::dr, abi::Forwarding::tunnel}) {
    SnapshotBuilder b = proxied(abi::syn_proxy_on, mode);
    EngineTables tables(1);
    std::unique_ptr<lb::Snapshot> snap;
    const auto st = build(b.bytes(), 1, topo::kPorts, tables, snap);
    EXPECT_FALSE(st.is_ok());
    EXPECT_NE(st.message.find("SYN proxy"), std::string::npos) << st.message;
  }
}

// A cookie one worker sent is honoured by another (veth queues follow the sending CPU, so a
// client's SYN and its ACK may reach different workers): the workers share their cookie clocks
// and keys. In fullnat the worker the client's packets reach opens the connection, as it does
// without a proxy (DESIGN §4: a NIC's RSS keeps a flow on one queue).
TEST(SynProxy, ACookieOneWorkerSentIsHonouredByAnother) {
  EngineTables tables(2);
  std::unique_ptr<lb::Snapshot> snap;
  ASSERT_TRUE(build(proxied(abi::syn_proxy_on, abi::Forwarding::fullnat, 2).bytes(), 2, topo::kPorts, tables, snap).is_ok());
  std::unique_ptr<lb::CoreState> workers[2];
  for (uint32_t id = 0; id < 2; ++id) {
    workers[id] = std::make_unique<lb::CoreState>(id, 2, 64, 0x5eed, kPortKey, tables.row(id));
    workers[id]->install(snap.get());
    workers[id]->now = 1000;
  }
  auto run = [](lb::CoreState& cs, std::vector<uint8_t>& f) {
    std::vector<uint8_t> buffer(f.size() + 2048);
    std::copy(f.begin(), f.end(), buffer.begin());
    xvs::io::Frame frame{buffer.data(), static_cast<uint32_t>(f.size()), 0, 0, 0, 0, static_cast<uint32_t>(buffer.size())};
    const Verdict v = lb::process(cs, frame);
    f.assign(frame.data, frame.data + frame.len);
    return v;
  };
  auto syn = build_frame(client(kTcpSyn, kClientIsn));
  ASSERT_EQ(run(*workers[0], syn), Verdict::tx);
  const uint32_t cookie = read_segment(syn).seq;
  auto ack = build_frame(client(kTcpAck, kClientIsn + 1, cookie + 1));
  ASSERT_EQ(run(*workers[1], ack), Verdict::tx);
  EXPECT_EQ(read_segment(ack).flags, kTcpSyn);
  EXPECT_EQ(workers[1]->counters[static_cast<uint32_t>(Counter::syn_proxy_accepted)], 1u);
}

TEST_F(ProxyTest, AServerStillHoldingTheTupleIsResetSoThatTheSynGoesThrough) {
  syn();
  ack();
  // The server is in TIME_WAIT on this tuple: it answers the SYN with a challenge ACK.
  PacketSpec challenge = topo::from_server(topo::kWeb[0], lport, kTcpAck);
  challenge.seq = 90000;
  challenge.ack = 123456;
  auto f = build_frame(challenge);
  uint8_t out = 9;
  ASSERT_EQ(dp.run(f, 1, &out), Verdict::tx);
  EXPECT_EQ(out, 1);
  const Segment s = read_segment(f);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.flags, kTcpRst);
  EXPECT_EQ(s.seq, 123456u) << "at the sequence number the server expects";
  EXPECT_EQ(s.saddr, topo::kLip);
  EXPECT_EQ(s.daddr, topo::kWeb[0].address);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_server_reset), 1u);
  EXPECT_EQ(conn()->state, ConnState::tcp_syn_sent) << "still waiting: the client's retransmission sends the SYN again";
}

TEST_F(ProxyTest, ASynAckAfterTheClientGaveUpCompletesNothing) {
  syn();
  ack();
  auto rst = build_frame(client(kTcpRst, kClientIsn + 1));
  ASSERT_EQ(dp.run(rst, 0), Verdict::tx);
  ASSERT_EQ(conn()->state, ConnState::tcp_close);
  PacketSpec p = topo::from_server(topo::kWeb[0], lport, kTcpSyn | kTcpAck);
  p.seq = kServerIsn;
  p.ack = kClientIsn + 1;
  auto f = build_frame(p);
  EXPECT_EQ(dp.run(f, 1), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_syn_proxy_pending), 1u);
}

TEST_F(ProxyTest, AClientStartingAgainWhileTheServerIsSilentGetsANewConnection) {
  syn();
  ack();
  // Another ISN on the same port: the old attempt is given up, the new SYN gets a cookie.
  const Segment again = syn(kCport, kClientIsn + 5000);
  EXPECT_EQ(again.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(dp.counter(Counter::conn_reused), 1u);
  EXPECT_EQ(conn(), nullptr) << "nothing stored until the new ACK";
  // The same ISN again (a retransmitted SYN) is not a new connection.
  syn();
  ack();
  auto retransmitted = build_frame(with_tcp_options(client(kTcpSyn, kClientIsn), kLinuxSynOptions));
  EXPECT_EQ(dp.run(retransmitted, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_syn_proxy_pending), 1u);
}

TEST_F(ProxyTest, ASmallServerWindowNeverReachesTheClientAsZero) {
  syn();
  ack();
  server_synack(core::kNoWscale);  // the server does not scale; the client divides by 2^7
  PacketSpec data = topo::from_server(topo::kWeb[0], lport, kTcpAck);
  data.seq = kServerIsn + 1;
  data.ack = kClientIsn + 1;
  data.window = 100;
  auto f = build_frame(data);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  EXPECT_EQ(read_segment(f).window, 1);
  data.window = 0;
  f = build_frame(data);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  EXPECT_EQ(read_segment(f).window, 0) << "a closed window stays closed";
}

// Found by test/fuzz/packet_path_fuzz.cc: the quoted segment's sequence number went back to the
// server's space but its checksum, which covers it when the quote is whole, was left as it was.
TEST_F(ProxyTest, AnIcmpErrorFromTheClientQuotesTheServersSequenceWithItsChecksum) {
  syn();
  ack();
  server_synack();
  PacketSpec data = topo::from_server(topo::kWeb[0], lport, kTcpAck);
  data.seq = kServerIsn + 1;
  data.ack = kClientIsn + 1;
  data.payload.assign(100, 0x42);
  auto f = build_frame(data);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  ASSERT_EQ(read_segment(f).seq, cookie + 1);
  // The client's host refuses it, quoting all of it as it arrived.
  auto error = build_frame(icmp_error(topo::from_client(kCport), datagram(f)));
  uint8_t out = 9;
  ASSERT_EQ(dp.run(error, 0, &out), Verdict::tx);
  EXPECT_EQ(out, 1);
  EXPECT_TRUE(checksums_valid(error)) << "the quoted segment's checksum follows its sequence number";
  const uint8_t* quoted_tcp = l4_of(error) + sizeof(core::IcmpHdr) + sizeof(core::Ipv4Hdr);
  uint32_t seq;
  std::memcpy(&seq, quoted_tcp + 4, 4);
  EXPECT_EQ(core::ntohl(seq), kServerIsn + 1) << "in the server's sequence space";
}

}  // namespace
