// test/native/netlink_reply_test.cc — kernel/netlink.h's reading of rtnetlink answers apart from
// the socket: where an answer finishes (NLMSG_DONE, NLMSG_ERROR with the kernel's error, the
// first message of a get), next_hop()'s route and neighbour entries (the last entry for the
// neighbour wins, state and MAC together) and local_routes()' entries; messages too short for
// their fixed header, and an error message too short for its code, are never read past their
// end, nor attributes past theirs (each found by test/fuzz/netlink_parse_fuzz.cc). No privileges
// needed.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <vector>

#include "kernel/netlink.h"
#include "netlink_messages.h"

namespace xvs::kernel {
namespace {

// A message of `type` with `payload` bytes after its header (short ones included).
std::vector<uint8_t> bare(uint16_t type, uint32_t payload) {
  std::vector<uint8_t> bytes(NLMSG_LENGTH(payload), 0);
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_LENGTH(payload);
  h.nlmsg_type = type;
  std::memcpy(bytes.data(), &h, sizeof h);
  return bytes;
}

// A copy the size of the message alone: nothing readable past its end.
const nlmsghdr& exact(const std::vector<uint8_t>& bytes, std::unique_ptr<uint8_t[]>& keep) {
  keep = std::make_unique<uint8_t[]>(bytes.size());
  std::memcpy(keep.get(), bytes.data(), bytes.size());
  return *reinterpret_cast<const nlmsghdr*>(keep.get());
}


ReplyProgress read_all(const std::vector<uint8_t>& buffer, uint16_t want, bool dump, std::vector<uint16_t>* seen = nullptr) {
  ReplyProgress p;
  read_reply(buffer.data(), buffer.size(), want, dump, [&](const nlmsghdr& m) { if (seen) seen->push_back(m.nlmsg_type); }, p);
  return p;
}

TEST(NetlinkReply, DumpsFinishAtDoneGetsAtTheirAnswer) {
  rtmsg rt{};
  std::vector<uint8_t> dump = message(RTM_NEWROUTE, rt);
  const std::vector<uint8_t> other = message(RTM_NEWNEIGH, ndmsg{});
  dump.insert(dump.end(), other.begin(), other.end());
  std::vector<uint16_t> seen;
  ReplyProgress p = read_all(dump, RTM_NEWROUTE, true, &seen);
  EXPECT_FALSE(p.finished) << "a dump goes on in the next buffer";
  EXPECT_EQ(seen, std::vector<uint16_t>{RTM_NEWROUTE});
  int zero = 0;
  p = read_all(message(NLMSG_DONE, zero), RTM_NEWROUTE, true);
  EXPECT_TRUE(p.finished);
  EXPECT_EQ(p.error, "");
  p = read_all(message(RTM_NEWROUTE, rt), RTM_NEWROUTE, false);
  EXPECT_TRUE(p.finished) << "a get has one answer";
}

TEST(NetlinkReply, ErrorsCarryTheKernelsCodeAndShortOnesAreRefused) {
  nlmsgerr e{};
  e.error = -ENETUNREACH;
  ReplyProgress p = read_all(message(NLMSG_ERROR, e), RTM_NEWROUTE, false);
  EXPECT_TRUE(p.finished);
  EXPECT_EQ(p.error, std::strerror(ENETUNREACH));
  e.error = 0;
  EXPECT_EQ(read_all(message(NLMSG_ERROR, e), RTM_NEWROUTE, false).error, "") << "an acknowledgement";
  e.error = INT_MIN;  // negating it overflowed
  EXPECT_FALSE(read_all(message(NLMSG_ERROR, e), RTM_NEWROUTE, false).error.empty());
  std::unique_ptr<uint8_t[]> keep;
  const nlmsghdr& cut = exact(bare(NLMSG_ERROR, 2), keep);
  p = ReplyProgress{};
  read_reply(&cut, cut.nlmsg_len, RTM_NEWROUTE, false, [](const nlmsghdr&) {}, p);
  EXPECT_TRUE(p.finished);
  EXPECT_EQ(p.error, "netlink: truncated error message");
}

TEST(NetlinkReply, RouteAnswerGivesTypeInterfaceAndGateway) {
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_type = RTN_UNICAST;
  const int oif = 7;
  std::vector<uint8_t> oif_bytes(4);
  std::memcpy(oif_bytes.data(), &oif, 4);
  NextHop out;
  uint8_t type = RTN_UNSPEC;
  read_route_answer(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWROUTE, rt, {{RTA_OIF, oif_bytes}, {RTA_GATEWAY, ipv4("10.0.2.1")}}).data()),
                    type, out);
  EXPECT_EQ(type, RTN_UNICAST);
  EXPECT_EQ(out.ifindex, 7);
  EXPECT_EQ(out.gateway, ipv4_value("10.0.2.1"));

  std::unique_ptr<uint8_t[]> keep;
  NextHop untouched;
  type = RTN_UNSPEC;
  read_route_answer(exact(bare(RTM_NEWROUTE, 4), keep), type, untouched);
  EXPECT_EQ(type, RTN_UNSPEC) << "a message shorter than rtmsg says nothing";
  EXPECT_EQ(untouched.ifindex, 0);
  // An interface attribute of 2 bytes, last in the message: not 4 bytes read from it.
  read_route_answer(exact(message(RTM_NEWROUTE, rt, {{RTA_OIF, {7, 1}}}), keep), type, untouched);
  EXPECT_EQ(untouched.ifindex, 0);
}

TEST(NetlinkReply, TheLastNeighbourEntryWinsStateAndMacTogether) {
  ndmsg nd{};
  nd.ndm_family = AF_INET;
  nd.ndm_ifindex = 3;
  nd.ndm_state = NUD_REACHABLE;
  NextHop out;
  out.ifindex = 3;
  out.neighbour = ipv4_value("10.0.2.1");
  uint16_t state = NUD_NONE;
  const std::vector<uint8_t> mac{2, 0, 0, 0, 0, 1};
  const auto reachable = message(RTM_NEWNEIGH, nd, {{NDA_DST, ipv4("10.0.2.1")}, {NDA_LLADDR, mac}});
  read_neighbour_answer(*reinterpret_cast<const nlmsghdr*>(reachable.data()), out, state);
  EXPECT_TRUE(out.resolved);
  EXPECT_EQ(state, NUD_REACHABLE);
  nd.ndm_state = NUD_FAILED;
  const auto failed = message(RTM_NEWNEIGH, nd, {{NDA_DST, ipv4("10.0.2.1")}});
  read_neighbour_answer(*reinterpret_cast<const nlmsghdr*>(failed.data()), out, state);
  EXPECT_EQ(state, NUD_FAILED);
  EXPECT_FALSE(out.resolved) << "no MAC of one entry with the state of another";
  EXPECT_EQ(out.mac[5], 0);

  std::unique_ptr<uint8_t[]> keep;
  read_neighbour_answer(exact(bare(RTM_NEWNEIGH, 4), keep), out, state);
  EXPECT_EQ(state, NUD_FAILED) << "a message shorter than ndmsg says nothing";
}

std::vector<uint8_t> ipv6_bytes(const char* text) {
  in6_addr a{};
  inet_pton(AF_INET6, text, &a);
  return {a.s6_addr, a.s6_addr + 16};
}
xvs::core::Ipv6Address ipv6_value(const char* text) { return xvs::core::Ipv6Address::load(ipv6_bytes(text).data()); }

// IPv6: the route's 16-byte gateway, the neighbour entry of the IPv6 neighbour (an IPv4 entry of
// the same interface never), and the host's own addresses as local /128 routes.
TEST(NetlinkReply, Ipv6RouteNeighbourAndLocalAddresses) {
  rtmsg rt{};
  rt.rtm_family = AF_INET6;
  rt.rtm_type = RTN_UNICAST;
  NextHop out;
  out.ipv6 = true;
  uint8_t type = RTN_UNSPEC;
  read_route_answer(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWROUTE, rt, {{RTA_GATEWAY, ipv6_bytes("fe80::1")}}).data()), type, out);
  EXPECT_EQ(out.gateway6, ipv6_value("fe80::1"));
  EXPECT_EQ(out.gateway, 0u);

  ndmsg nd{};
  nd.ndm_family = AF_INET6;
  nd.ndm_ifindex = 3;
  nd.ndm_state = NUD_STALE;
  out.ifindex = 3;
  out.neighbour6 = ipv6_value("fe80::1");
  uint16_t state = NUD_NONE;
  const std::vector<uint8_t> mac{2, 0, 0, 0, 0, 6};
  ndmsg nd4 = nd;
  nd4.ndm_family = AF_INET;
  read_neighbour_answer(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWNEIGH, nd4, {{NDA_DST, ipv4("10.0.2.1")}, {NDA_LLADDR, mac}}).data()), out, state);
  EXPECT_EQ(state, NUD_NONE) << "an IPv4 entry is not the IPv6 neighbour's";
  read_neighbour_answer(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWNEIGH, nd, {{NDA_DST, ipv6_bytes("fe80::2")}, {NDA_LLADDR, mac}}).data()), out, state);
  EXPECT_EQ(state, NUD_NONE) << "another neighbour";
  read_neighbour_answer(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWNEIGH, nd, {{NDA_DST, ipv6_bytes("fe80::1")}, {NDA_LLADDR, mac}}).data()), out, state);
  EXPECT_EQ(state, NUD_STALE);
  EXPECT_TRUE(out.resolved);
  EXPECT_EQ(out.mac[5], 6);

  rtmsg local{};
  local.rtm_family = AF_INET6;
  local.rtm_type = RTN_LOCAL;
  local.rtm_dst_len = 128;
  LocalPrefix6 own;
  ASSERT_TRUE(read_local_route6(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWROUTE, local, {{RTA_DST, ipv6_bytes("2001:db8::1")}}).data()), own));
  EXPECT_EQ(own.address, ipv6_value("2001:db8::1"));
  EXPECT_EQ(own.prefix_len, 128);
  local.rtm_dst_len = 60;  // an AnyIP prefix: host bits cleared
  ASSERT_TRUE(read_local_route6(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWROUTE, local, {{RTA_DST, ipv6_bytes("2001:db8:0:1f::1")}}).data()), own));
  EXPECT_EQ(own.address, ipv6_value("2001:db8:0:10::"));
  EXPECT_EQ(own.prefix_len, 60);
  local.rtm_type = RTN_UNICAST;
  EXPECT_FALSE(read_local_route6(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWROUTE, local, {{RTA_DST, ipv6_bytes("2001:db8::")}}).data()), own));
  local.rtm_type = RTN_LOCAL;
  local.rtm_dst_len = 128;
  local.rtm_family = AF_INET;
  EXPECT_FALSE(read_local_route6(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWROUTE, local, {{RTA_DST, ipv4("10.0.0.1")}}).data()), own));
}

TEST(NetlinkReply, LocalRoutesAreIpv4RoutesOfTypeLocalWithTheirPrefix) {
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_type = RTN_LOCAL;
  rt.rtm_dst_len = 8;
  LocalPrefix p;
  ASSERT_TRUE(read_local_route(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWROUTE, rt, {{RTA_DST, ipv4("127.0.0.1")}}).data()), p));
  EXPECT_EQ(p.prefix_len, 8);
  EXPECT_EQ(p.address, ipv4_value("127.0.0.0")) << "host bits cleared";
  rt.rtm_type = RTN_UNICAST;
  EXPECT_FALSE(read_local_route(*reinterpret_cast<const nlmsghdr*>(message(RTM_NEWROUTE, rt).data()), p));
  std::unique_ptr<uint8_t[]> keep;
  EXPECT_FALSE(read_local_route(exact(bare(RTM_NEWROUTE, 4), keep), p)) << "a message shorter than rtmsg";
}

}  // namespace
}  // namespace xvs::kernel
