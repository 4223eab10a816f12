// test/native/parse_icmp_vlan_test.cc — parse_packet on 802.1Q-tagged frames and ICMP: echo, errors with their quoted packet, and each malformed ICMP class by its counter.
#include <gtest/gtest.h>

#include "core/parse.h"
#include "packet_builder.h"

namespace {
using namespace xvs::core;
using xvs::abi::Counter;
using xvs::test::build_frame;
using xvs::test::datagram;
using xvs::test::icmp_error;
using xvs::test::PacketSpec;

ParseResult parse(std::vector<uint8_t>& f, PacketView& v) {
  v = PacketView{};
  return parse_packet(f.data(), static_cast<uint32_t>(f.size()), v);
}

TEST(ParseVlan, OneTagShiftsEveryOffsetByFour) {
  PacketSpec s;
  s.vlan_tags = {0x2064};  // priority 1, VLAN 100
  s.ip_option_words = 1;
  s.payload.assign(5, 1);
  auto f = build_frame(s);
  ASSERT_EQ(f.size(), 18u + 24 + 20 + 5);
  EXPECT_EQ(f[12], 0x81);
  EXPECT_EQ(f[13], 0x00);
  EXPECT_EQ(f[14], 0x20);
  EXPECT_EQ(f[15], 0x64);
  EXPECT_EQ(f[16], 0x08);
  EXPECT_EQ(f[17], 0x00);
  PacketView v;
  ASSERT_EQ(parse(f, v).status, ParseStatus::ok);
  EXPECT_EQ(v.l3_offset, 18u);
  EXPECT_EQ(reinterpret_cast<uint8_t*>(v.eth), f.data());
  EXPECT_EQ(reinterpret_cast<uint8_t*>(v.ip), f.data() + 18);
  EXPECT_EQ(v.l4_offset, 18u + 24);
  EXPECT_EQ(v.l4, f.data() + 42);
  EXPECT_EQ(v.l4_len, 25u);
  EXPECT_EQ(ntohs(v.sport()), 40000);
  EXPECT_EQ(v.tcp_flags, kTcpSyn);

  PacketSpec plain = s;
  plain.vlan_tags.clear();
  auto g = build_frame(plain);
  PacketView w;
  ASSERT_EQ(parse(g, w).status, ParseStatus::ok);
  EXPECT_EQ(w.l3_offset, 14u);
  EXPECT_EQ(std::vector<uint8_t>(f.begin() + 18, f.end()), std::vector<uint8_t>(g.begin() + 14, g.end()));
}

TEST(ParseVlan, DoubleTagsPassAndCutTagsDrop) {
  PacketSpec s;
  s.vlan_tags = {10, 20};
  auto f = build_frame(s);
  PacketView v;
  EXPECT_EQ(parse(f, v).status, ParseStatus::pass) << "QinQ is the kernel's";
  f[12] = 0x88, f[13] = 0xa8;  // 802.1ad outer tag
  EXPECT_EQ(parse(f, v).status, ParseStatus::pass);

  PacketSpec one;
  one.vlan_tags = {10};
  const auto full = build_frame(one);
  for (uint32_t len = 14; len < 18; ++len) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + len);
    const ParseResult r = parse(cut, v);
    EXPECT_EQ(r.status, ParseStatus::drop) << len;
    EXPECT_EQ(r.drop_reason, Counter::drop_truncated_l2) << len;
  }
  for (uint32_t len = 18; len < 18 + 20; ++len) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + len);
    const ParseResult r = parse(cut, v);
    EXPECT_EQ(r.status, ParseStatus::drop) << len;
    EXPECT_EQ(r.drop_reason, Counter::drop_truncated_ip) << len;
  }
}

TEST(ParseIcmp, EchoIsOkWithoutQuotedPacket) {
  PacketSpec s;
  s.protocol = kIpProtoIcmp;
  s.icmp_type = 8;
  s.icmp_rest_hi = 0x1234;
  s.icmp_rest_lo = 7;
  s.payload.assign(56, 0x5a);
  auto f = build_frame(s);
  EXPECT_TRUE(xvs::test::checksums_valid(f));
  PacketView v;
  ASSERT_EQ(parse(f, v).status, ParseStatus::ok);
  EXPECT_EQ(v.protocol, kIpProtoIcmp);
  EXPECT_EQ(v.l4, f.data() + 34);
  EXPECT_EQ(v.l4_len, 64u);
  EXPECT_EQ(v.checksum_offset, 2);
  EXPECT_EQ(v.tcp_flags, 0);
  EXPECT_EQ(v.quoted.ip, nullptr);
  EXPECT_FALSE(v.is_icmp_error());
  // Types that are not errors never look at a quoted packet, however short: echo reply,
  // redirect (5, not handled as an error), timestamp.
  for (uint8_t type : {uint8_t{0}, uint8_t{5}, uint8_t{13}}) {
    s.icmp_type = type;
    s.payload.clear();
    auto g = build_frame(s);
    ASSERT_EQ(parse(g, v).status, ParseStatus::ok) << int(type);
    EXPECT_EQ(v.quoted.ip, nullptr);
  }
}

TEST(ParseIcmp, ErrorsExposeTheQuotedHeaderAndPorts) {
  PacketSpec inner;  // what the balancer sent: VIP:80 -> client:40000, with IP options
  inner.saddr = xvs::test::ipv4(203, 0, 113, 10);
  inner.daddr = xvs::test::ipv4(198, 51, 100, 7);
  inner.sport = 80;
  inner.dport = 40000;
  inner.ip_option_words = 2;
  inner.payload.assign(100, 3);
  const auto inner_frame = build_frame(inner);
  for (uint8_t type : {kIcmpDestUnreachable, kIcmpSourceQuench, kIcmpTimeExceeded, kIcmpParameterProblem}) {
    for (size_t quoted_len : {size_t{28 + 8}, size_t{28 + 20}, size_t{500}}) {
      PacketSpec e = icmp_error(PacketSpec{}, datagram(inner_frame, quoted_len), type, 3);
      e.vlan_tags = {5};
      auto f = build_frame(e);
      PacketView v;
      ASSERT_EQ(parse(f, v).status, ParseStatus::ok) << int(type) << "/" << quoted_len;
      ASSERT_TRUE(v.is_icmp_error());
      const uint32_t have = static_cast<uint32_t>(std::min<size_t>(quoted_len, inner_frame.size() - 14));
      EXPECT_EQ(reinterpret_cast<uint8_t*>(v.quoted.ip), f.data() + 18 + 20 + 8);
      EXPECT_EQ(v.quoted.l4, f.data() + 18 + 20 + 8 + 28);
      EXPECT_EQ(v.quoted.l4_len, have - 28);
      EXPECT_EQ(v.quoted.protocol, kIpProtoTcp);
      EXPECT_EQ(ntohs(v.quoted.sport()), 80);
      EXPECT_EQ(ntohs(v.quoted.dport()), 40000);
      EXPECT_EQ(v.quoted.ip->saddr, inner.saddr);
      EXPECT_EQ(v.quoted.ip->daddr, inner.daddr);
    }
  }
}

TEST(ParseIcmp, MalformedIcmpDropsWithItsCounter) {
  PacketSpec inner;
  inner.protocol = kIpProtoUdp;
  const auto quoted = datagram(build_frame(inner));  // 28 bytes: header + UDP header
  struct Case {
    const char* name;
    std::vector<uint8_t> quoted;
    Counter counter;
  };
  auto with = [&](size_t at, uint8_t value) {
    auto q = quoted;
    q[at] = value;
    return q;
  };
  const std::vector<Case> cases = {
      {"nothing quoted", {}, Counter::drop_bad_icmp},
      {"quoted header cut at 19", datagram(build_frame(inner), 19), Counter::drop_bad_icmp},
      {"no 8 bytes after the quoted header", datagram(build_frame(inner), 27), Counter::drop_bad_icmp},
      {"quoted version 6", with(0, 0x65), Counter::drop_bad_icmp},
      {"quoted ihl 4", with(0, 0x44), Counter::drop_bad_icmp},
      {"quoted ihl 6 without 8 bytes after it", with(0, 0x46), Counter::drop_bad_icmp},
  };
  for (const Case& c : cases) {
    auto f = build_frame(icmp_error(PacketSpec{}, c.quoted));
    PacketView v;
    const ParseResult r = parse(f, v);
    EXPECT_EQ(r.status, ParseStatus::drop) << c.name;
    EXPECT_EQ(r.drop_reason, c.counter) << c.name;
  }
  // ICMP shorter than its 8-byte header, error or not.
  for (uint8_t type : {uint8_t{8}, kIcmpDestUnreachable}) {
    for (uint16_t icmp_len : {0, 4, 7}) {
      auto f = build_frame(icmp_error(PacketSpec{}, quoted, type));
      xvs::test::ip_of(f)->total_length = htons(static_cast<uint16_t>(20 + icmp_len));
      f.resize(14 + 20 + icmp_len);
      PacketView v;
      const ParseResult r = parse(f, v);
      EXPECT_EQ(r.status, ParseStatus::drop) << int(type) << "/" << icmp_len;
      EXPECT_EQ(r.drop_reason, Counter::drop_truncated_l4) << int(type) << "/" << icmp_len;
    }
  }
  // Exactly a header and 8 bytes is enough; the frame's padding is not counted.
  auto ok = build_frame(icmp_error(PacketSpec{}, quoted));
  ok.resize(ok.size() + 10, 0);
  PacketView v;
  ASSERT_EQ(parse(ok, v).status, ParseStatus::ok);
  EXPECT_EQ(v.quoted.l4_len, 8u);
}
}  // namespace
