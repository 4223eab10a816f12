// test/native/engine_test.cc — control::Engine on io/mem with 2 workers: SYN/reply round trip, expiry, generations, reclaim, clean stop, held Full-NAT tuples across a restart, bad options.
#include <gtest/gtest.h>

#include "control/engine.h"
#include "core/parse.h"
#include "mem_engine_options.h"
#include "snapshot_fixture.h"

namespace {
namespace abi = xvs::abi;
using namespace xvs::test;
using abi::Counter;
using xvs::control::Engine;
using xvs::control::EngineOptions;
using xvs::control::Status;
using xvs::io::MemBackend;

EngineOptions two_workers() { return mem_engine_options(2); }

#define ASSERT_OK(expr)                                               \
  do {                                                                \
    const Status st_ = (expr);                                        \
    ASSERT_TRUE(st_.is_ok()) << #expr << ": " << st_.code << " " << st_.message; \
  } while (0)

Status commit(Engine& e, const SnapshotBuilder& b) {
  const auto bytes = b.bytes();
  return e.commit(bytes.data(), bytes.size());
}

struct Out {
  MemBackend::Output kind;
  uint32_t port, queue;
  std::vector<uint8_t> data;
};
std::vector<Out> collect(Engine& e) {
  std::vector<Out> out;
  e.mem()->collect([&](MemBackend::Output kind, uint32_t port, uint32_t queue, const uint8_t* data, uint32_t len) {
    out.push_back({kind, port, queue, std::vector<uint8_t>(data, data + len)});
  });
  return out;
}
bool inject(Engine& e, uint32_t port, uint32_t queue, const PacketSpec& spec) {
  const auto f = build_frame(spec);
  return e.mem()->inject(port, queue, f.data(), static_cast<uint32_t>(f.size())) == MemBackend::Inject::ok;
}
uint64_t counter(Engine& e, uint32_t worker, Counter c) {
  std::vector<uint64_t> all;
  e.read_counters(all);
  return all[worker * abi::kCounterCount + static_cast<uint32_t>(c)];
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(Engine::create(two_workers(), engine));
    ASSERT_NE(engine->mem(), nullptr);
    ASSERT_OK(engine->start());
    ASSERT_OK(commit(*engine, topo::standard(2)));
    ASSERT_TRUE(engine->settle(5000)) << "workers take the first snapshot";
  }
  std::unique_ptr<Engine> engine;
};

TEST_F(EngineTest, SynAndReplyRoundTrip) {
  for (const auto& w : engine->worker_status()) EXPECT_EQ(w.seen_generation, 1u);
  const PacketSpec syn = topo::from_client(40000);
  ASSERT_TRUE(inject(*engine, 0, 0, syn));  // queue 0: worker 0
  ASSERT_TRUE(engine->settle(5000));
  auto out = collect(*engine);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, MemBackend::Output::tx);
  EXPECT_EQ(out[0].port, 1u);
  EXPECT_EQ(out[0].queue, 0u);
  // 40000 is even: in worker 0's share of local ports, so the client's own port is kept.
  EXPECT_EQ(out[0].data, build_frame(topo::to_server(syn, topo::kWeb[0], 40000)));
  EXPECT_EQ(counter(*engine, 0, Counter::lport_client_port), 1u);

  const PacketSpec synack = topo::from_server(topo::kWeb[0], 40000);
  ASSERT_TRUE(inject(*engine, 1, 0, synack));
  ASSERT_TRUE(engine->settle(5000));
  out = collect(*engine);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, MemBackend::Output::tx);
  EXPECT_EQ(out[0].port, 0u);
  EXPECT_EQ(out[0].data, build_frame(topo::to_client(synack, 40000)));

  PacketSpec other = syn;  // not for a VIP: to the kernel, through worker 1's queue
  other.daddr = topo::kOther;
  ASSERT_TRUE(inject(*engine, 0, 1, other));
  ASSERT_TRUE(engine->settle(5000));
  out = collect(*engine);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, MemBackend::Output::kernel);
  EXPECT_EQ(out[0].queue, 1u);
  EXPECT_EQ(out[0].data, build_frame(other));

  EXPECT_EQ(counter(*engine, 0, Counter::rx_packets), 2u);
  EXPECT_EQ(counter(*engine, 0, Counter::tx_packets), 2u);
  EXPECT_EQ(counter(*engine, 0, Counter::conn_created), 1u);
  EXPECT_EQ(counter(*engine, 1, Counter::rx_packets), 1u);
  EXPECT_EQ(counter(*engine, 1, Counter::pass_packets), 1u);
  EXPECT_EQ(counter(*engine, 1, Counter::conn_created), 0u);
  EXPECT_EQ(engine->worker_status()[0].connections, 1u);
  EXPECT_EQ(engine->worker_status()[1].connections, 0u);
  EXPECT_EQ(engine->mem()->frames_free(), engine->mem()->frames_total());
}

TEST_F(EngineTest, DroppedFramesAreCountedAndReturned) {
  ASSERT_TRUE(inject(*engine, 0, 0, topo::from_client(40000, xvs::core::kTcpAck)));
  ASSERT_TRUE(inject(*engine, 0, 1, topo::from_client(40001, xvs::core::kTcpAck)));
  ASSERT_TRUE(engine->settle(5000));
  EXPECT_TRUE(collect(*engine).empty());
  EXPECT_EQ(counter(*engine, 0, Counter::drop_tcp_no_conn), 1u);
  EXPECT_EQ(counter(*engine, 1, Counter::drop_tcp_no_conn), 1u);
  EXPECT_EQ(engine->mem()->frames_free(), engine->mem()->frames_total());
}

// Expiry keeps up: tens of thousands of half-open connections time out together, and the
// workers remove them all before they call themselves idle (not a fixed number per safe point).
TEST(Engine, ExpiryKeepsUpWithAFlood) {
  EngineOptions o = mem_engine_options(2);
  o.conn_table_size = 1u << 16;
  o.mem_frames = 4096;
  std::unique_ptr<Engine> engine;
  ASSERT_OK(Engine::create(o, engine));
  ASSERT_OK(engine->start());
  ASSERT_OK(commit(*engine, topo::standard(2)));
  ASSERT_TRUE(engine->settle(5000));
  constexpr uint32_t kSyns = 40000;
  for (uint32_t i = 0; i < kSyns; ++i) {
    PacketSpec syn = topo::from_client(static_cast<uint16_t>(1024 + i % 60000));
    syn.saddr = xvs::core::htonl((198u << 24) | (18u << 16) | i);
    ASSERT_TRUE(inject(*engine, 0, i % 2, syn)) << i;
    if (i % 1000 == 999) {
      ASSERT_TRUE(engine->settle(5000));
      collect(*engine);
    }
  }
  uint64_t open = 0;
  for (const auto& w : engine->worker_status()) open += w.connections;
  ASSERT_EQ(open, kSyns);
  engine->advance_clock(61);  // past the 60 s SYN timeout, all at once
  ASSERT_TRUE(engine->settle(10000));
  for (const auto& w : engine->worker_status()) EXPECT_EQ(w.connections, 0u);
  EXPECT_EQ(counter(*engine, 0, Counter::conn_expired) + counter(*engine, 1, Counter::conn_expired), kSyns);
}

TEST_F(EngineTest, ConnectionExpiresOnTheEngineClock) {
  ASSERT_TRUE(inject(*engine, 0, 0, topo::from_client(40000)));
  ASSERT_TRUE(engine->settle(5000));
  collect(*engine);
  ASSERT_EQ(engine->worker_status()[0].connections, 1u);
  engine->advance_clock(61);  // past the 60 s SYN timeout
  ASSERT_TRUE(engine->settle(5000));
  EXPECT_EQ(engine->worker_status()[0].connections, 0u);
  EXPECT_EQ(counter(*engine, 0, Counter::conn_expired), 1u);
}

TEST_F(EngineTest, GenerationsMustIncrease) {
  ASSERT_OK(commit(*engine, topo::standard(2, 5)));
  for (uint64_t stale : {5u, 4u, 1u}) {
    const Status st = commit(*engine, topo::standard(2, stale));
    EXPECT_EQ(st.code, "XVS_ESNAPSHOT") << stale;
    EXPECT_NE(st.message.find("not newer than the running 5"), std::string::npos) << st.message;
  }
  SnapshotBuilder bad = topo::standard(2, 6);
  bad.header.workers = 3;
  EXPECT_EQ(commit(*engine, bad).code, "XVS_ESNAPSHOT");
  EXPECT_EQ(engine->generation(), 5u);
}

TEST_F(EngineTest, RetiredSnapshotsAreReclaimed) {
  for (uint64_t g = 2; g <= 8; ++g) ASSERT_OK(commit(*engine, topo::standard(2, g)));
  ASSERT_TRUE(engine->settle(5000));
  EXPECT_EQ(engine->reclaim(), 0u);
  for (const auto& w : engine->worker_status()) EXPECT_EQ(w.seen_generation, 8u);
  // Connections made under one generation keep forwarding under the next.
  ASSERT_TRUE(inject(*engine, 0, 0, topo::from_client(40000)));
  ASSERT_TRUE(engine->settle(5000));
  ASSERT_OK(commit(*engine, topo::standard(2, 9)));
  ASSERT_TRUE(inject(*engine, 0, 0, topo::from_client(40000, xvs::core::kTcpAck)));
  ASSERT_TRUE(engine->settle(5000));
  const auto out = collect(*engine);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].data, build_frame(topo::to_server(topo::from_client(40000, xvs::core::kTcpAck), topo::kWeb[0], 40000)));
  EXPECT_EQ(engine->reclaim(), 0u);
}

uint32_t inactive_of(Engine& e, uint32_t backend_id, uint32_t worker) {
  std::vector<xvs::control::ServerCounterRow> rows;
  e.read_server_counters(rows);
  for (const auto& r : rows)
    if (r.backend_id == backend_id && r.worker == worker) return r.inactive;
  ADD_FAILURE() << "no row for backend " << backend_id << " on worker " << worker;
  return UINT32_MAX;
}

TEST_F(EngineTest, BackendLoadsAreReadPerWorkerAndFollowCommits) {
  std::vector<xvs::control::ServerCounterRow> rows;
  engine->read_server_counters(rows);
  EXPECT_EQ(rows.size(), 2u * 4u) << "one row per (server, worker): 3 web servers + 1 dns server, 2 workers";
  ASSERT_TRUE(inject(*engine, 0, 0, topo::from_client(40000)));  // worker 0 binds it to the first web server
  ASSERT_TRUE(engine->settle(5000));
  const uint32_t first = rows.front().backend_id;
  EXPECT_EQ(inactive_of(*engine, first, 0), 1u) << "a SYN-only connection is inactive (IPVS)";
  EXPECT_EQ(inactive_of(*engine, first, 1), 0u);
  ASSERT_OK(commit(*engine, topo::standard(2, 2)));
  EXPECT_EQ(inactive_of(*engine, first, 0), 1u) << "the same counter slot, whichever snapshot the worker is on";
  ASSERT_TRUE(engine->settle(5000));
  EXPECT_EQ(inactive_of(*engine, first, 0), 1u);
}

// The first web server leaves (its counts go with it once no worker holds a snapshot naming it)
// and comes back under its old id: from zero, and its old connection's departure never wraps it.
TEST_F(EngineTest, ServerCountsLeaveWithTheServer) {
  ASSERT_TRUE(inject(*engine, 0, 0, topo::from_client(40000)));  // worker 0, first web server (id 1000)
  ASSERT_TRUE(engine->settle(5000));
  ASSERT_OK(commit(*engine, topo::standard_without_first_web(2, 2)));
  ASSERT_TRUE(engine->settle(5000));
  EXPECT_EQ(engine->reclaim(), 0u) << "every worker moved on: generation 1 and its slots are released";
  ASSERT_OK(commit(*engine, topo::standard(2, 3)));
  ASSERT_TRUE(engine->settle(5000));
  EXPECT_EQ(inactive_of(*engine, 1000, 0), 0u) << "back from zero";
  ASSERT_TRUE(inject(*engine, 0, 0, topo::from_client(40000, xvs::core::kTcpAck)));  // the old connection, still here
  ASSERT_TRUE(engine->settle(5000));
  engine->advance_clock(100000);
  ASSERT_TRUE(engine->settle(5000));
  ASSERT_TRUE(engine->settle(5000));
  EXPECT_EQ(engine->worker_status()[0].connections, 0u);
  EXPECT_EQ(inactive_of(*engine, 1000, 0), 0u) << "no wrap-around below zero";
  std::vector<xvs::control::ServerCounterRow> rows;
  engine->read_server_counters(rows);
  for (const auto& r : rows) {
    if (r.backend_id == 1000) {
      EXPECT_EQ(r.traffic.conns, 0u) << "its traffic left with it too";
    }
  }
}

// Every way a snapshot ends gives its servers' slots back: replaced and reclaimed, or refused.
// standard_without_first_web keeps four backend records: the first web server's (id 1000) is
// there under a new id (999), so a slot that were not released would show as one more in use.
TEST_F(EngineTest, CounterSlotsComeBackFromEverySnapshot) {
  const uint32_t servers = engine->server_slots_in_use();
  ASSERT_EQ(servers, 4u);
  ASSERT_OK(commit(*engine, topo::standard(2, 2)));
  EXPECT_EQ(engine->server_slots_in_use(), servers) << "servers that stay keep their slots";
  ASSERT_OK(commit(*engine, topo::standard_without_first_web(2, 3)));
  ASSERT_TRUE(engine->settle(5000));
  EXPECT_EQ(engine->reclaim(), 0u);
  EXPECT_EQ(engine->server_slots_in_use(), servers) << "1000's slot is free once no worker holds it (999 took one)";
  EXPECT_EQ(commit(*engine, topo::standard(2, 3)).code, "XVS_ESNAPSHOT") << "stale generation";
  SnapshotBuilder bad = topo::standard(2, 4);
  bad.header.workers = 3;
  EXPECT_EQ(commit(*engine, bad).code, "XVS_ESNAPSHOT");
  EXPECT_EQ(engine->server_slots_in_use(), servers) << "a refused snapshot holds none";
  ASSERT_OK(commit(*engine, topo::standard(2, 4)));
  ASSERT_TRUE(engine->settle(5000));
  EXPECT_EQ(engine->reclaim(), 0u);
  EXPECT_EQ(engine->server_slots_in_use(), servers) << "999's slot went with generation 3";
  engine->stop();
  EXPECT_EQ(engine->server_slots_in_use(), servers) << "the running snapshot's counts stay readable after stop";
}

TEST_F(EngineTest, StopIsClean) {
  ASSERT_TRUE(inject(*engine, 0, 0, topo::from_client(40000)));
  ASSERT_TRUE(engine->settle(5000));
  engine->stop();
  EXPECT_FALSE(engine->running());
  for (const auto& w : engine->worker_status()) EXPECT_FALSE(w.running);
  EXPECT_EQ(counter(*engine, 0, Counter::conn_created), 1u) << "counters stay readable after stop";
  engine->stop();  // idempotent
  EXPECT_EQ(engine->start().code, "XVS_ESTATE");
  EXPECT_EQ(commit(*engine, topo::standard(2, 2)).code, "XVS_ESTATE");
  EXPECT_TRUE(engine->settle(10));
  EXPECT_EQ(engine->reclaim(), 0u);
}

// The local port a Full-NAT SYN left with (its source port on the server side).
uint16_t lport_of(const Out& out) {
  xvs::core::PacketView pkt;
  EXPECT_EQ(xvs::core::parse_packet(const_cast<uint8_t*>(out.data.data()), static_cast<uint32_t>(out.data.size()), pkt).status,
            xvs::core::ParseStatus::ok);
  return xvs::core::ntohs(pkt.sport());
}

// A restarted engine keeps the server-side tuples the stopped one's servers may still hold:
// another client does not get them, the client that held one gets it back.
TEST(Engine, HeldPortsSurviveARestart) {
  SnapshotBuilder one(2, topo::kPorts);
  one.add_service(topo::kVip, topo::kHttp, xvs::core::kIpProtoTcp, {topo::kWeb[0]}, one.add_pool({topo::kLip}));
  PacketSpec other = topo::from_client(40000);
  other.saddr = ipv4(198, 51, 100, 8);
  std::vector<uint8_t> held;
  {
    std::unique_ptr<Engine> before;
    ASSERT_OK(Engine::create(two_workers(), before));
    ASSERT_OK(before->start());
    ASSERT_OK(commit(*before, one));
    ASSERT_TRUE(before->settle(5000));
    ASSERT_TRUE(inject(*before, 0, 0, topo::from_client(40000)));  // worker 0: 40000 is in its share
    ASSERT_TRUE(before->settle(5000));
    auto out = collect(*before);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(lport_of(out[0]), 40000);
    ASSERT_TRUE(inject(*before, 1, 0, topo::from_server(topo::kWeb[0], 40000)));  // the server answered
    ASSERT_TRUE(before->settle(5000));
    before->stop();
    held = before->port_holds();
  }
  std::unique_ptr<Engine> after;
  ASSERT_OK(Engine::create(two_workers(), after));
  uint32_t kept = 0;
  const std::vector<uint8_t> garbage(40, 7);
  EXPECT_EQ(after->restore_port_holds(garbage.data(), garbage.size(), 0, kept).code, "XVS_EINVAL");
  // Ten seconds left of the server's 60 s TIME_WAIT: the engine clock ticks on second boundaries,
  // so a hold of one second could run out before the next packet on a loaded machine.
  ASSERT_OK(after->restore_port_holds(held.data(), held.size(), 50, kept));
  EXPECT_EQ(kept, 1u) << "ten seconds of the server's 60 s TIME_WAIT left";
  ASSERT_OK(after->start());
  ASSERT_OK(commit(*after, one));
  ASSERT_TRUE(after->settle(5000));
  ASSERT_TRUE(inject(*after, 0, 0, other));
  ASSERT_TRUE(after->settle(5000));
  auto out = collect(*after);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(lport_of(out[0]), 40000) << "another client must not get the tuple the server may hold";
  EXPECT_EQ(lport_of(out[0]) % 2, 0) << "worker 0's share";
  ASSERT_TRUE(inject(*after, 0, 0, topo::from_client(40000)));
  ASSERT_TRUE(after->settle(5000));
  out = collect(*after);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(lport_of(out[0]), 40000) << "the client that held it gets it back";
  EXPECT_EQ(counter(*after, 0, Counter::lport_reclaimed), 1u);

  std::unique_ptr<Engine> late;
  ASSERT_OK(Engine::create(two_workers(), late));
  ASSERT_OK(late->restore_port_holds(held.data(), held.size(), 60, kept));
  EXPECT_EQ(kept, 0u) << "its time ran out while xvs was down";
}

TEST(Engine, CommitBeforeStartIsInstalledAtStart) {
  std::unique_ptr<Engine> e;
  ASSERT_OK(Engine::create(two_workers(), e));
  ASSERT_OK(commit(*e, topo::standard(2, 1)));
  ASSERT_OK(commit(*e, topo::standard(2, 2)));
  EXPECT_EQ(e->reclaim(), 0u) << "not running: nothing to wait for";
  EXPECT_EQ(e->start().code, "");
  ASSERT_TRUE(e->settle(5000));
  for (const auto& w : e->worker_status()) EXPECT_EQ(w.seen_generation, 2u);
  EXPECT_EQ(e->start().code, "XVS_ESTATE") << "already running";
}

struct BadOptions {
  const char* what;
  void (*edit)(EngineOptions&);
  const char* code;
  const char* fragment;
};

TEST(Engine, CreateRefusesBadOptions) {
  const BadOptions cases[] = {
      {"no workers", [](EngineOptions& o) { o.workers = 0; }, "XVS_EINVAL", "workers must be from 1 to 64 (got 0)"},
      {"65 workers", [](EngineOptions& o) { o.workers = 65; }, "XVS_EINVAL", "(got 65)"},
      {"cpus of wrong length", [](EngineOptions& o) { o.cpus = {0}; }, "XVS_EINVAL", "one CPU per worker (2), got 1"},
      {"no interfaces", [](EngineOptions& o) { o.interfaces.clear(); }, "XVS_EINVAL", "interfaces must list 1 to 8"},
      {"9 interfaces", [](EngineOptions& o) { o.interfaces.assign(9, "x"); }, "XVS_EINVAL", "interfaces must list 1 to 8"},
      {"small table", [](EngineOptions& o) { o.conn_table_size = 1023; }, "XVS_EINVAL", "conn_table_size must be from 1024"},
      {"huge table", [](EngineOptions& o) { o.conn_table_size = (1u << 27) + 1; }, "XVS_EINVAL", "(got 134217729)"},
      {"unknown backend", [](EngineOptions& o) { o.backend = "pcap"; }, "XVS_EINVAL", "unknown backend 'pcap'"},
      {"afxdp on a missing interface", [](EngineOptions& o) { o.backend = "afxdp"; o.interfaces = {"xvs-none0"}; },
       "XVS_EINVAL", "no network interface 'xvs-none0'"},
      {"dpdk", [](EngineOptions& o) { o.backend = "dpdk"; }, "XVS_ENOTSUP", "backend 'dpdk' is not built"},
  };
  for (const BadOptions& c : cases) {
    EngineOptions o = two_workers();
    c.edit(o);
    std::unique_ptr<Engine> e;
    const Status st = Engine::create(o, e);
    EXPECT_EQ(st.code, c.code) << c.what;
    EXPECT_NE(st.message.find(c.fragment), std::string::npos) << c.what << ": " << st.message;
    EXPECT_EQ(e, nullptr) << c.what;
  }
}
}  // namespace
