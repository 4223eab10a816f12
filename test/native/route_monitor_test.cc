// test/native/route_monitor_test.cc — kernel/route_monitor.h: parse_route_messages turns
// buffers of rtnetlink notifications into RouteChanges (IPv4 and IPv6 neighbours with state and
// MAC, last word per entry wins; routes of both families but not the route cache; links;
// addresses of both families; everything else ignored, truncated messages included), and a RouteMonitor opens, drains
// nothing when nothing happened, and closes idempotently. No privileges needed.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <vector>

#include "kernel/route_monitor.h"
#include "netlink_messages.h"

namespace xvs::kernel {
namespace {


ndmsg neighbour(uint16_t state, int family = AF_INET, int ifindex = 3) {
  ndmsg nd{};
  nd.ndm_family = static_cast<uint8_t>(family);
  nd.ndm_ifindex = ifindex;
  nd.ndm_state = state;
  return nd;
}

const std::vector<uint8_t> kMac1{2, 0, 0, 0, 0, 1}, kMac2{2, 0, 0, 0, 0, 2};

RouteChanges parse(const Messages& m) {
  RouteChanges out;
  parse_route_messages(m.bytes().data(), m.bytes().size(), out);
  return out;
}

TEST(RouteMonitorParse, NeighboursWithStateAndMacLastWordWins) {
  Messages m;
  m.add(RTM_NEWNEIGH, neighbour(NUD_INCOMPLETE), {{NDA_DST, ipv4("10.0.2.11")}})
      .add(RTM_NEWNEIGH, neighbour(NUD_PERMANENT), {{NDA_DST, ipv4("10.0.2.12")}, {NDA_LLADDR, kMac1}})
      .add(RTM_NEWNEIGH, neighbour(NUD_REACHABLE), {{NDA_DST, ipv4("10.0.2.11")}, {NDA_LLADDR, kMac2}})
      .add(RTM_NEWNEIGH, neighbour(NUD_FAILED), {{NDA_DST, ipv4("10.0.2.13")}, {NDA_LLADDR, kMac1}})
      .add(RTM_DELNEIGH, neighbour(NUD_STALE), {{NDA_DST, ipv4("10.0.2.12")}, {NDA_LLADDR, kMac1}});
  const RouteChanges c = parse(m);
  ASSERT_EQ(c.neighbours.size(), 3u);
  EXPECT_EQ(c.neighbours[0].address, ipv4_value("10.0.2.11"));
  EXPECT_EQ(c.neighbours[0].state, "reachable");
  EXPECT_TRUE(c.neighbours[0].has_mac);
  EXPECT_EQ(std::vector<uint8_t>(c.neighbours[0].mac, c.neighbours[0].mac + 6), kMac2);
  EXPECT_EQ(c.neighbours[0].ifindex, 3);
  EXPECT_EQ(c.neighbours[1].address, ipv4_value("10.0.2.12"));
  EXPECT_TRUE(c.neighbours[1].deleted);
  EXPECT_EQ(c.neighbours[1].state, "none");
  EXPECT_FALSE(c.neighbours[1].has_mac);
  EXPECT_EQ(c.neighbours[2].state, "failed");
  EXPECT_FALSE(c.neighbours[2].has_mac) << "a failed entry's old address is not usable";
  EXPECT_FALSE(c.routes || c.links || c.addresses || c.overflow);
}

TEST(RouteMonitorParse, SameAddressOnTwoInterfacesIsTwoEntries) {
  Messages m;
  m.add(RTM_NEWNEIGH, neighbour(NUD_STALE, AF_INET, 3), {{NDA_DST, ipv4("10.0.2.11")}, {NDA_LLADDR, kMac1}})
      .add(RTM_NEWNEIGH, neighbour(NUD_STALE, AF_INET, 4), {{NDA_DST, ipv4("10.0.2.11")}, {NDA_LLADDR, kMac2}});
  EXPECT_EQ(parse(m).neighbours.size(), 2u);
}

TEST(RouteMonitorParse, IgnoresOtherFamiliesTheRouteCacheAndGarbage) {
  rtmsg mpls{};
  mpls.rtm_family = AF_MPLS;
  rtmsg cached{};
  cached.rtm_family = AF_INET;
  cached.rtm_flags = RTM_F_CLONED;
  rtmsg cached6{};
  cached6.rtm_family = AF_INET6;
  cached6.rtm_flags = RTM_F_CLONED;
  ifaddrmsg bridge_addr{};
  bridge_addr.ifa_family = AF_BRIDGE;
  Messages m;
  m.add(RTM_NEWNEIGH, neighbour(NUD_REACHABLE, AF_BRIDGE), {{NDA_DST, ipv4("10.0.2.11")}, {NDA_LLADDR, kMac1}})
      .add(RTM_NEWNEIGH, neighbour(NUD_REACHABLE, AF_INET6), {{NDA_LLADDR, kMac1}})  // no destination
      .add(RTM_NEWNEIGH, neighbour(NUD_REACHABLE, AF_INET6), {{NDA_DST, ipv4("10.0.2.11")}})  // a destination of the wrong size
      .add(RTM_NEWNEIGH, neighbour(NUD_REACHABLE), {{NDA_LLADDR, kMac1}})  // no destination
      .add(RTM_NEWROUTE, mpls)
      .add(RTM_NEWROUTE, cached)
      .add(RTM_NEWROUTE, cached6)
      .add(RTM_NEWADDR, bridge_addr)
      .add(NLMSG_DONE, uint32_t{0});
  EXPECT_TRUE(parse(m).empty());

  // A header claiming more than the buffer holds ends parsing without reading past it.
  std::vector<uint8_t> bytes = Messages().add(RTM_NEWROUTE, rtmsg{AF_INET, 32, 0, 0, 0, 0, 0, 0, 0}).bytes();
  reinterpret_cast<nlmsghdr*>(bytes.data())->nlmsg_len = 4096;
  RouteChanges out;
  parse_route_messages(bytes.data(), bytes.size(), out);
  EXPECT_TRUE(out.empty());
  parse_route_messages(bytes.data(), 3, out);
  EXPECT_TRUE(out.empty());
}

// IPv6 neighbours are reported one by one like IPv4 ones (an IPv6 and an IPv4 entry never merge);
// IPv6 routes and addresses are changes too.
TEST(RouteMonitorParse, Ipv6NeighboursRoutesAndAddresses) {
  in6_addr server{};
  inet_pton(AF_INET6, "fd00:2::11", &server);
  const std::vector<uint8_t> dst6(server.s6_addr, server.s6_addr + 16);
  Messages m;
  m.add(RTM_NEWNEIGH, neighbour(NUD_INCOMPLETE, AF_INET6), {{NDA_DST, dst6}})
      .add(RTM_NEWNEIGH, neighbour(NUD_REACHABLE, AF_INET6), {{NDA_DST, dst6}, {NDA_LLADDR, kMac2}})
      .add(RTM_NEWNEIGH, neighbour(NUD_REACHABLE), {{NDA_DST, ipv4("10.0.2.11")}, {NDA_LLADDR, kMac1}});
  RouteChanges c = parse(m);
  ASSERT_EQ(c.neighbours.size(), 2u);
  EXPECT_TRUE(c.neighbours[0].ipv6);
  EXPECT_EQ(std::vector<uint8_t>(c.neighbours[0].address6.bytes, c.neighbours[0].address6.bytes + 16), dst6);
  EXPECT_EQ(c.neighbours[0].state, "reachable") << "the last word wins";
  EXPECT_EQ(std::vector<uint8_t>(c.neighbours[0].mac, c.neighbours[0].mac + 6), kMac2);
  EXPECT_FALSE(c.neighbours[1].ipv6);
  EXPECT_FALSE(c.routes);

  rtmsg route6{};
  route6.rtm_family = AF_INET6;
  ifaddrmsg addr6{};
  addr6.ifa_family = AF_INET6;
  EXPECT_TRUE(parse(Messages().add(RTM_NEWROUTE, route6)).routes);
  EXPECT_TRUE(parse(Messages().add(RTM_DELADDR, addr6)).addresses);
}

TEST(RouteMonitorParse, RoutesLinksAndAddresses) {
  rtmsg route{};
  route.rtm_family = AF_INET;
  ifinfomsg link{};
  ifaddrmsg addr{};
  addr.ifa_family = AF_INET;
  EXPECT_TRUE(parse(Messages().add(RTM_DELROUTE, route)).routes);
  EXPECT_TRUE(parse(Messages().add(RTM_NEWLINK, link)).links);
  EXPECT_TRUE(parse(Messages().add(RTM_DELLINK, link)).links);
  EXPECT_TRUE(parse(Messages().add(RTM_NEWADDR, addr)).addresses);
}

TEST(RouteMonitor, OpensDrainsNothingAndClosesIdempotently) {
  RouteMonitor monitor;
  ASSERT_EQ(monitor.open(), "");
  EXPECT_GE(monitor.fd(), 0);
  RouteChanges c;
  c.overflow = true;
  EXPECT_EQ(monitor.drain(c), "");
  EXPECT_FALSE(c.overflow) << "drain starts from nothing";
  monitor.close();
  monitor.close();
  EXPECT_EQ(monitor.fd(), -1);
  EXPECT_EQ(monitor.drain(c), "route monitor: closed");
}

}  // namespace
}  // namespace xvs::kernel
