// test/native/port_hold_blob_test.cc — the held-tuple state file's bytes (control/port_hold_blob.h):
// holds of every family (IPv4, IPv6, NAT64) round-trip, a format-1 file (IPv4 only, before IPv6)
// is still read, and what is not a list of holds is refused with a reason.
#include <gtest/gtest.h>

#include <cstring>

#include "control/port_hold_blob.h"
#include "packet_builder6.h"

namespace {
namespace control = xvs::control;
namespace core = xvs::core;
namespace lb = xvs::lb;
using xvs::test::ipv4;
using xvs::test::ipv6;

lb::PortHold hold(lb::HoldFamily family, uint16_t lport, uint32_t left) {
  lb::PortHold h{};
  h.family = family;
  h.protocol = core::kIpProtoTcp;
  h.seconds_left = left;
  h.client = {ipv4(198, 51, 100, 7), ipv4(203, 0, 113, 10), core::htons(40000), core::htons(80)};
  h.server = {ipv4(10, 0, 2, 11), ipv4(10, 0, 2, 100), core::htons(8080), core::htons(lport)};
  if (family != lb::HoldFamily::ipv4) {
    h.client = {0, 0, core::htons(40000), core::htons(80)};
    h.client6 = {ipv6({0x2001, 0xdb8, 0xc, 0, 0, 0, 0, 7}), ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 10}), core::htons(40000), core::htons(80)};
  }
  if (family == lb::HoldFamily::ipv6) {
    h.server = {0, 0, core::htons(8080), core::htons(lport)};
    h.server6 = {ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 11}), ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 100}), core::htons(8080), core::htons(lport)};
  }
  return h;
}

bool same(const lb::ConnTuple& a, const lb::ConnTuple& b) {
  return a.saddr == b.saddr && a.daddr == b.daddr && a.sport == b.sport && a.dport == b.dport;
}
bool same(const lb::ConnTuple6& a, const lb::ConnTuple6& b) {
  return a.saddr == b.saddr && a.daddr == b.daddr && a.sport == b.sport && a.dport == b.dport;
}

TEST(PortHoldBlob, EveryFamilyRoundTrips) {
  const std::vector<lb::PortHold> holds = {hold(lb::HoldFamily::ipv4, 1024, 30), hold(lb::HoldFamily::ipv6, 1025, 40),
                                           hold(lb::HoldFamily::nat64, 1026, 50)};
  const std::vector<uint8_t> bytes = control::encode_port_holds(holds);
  std::vector<lb::PortHold> back;
  ASSERT_EQ(control::decode_port_holds(bytes.data(), bytes.size(), back), "");
  ASSERT_EQ(back.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].family, holds[i].family);
    EXPECT_EQ(back[i].seconds_left, holds[i].seconds_left);
    EXPECT_EQ(back[i].protocol, holds[i].protocol);
    EXPECT_TRUE(same(back[i].client, holds[i].client)) << i;
    EXPECT_TRUE(same(back[i].server, holds[i].server)) << i;
    EXPECT_TRUE(same(back[i].client6, holds[i].client6)) << i;
    EXPECT_TRUE(same(back[i].server6, holds[i].server6)) << i;
  }
}

// A file the previous format wrote (an upgrade restarts with it): its IPv4 holds are kept.
TEST(PortHoldBlob, AFormatOneFileIsStillRead) {
  const control::PortHoldV1 old{{ipv4(198, 51, 100, 7), ipv4(203, 0, 113, 10), core::htons(40000), core::htons(80)},
                                {ipv4(10, 0, 2, 11), ipv4(10, 0, 2, 100), core::htons(8080), core::htons(2000)},
                                25,
                                core::kIpProtoTcp};
  const control::PortHoldBlobHeader h{control::kPortHoldMagic, 1, sizeof old, 1};
  std::vector<uint8_t> bytes(sizeof h + sizeof old);
  std::memcpy(bytes.data(), &h, sizeof h);
  std::memcpy(bytes.data() + sizeof h, &old, sizeof old);
  std::vector<lb::PortHold> back;
  ASSERT_EQ(control::decode_port_holds(bytes.data(), bytes.size(), back), "");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].family, lb::HoldFamily::ipv4);
  EXPECT_TRUE(same(back[0].server, old.server));
  EXPECT_TRUE(same(back[0].client, old.client));
  EXPECT_EQ(back[0].seconds_left, 25u);
}

TEST(PortHoldBlob, WhatIsNotAListOfHoldsIsRefusedWithAReason) {
  std::vector<uint8_t> bytes = control::encode_port_holds({hold(lb::HoldFamily::ipv6, 1025, 40)});
  std::vector<lb::PortHold> back;
  EXPECT_EQ(control::decode_port_holds(bytes.data(), 8, back), "shorter than its header");
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 1);
  EXPECT_NE(control::decode_port_holds(cut.data(), cut.size(), back).find("says 1 records"), std::string::npos);
  std::vector<uint8_t> version = bytes;
  version[4] = 9;
  EXPECT_NE(control::decode_port_holds(version.data(), version.size(), back).find("format 9"), std::string::npos);
  std::vector<uint8_t> family = bytes;
  family[sizeof(control::PortHoldBlobHeader) + offsetof(lb::PortHold, family)] = 7;
  EXPECT_EQ(control::decode_port_holds(family.data(), family.size(), back), "record 0 names address family 7");
  std::vector<uint8_t> magic = bytes;
  magic[0] ^= 1;
  EXPECT_NE(control::decode_port_holds(magic.data(), magic.size(), back).find("bad magic"), std::string::npos);
}

}  // namespace
