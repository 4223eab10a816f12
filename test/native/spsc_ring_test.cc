// test/native/spsc_ring_test.cc — SpscRing: power-of-two capacity, exact fullness, FIFO across wrap-around, 1e6 values in order across two threads.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/spsc_ring.h"

namespace {
using xvs::core::SpscRing;

TEST(SpscRing, CapacityRoundsUpToAPowerOfTwo) {
  const std::pair<size_t, size_t> cases[] = {{0, 1}, {1, 1}, {2, 2}, {3, 4}, {5, 8}, {64, 64}, {65, 128}, {4096, 4096}};
  for (auto [asked, got] : cases) {
    SpscRing<int> r(asked);
    EXPECT_EQ(r.capacity(), got) << asked;
    EXPECT_EQ(r.free_space(), got) << asked;
  }
}

TEST(SpscRing, HoldsExactlyCapacityThenRefuses) {
  SpscRing<int> r(5);  // 8 slots
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(r.free_space(), static_cast<size_t>(8 - i));
    ASSERT_TRUE(r.push(i)) << i;
  }
  EXPECT_EQ(r.free_space(), 0u);
  EXPECT_FALSE(r.push(99));
  int v = -1;
  ASSERT_TRUE(r.pop(v));
  EXPECT_EQ(v, 0);
  EXPECT_EQ(r.free_space(), 1u);
  EXPECT_TRUE(r.push(8));
  EXPECT_FALSE(r.push(9));
  for (int want = 1; want <= 8; ++want) {
    ASSERT_TRUE(r.pop(v));
    EXPECT_EQ(v, want);
  }
  EXPECT_FALSE(r.pop(v));
  EXPECT_TRUE(r.empty_for_consumer());
}

TEST(SpscRing, FifoAcrossManyWrapArounds) {
  SpscRing<uint64_t> r(4);
  uint64_t next_in = 0, next_out = 0;
  for (int round = 0; round < 10000; ++round) {
    const int pushes = round % 5;
    for (int i = 0; i < pushes && r.push(next_in); ++i) ++next_in;
    const int pops = (round * 7) % 4;
    uint64_t v;
    for (int i = 0; i < pops && r.pop(v); ++i) ASSERT_EQ(v, next_out++);
    ASSERT_EQ(r.free_space(), 4 - (next_in - next_out));
  }
  EXPECT_GT(next_out, 10000u);
}

TEST(SpscRing, PopBurst) {
  SpscRing<int> r(16);
  int out[16];
  EXPECT_EQ(r.pop_burst(out, 16), 0u);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(r.push(i));
  EXPECT_FALSE(r.empty_for_consumer());
  ASSERT_EQ(r.pop_burst(out, 4), 4u);
  EXPECT_EQ(std::vector<int>(out, out + 4), (std::vector<int>{0, 1, 2, 3}));
  for (int i = 10; i < 20; ++i) ASSERT_TRUE(r.push(i));  // wraps
  EXPECT_FALSE(r.push(20));
  // A burst may stop at what the consumer last saw of the tail (it refreshes only when it saw
  // nothing); repeated bursts return everything, in order, never more than asked.
  std::vector<int> got;
  for (size_t n; (n = r.pop_burst(out, 16)) != 0;) {
    ASSERT_LE(n, 16u);
    got.insert(got.end(), out, out + n);
  }
  std::vector<int> want;
  for (int i = 4; i < 20; ++i) want.push_back(i);
  EXPECT_EQ(got, want);
  ASSERT_TRUE(r.push(20));
  ASSERT_EQ(r.pop_burst(out, 3), 1u);
  EXPECT_EQ(out[0], 20);
  EXPECT_TRUE(r.empty_for_consumer());
}

// A small ring forces both sides to wait on each other constantly.
TEST(SpscRing, TwoThreadsMillionValuesInOrder) {
  constexpr uint64_t kCount = 1'000'000;
  for (bool burst : {false, true}) {
    SpscRing<uint64_t> r(64);
    std::thread producer([&] {
      for (uint64_t i = 0; i < kCount;)
        if (r.push(i)) ++i;
        else std::this_thread::yield();
    });
    uint64_t expected = 0, sum = 0;
    uint64_t buf[32];
    bool in_order = true;
    while (expected < kCount) {
      size_t n = 0;
      if (burst) n = r.pop_burst(buf, 32);
      else if (r.pop(buf[0])) n = 1;
      if (n == 0) std::this_thread::yield();
      for (size_t i = 0; i < n; ++i) {
        in_order &= buf[i] == expected++;
        sum += buf[i];
      }
    }
    producer.join();
    EXPECT_TRUE(in_order) << (burst ? "pop_burst" : "pop");
    EXPECT_EQ(sum, kCount * (kCount - 1) / 2);
    EXPECT_TRUE(r.empty_for_consumer());
  }
}
}  // namespace
