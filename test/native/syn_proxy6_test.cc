// test/native/syn_proxy6_test.cc — the SYN proxy over IPv6 through lb::process, packet by packet
// (syn_proxy_test.cc's IPv4 rows that mean something in IPv6): the cookie SYN-ACK in a fresh IPv6
// header (extension headers gone, MSS for IPv6's 60 bytes of headers), cookies over the IPv6
// tuple, forged ACKs, the SYN the server gets from the LIP, the server's SYN-ACK completed with an
// ACK or the held data segment, sequence and SACK translation, a challenge ACK reset, an ICMPv6
// error quoting a server segment, nat mode, and an IPv4 client of the same engine unaffected.
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
using abi::Forwarding;
// MSS 1440, NOP, WS 7, NOP NOP, SACK-permitted, timestamps: a Linux client over IPv6.
const std::vector<uint8_t> kLinuxSynOptions6 = {2, 4, 0x05, 0xa0, 1, 3, 3, 7, 1, 1, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};

SnapshotBuilder proxied6(uint8_t flag, Forwarding mode = Forwarding::fullnat) {
  ServiceOptions o;
  o.flags = flag;
  SnapshotBuilder b = topo::both_families(mode, o);
  for (auto& s : b.services)
    if (s.protocol == core::kIpProtoUdp) s.flags = 0;  // the udp services: no proxy
  return b;
}

Packet6Spec client6(uint8_t flags, uint32_t seq, uint32_t ack = 0, uint16_t cport = kCport) {
  Packet6Spec s = topo::from_client6(cport, flags);
  s.seq = seq;
  s.ack = ack;
  return s;
}

struct Proxy6Test : ::testing::Test {
  Dataplane dp{proxied6(abi::syn_proxy_on)};
  const BackendSpec6& web = topo::kWeb6[0];
  uint32_t cookie = 0;
  uint16_t lport = 0;

  Segment syn(Packet6Spec s) {
    auto f = build_frame6(s);
    uint8_t out = 9;
    EXPECT_EQ(dp.run(f, 0, &out), Verdict::tx);
    EXPECT_EQ(out, 0) << "the SYN-ACK leaves where the SYN came in";
    const Segment answer = read_segment(f);
    if (s.sport == kCport) cookie = answer.seq;
    return answer;
  }
  Segment syn(uint16_t cport = kCport, uint32_t isn = kClientIsn) {
    Packet6Spec s = client6(kTcpSyn, isn, 0, cport);
    s.tcp_options = kLinuxSynOptions6;
    return syn(s);
  }
  Segment ack(std::vector<uint8_t> payload = {}) {
    Packet6Spec p = client6(kTcpAck, kClientIsn + 1, cookie + 1);
    p.window = 502;
    p.payload = std::move(payload);
    auto f = build_frame6(p);
    uint8_t out = 9;
    EXPECT_EQ(dp.run(f, 0, &out), Verdict::tx);
    EXPECT_EQ(out, 1);
    const Segment s = read_segment(f);
    lport = s.sport;
    return s;
  }
  // A server segment to [LIP]:lport.
  Packet6Spec from_server(uint8_t flags, uint32_t seq, uint32_t ack) {
    Packet6Spec p;
    p.src_mac = web.mac;
    p.dst_mac = topo::kPortMac[1];
    p.saddr = web.address;
    p.daddr = topo::kLip6;
    p.sport = web.port;
    p.dport = lport;
    p.tcp_flags = flags;
    p.seq = seq;
    p.ack = ack;
    return p;
  }
  Segment server_synack(uint8_t wscale = 9) {
    Packet6Spec p = from_server(kTcpSyn | kTcpAck, kServerIsn, kClientIsn + 1);
    p.tcp_options = {2, 4, 0x05, 0xa0, 1, 3, 3, wscale};
    auto f = build_frame6(p);
    uint8_t out = 9;
    EXPECT_EQ(dp.run(f, 1, &out), Verdict::tx);
    EXPECT_EQ(out, 1) << "the server's handshake is completed towards the server";
    return read_segment(f);
  }
  lb::Conn* conn() { return dp.cs->conns.lookup(core::kIpProtoTcp, topo::kCip6, topo::kVip6, core::htons(kCport), core::htons(topo::kHttp)).conn; }
};

TEST_F(Proxy6Test, TheSynIsAnsweredWithACookieInAFreshIpv6Header) {
  Packet6Spec s = client6(kTcpSyn, kClientIsn);
  s.tcp_options = kLinuxSynOptions6;
  s.destination_options = true;
  s.payload = {};
  const Segment a = syn(s);
  EXPECT_TRUE(a.checksums_ok);
  EXPECT_FALSE(a.extension_headers) << "the client's destination options are not echoed";
  EXPECT_EQ(a.saddr6, topo::kVip6);
  EXPECT_EQ(a.daddr6, topo::kCip6);
  EXPECT_EQ(a.sport, topo::kHttp);
  EXPECT_EQ(a.dport, kCport);
  EXPECT_EQ(a.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(a.ack, kClientIsn + 1);
  EXPECT_EQ(a.hop_limit, 64);
  EXPECT_EQ(a.options.mss, 1440) << "the ports' MTU (1500) less IPv6's 60 bytes of headers";
  EXPECT_EQ(a.options.wscale, lb::kProxyWscale);
  EXPECT_TRUE(a.options.sack_permitted);
  EXPECT_FALSE(a.options.timestamps);
  EXPECT_EQ(dp.cs->conns.size(), 0u);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_cookie_sent), 1u);
  EXPECT_EQ(dp.drops(), 0u);

  // Stateless, and over the whole IPv6 tuple: the same SYN the same cookie, another port another.
  EXPECT_EQ(syn().seq, a.seq);
  EXPECT_NE(syn(kCport + 1).seq, a.seq);
  Packet6Spec other_client = client6(kTcpSyn, kClientIsn);
  other_client.saddr.bytes[15] ^= 1;
  EXPECT_NE(syn(other_client).seq, a.seq) << "another client address (its last bit)";
  Packet6Spec other_net = client6(kTcpSyn, kClientIsn);
  other_net.saddr.bytes[0] ^= 0x80;
  EXPECT_NE(syn(other_net).seq, a.seq) << "another client address (its first bit)";
  EXPECT_EQ(dp.cs->conns.size(), 0u);
}

TEST_F(Proxy6Test, AValidAckOpensTheConnectionWithASynFromTheLip) {
  syn();
  const Segment s = ack();
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.saddr6, topo::kLip6);
  EXPECT_EQ(s.daddr6, web.address);
  EXPECT_EQ(s.dport, web.port);
  EXPECT_EQ(s.flags, kTcpSyn);
  EXPECT_EQ(s.seq, kClientIsn) << "the server sees the client's own ISN";
  EXPECT_EQ(s.hop_limit, 63) << "built with 64, then routed";
  EXPECT_EQ(s.options.mss, 1440);
  EXPECT_EQ(s.options.wscale, 7);
  EXPECT_TRUE(s.options.sack_permitted);
  EXPECT_EQ(s.window, 502 << 7);
  ASSERT_NE(conn(), nullptr);
  EXPECT_EQ(conn()->state, ConnState::tcp_syn_sent);
  EXPECT_TRUE(conn()->flags & lb::kSynProxied);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_accepted), 1u);
}

TEST_F(Proxy6Test, AClientWithoutAnMssGetsIpv6sMinimum) {
  syn(client6(kTcpSyn, kClientIsn));
  EXPECT_EQ(ack().options.mss, 1200) << "RFC 8200's 1220, rounded down to the cookie's table";
}

TEST_F(Proxy6Test, ForgedAcksAreDroppedAndCounted) {
  syn();
  for (uint32_t guess : {0u, cookie, cookie + 2, cookie ^ 0x80000000u}) {
    auto f = build_frame6(client6(kTcpAck, kClientIsn + 1, guess));
    EXPECT_EQ(dp.run(f, 0), Verdict::drop) << guess;
  }
  Packet6Spec other_client = client6(kTcpAck, kClientIsn + 1, cookie + 1);
  other_client.saddr.bytes[8] ^= 1;
  auto f = build_frame6(other_client);
  EXPECT_EQ(dp.run(f, 0), Verdict::drop) << "the right cookie from another address";
  EXPECT_EQ(dp.counter(Counter::drop_syn_cookie_invalid), 5u);
  EXPECT_EQ(dp.cs->conns.size(), 0u);
}

TEST_F(Proxy6Test, TheServersSynAckIsAnsweredWithAnAckThenSequencesAreTranslated) {
  syn();
  ack();
  const Segment done = server_synack(9);
  EXPECT_TRUE(done.checksums_ok);
  EXPECT_EQ(done.saddr6, topo::kLip6);
  EXPECT_EQ(done.daddr6, web.address);
  EXPECT_EQ(done.sport, lport);
  EXPECT_EQ(done.flags, kTcpAck);
  EXPECT_EQ(done.seq, kClientIsn + 1);
  EXPECT_EQ(done.ack, kServerIsn + 1);
  EXPECT_EQ(conn()->state, ConnState::tcp_established);

  Packet6Spec data = from_server(kTcpAck, kServerIsn + 1, kClientIsn + 1);
  data.window = 1000;
  data.payload.assign(100, 0x42);
  auto f = build_frame6(data);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  Segment s = read_segment(f);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.saddr6, topo::kVip6);
  EXPECT_EQ(s.daddr6, topo::kCip6);
  EXPECT_EQ(s.seq, cookie + 1);
  EXPECT_EQ(s.window, 4000) << "the server's 2^9 scale in the client's 2^7";
  EXPECT_EQ(s.payload, data.payload);

  // The client's ACK with a SACK block: the server's space.
  std::vector<uint8_t> sack = {1, 1, 5, 10};
  for (uint32_t edge : {cookie + 201, cookie + 301})
    for (int shift = 24; shift >= 0; shift -= 8) sack.push_back(static_cast<uint8_t>(edge >> shift));
  Packet6Spec c = client6(kTcpAck, kClientIsn + 1, cookie + 101);
  c.tcp_options = sack;
  f = build_frame6(c);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  s = read_segment(f);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.ack, kServerIsn + 101);
  ASSERT_EQ(s.options.sack_blocks, 1);
  const uint8_t* block = f.data() + 14 + 40 + s.options.sack_offset;
  auto be32 = [](const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; };
  EXPECT_EQ(be32(block), kServerIsn + 201);
  EXPECT_EQ(be32(block + 4), kServerIsn + 301);

  // The client's FIN too.
  f = build_frame6(client6(kTcpFin | kTcpAck, kClientIsn + 1, cookie + 102));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(read_segment(f).ack, kServerIsn + 102);
}

TEST_F(Proxy6Test, TheFirstDataSegmentIsHeldUntilTheServerAnswers) {
  syn();
  ack();
  const std::vector<uint8_t> request = {'G', 'E', 'T', ' ', '/', '\r', '\n'};
  Packet6Spec get = client6(kTcpAck | 0x08, kClientIsn + 1, cookie + 1);
  get.payload = request;
  auto f = build_frame6(get);
  EXPECT_EQ(dp.run(f, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_stashed), 1u);
  EXPECT_EQ(dp.drops(), 0u) << "held, not a drop";

  const Segment s = server_synack();
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.payload, request);
  EXPECT_EQ(s.seq, kClientIsn + 1);
  EXPECT_EQ(s.ack, kServerIsn + 1);
  EXPECT_EQ(s.saddr6, topo::kLip6);
  EXPECT_EQ(s.daddr6, web.address);
  EXPECT_EQ(dp.cs->proxy.stash.in_use(), 0u);
  EXPECT_EQ(conn()->state, ConnState::tcp_established);
}

TEST_F(Proxy6Test, AServerStillHoldingTheTupleIsResetFromTheLip) {
  syn();
  ack();
  auto f = build_frame6(from_server(kTcpAck, 777, 99999));
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  const Segment s = read_segment(f);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.flags, kTcpRst);
  EXPECT_EQ(s.seq, 99999u) << "at the challenge ACK's acknowledgement";
  EXPECT_EQ(s.saddr6, topo::kLip6);
  EXPECT_EQ(s.daddr6, web.address);
  EXPECT_EQ(s.dport, web.port);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_server_reset), 1u);
}

// An ICMPv6 error from the client's side quotes a server segment as the client got it (in the
// cookie's sequence space): the server gets it quoting its own sequence number.
TEST_F(Proxy6Test, AnIcmpv6ErrorFromTheClientSideQuotesTheServersSequence) {
  syn();
  ack();
  server_synack();
  Packet6Spec as_client_got = client6(kTcpAck, cookie + 1, kClientIsn + 1);
  std::swap(as_client_got.saddr, as_client_got.daddr);
  std::swap(as_client_got.sport, as_client_got.dport);
  const auto quoted = ipv6_packet(as_client_got);
  auto f = build_icmp6_error(topo::kPortMac[0], topo::kRouterMac, topo::kCip6, topo::kVip6, core::kIcmpv6DestUnreachable, 4, 0,
                             quoted);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  core::Packet6View v{};
  ASSERT_EQ(core::parse_ipv6(f.data(), static_cast<uint32_t>(f.size()), 14, v).status, core::ParseStatus::ok);
  ASSERT_NE(v.quoted.l4, nullptr);
  EXPECT_EQ(core::ntohl(reinterpret_cast<const core::TcpHdr*>(v.quoted.l4)->seq), kServerIsn + 1);
  EXPECT_EQ(core::Ipv6Address::load(v.ip->daddr), web.address);
  EXPECT_TRUE(ipv6_checksum_ok(f));
  EXPECT_EQ(dp.counter(Counter::icmp_forwarded), 1u);
}

TEST(SynProxy6, NatModeProxiesToo) {
  Dataplane dp(proxied6(abi::syn_proxy_on, Forwarding::nat));
  Packet6Spec syn = client6(kTcpSyn, kClientIsn);
  syn.tcp_options = kLinuxSynOptions6;
  auto f = build_frame6(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  const uint32_t cookie = read_segment(f).seq;
  f = build_frame6(client6(kTcpAck, kClientIsn + 1, cookie + 1));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  Segment s = read_segment(f);
  EXPECT_EQ(s.saddr6, topo::kCip6) << "nat keeps the client's address";
  EXPECT_EQ(s.daddr6, topo::kWeb6[0].address);
  EXPECT_EQ(s.flags, kTcpSyn);
  Packet6Spec synack;
  synack.src_mac = topo::kWeb6[0].mac;
  synack.dst_mac = topo::kPortMac[1];
  synack.saddr = topo::kWeb6[0].address;
  synack.daddr = topo::kCip6;
  synack.sport = topo::kWeb6[0].port;
  synack.dport = kCport;
  synack.tcp_flags = kTcpSyn | kTcpAck;
  synack.seq = kServerIsn;
  synack.ack = kClientIsn + 1;
  f = build_frame6(synack);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  s = read_segment(f);
  EXPECT_TRUE(s.checksums_ok);
  EXPECT_EQ(s.flags, kTcpAck);
  EXPECT_EQ(s.saddr6, topo::kCip6);
  EXPECT_EQ(s.daddr6, topo::kWeb6[0].address);
  EXPECT_EQ(s.ack, kServerIsn + 1);
}

// One engine, both families behind proxies: the IPv4 client's cookie and connection are its own.
TEST(SynProxy6, AnIpv4ClientOfTheSameEngineIsUnaffected) {
  Dataplane dp(proxied6(abi::syn_proxy_on));
  PacketSpec syn4 = topo::from_client(kCport, kTcpSyn);
  syn4.seq = kClientIsn;
  auto f4 = build_frame(syn4);
  ASSERT_EQ(dp.run(f4, 0), Verdict::tx);
  core::PacketView v{};
  ASSERT_EQ(core::parse_packet(f4.data(), static_cast<uint32_t>(f4.size()), v).status, core::ParseStatus::ok);
  const uint32_t cookie4 = core::ntohl(reinterpret_cast<const core::TcpHdr*>(v.l4)->seq);
  // The IPv4 cookie is no IPv6 one.
  auto f6 = build_frame6(client6(kTcpAck, kClientIsn + 1, cookie4 + 1));
  EXPECT_EQ(dp.run(f6, 0), Verdict::drop);
  EXPECT_EQ(dp.counter(Counter::drop_syn_cookie_invalid), 1u);
  PacketSpec ack4 = topo::from_client(kCport, kTcpAck);
  ack4.seq = kClientIsn + 1;
  ack4.ack = cookie4 + 1;
  ASSERT_EQ(dp.run(ack4, 0), Verdict::tx);
  EXPECT_EQ(dp.counter(Counter::syn_proxy_accepted), 1u);
  EXPECT_NE(dp.client_conn(kCport), nullptr);
}

}  // namespace
