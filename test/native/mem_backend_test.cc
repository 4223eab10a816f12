// test/native/mem_backend_test.cc — io/mem moves frames host -> queue -> host unchanged, gets every frame back, and refuses bad injections by reason.
#include <gtest/gtest.h>

#include <numeric>

#include "io/mem/mem_backend.h"

namespace {
using xvs::io::Frame;
using xvs::io::MemBackend;

std::vector<uint8_t> bytes(uint32_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), seed);
  return v;
}

struct Collected {
  MemBackend::Output kind;
  uint32_t port, queue;
  std::vector<uint8_t> data;
};
std::vector<Collected> collect(MemBackend& m) {
  std::vector<Collected> out;
  m.collect([&](MemBackend::Output k, uint32_t p, uint32_t q, const uint8_t* d, uint32_t n) {
    out.push_back({k, p, q, std::vector<uint8_t>(d, d + n)});
  });
  return out;
}

TEST(MemBackend, FramesTravelUnchangedAndComeHome) {
  MemBackend m(2, 2, 16);
  EXPECT_EQ(m.port_count(), 2u);
  EXPECT_EQ(m.queue_count(), 2u);
  EXPECT_STREQ(m.name(), "mem");
  const auto a = bytes(60, 1), b = bytes(1514, 7), c = bytes(61, 9);
  ASSERT_EQ(m.inject(1, 1, a.data(), 60), MemBackend::Inject::ok);
  ASSERT_EQ(m.inject(1, 1, b.data(), 1514), MemBackend::Inject::ok);
  ASSERT_EQ(m.inject(1, 1, c.data(), 61), MemBackend::Inject::ok);
  EXPECT_EQ(m.frames_free(), 13u);

  Frame f[8];
  EXPECT_EQ(m.queue(0, 1).receive(f, 8), 0u) << "another port's queue is empty";
  ASSERT_EQ(m.queue(1, 1).receive(f, 8), 3u);
  EXPECT_EQ(f[0].len, 60u);
  EXPECT_EQ(f[0].port, 1);
  EXPECT_EQ(f[0].queue, 1);
  EXPECT_EQ(f[0].headroom, MemBackend::kHeadroom);
  EXPECT_EQ(std::vector<uint8_t>(f[1].data, f[1].data + f[1].len), b);
  f[0].data[0] = 0xee;  // workers rewrite in place

  // Transmit the first on port 0 (the worker's port-0 queue), pass the second, drop the third.
  EXPECT_EQ(m.queue(0, 1).transmit(&f[0], 1), 1u);
  m.queue(1, 1).pass_to_kernel(&f[1], 1);
  m.queue(1, 1).release(&f[2], 1);
  const auto out = collect(m);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].kind, MemBackend::Output::tx);
  EXPECT_EQ(out[0].port, 0u);
  EXPECT_EQ(out[0].queue, 1u);
  EXPECT_EQ(out[0].data[0], 0xee);
  EXPECT_TRUE(std::equal(a.begin() + 1, a.end(), out[0].data.begin() + 1));
  EXPECT_EQ(out[1].kind, MemBackend::Output::kernel);
  EXPECT_EQ(out[1].port, 1u);
  EXPECT_EQ(out[1].data, b);
  EXPECT_EQ(m.frames_free(), 16u);
}

TEST(MemBackend, RefusesBadInjections) {
  MemBackend m(1, 2, 4);
  const auto big = bytes(MemBackend::kFrameSize, 0);
  EXPECT_EQ(m.inject(1, 0, big.data(), 60), MemBackend::Inject::bad_queue);
  EXPECT_EQ(m.inject(0, 2, big.data(), 60), MemBackend::Inject::bad_queue);
  EXPECT_EQ(m.inject(0, 0, big.data(), MemBackend::kFrameSize - MemBackend::kHeadroom + 1), MemBackend::Inject::too_long);
  EXPECT_EQ(m.inject(0, 0, big.data(), MemBackend::kFrameSize - MemBackend::kHeadroom), MemBackend::Inject::ok);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(m.inject(0, 1, big.data(), 64), MemBackend::Inject::ok);
  EXPECT_EQ(m.inject(0, 0, big.data(), 64), MemBackend::Inject::no_frame);
  EXPECT_EQ(m.frames_free(), 0u);

  // Frames released by a worker are found again when the pool runs dry.
  Frame f[4];
  ASSERT_EQ(m.queue(0, 1).receive(f, 4), 3u);
  m.queue(0, 1).release(f, 3);
  EXPECT_EQ(m.inject(0, 0, big.data(), 64), MemBackend::Inject::ok);
  EXPECT_EQ(m.frames_free(), 2u);
}
}  // namespace
