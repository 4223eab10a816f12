// test/native/forward_only_test.cc — bench/forward_only.h, the engine's bench-only "I/O loop
// only" mode (`xvs bench veth`, case io-loop): every frame goes out of the first server's port
// with that server's next-hop MAC as destination and the port's MAC as source, nothing else
// changed; runts and frames before any snapshot are dropped and counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "dataplane_fixture.h"
#include "bench/forward_only.h"

namespace xvs::test {
namespace {

io::Frame frame_of(std::vector<uint8_t>& bytes, uint8_t port) {
  return io::Frame{bytes.data(), static_cast<uint32_t>(bytes.size()), 0, 0, port, 0, static_cast<uint32_t>(bytes.size())};
}

TEST(ForwardOnly, RewritesOnlyTheMacsTowardsTheFirstServer) {
  Dataplane dp(topo::standard(1));
  const auto original = build_frame(PacketSpec{});
  std::vector<uint8_t> a = original, b = original, runt(10, 0xee);
  io::Frame frames[3] = {frame_of(a, 0), frame_of(b, 0), frame_of(runt, 0)};
  lb::Verdict verdicts[3];
  bench::forward_only_burst(*dp.cs, frames, 3, verdicts);

  const abi::BackendRecord& server = dp.snaps.back()->backends.front();
  const abi::PortRecord& out = dp.snaps.back()->ports[server.port_index];
  for (int i = 0; i < 2; ++i) {
    const std::vector<uint8_t>& f = i == 0 ? a : b;
    EXPECT_EQ(verdicts[i], lb::Verdict::tx);
    EXPECT_EQ(frames[i].port, server.port_index);
    EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, server.mac.bytes));
    EXPECT_TRUE(std::equal(f.begin() + 6, f.begin() + 12, out.mac.bytes));
    EXPECT_TRUE(std::equal(f.begin() + 12, f.end(), original.begin() + 12)) << "only the MACs change";
  }
  EXPECT_EQ(verdicts[2], lb::Verdict::drop);
  EXPECT_EQ(dp.counter(abi::Counter::drop_truncated_l2), 1u);
}

TEST(ForwardOnly, DropsEverythingBeforeTheFirstSnapshot) {
  Dataplane dp(topo::standard(1));
  dp.cs->snapshot = nullptr;
  std::vector<uint8_t> a = build_frame(PacketSpec{});
  io::Frame f = frame_of(a, 0);
  lb::Verdict v;
  bench::forward_only_burst(*dp.cs, &f, 1, &v);
  EXPECT_EQ(v, lb::Verdict::drop);
  EXPECT_EQ(dp.counter(abi::Counter::drop_no_snapshot), 1u);
}

}  // namespace
}  // namespace xvs::test
