// test/native/neighbour_table_test.cc — xvs's own neighbour table (io/neighbour_table.h) on a
// simulated clock: a lookup solicits, a reply resolves and is reported as a change; an entry goes
// stale after reachable_ms and is probed, a confirmation keeps it, silence fails it (its MAC goes,
// reported) and it is asked again every retry_ms; a MAC change is taken from any reply; a route
// that moves to another port starts afresh; unsolicited requests make no entries; unused entries
// go; the capacity bounds the table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "io/neighbour_table.h"

namespace {
using xvs::io::NeighbourObservation;
using xvs::io::NeighbourSolicit;
using xvs::io::NeighbourTable;

constexpr uint32_t kServer = 0x0b00000a;  // 10.0.0.11
const uint8_t kMacA[6] = {2, 0, 0, 0, 0, 0xa};
const uint8_t kMacB[6] = {2, 0, 0, 0, 0, 0xb};

struct Tick {
  std::vector<NeighbourSolicit> solicit;
  std::vector<uint32_t> changed;
};

Tick tick(NeighbourTable& t, int64_t now) {
  Tick out;
  t.tick(now, out.solicit, out.changed);
  return out;
}

NeighbourObservation seen(uint32_t address, const uint8_t mac[6], uint8_t port = 0) {
  NeighbourObservation o{address, {}, port};
  std::memcpy(o.mac, mac, 6);
  return o;
}

// kServer looked up and answered at time 0, its change already reported.
void resolve_at_zero(NeighbourTable& t) {
  uint8_t mac[6];
  t.lookup(kServer, 0, 0, mac);
  t.observe(seen(kServer, kMacA), true, 0);
  tick(t, 0);
}

TEST(NeighbourTable, LookupSolicitsAndAReplyResolves) {
  NeighbourTable t;
  uint8_t mac[6];
  EXPECT_FALSE(t.lookup(kServer, 0, 0, mac));
  Tick first = tick(t, 0);
  ASSERT_EQ(first.solicit.size(), 1u);
  EXPECT_EQ(first.solicit[0].address, kServer);
  EXPECT_TRUE(first.changed.empty());
  EXPECT_TRUE(tick(t, 500).solicit.empty()) << "one probe per probe_interval_ms";
  t.observe(seen(kServer, kMacA), true, 600);
  EXPECT_EQ(tick(t, 700).changed, std::vector<uint32_t>{kServer});
  ASSERT_TRUE(t.lookup(kServer, 0, 800, mac));
  EXPECT_EQ(std::memcmp(mac, kMacA, 6), 0);
  EXPECT_TRUE(tick(t, 900).changed.empty()) << "reported once";
}

TEST(NeighbourTable, StaleEntriesAreProbedThenFailAndAreAskedAgain) {
  NeighbourTable::Timing timing;
  NeighbourTable t(timing);
  resolve_at_zero(t);
  uint8_t mac[6];
  int64_t now = timing.reachable_ms;
  // Stale: still used, probed probes times.
  uint32_t probes = 0;
  for (; now < timing.reachable_ms + 10 * timing.probe_interval_ms; now += 100) {
    t.lookup(kServer, 0, now, mac);
    Tick k = tick(t, now);
    probes += static_cast<uint32_t>(k.solicit.size());
    if (!k.changed.empty()) break;
  }
  EXPECT_EQ(probes, timing.probes);
  EXPECT_FALSE(t.lookup(kServer, 0, now, mac)) << "failed: no MAC";
  // Failed: asked again every retry_ms while in use, and a reply brings it back.
  Tick retry = tick(t, now + timing.retry_ms);
  EXPECT_EQ(retry.solicit.size(), 1u);
  t.observe(seen(kServer, kMacA), true, now + timing.retry_ms + 10);
  EXPECT_EQ(tick(t, now + timing.retry_ms + 20).changed, std::vector<uint32_t>{kServer});
  EXPECT_TRUE(t.lookup(kServer, 0, now + timing.retry_ms + 30, mac));
}

TEST(NeighbourTable, ConfirmationKeepsItReachable) {
  NeighbourTable::Timing timing;
  NeighbourTable t(timing);
  resolve_at_zero(t);
  t.observe(seen(kServer, kMacA), false, timing.reachable_ms - 1);  // its own request for one of ours
  Tick k = tick(t, timing.reachable_ms + 1);
  EXPECT_TRUE(k.solicit.empty());
  EXPECT_TRUE(k.changed.empty()) << "the same MAC is no change";
}

TEST(NeighbourTable, MacChangeAndPortMove) {
  NeighbourTable t;
  resolve_at_zero(t);
  uint8_t mac[6];
  t.observe(seen(kServer, kMacB), true, 10);  // a failover: the address moved to another MAC
  EXPECT_EQ(tick(t, 20).changed, std::vector<uint32_t>{kServer});
  ASSERT_TRUE(t.lookup(kServer, 0, 30, mac));
  EXPECT_EQ(std::memcmp(mac, kMacB, 6), 0);
  t.observe(seen(kServer, kMacA, 1), true, 40);  // heard on another port than its route's
  ASSERT_TRUE(t.lookup(kServer, 0, 50, mac));
  EXPECT_EQ(std::memcmp(mac, kMacB, 6), 0);
  EXPECT_FALSE(t.lookup(kServer, 1, 60, mac)) << "the route moved to port 1: what port 0 knew does not count";
  Tick k = tick(t, 70);
  EXPECT_EQ(k.changed, std::vector<uint32_t>{kServer});
  ASSERT_EQ(k.solicit.size(), 1u);
  EXPECT_EQ(k.solicit[0].port, 1);
}

TEST(NeighbourTable, UnsolicitedRequestsMakeNoEntriesAndUnusedOnesGo) {
  NeighbourTable::Timing timing;
  NeighbourTable t(timing);
  for (uint32_t i = 0; i < 1000; ++i) t.observe(seen(kServer + (i << 24), kMacA), false, 0);
  EXPECT_EQ(t.size(), 0u);
  resolve_at_zero(t);
  EXPECT_EQ(tick(t, timing.unused_ms).changed, std::vector<uint32_t>{kServer}) << "its MAC goes with it";
  EXPECT_EQ(t.size(), 0u);
}

TEST(NeighbourTable, CapacityBoundsReplies) {
  NeighbourTable::Timing timing;
  timing.capacity = 4;
  NeighbourTable t(timing);
  for (uint32_t i = 0; i < 100; ++i) t.observe(seen(kServer + (i << 24), kMacA), true, 0);
  EXPECT_EQ(t.size(), 4u);
  uint8_t mac[6];
  EXPECT_FALSE(t.lookup(0x01010101, 0, 0, mac)) << "full: not entered, not solicited";
  EXPECT_EQ(t.size(), 4u);
}

// The IPv6 table (neighbour discovery) is the same template over 16-byte addresses: addresses
// that differ in either half are different neighbours.
TEST(NeighbourTable6, LookupSolicitsAReplyResolvesAndChangesAreReported) {
  using xvs::io::NeighbourObservation6;
  using xvs::io::NeighbourSolicit6;
  using xvs::io::NeighbourTable6;
  xvs::core::Ipv6Address server{}, other{};
  server.bytes[0] = 0x20, server.bytes[1] = 0x01, server.bytes[15] = 0x11;
  other = server;
  other.bytes[0] = 0x30;  // the same low half
  NeighbourTable6 t;
  uint8_t mac[6];
  EXPECT_FALSE(t.lookup(server, 1, 0, mac));
  std::vector<NeighbourSolicit6> solicit;
  std::vector<xvs::core::Ipv6Address> changed;
  t.tick(0, solicit, changed);
  ASSERT_EQ(solicit.size(), 1u);
  EXPECT_EQ(solicit[0].address, server);
  EXPECT_EQ(solicit[0].port, 1);
  NeighbourObservation6 o{server, {}, 1};
  std::memcpy(o.mac, kMacA, 6);
  t.observe(o, true, 100);
  solicit.clear();
  t.tick(200, solicit, changed);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0], server);
  ASSERT_TRUE(t.lookup(server, 1, 300, mac));
  EXPECT_EQ(std::memcmp(mac, kMacA, 6), 0);
  // Not looked up: an unsolicited advertisement makes no entry (a flood cannot fill the table).
  NeighbourObservation6 unsolicited{other, {}, 1};
  std::memcpy(unsolicited.mac, kMacB, 6);
  t.observe(unsolicited, false, 250);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_FALSE(t.lookup(other, 1, 300, mac)) << "another address with the same low half";
  t.observe(unsolicited, false, 400);
  ASSERT_TRUE(t.lookup(other, 1, 500, mac)) << "looked up now: what it says of itself resolves it";
  EXPECT_EQ(std::memcmp(mac, kMacB, 6), 0);
}

// A link-local next hop (fe80::1) on two ports is two neighbours: resolving one does not undo the
// other (an IPv4 address is one neighbour whose route may move: NeighbourTable, above).
TEST(NeighbourTable6, ALinkLocalAddressOnTwoPortsIsTwoNeighbours) {
  using xvs::io::NeighbourObservation6;
  using xvs::io::NeighbourSolicit6;
  using xvs::io::NeighbourTable6;
  xvs::core::Ipv6Address router{};
  router.bytes[0] = 0xfe, router.bytes[1] = 0x80, router.bytes[15] = 1;
  NeighbourTable6 t;
  uint8_t mac[6];
  EXPECT_FALSE(t.lookup(router, 0, 0, mac));
  EXPECT_FALSE(t.lookup(router, 1, 0, mac));
  std::vector<NeighbourSolicit6> solicit;
  std::vector<xvs::core::Ipv6Address> changed;
  t.tick(0, solicit, changed);
  ASSERT_EQ(solicit.size(), 2u) << "asked on each port";
  NeighbourObservation6 on0{router, {}, 0}, on1{router, {}, 1};
  std::memcpy(on0.mac, kMacA, 6);
  std::memcpy(on1.mac, kMacB, 6);
  t.observe(on0, true, 10);
  t.observe(on1, true, 10);
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(t.lookup(router, 0, 20 + round, mac));
    EXPECT_EQ(std::memcmp(mac, kMacA, 6), 0);
    ASSERT_TRUE(t.lookup(router, 1, 20 + round, mac));
    EXPECT_EQ(std::memcmp(mac, kMacB, 6), 0);
  }
  EXPECT_EQ(t.size(), 2u);
}

}  // namespace
