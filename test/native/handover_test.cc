// test/native/handover_test.cc — the hand-over of frames between workers (DESIGN §4): which
// worker lb::process names as the owner of a frame that matched none of its connections
// (lb/owner.h, the redirect verdict), and control::Engine on io/mem, which runs the same worker
// loop as AF_XDP: a frame landing on the wrong worker is handed to its owner (counted as
// `redirected` by the sender), forwarded by the owner, and every frame comes home; a handed-over
// frame that would be handed over again is dropped as drop_not_owner.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "control/engine.h"
#include "dataplane_fixture.h"
#include "lb/owner.h"
#include "mem_engine_options.h"

namespace xvs::test {
namespace {

using abi::Counter;
using control::Engine;
using control::EngineOptions;
using io::MemBackend;
using lb::Verdict;

// The verdict `dp`'s worker gives `spec`; a redirected frame must leave as it came.
Verdict verdict_on(Dataplane& dp, const PacketSpec& spec) {
  auto frame = build_frame(spec);
  const Verdict v = dp.run(frame, 0);
  if (v == Verdict::redirect) {
    EXPECT_EQ(frame, build_frame(spec)) << "a redirected frame leaves unchanged";
  }
  return v;
}

TEST(Handover, FullNatRepliesBelongToTheirLocalPortsWorker) {
  Dataplane dp(topo::standard_mode(abi::Forwarding::fullnat, 2), 2, 0);
  EXPECT_EQ(verdict_on(dp, topo::from_server(topo::kWeb[0], 1025)), Verdict::redirect_to(1));
  EXPECT_EQ(verdict_on(dp, topo::from_server(topo::kWeb[0], 1024)), Verdict::pass) << "its own port, no connection: the kernel's";
  EXPECT_EQ(verdict_on(dp, topo::from_server(topo::kWeb[0], 80)), Verdict::pass) << "below the first local port (1024): the receiver's";
  EXPECT_EQ(verdict_on(dp, topo::from_client(40001)), Verdict::tx) << "new full-NAT connections stay where they arrive";
  PacketSpec other = topo::from_server(topo::kWeb[0], 1025);
  other.daddr = topo::kOther;
  EXPECT_EQ(verdict_on(dp, other), Verdict::pass) << "not for xvs: the receiver's (the kernel's)";
  EXPECT_EQ(dp.drops(), 0u);
}

TEST(Handover, NatPacketsBelongToTheClientsWorkerBothWays) {
  for (uint32_t id : {0u, 1u}) {
    Dataplane dp(topo::standard_mode(abi::Forwarding::nat, 2), 2, id);
    for (uint16_t cport : {40000, 40001}) {
      const uint32_t want = lb::nat_owner(topo::kCip, core::htons(cport), 2);
      if (want == id) continue;
      EXPECT_EQ(verdict_on(dp, topo::from_client(cport)), Verdict::redirect_to(want)) << cport;
      EXPECT_EQ(verdict_on(dp, topo::nat_from_server(topo::kWeb[0], cport)), Verdict::redirect_to(want)) << cport;
    }
  }
}

TEST(Handover, OneWorkerOwnsEverything) {
  Dataplane one(topo::standard_mode(abi::Forwarding::fullnat, 1), 1, 0);
  EXPECT_EQ(verdict_on(one, topo::from_server(topo::kWeb[0], 1025)), Verdict::pass);
  Dataplane nat(topo::standard_mode(abi::Forwarding::nat, 1), 1, 0);
  EXPECT_EQ(verdict_on(nat, topo::from_client(40000)), Verdict::tx);
}

uint64_t counter(Engine& e, uint32_t worker, Counter c) {
  std::vector<uint64_t> all;
  e.read_counters(all);
  return all[worker * abi::kCounterCount + static_cast<uint32_t>(c)];
}

TEST(Handover, TheOwnerForwardsARepliesThatLandedElsewhere) {
  EngineOptions o = mem_engine_options(2);
  std::unique_ptr<Engine> engine;
  ASSERT_TRUE(Engine::create(o, engine).is_ok());
  ASSERT_TRUE(engine->start().is_ok());
  const auto bytes = topo::standard(2).bytes();
  ASSERT_TRUE(engine->commit(bytes.data(), bytes.size()).is_ok());
  ASSERT_TRUE(engine->settle(5000));
  MemBackend& mem = *engine->mem();
  auto inject = [&](uint32_t port, uint32_t queue, const PacketSpec& spec) {
    const auto f = build_frame(spec);
    return mem.inject(port, queue, f.data(), static_cast<uint32_t>(f.size())) == MemBackend::Inject::ok;
  };
  struct Out {
    MemBackend::Output kind;
    uint32_t port, queue;
    std::vector<uint8_t> data;
  };
  auto collect = [&] {
    std::vector<Out> out;
    mem.collect([&](MemBackend::Output kind, uint32_t port, uint32_t queue, const uint8_t* data, uint32_t len) {
      out.push_back({kind, port, queue, std::vector<uint8_t>(data, data + len)});
    });
    return out;
  };

  const PacketSpec syn = topo::from_client(40000);
  ASSERT_TRUE(inject(0, 0, syn));  // worker 0 opens it from local port 40000, the client's own (even: its share)
  ASSERT_TRUE(engine->settle(5000));
  const auto opened = collect();
  ASSERT_EQ(opened.size(), 1u);
  ASSERT_EQ(opened[0].data, build_frame(topo::to_server(syn, topo::kWeb[0], 40000)));

  const PacketSpec synack = topo::from_server(topo::kWeb[0], 40000);
  ASSERT_TRUE(inject(1, 1, synack));  // lands on worker 1
  ASSERT_TRUE(engine->settle(5000));
  const auto out = collect();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, MemBackend::Output::tx);
  EXPECT_EQ(out[0].port, 0u);
  EXPECT_EQ(out[0].queue, 0u) << "sent by the owner, worker 0";
  EXPECT_EQ(out[0].data, build_frame(topo::to_client(synack, 40000)));
  EXPECT_EQ(counter(*engine, 1, Counter::rx_packets), 1u);
  EXPECT_EQ(counter(*engine, 1, Counter::redirected), 1u);
  EXPECT_EQ(counter(*engine, 1, Counter::drop_not_owner), 0u);
  EXPECT_EQ(counter(*engine, 0, Counter::tx_packets), 2u);

  // A reply for no connection of its owner: the owner passes it (the kernel's).
  ASSERT_TRUE(inject(1, 1, topo::from_server(topo::kWeb[0], 1026)));
  ASSERT_TRUE(engine->settle(5000));
  const auto passed = collect();
  ASSERT_EQ(passed.size(), 1u);
  EXPECT_EQ(passed[0].kind, MemBackend::Output::kernel);
  EXPECT_EQ(counter(*engine, 0, Counter::pass_packets), 1u);
  EXPECT_EQ(counter(*engine, 1, Counter::redirected), 2u);

  engine->stop();
  EXPECT_EQ(mem.frames_free(), mem.frames_total());
}

// Stands for two workers whose snapshots disagree about an owner (a reload between their safe
// points): each names the other as the owner of everything it receives.
void always_the_other_worker(lb::CoreState& cs, io::Frame*, uint32_t n, lb::Verdict* verdicts) {
  for (uint32_t i = 0; i < n; ++i) verdicts[i] = lb::Verdict::redirect_to(1 - cs.id);
}

TEST(Handover, AFrameIsHandedOverOnlyOnce) {
  EngineOptions o = mem_engine_options(2);
  o.burst_path = always_the_other_worker;
  std::unique_ptr<Engine> engine;
  ASSERT_TRUE(Engine::create(o, engine).is_ok());
  ASSERT_TRUE(engine->start().is_ok());
  const auto f = build_frame(topo::from_client(40000));
  ASSERT_EQ(engine->mem()->inject(0, 0, f.data(), static_cast<uint32_t>(f.size())), MemBackend::Inject::ok);
  ASSERT_TRUE(engine->settle(5000));
  EXPECT_EQ(counter(*engine, 0, Counter::redirected), 1u);
  EXPECT_EQ(counter(*engine, 1, Counter::drop_not_owner), 1u) << "not handed back to worker 0";
  EXPECT_EQ(counter(*engine, 1, Counter::redirected), 0u);
  engine->stop();
  EXPECT_EQ(engine->mem()->frames_free(), engine->mem()->frames_total()) << "the dropped frame came home";
}

}  // namespace
}  // namespace xvs::test
