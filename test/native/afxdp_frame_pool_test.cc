// test/native/afxdp_frame_pool_test.cc — io/afxdp's per-worker frame pools (umem.h): a pool
// hands out and takes back its own partition of the UMEM, any address inside a frame counts as
// that frame, another worker's frame goes home through the return ring, and double returns
// are counted instead of growing the pool. No AF_XDP socket needed.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <vector>

#include "io/afxdp/umem.h"

namespace xvs::io::afxdp {
namespace {

constexpr uint32_t kFrames = 8, kFrameSize = 2048;

struct Pools {
  explicit Pools(uint32_t workers) {
    std::vector<FramePool*> all;
    for (uint32_t w = 0; w < workers; ++w) {
      pools.push_back(std::make_unique<FramePool>());
      pools.back()->init(w, static_cast<uint64_t>(w) * kFrames * kFrameSize, kFrames, kFrameSize);
      all.push_back(pools.back().get());
    }
    for (auto& p : pools) p->connect(all);
  }
  FramePool& operator[](uint32_t w) { return *pools[w]; }
  std::vector<std::unique_ptr<FramePool>> pools;
};

TEST(AfxdpFramePool, HandsOutItsOwnPartitionAndTakesItBack) {
  Pools pools(2);
  uint64_t got[kFrames + 2];
  ASSERT_EQ(pools[1].take(got, kFrames + 2), kFrames);
  std::set<uint64_t> distinct(got, got + kFrames);
  EXPECT_EQ(distinct.size(), kFrames);
  for (uint64_t a : distinct) {
    EXPECT_GE(a, kFrames * kFrameSize);
    EXPECT_LT(a, 2 * kFrames * kFrameSize);
    EXPECT_EQ(a % kFrameSize, 0u);
  }
  EXPECT_EQ(pools[1].free_count(), 0u);
  for (uint32_t i = 0; i < kFrames; ++i) pools[1].put(got[i] + 256 + i);  // data pointers inside the frames
  EXPECT_EQ(pools[1].free_count(), kFrames);
  ASSERT_EQ(pools[1].take(got, kFrames), kFrames);
  EXPECT_EQ(std::set<uint64_t>(got, got + kFrames), distinct) << "the same chunks came back";
}

TEST(AfxdpFramePool, AnotherWorkersFrameGoesHome) {
  Pools pools(3);
  uint64_t a[2];
  ASSERT_EQ(pools[2].take(a, 2), 2u);
  pools[0].put(a[0] + 300);  // worker 0 released worker 2's frames (handed over, then sent)
  pools[1].put(a[1]);
  EXPECT_EQ(pools[0].free_count(), kFrames);
  EXPECT_EQ(pools[1].free_count(), kFrames);
  EXPECT_EQ(pools[2].free_count(), kFrames - 2);
  pools[2].take_returns();
  EXPECT_EQ(pools[2].free_count(), kFrames);
  EXPECT_EQ(pools[0].overflows() + pools[1].overflows() + pools[2].overflows(), 0u);
}

TEST(AfxdpFramePool, DoubleReturnsAreCountedNotKept) {
  Pools pools(1);
  uint64_t a = 0;
  ASSERT_EQ(pools[0].take(&a, 1), 1u);
  pools[0].put(a);
  pools[0].put(a);
  EXPECT_EQ(pools[0].free_count(), kFrames);
  EXPECT_EQ(pools[0].overflows(), 1u);
}

}  // namespace
}  // namespace xvs::io::afxdp
