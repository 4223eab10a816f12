// test/native/ndp_test.cc — io/ndp.h on a table of frames built independently
// (packet_builder6.h): neighbour solicitations and advertisements parse (untagged and with one
// VLAN tag), and what RFC 4861 7.1 says to ignore does not (hop limit below 255, a code, a bad
// checksum, a multicast target, options of length 0 or past the end, duplicate address
// detection with a link address, other ICMPv6, truncation at every length); a solicitation
// answered in place becomes the advertisement a host sends (to the asker, or to all nodes for
// duplicate address detection), tag kept; built solicitations and announcements are byte for
// byte what Linux sends; the solicited-node group and the EUI-64 link-local address.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "io/ndp.h"
#include "packet_builder6.h"

namespace {
namespace ndp = xvs::io::ndp;
namespace core = xvs::core;
using xvs::test::build_frame6;
using xvs::test::ipv6;
using xvs::test::Mac;
using xvs::test::mac_of;
using xvs::test::Packet6Spec;

const Mac kAsker = mac_of(2, 0, 0, 0, 0, 0x0a);
const Mac kOurs = mac_of(2, 0, 0, 0, 0, 0x01);
const core::Ipv6Address kAskerIp = ipv6({0x2001, 0xdb8, 0x202, 0, 0, 0, 0, 0x11});
const core::Ipv6Address kLip = ipv6({0x2001, 0xdb8, 0x202, 0, 0, 0, 0xab, 0xcd12});
const core::Ipv6Address kAllNodes = ipv6({0xff02, 0, 0, 0, 0, 0, 0, 1});

std::vector<uint8_t> link_option(uint8_t type, const Mac& mac) {
  std::vector<uint8_t> o = {type, 1};
  o.insert(o.end(), mac.begin(), mac.end());
  return o;
}

// An ICMPv6 neighbour discovery message: `type`, `flags` (the byte after the checksum), `target`,
// then `options`.
Packet6Spec message(uint8_t type, uint8_t flags, const core::Ipv6Address& target, const std::vector<uint8_t>& options) {
  Packet6Spec s;
  s.protocol = core::kIpProtoIcmpv6;
  s.icmp_type = type;
  s.icmp_rest = static_cast<uint32_t>(flags) << 24;
  s.hop_limit = 255;
  s.flow_label = 0;
  s.payload.assign(target.bytes, target.bytes + 16);
  s.payload.insert(s.payload.end(), options.begin(), options.end());
  return s;
}

// What a host sends to resolve the LIP: to its solicited-node group, with its own link address.
Packet6Spec solicitation() {
  Packet6Spec s = message(ndp::kNeighbourSolicit, 0, kLip, link_option(ndp::kOptionSourceLink, kAsker));
  s.src_mac = kAsker;
  s.dst_mac = mac_of(0x33, 0x33, 0xff, 0xab, 0xcd, 0x12);
  s.saddr = kAskerIp;
  s.daddr = ipv6({0xff02, 0, 0, 0, 0, 1, 0xffab, 0xcd12});
  return s;
}

std::vector<uint8_t> tagged(std::vector<uint8_t> f) {
  const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x07};
  f.insert(f.begin() + 12, tag, tag + 4);
  return f;
}

TEST(Ndp, SolicitationsParseUntaggedAndTagged) {
  for (bool vlan : {false, true}) {
    std::vector<uint8_t> f = build_frame6(solicitation());
    if (vlan) f = tagged(f);
    ndp::View v;
    ASSERT_TRUE(ndp::parse(f.data(), static_cast<uint32_t>(f.size()), v)) << "vlan " << vlan;
    EXPECT_EQ(v.l3, vlan ? 18u : 14u);
    EXPECT_EQ(v.type, ndp::kNeighbourSolicit);
    EXPECT_EQ(v.source, kAskerIp);
    EXPECT_EQ(v.target, kLip);
    ASSERT_TRUE(v.has_link);
    EXPECT_EQ(std::memcmp(v.link, kAsker.data(), 6), 0);
  }
}

TEST(Ndp, AdvertisementsParseWithTheirFlagsAndTargetLinkAddress) {
  Packet6Spec s = message(ndp::kNeighbourAdvert, ndp::kFlagSolicited | ndp::kFlagOverride, kAskerIp,
                          link_option(ndp::kOptionTargetLink, kAsker));
  s.saddr = kAskerIp;
  s.daddr = kLip;
  std::vector<uint8_t> f = build_frame6(s);
  ndp::View v;
  ASSERT_TRUE(ndp::parse(f.data(), static_cast<uint32_t>(f.size()), v));
  EXPECT_EQ(v.type, ndp::kNeighbourAdvert);
  EXPECT_EQ(v.flags, ndp::kFlagSolicited | ndp::kFlagOverride);
  EXPECT_EQ(v.target, kAskerIp);
  ASSERT_TRUE(v.has_link);
  EXPECT_EQ(std::memcmp(v.link, kAsker.data(), 6), 0);
  // A source link option in an advertisement is not the target's.
  Packet6Spec other = message(ndp::kNeighbourAdvert, ndp::kFlagSolicited, kAskerIp, link_option(ndp::kOptionSourceLink, kAsker));
  other.saddr = kAskerIp, other.daddr = kLip;
  f = build_frame6(other);
  ASSERT_TRUE(ndp::parse(f.data(), static_cast<uint32_t>(f.size()), v));
  EXPECT_FALSE(v.has_link);
}

TEST(Ndp, WhatRfc4861SaysToIgnoreDoesNotParse) {
  struct Row {
    const char* what;
    void (*edit)(Packet6Spec&);
    void (*corrupt)(std::vector<uint8_t>&);
  };
  const Row rows[] = {
      {"hop limit 254 (it crossed a router)", [](Packet6Spec& s) { s.hop_limit = 254; }, nullptr},
      {"code 1", [](Packet6Spec& s) { s.icmp_code = 1; }, nullptr},
      {"a multicast target", [](Packet6Spec& s) { std::memcpy(s.payload.data(), kAllNodes.bytes, 16); }, nullptr},
      {"an option of length 0", [](Packet6Spec& s) { s.payload[17] = 0; }, nullptr},
      {"an option past the end", [](Packet6Spec& s) { s.payload[17] = 2; }, nullptr},
      {"duplicate address detection with a link address", [](Packet6Spec& s) { s.saddr = core::Ipv6Address{}; }, nullptr},
      {"an echo request", [](Packet6Spec& s) { s.icmp_type = 128; }, nullptr},
      {"UDP", [](Packet6Spec& s) { s.protocol = core::kIpProtoUdp; }, nullptr},
      {"a bad checksum", nullptr, [](std::vector<uint8_t>& f) { f[14 + 40 + 2] ^= 1; }},
      {"a payload length past the frame", nullptr, [](std::vector<uint8_t>& f) { f[14 + 5] += 8; }},
      {"IPv4's ethertype", nullptr, [](std::vector<uint8_t>& f) { f[12] = 0x08, f[13] = 0x00; }},
  };
  for (const Row& r : rows) {
    Packet6Spec s = solicitation();
    if (r.edit) r.edit(s);
    std::vector<uint8_t> f = build_frame6(s);
    if (r.corrupt) r.corrupt(f);
    ndp::View v;
    EXPECT_FALSE(ndp::parse(f.data(), static_cast<uint32_t>(f.size()), v)) << r.what;
  }
  const std::vector<uint8_t> whole = build_frame6(solicitation());
  for (uint32_t len = 0; len < whole.size(); ++len) {
    ndp::View v;
    EXPECT_FALSE(ndp::parse(whole.data(), len, v)) << "cut at " << len;
  }
  // Duplicate address detection itself (no link address) parses.
  Packet6Spec dad = message(ndp::kNeighbourSolicit, 0, kLip, {});
  dad.daddr = ipv6({0xff02, 0, 0, 0, 0, 1, 0xffab, 0xcd12});
  std::vector<uint8_t> f = build_frame6(dad);
  ndp::View v;
  EXPECT_TRUE(ndp::parse(f.data(), static_cast<uint32_t>(f.size()), v));
}

TEST(Ndp, ASolicitationIsAnsweredInPlaceAsAHostAnswers) {
  Packet6Spec want = message(ndp::kNeighbourAdvert, ndp::kFlagSolicited | ndp::kFlagOverride, kLip,
                             link_option(ndp::kOptionTargetLink, kOurs));
  want.src_mac = kOurs, want.dst_mac = kAsker;
  want.saddr = kLip, want.daddr = kAskerIp;
  for (bool vlan : {false, true}) {
    std::vector<uint8_t> f = build_frame6(solicitation());
    if (vlan) f = tagged(f);
    ndp::View v;
    ASSERT_TRUE(ndp::parse(f.data(), static_cast<uint32_t>(f.size()), v));
    std::vector<uint8_t> buffer(f);
    buffer.resize(256);
    const uint32_t len = ndp::answer_in_place(buffer.data(), static_cast<uint32_t>(buffer.size()), v, kOurs.data());
    buffer.resize(len);
    std::vector<uint8_t> expected = build_frame6(want);
    if (vlan) expected = tagged(expected);
    EXPECT_EQ(buffer, expected) << "vlan " << vlan;
    EXPECT_EQ(ndp::answer_in_place(f.data(), len - 1, v, kOurs.data()), 0u) << "no room";
  }
}

TEST(Ndp, DuplicateAddressDetectionIsAnsweredToAllNodes) {
  Packet6Spec dad = message(ndp::kNeighbourSolicit, 0, kLip, {});
  dad.src_mac = kAsker;
  dad.daddr = ipv6({0xff02, 0, 0, 0, 0, 1, 0xffab, 0xcd12});
  std::vector<uint8_t> f = build_frame6(dad);
  ndp::View v;
  ASSERT_TRUE(ndp::parse(f.data(), static_cast<uint32_t>(f.size()), v));
  f.resize(256);
  f.resize(ndp::answer_in_place(f.data(), static_cast<uint32_t>(f.size()), v, kOurs.data()));
  Packet6Spec want = message(ndp::kNeighbourAdvert, ndp::kFlagOverride, kLip, link_option(ndp::kOptionTargetLink, kOurs));
  want.src_mac = kOurs, want.dst_mac = mac_of(0x33, 0x33, 0, 0, 0, 1);
  want.saddr = kLip, want.daddr = kAllNodes;
  EXPECT_EQ(f, build_frame6(want));
}

TEST(Ndp, BuiltSolicitationsAndAnnouncementsAreWhatLinuxSends) {
  std::vector<uint8_t> f(ndp::kFrameLength);
  ASSERT_EQ(ndp::build_solicit(f.data(), kAsker.data(), kAskerIp, kLip), ndp::kFrameLength);
  EXPECT_EQ(f, build_frame6(solicitation()));
  ndp::View v;
  EXPECT_TRUE(ndp::parse(f.data(), static_cast<uint32_t>(f.size()), v));

  ASSERT_EQ(ndp::build_announcement(f.data(), kOurs.data(), kLip), ndp::kFrameLength);
  Packet6Spec want = message(ndp::kNeighbourAdvert, ndp::kFlagOverride, kLip, link_option(ndp::kOptionTargetLink, kOurs));
  want.src_mac = kOurs, want.dst_mac = mac_of(0x33, 0x33, 0, 0, 0, 1);
  want.saddr = kLip, want.daddr = kAllNodes;
  EXPECT_EQ(f, build_frame6(want));
}

TEST(Ndp, SolicitedNodeGroupAndLinkLocalAddress) {
  EXPECT_EQ(ndp::solicited_node(kLip), ipv6({0xff02, 0, 0, 0, 0, 1, 0xffab, 0xcd12}));
  EXPECT_EQ(ndp::link_local(kOurs.data()), ipv6({0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 1})) << "the universal/local bit flipped";
  const Mac universal = mac_of(0x00, 0x1b, 0x21, 0x3a, 0x4b, 0x5c);
  EXPECT_EQ(ndp::link_local(universal.data()), ipv6({0xfe80, 0, 0, 0, 0x021b, 0x21ff, 0xfe3a, 0x4b5c}));
}

}  // namespace
