// test/native/parse_test.cc — parse_packet: exact views of valid frames, pass for not-ours, each malformed class by its counter, no overreads.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>

#include "core/parse.h"
#include "packet_builder.h"

namespace {
using namespace xvs::core;
using xvs::abi::Counter;
using xvs::test::build_frame;
using xvs::test::ip_of;
using xvs::test::PacketSpec;

PacketSpec tcp_spec(uint32_t payload = 0) {
  PacketSpec s;
  s.tcp_flags = kTcpSyn | kTcpAck;
  s.payload.assign(payload, 0xab);
  return s;
}
PacketSpec udp_spec(uint32_t payload = 0) {
  PacketSpec s;
  s.protocol = kIpProtoUdp;
  s.sport = 5353;
  s.dport = 53;
  s.payload.assign(payload, 0xcd);
  return s;
}

ParseResult parse(std::vector<uint8_t>& f, PacketView& v) { return parse_packet(f.data(), static_cast<uint32_t>(f.size()), v); }

// Parses and checks the verdict; on a drop also the exact counter.
::testing::AssertionResult parses_as(std::vector<uint8_t> f, ParseStatus status, Counter why = Counter::count_) {
  PacketView v{};
  const ParseResult r = parse(f, v);
  if (r.status != status)
    return ::testing::AssertionFailure() << "status " << int(r.status) << ", want " << int(status) << " (len " << f.size() << ")";
  if (status == ParseStatus::drop && r.drop_reason != why)
    return ::testing::AssertionFailure() << "drop reason " << xvs::abi::kCounterInfo[uint32_t(r.drop_reason)].name << ", want "
                                         << xvs::abi::kCounterInfo[uint32_t(why)].name << " (len " << f.size() << ")";
  return ::testing::AssertionSuccess();
}

TEST(Parse, ValidTcpView) {
  auto spec = tcp_spec(11);
  spec.ip_option_words = 2;
  spec.tcp_option_words = 3;
  auto f = build_frame(spec);
  PacketView v{};
  ASSERT_EQ(parse(f, v).status, ParseStatus::ok);
  EXPECT_EQ(v.frame, f.data());
  EXPECT_EQ(v.frame_len, f.size());
  EXPECT_EQ(reinterpret_cast<uint8_t*>(v.eth), f.data());
  EXPECT_EQ(reinterpret_cast<uint8_t*>(v.ip), f.data() + 14);
  EXPECT_EQ(v.l4_offset, 14u + 28u);
  EXPECT_EQ(v.l4_len, 32u + 11u);
  EXPECT_EQ(v.protocol, kIpProtoTcp);
  EXPECT_EQ(v.tcp_flags, kTcpSyn | kTcpAck);
  EXPECT_FALSE(v.fragment);
  EXPECT_EQ(v.l4, f.data() + 42);
  EXPECT_EQ(v.checksum_offset, 16);
  EXPECT_EQ(ntohs(v.sport()), 40000);
  EXPECT_EQ(ntohs(v.dport()), 80);
  uint16_t stored;
  std::memcpy(&stored, f.data() + 42 + 16, 2);
  EXPECT_EQ(v.l4_checksum(), stored);
}

TEST(Parse, ValidUdpViewAndWritersReachTheFrame) {
  auto f = build_frame(udp_spec(5));
  PacketView v{};
  ASSERT_EQ(parse(f, v).status, ParseStatus::ok);
  EXPECT_EQ(v.l4_offset, 34u);
  EXPECT_EQ(v.l4_len, 13u);
  EXPECT_EQ(v.protocol, kIpProtoUdp);
  EXPECT_EQ(v.tcp_flags, 0);
  EXPECT_EQ(v.checksum_offset, 6);
  EXPECT_EQ(ntohs(v.sport()), 5353);
  EXPECT_EQ(ntohs(v.dport()), 53);
  v.set_ports(htons(1111), htons(2222));
  v.set_l4_checksum(htons(0xbeef));
  EXPECT_EQ(f[34], 0x04);
  EXPECT_EQ(f[35], 0x57);
  EXPECT_EQ(f[36], 0x08);
  EXPECT_EQ(f[37], 0xae);
  EXPECT_EQ(f[40], 0xbe);
  EXPECT_EQ(f[41], 0xef);
}

// Frames longer than the datagram carry Ethernet padding: accepted, l4_len from total length.
TEST(Parse, EthernetPaddingIsAcceptedAndIgnored) {
  for (const auto& spec : {tcp_spec(0), udp_spec(2)}) {
    auto f = build_frame(spec);
    const uint32_t datagram = static_cast<uint32_t>(f.size()) - 14;
    f.resize(60, 0xee);
    PacketView v{};
    ASSERT_EQ(parse(f, v).status, ParseStatus::ok);
    EXPECT_EQ(v.frame_len, 60u);
    EXPECT_EQ(v.l4_len, datagram - 20);
  }
}

struct DropCase {
  const char* name;
  PacketSpec spec;
  std::function<void(std::vector<uint8_t>&)> mutate;
  Counter counter;
};

void set_total(std::vector<uint8_t>& f, uint16_t total) { ip_of(f)->total_length = htons(total); }

TEST(Parse, EveryMalformedClassDropsWithItsCounter) {
  auto tcp_options = tcp_spec(40);
  tcp_options.ip_option_words = 1;
  const std::vector<DropCase> cases = {
      {"ip version 6", tcp_spec(), [](auto& f) { f[14] = 0x65; }, Counter::drop_bad_ip_header},
      {"ip version 0", tcp_spec(), [](auto& f) { f[14] = 0x05; }, Counter::drop_bad_ip_header},
      {"ihl 4", tcp_spec(), [](auto& f) { f[14] = 0x44; }, Counter::drop_bad_ip_header},
      {"ihl 0", tcp_spec(), [](auto& f) { f[14] = 0x40; }, Counter::drop_bad_ip_header},
      {"ihl 15 beyond the frame", tcp_spec(), [](auto& f) { f[14] = 0x4f; }, Counter::drop_truncated_ip},
      {"total length < 20", tcp_spec(), [](auto& f) { set_total(f, 19); }, Counter::drop_bad_ip_length},
      {"total length < ihl (options)", tcp_options, [](auto& f) { set_total(f, 22); }, Counter::drop_bad_ip_length},
      {"total length 0", udp_spec(), [](auto& f) { set_total(f, 0); }, Counter::drop_bad_ip_length},
      {"total length > frame", tcp_spec(4), [](auto& f) { set_total(f, uint16_t(f.size() - 13)); }, Counter::drop_bad_ip_length},
      {"tcp data offset 4", tcp_spec(8), [](auto& f) { f[46] = 0x40; }, Counter::drop_bad_tcp_header},
      {"tcp data offset 0", tcp_spec(8), [](auto& f) { f[46] = 0x00; }, Counter::drop_bad_tcp_header},
      {"tcp data offset 6, payload 0", tcp_spec(0), [](auto& f) { f[46] = 0x60; }, Counter::drop_bad_tcp_header},
      {"tcp data offset 15, payload 39", tcp_spec(39), [](auto& f) { f[46] = 0xf0; }, Counter::drop_bad_tcp_header},
      {"tcp payload 19 bytes", tcp_spec(), [](auto& f) { set_total(f, 39); }, Counter::drop_truncated_l4},
      {"udp payload 7 bytes", udp_spec(), [](auto& f) { set_total(f, 27); }, Counter::drop_truncated_l4},
      {"udp payload 0 bytes", udp_spec(), [](auto& f) { set_total(f, 20); }, Counter::drop_truncated_l4},
      {"first fragment too short for tcp", [] { auto s = tcp_spec(); s.frag_off = kIpFlagMoreFragments; return s; }(),
       [](auto& f) { set_total(f, 30); }, Counter::drop_truncated_l4},
  };
  for (const auto& c : cases) {
    auto f = build_frame(c.spec);
    c.mutate(f);
    EXPECT_TRUE(parses_as(f, ParseStatus::drop, c.counter)) << c.name;
  }
  // Valid boundaries next to the drops: data offset exactly the payload, UDP of exactly 8.
  auto exact = build_frame(tcp_spec(4));
  exact[46] = 0x60;
  EXPECT_TRUE(parses_as(exact, ParseStatus::ok));
  EXPECT_TRUE(parses_as(build_frame(udp_spec(0)), ParseStatus::ok));
}

// Cut a frame at every length below its full header set. Two flavours: the IPv4 total length
// still claims the whole datagram (a frame cut in transit), or it was fixed to match the cut.
void expect_truncations(const PacketSpec& spec, uint32_t l4_header) {
  const auto full = build_frame(spec);
  const uint32_t ihl = 20 + spec.ip_option_words * 4u;
  const uint32_t headers = 14 + ihl + l4_header;
  ASSERT_LE(headers, full.size());
  for (uint32_t len = 0; len < headers; ++len) {
    SCOPED_TRACE("cut at " + std::to_string(len));
    std::vector<uint8_t> cut(full.begin(), full.begin() + len);  // exact size: ASan sees any overread
    Counter want = len < 14 ? Counter::drop_truncated_l2 : len < 14 + ihl ? Counter::drop_truncated_ip : Counter::drop_bad_ip_length;
    EXPECT_TRUE(parses_as(cut, ParseStatus::drop, want));
    if (len >= 14 + ihl) {
      set_total(cut, static_cast<uint16_t>(len - 14));
      EXPECT_TRUE(parses_as(cut, ParseStatus::drop, Counter::drop_truncated_l4));
    }
  }
  // At exactly the header set the frame parses, once the total length agrees.
  std::vector<uint8_t> whole(full.begin(), full.begin() + headers);
  set_total(whole, static_cast<uint16_t>(headers - 14));
  EXPECT_TRUE(parses_as(whole, ParseStatus::ok));
}

TEST(Parse, TruncatedAtEveryLength) {
  expect_truncations(tcp_spec(), 20);
  expect_truncations(udp_spec(), 8);
  auto options = tcp_spec(3);
  options.ip_option_words = 3;
  expect_truncations(options, 20);
}

TEST(Parse, NotOursPasses) {
  for (uint16_t type : {uint16_t{0x0806}, uint16_t{0x86dd}, uint16_t{0x88a8}, uint16_t{0x88cc}}) {
    auto spec = tcp_spec();
    spec.ethertype = type;
    EXPECT_TRUE(parses_as(build_frame(spec), ParseStatus::pass)) << std::hex << type;
    spec.vlan_tags = {7};  // behind a tag too
    EXPECT_TRUE(parses_as(build_frame(spec), ParseStatus::pass)) << std::hex << type;
  }
  std::vector<uint8_t> bare(14, 0);
  bare[12] = 0x08, bare[13] = 0x06;  // an ARP header with nothing after it still passes
  EXPECT_TRUE(parses_as(bare, ParseStatus::pass));
  for (uint8_t proto : {uint8_t{4}, uint8_t{47}, uint8_t{132}}) {  // IPIP, GRE, SCTP
    auto spec = tcp_spec();
    spec.protocol = proto;
    spec.payload.assign(8, 0);
    auto f = build_frame(spec);
    PacketView v{};
    EXPECT_EQ(parse(f, v).status, ParseStatus::pass) << int(proto);
    EXPECT_EQ(v.l4, nullptr);
  }
}

TEST(Parse, Fragments) {
  auto first = tcp_spec(100);
  first.frag_off = kIpFlagMoreFragments;
  auto f = build_frame(first);
  PacketView v{};
  ASSERT_EQ(parse(f, v).status, ParseStatus::ok);
  EXPECT_TRUE(v.fragment);
  ASSERT_NE(v.l4, nullptr);
  EXPECT_EQ(ntohs(v.sport()), 40000);
  EXPECT_EQ(ntohs(v.dport()), 80);

  // Later fragments (with or without MF), even ones too short for a header: no L4 view.
  for (uint16_t frag : {uint16_t(kIpFlagMoreFragments | 185), uint16_t{185}, uint16_t{1}}) {
    for (uint32_t payload : {0u, 4u, 100u}) {
      auto later = udp_spec();
      later.frag_off = frag;
      auto g = build_frame(later);
      set_total(g, static_cast<uint16_t>(20 + payload));
      g.resize(14 + 20 + payload);
      PacketView w{};
      ASSERT_EQ(parse(g, w).status, ParseStatus::ok) << frag << "/" << payload;
      EXPECT_TRUE(w.fragment);
      EXPECT_EQ(w.l4, nullptr);
      EXPECT_EQ(w.l4_len, payload);
    }
  }
  // Don't-fragment is not a fragment.
  auto df = udp_spec(3);
  df.frag_off = kIpFlagDontFragment;
  auto h = build_frame(df);
  PacketView d{};
  ASSERT_EQ(parse(h, d).status, ParseStatus::ok);
  EXPECT_FALSE(d.fragment);
}

// Random and mutated frames of random lengths: every result is self-consistent and nothing is
// read outside the frame (build with -fsanitize=address,undefined to make that an error).
TEST(Parse, RandomBuffersStayInBounds) {
  std::mt19937 rng(7);
  std::map<int, int> seen;  // drop counter (or -1 ok, -2 pass) -> count
  for (int round = 0; round < 200000; ++round) {
    std::vector<uint8_t> f;
    if (round % 3 == 1) {
      f = build_frame(xvs::test::random_packet(rng));
      f.resize(rng() % (f.size() + 8));
      for (int flips = rng() % 4; flips-- > 0 && !f.empty();) f[rng() % std::min<size_t>(f.size(), 80)] = static_cast<uint8_t>(rng());
    } else if (round % 3 == 2) {
      // ICMP errors (sometimes tagged) quoting a random packet cut anywhere, then mutated.
      auto quoted = build_frame(xvs::test::random_packet(rng));
      PacketSpec e = xvs::test::icmp_error(PacketSpec{}, xvs::test::datagram(quoted, rng() % 80), static_cast<uint8_t>(rng() % 13));
      if (rng() % 4 == 0) e.vlan_tags = {static_cast<uint16_t>(rng())};
      f = build_frame(e);
      f.resize(rng() % (f.size() + 8));
      for (int flips = rng() % 3; flips-- > 0 && !f.empty();) f[rng() % f.size()] = static_cast<uint8_t>(rng());
    } else {
      f.resize(rng() % 128);
      for (auto& b : f) b = static_cast<uint8_t>(rng());
      if (f.size() > 14 && rng() % 4) f[12] = 0x08, f[13] = 0x00;
      if (f.size() > 14 && rng() % 2) f[14] = static_cast<uint8_t>(0x40 | (rng() % 16));
      if (f.size() > 23 && rng() % 2) f[23] = rng() % 2 ? kIpProtoTcp : kIpProtoUdp;
    }
    PacketView v{};
    const ParseResult r = parse(f, v);
    const uint32_t len = static_cast<uint32_t>(f.size());
    if (r.status == ParseStatus::drop) {
      ++seen[int(r.drop_reason)];
      continue;
    }
    ++seen[r.status == ParseStatus::ok ? -1 : -2];
    if (r.status == ParseStatus::pass) continue;
    ASSERT_TRUE(v.l3_offset == 14 || v.l3_offset == 18);
    ASSERT_EQ(reinterpret_cast<uint8_t*>(v.ip), f.data() + v.l3_offset);
    ASSERT_LE(v.l4_offset + v.l4_len, len);
    ASSERT_TRUE(v.protocol == kIpProtoTcp || v.protocol == kIpProtoUdp || v.protocol == kIpProtoIcmp);
    if (v.l4 == nullptr) {
      ASSERT_TRUE(v.fragment);
      continue;
    }
    ASSERT_EQ(v.l4, f.data() + v.l4_offset);
    const uint32_t hdr = v.protocol == kIpProtoTcp ? (v.l4[12] >> 4) * 4u : 8u;
    ASSERT_GE(hdr, v.protocol == kIpProtoTcp ? 20u : 8u);
    ASSERT_LE(hdr, v.l4_len);
    if (v.is_icmp_error()) {
      ASSERT_EQ(reinterpret_cast<uint8_t*>(v.quoted.ip), v.l4 + 8);
      ASSERT_EQ(v.quoted.l4, v.l4 + 8 + v.quoted.ip->header_length());
      ASSERT_GE(v.quoted.l4_len, 8u);
      ASSERT_LE(v.quoted.l4 + v.quoted.l4_len, f.data() + v.l4_offset + v.l4_len);
      ++seen[-3];
    }
  }
  for (Counter c : {Counter::drop_truncated_l2, Counter::drop_truncated_ip, Counter::drop_bad_ip_header,
                    Counter::drop_bad_ip_length, Counter::drop_truncated_l4, Counter::drop_bad_tcp_header,
                    Counter::drop_bad_icmp})
    EXPECT_GT(seen[int(c)], 0) << xvs::abi::kCounterInfo[uint32_t(c)].name;
  EXPECT_GT(seen[-1], 1000);
  EXPECT_GT(seen[-2], 1000);
  EXPECT_GT(seen[-3], 100) << "ICMP errors with a quoted packet";
  EXPECT_EQ(seen.size(), 10u) << "a drop reason outside parse's own set";
}
}  // namespace
