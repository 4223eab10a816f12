// test/native/port_pool_test.cc — PortPool splits 1024..65535 exactly once across workers (owner_of agrees), is FIFO, and survives exhaustion.
#include <gtest/gtest.h>

#include <vector>

#include "core/net.h"
#include "lb/port_pool.h"

namespace {
using xvs::core::htons;
using xvs::core::ntohs;
using xvs::lb::PortPool;

constexpr uint32_t kPorts = 65536 - PortPool::kFirstPort;  // 64512

// Allocates everything; returns the ports (host order) in allocation order.
std::vector<uint16_t> drain(PortPool& pool) {
  std::vector<uint16_t> out;
  uint16_t port;
  while (pool.allocate(port)) out.push_back(ntohs(port));
  return out;
}

TEST(PortPool, WorkersPartitionEveryPortExactlyOnce) {
  for (uint32_t workers : {1u, 2u, 3u, 5u, 7u, 8u, 63u, 64u}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    std::vector<int> owner(65536, -1);
    uint32_t total = 0;
    for (uint32_t w = 0; w < workers; ++w) {
      PortPool pool(w, workers);
      const std::vector<uint16_t> ports = drain(pool);
      ASSERT_EQ(ports.size(), pool.capacity());
      EXPECT_EQ(pool.available(), 0u);
      total += pool.capacity();
      for (uint16_t p : ports) {
        ASSERT_GE(p, PortPool::kFirstPort);
        ASSERT_EQ(owner[p], -1) << "port " << p << " in two pools";
        owner[p] = static_cast<int>(w);
        ASSERT_EQ(PortPool::owner_of(p, workers), w) << "port " << p;
      }
      // Capacities differ by at most one between workers.
      EXPECT_NEAR(pool.capacity(), kPorts / workers, 1.0);
    }
    EXPECT_EQ(total, kPorts);
    for (uint32_t p = PortPool::kFirstPort; p <= 65535; ++p) ASSERT_NE(owner[p], -1) << "port " << p << " in no pool";
    for (uint32_t p = 0; p < PortPool::kFirstPort; ++p) ASSERT_EQ(owner[p], -1);
  }
}

TEST(PortPool, HandsOutInAscendingOrderAtFirst) {
  PortPool pool(1, 4);
  uint16_t a, b, c;
  ASSERT_TRUE(pool.allocate(a) && pool.allocate(b) && pool.allocate(c));
  EXPECT_EQ(ntohs(a), 1025);
  EXPECT_EQ(ntohs(b), 1029);
  EXPECT_EQ(ntohs(c), 1033);
}

TEST(PortPool, ReleasedPortComesBackOnlyAfterAllOthers) {
  PortPool pool(0, 2);
  uint16_t first;
  ASSERT_TRUE(pool.allocate(first));
  pool.release(first);
  const std::vector<uint16_t> order = drain(pool);
  ASSERT_EQ(order.size(), pool.capacity());
  EXPECT_EQ(order.back(), ntohs(first));
  for (size_t i = 0; i + 1 < order.size(); ++i) ASSERT_NE(order[i], ntohs(first)) << i;

  // Releases queue up in release order behind each other.
  for (uint16_t p : {1030, 1026, 2048}) pool.release(htons(p));
  EXPECT_EQ(drain(pool), (std::vector<uint16_t>{1030, 1026, 2048}));
}

TEST(PortPool, ExhaustionAndRecovery) {
  PortPool pool(3, 64);
  const uint32_t capacity = pool.capacity();
  EXPECT_EQ(capacity, 1008u);
  const std::vector<uint16_t> all = drain(pool);
  ASSERT_EQ(all.size(), capacity);
  uint16_t port = 0xdead;
  EXPECT_FALSE(pool.allocate(port));
  EXPECT_EQ(port, 0xdead) << "a refused allocation leaves the output alone";
  EXPECT_EQ(pool.available(), 0u);

  pool.release(htons(all[100]));
  EXPECT_EQ(pool.available(), 1u);
  ASSERT_TRUE(pool.allocate(port));
  EXPECT_EQ(ntohs(port), all[100]);
  EXPECT_FALSE(pool.allocate(port));

  // Wrap-around: release and allocate many times around the ring.
  for (int round = 0; round < 5000; ++round) {
    pool.release(htons(all[round % capacity]));
    ASSERT_TRUE(pool.allocate(port));
    ASSERT_EQ(ntohs(port), all[round % capacity]);
  }
}
}  // namespace
