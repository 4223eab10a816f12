// test/native/arp_test.cc — io/arp.h on a table of frames: requests and replies parse (untagged
// and with one VLAN tag), everything that is not Ethernet/IPv4 ARP does not (other hardware or
// protocol types, wrong lengths, unknown opcodes, truncated at every length); a request answered
// in place becomes the reply a host would send, tag and length kept; a built request is what
// `arping` sends.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "io/arp.h"

namespace {
namespace arp = xvs::io::arp;

const uint8_t kAsker[6] = {0x02, 0, 0, 0, 0, 0x0a};
const uint8_t kOurs[6] = {0x02, 0, 0, 0, 0, 0x01};
constexpr uint32_t kAskerIp = 0x0201a8c0;  // 192.168.1.2, network order
constexpr uint32_t kVip = 0x0a01a8c0;      // 192.168.1.10

std::vector<uint8_t> request(bool vlan) {
  std::vector<uint8_t> f(arp::kMinFrame);
  arp::build_request(f.data(), kAsker, kAskerIp, kVip);
  if (vlan) {
    const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x07};
    f.insert(f.begin() + 12, tag, tag + 4);
    f[16] = 0x08;
    f[17] = 0x06;
  }
  return f;
}

TEST(Arp, RequestsParseUntaggedAndTagged) {
  for (bool vlan : {false, true}) {
    std::vector<uint8_t> f = request(vlan);
    arp::View v;
    ASSERT_TRUE(arp::parse(f.data(), static_cast<uint32_t>(f.size()), v)) << "vlan " << vlan;
    EXPECT_EQ(v.offset, vlan ? 18u : 14u);
    EXPECT_EQ(v.op, arp::kOpRequest);
    EXPECT_EQ(v.sender_ip, kAskerIp);
    EXPECT_EQ(v.target_ip, kVip);
    EXPECT_EQ(std::memcmp(v.sender_mac, kAsker, 6), 0);
  }
}

TEST(Arp, AnswerInPlaceIsTheReply) {
  for (bool vlan : {false, true}) {
    std::vector<uint8_t> f = request(vlan);
    const size_t len = f.size();
    arp::View v;
    ASSERT_TRUE(arp::parse(f.data(), static_cast<uint32_t>(len), v));
    arp::answer_in_place(f.data(), v, kOurs);
    EXPECT_EQ(f.size(), len);
    EXPECT_EQ(std::memcmp(f.data(), kAsker, 6), 0) << "to the asker";
    EXPECT_EQ(std::memcmp(f.data() + 6, kOurs, 6), 0) << "from us";
    if (vlan) {
      EXPECT_EQ(f[15], 0x07) << "tag kept";
    }
    arp::View r;
    ASSERT_TRUE(arp::parse(f.data(), static_cast<uint32_t>(len), r));
    EXPECT_EQ(r.op, arp::kOpReply);
    EXPECT_EQ(r.sender_ip, kVip);
    EXPECT_EQ(std::memcmp(r.sender_mac, kOurs, 6), 0);
    EXPECT_EQ(r.target_ip, kAskerIp);
    EXPECT_EQ(std::memcmp(r.target_mac, kAsker, 6), 0);
  }
}

TEST(Arp, BuiltRequestIsBroadcastAndPadded) {
  std::vector<uint8_t> f(arp::kMinFrame, 0xee);
  EXPECT_EQ(arp::build_request(f.data(), kOurs, 0, kAskerIp), arp::kMinFrame);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(f[i], 0xff);
  for (size_t i = 14 + arp::kArpLength; i < f.size(); ++i) EXPECT_EQ(f[i], 0) << "padding byte " << i;
  arp::View v;
  ASSERT_TRUE(arp::parse(f.data(), arp::kMinFrame, v));
  EXPECT_EQ(v.sender_ip, 0u) << "an ARP probe when the port has no address";
  for (uint8_t b : v.target_mac) EXPECT_EQ(b, 0);
}

TEST(Arp, EverythingElseDoesNotParse) {
  struct Case {
    const char* what;
    size_t byte;
    uint8_t value;
  };
  const Case cases[] = {
      {"IPv4 ethertype", 13, 0x00}, {"hardware type 6", 15, 6},     {"protocol IPv6", 16, 0x86},
      {"hardware length 8", 18, 8}, {"protocol length 16", 19, 16}, {"opcode 3 (RARP)", 21, 3},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> f = request(false);
    f[c.byte] = c.value;
    arp::View v;
    EXPECT_FALSE(arp::parse(f.data(), static_cast<uint32_t>(f.size()), v)) << c.what;
  }
  for (bool vlan : {false, true}) {
    const std::vector<uint8_t> f = request(vlan);
    const uint32_t needed = (vlan ? 18u : 14u) + arp::kArpLength;
    for (uint32_t len = 0; len < needed; ++len) {
      arp::View v;
      EXPECT_FALSE(arp::parse(f.data(), len, v)) << "truncated to " << len << (vlan ? " (tagged)" : "");
    }
  }
}

}  // namespace
