// test/native/encap_test.cc — lb/encap.h and translate_icmp_error byte for byte: IPIP (outer TOS/TTL/DF/ID copied, L2 header and VLAN tag moved), the fragmentation-needed reply, ICMP errors translated with valid outer, quoted and ICMP checksums.
#include <gtest/gtest.h>

#include "core/parse.h"
#include "io/frame.h"
#include "lb/encap.h"
#include "lb/rewrite.h"
#include "packet_builder.h"

namespace {
namespace lb = xvs::lb;
using namespace xvs::core;
using namespace xvs::test;

const Mac kA = mac_of(2, 0, 0, 0, 0, 0xa), kB = mac_of(2, 0, 0, 0, 0, 0xb);

// A frame placed at the end of a buffer with `headroom` bytes before it.
struct Buffer {
  Buffer(const std::vector<uint8_t>& frame, uint32_t headroom) : bytes(headroom + frame.size()) {
    std::copy(frame.begin(), frame.end(), bytes.begin() + headroom);
    f = xvs::io::Frame{bytes.data() + headroom, static_cast<uint32_t>(frame.size()), headroom, 0, 0, 0, static_cast<uint32_t>(frame.size())};
    EXPECT_EQ(parse_packet(f.data, f.len, view).status, ParseStatus::ok);
  }
  std::vector<uint8_t> out() const { return std::vector<uint8_t>(f.data, f.data + f.len); }
  std::vector<uint8_t> bytes;
  xvs::io::Frame f;
  PacketView view{};
};

TEST(Encap, IpipCopiesTosTtlDfAndIdAndMovesTheL2Header) {
  const uint32_t lb_addr = ipv4(10, 0, 2, 1), rs = ipv4(10, 0, 2, 11);
  for (bool vlan : {false, true})
    for (uint16_t frag : {uint16_t{0}, kIpFlagDontFragment, uint16_t(kIpFlagDontFragment | kIpFlagMoreFragments)}) {
      SCOPED_TRACE(std::to_string(vlan) + "/" + std::to_string(frag));
      PacketSpec s;
      s.tos = 0xb8;
      s.ttl = 1;
      s.ip_id = 0x4321;
      s.frag_off = frag;
      s.ip_option_words = 1;
      s.payload.assign(33, 0x77);
      if (vlan) s.vlan_tags = {0x0123};
      const auto inner = build_frame(s);
      Buffer b(inner, lb::kIpipOverhead);
      lb::encapsulate_ipip(b.f, b.view, lb_addr, rs);
      EXPECT_EQ(b.f.data, b.bytes.data());
      EXPECT_EQ(b.f.headroom, 0u);
      EXPECT_EQ(b.f.len, inner.size() + 20);
      EXPECT_EQ(reinterpret_cast<uint8_t*>(b.view.eth), b.f.data);
      const auto out = b.out();
      EXPECT_EQ(out, ipip_frame(inner, lb_addr, rs, s.src_mac, s.dst_mac));
      // Spelled out once: outer header right after the (moved) L2 header.
      const uint32_t l2 = vlan ? 18 : 14;
      EXPECT_EQ(out[l2], 0x45);
      EXPECT_EQ(out[l2 + 1], 0xb8);
      EXPECT_EQ(out[l2 + 6] & 0x40, frag & kIpFlagDontFragment ? 0x40 : 0);
      EXPECT_EQ(out[l2 + 6] & 0x20, 0) << "MF is the inner datagram's business";
      EXPECT_EQ(out[l2 + 8], 1) << "outer TTL copied";
      EXPECT_EQ(out[l2 + 9], kIpProtoIpip);
      if (vlan) {
        EXPECT_EQ(out[12], 0x81);
        EXPECT_EQ(out[15], 0x23);
        EXPECT_EQ(out[16], 0x08);
      }
      EXPECT_EQ(std::vector<uint8_t>(out.begin() + l2 + 20, out.end()), datagram(inner)) << "inner untouched";
      if (!(frag & kIpFlagMoreFragments)) {
        EXPECT_TRUE(checksums_valid(out));
      }
    }
}

TEST(Encap, FragNeededQuotesHeaderAndEightBytes) {
  const uint32_t from = ipv4(203, 0, 113, 1);
  for (bool vlan : {false, true})
    for (uint8_t options : {uint8_t{0}, uint8_t{3}}) {
      PacketSpec s;
      s.src_mac = kA;
      s.dst_mac = kB;
      s.frag_off = kIpFlagDontFragment;
      s.ip_option_words = options;
      s.tcp_flags = kTcpAck;
      s.payload.assign(1480, 0x33);
      if (vlan) s.vlan_tags = {9};
      const auto big = build_frame(s);
      Buffer b(big, 0);
      lb::make_frag_needed(b.f, b.view, from, 1480);

      PacketSpec want;
      want.src_mac = kB;  // swapped: back where it came from
      want.dst_mac = kA;
      want.vlan_tags = s.vlan_tags;
      want.saddr = from;
      want.daddr = s.saddr;
      want.ttl = 64;
      want.ip_id = 0;
      want.frag_off = kIpFlagDontFragment;
      want = icmp_error(want, datagram(big, 20 + options * 4u + 8), kIcmpDestUnreachable, kIcmpCodeFragNeeded);
      want.icmp_rest_lo = 1480;
      const auto out = b.out();
      EXPECT_EQ(out, build_frame(want)) << int(vlan) << "/" << int(options);
      EXPECT_EQ(out.size(), (vlan ? 18u : 14u) + 20 + 8 + 20 + options * 4u + 8);
      EXPECT_TRUE(checksums_valid(out));
    }
}

// translate_icmp_error turns an error about `before` into one about `after`, outer addresses
// to (saddr, daddr): the result equals the error built fresh around `after`.
void expect_translation(const PacketSpec& before, const PacketSpec& after, size_t quoted_len, uint32_t saddr,
                        uint32_t daddr) {
  PacketSpec outer;
  outer.saddr = ipv4(192, 0, 2, 254);  // a router
  outer.daddr = ipv4(10, 0, 2, 100);
  outer.ttl = 60;
  const auto error = build_frame(icmp_error(outer, datagram(build_frame(before), quoted_len), kIcmpDestUnreachable, 3));
  Buffer b(error, 0);
  ASSERT_TRUE(b.view.is_icmp_error());
  lb::translate_icmp_error(b.view, {after.saddr, after.daddr, htons(after.sport), htons(after.dport)}, saddr, daddr);
  PacketSpec want_outer = outer;
  want_outer.saddr = saddr;
  want_outer.daddr = daddr;
  const auto want = build_frame(icmp_error(want_outer, datagram(build_frame(after), quoted_len), kIcmpDestUnreachable, 3));
  EXPECT_EQ(b.out(), want) << "quoted " << quoted_len;
  EXPECT_TRUE(checksums_valid(b.out())) << "quoted " << quoted_len;
}

TEST(Encap, IcmpErrorTranslationBothDirections) {
  const uint32_t cip = ipv4(198, 51, 100, 7), vip = ipv4(203, 0, 113, 10), lip = ipv4(10, 0, 2, 100),
                 rip = ipv4(10, 0, 2, 11);
  for (uint8_t proto : {kIpProtoTcp, kIpProtoUdp}) {
    SCOPED_TRACE(int(proto));
    // fullnat, error from the server side: it quotes LIP:1024 -> RIP:8080; the client must
    // see one about CIP:40000 -> VIP:80, from VIP to CIP.
    PacketSpec sent;
    sent.protocol = proto;
    sent.saddr = lip, sent.daddr = rip, sent.sport = 1024, sent.dport = 8080;
    sent.ttl = 63;
    sent.payload.assign(30, 0x11);
    PacketSpec as_client = sent;
    as_client.saddr = cip, as_client.daddr = vip, as_client.sport = 40000, as_client.dport = 80;
    for (size_t quoted : {size_t{28}, size_t{36}, size_t{40}, size_t{48}, size_t{500}})
      expect_translation(sent, as_client, quoted, vip, cip);
    // nat, error from the client side: it quotes VIP:80 -> CIP:40000; the server must see one
    // about RIP:8080 -> CIP:40000, sent to RIP.
    PacketSpec reply = sent;
    reply.saddr = vip, reply.daddr = cip, reply.sport = 80, reply.dport = 40000;
    PacketSpec as_server = reply;
    as_server.saddr = rip, as_server.sport = 8080;
    for (size_t quoted : {size_t{28}, size_t{48}, size_t{500}}) expect_translation(reply, as_server, quoted, cip, rip);
  }
  // A quoted UDP datagram sent without a checksum keeps none.
  PacketSpec none;
  none.protocol = kIpProtoUdp;
  none.udp_no_checksum = true;
  none.payload.assign(4, 1);
  PacketSpec none_after = none;
  none_after.saddr = cip, none_after.sport = 5353;
  expect_translation(none, none_after, 500, vip, cip);
}
}  // namespace
