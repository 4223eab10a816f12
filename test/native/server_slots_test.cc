// test/native/server_slots_test.cc — control/server_slots.h: slots follow a server while a
// snapshot names it, freed slots are zeroed and reused, and the traffic total (IPVS's global
// statistics) keeps what a freed slot had counted.
#include <gtest/gtest.h>

#include "control/server_slots.h"

namespace xvs::control {
namespace {

void count(ServerSlots& slots, uint32_t worker, uint32_t slot, uint64_t conns, uint64_t in_packets) {
  lb::BackendTraffic& t = slots.counters(worker)[slot].traffic;
  lb::store_relaxed(t.conns, lb::load_relaxed(t.conns) + conns);
  lb::store_relaxed(t.in_packets, lb::load_relaxed(t.in_packets) + in_packets);
}

TEST(ServerSlots, TrafficTotalSumsWorkersAndKeepsFreedSlots) {
  ServerSlots slots(2);
  std::vector<uint32_t> first;
  ASSERT_TRUE(slots.acquire({ServerSlots::kNone, ServerSlots::kNone}, first));
  count(slots, 0, first[0], 2, 10);
  count(slots, 1, first[0], 1, 5);
  count(slots, 1, first[1], 4, 7);
  EXPECT_EQ(slots.traffic_total().conns, 7u);
  EXPECT_EQ(slots.traffic_total().in_packets, 22u);

  // A reload keeps server 0 (same slot) and drops server 1: its slot is freed with the old snapshot.
  std::vector<uint32_t> second;
  ASSERT_TRUE(slots.acquire({first[0]}, second));
  EXPECT_EQ(second[0], first[0]);
  const std::vector<uint32_t> freed = slots.release(first);
  ASSERT_EQ(freed, std::vector<uint32_t>{first[1]});
  EXPECT_EQ(slots.counters(1)[first[1]].traffic.conns, 0u) << "a freed slot is zeroed for its next server";
  EXPECT_EQ(slots.traffic_total().conns, 7u) << "the removed server's connections stay in the total";
  EXPECT_EQ(slots.traffic_total().in_packets, 22u);

  // Its slot goes to a new server, which starts from zero and adds to the total.
  std::vector<uint32_t> third;
  ASSERT_TRUE(slots.acquire({second[0], ServerSlots::kNone}, third));
  EXPECT_EQ(third[1], first[1]);
  count(slots, 0, third[1], 1, 1);
  EXPECT_EQ(slots.traffic_total().conns, 8u);
  slots.release(second);
  slots.release(third);
  EXPECT_EQ(slots.in_use(), 0u);
  EXPECT_EQ(slots.traffic_total().conns, 8u) << "every slot freed: all of it retired";
  EXPECT_EQ(slots.traffic_total().in_packets, 23u);
}

}  // namespace
}  // namespace xvs::control
