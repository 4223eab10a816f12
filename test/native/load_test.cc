// test/native/load_test.cc — lb/load.h: active/inactive accounting, upper/lower thresholds per worker share, loads carried across snapshot installs by backend_id, no underflow for servers removed and added back.
#include <gtest/gtest.h>

#include <deque>

#include "dataplane_fixture.h"
#include "lb/schedule.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using abi::Counter;
using lb::Verdict;
using xvs::core::kTcpAck;
using xvs::core::kTcpFin;

TEST(Load, WorkerShareRoundsUp) {
  EXPECT_EQ(lb::worker_share(0, 4), 0u);
  EXPECT_EQ(lb::worker_share(1, 4), 1u);
  EXPECT_EQ(lb::worker_share(8, 2), 4u);
  EXPECT_EQ(lb::worker_share(9, 2), 5u);
  EXPECT_EQ(lb::worker_share(10, 4), 3u);
  EXPECT_EQ(lb::worker_share(0xffffffffu, 1), 0xffffffffu);
  EXPECT_EQ(lb::worker_share(0xffffffffu, 64), 67108864u);
}

// One server with thresholds, on worker 0 of 2; connections bound and unbound by hand.
struct Thresholds {
  Thresholds(uint32_t upper, uint32_t lower) : tables(2) {
    BackendSpec s = topo::kWeb[0];
    s.upper_threshold = upper;
    s.lower_threshold = lower;
    SnapshotBuilder b(2, topo::kPorts);
    ServiceOptions o;
    o.forwarding = abi::Forwarding::nat;
    b.add_service(topo::kVip, 80, 6, {s, topo::kWeb[1]}, abi::kNoPool, o);
    EXPECT_TRUE(build(b.bytes(), 2, topo::kPorts, tables, snap).is_ok());
    cs = std::make_unique<lb::CoreState>(0, 2, 64, 1, kPortKey, tables.row(0));
    cs->install(snap.get());
  }
  // Binds or unbinds until this worker counts `total` connections on server 0; returns overloaded.
  bool to(uint32_t total) {
    while (conns.size() < total) {
      conns.emplace_back();
      lb::bind_backend(*cs, conns.back(), 0);
    }
    while (conns.size() > total) {
      lb::unbind_backend(*cs, conns.back());
      conns.pop_back();
    }
    EXPECT_EQ(load().inactive, total);
    return load().overloaded;
  }
  lb::BackendLoad& load() { return cs->counters_of(0).load; }
  lb::BackendLoad& other_workers_load() { return tables.servers.counters(1)[snap->server_slot[0]].load; }
  uint32_t pick() { return lb::schedule(*cs, snap->services[0], topo::kCip, topo::kVip); }

  EngineTables tables;
  std::unique_ptr<lb::Snapshot> snap;
  std::unique_ptr<lb::CoreState> cs;
  std::deque<lb::Conn> conns;
};

TEST(Load, UpperThresholdOverloadsAtTheWorkerShare) {
  Thresholds t(5, 0);  // share 3
  EXPECT_FALSE(t.to(2));
  EXPECT_TRUE(t.to(3));
  EXPECT_TRUE(t.to(4));
  EXPECT_EQ(t.pick(), 1u) << "an overloaded server takes no new connection";
  EXPECT_EQ(t.pick(), 1u);
  EXPECT_TRUE(t.to(3));
  EXPECT_FALSE(t.to(2)) << "no lower threshold: cleared below 3/4 of the upper (2 * 4 < 3 * 3)";
  EXPECT_EQ(t.pick(), 0u);
  EXPECT_EQ(t.other_workers_load().inactive, 0u) << "the other worker's count is untouched";
}

TEST(Load, ThreeQuartersRuleIsStrict) {
  Thresholds t(8, 0);  // share 4
  EXPECT_TRUE(t.to(4));
  EXPECT_TRUE(t.to(3)) << "3 * 4 = 12 is not below 4 * 3";
  EXPECT_FALSE(t.to(2));
  EXPECT_FALSE(t.to(3)) << "binding below the upper threshold does not set it";
  EXPECT_TRUE(t.to(4));
}

TEST(Load, LowerThresholdClearsBelowItsShare) {
  Thresholds t(8, 5);  // shares 4 and 3
  EXPECT_TRUE(t.to(4));
  EXPECT_TRUE(t.to(3)) << "not below the lower share";
  EXPECT_FALSE(t.to(2));
  Thresholds none(0, 0);
  EXPECT_FALSE(none.to(50)) << "no threshold: never overloaded";
}

TEST(Load, ActiveWhileEstablishedOnly) {
  Thresholds t(0, 0);
  lb::Conn c{};
  lb::bind_backend(*t.cs, c, 0);
  EXPECT_EQ(c.backend_id, 1000u);
  EXPECT_EQ(t.load().inactive, 1u);
  lb::account_state(*t.cs, c, lb::ConnState::tcp_syn_recv);
  EXPECT_EQ(t.load().active, 0u);
  lb::account_state(*t.cs, c, lb::ConnState::tcp_established);
  EXPECT_EQ(t.load().active, 1u);
  EXPECT_EQ(t.load().inactive, 0u);
  lb::account_state(*t.cs, c, lb::ConnState::tcp_established);
  EXPECT_EQ(t.load().active, 1u) << "staying established counts once";
  lb::account_state(*t.cs, c, lb::ConnState::tcp_fin_wait);
  EXPECT_EQ(t.load().active, 0u);
  EXPECT_EQ(t.load().inactive, 1u);
  lb::account_state(*t.cs, c, lb::ConnState::tcp_established);
  lb::unbind_backend(*t.cs, c);
  EXPECT_EQ(t.load().active, 0u);
  EXPECT_EQ(t.load().inactive, 0u);
  // Templates bind a server without counting as its connection.
  lb::Conn tmpl{};
  tmpl.flags = lb::kTemplate;
  lb::bind_backend(*t.cs, tmpl, 0);
  lb::account_state(*t.cs, tmpl, lb::ConnState::tcp_established);
  EXPECT_EQ(t.load().active + t.load().inactive, 0u);
  lb::unbind_backend(*t.cs, tmpl);
  EXPECT_EQ(t.load().active + t.load().inactive, 0u);
}

// A server keeps its counter slot, and so its counts on every worker, in each snapshot that
// follows one naming it (same backend_id, wherever it lands); a new server gets a slot of its
// own, zeroed; nothing is copied at install.
TEST(Load, ServersKeepTheirSlotsAcrossSnapshotsByBackendId) {
  EngineTables tables(2);
  SnapshotBuilder b1 = topo::standard_mode(abi::Forwarding::nat, 2);  // ids 1000..1003
  std::unique_ptr<lb::Snapshot> s1, s2;
  ASSERT_TRUE(build(b1.bytes(), 2, topo::kPorts, tables, s1).is_ok());
  lb::CoreState cs(1, 2, 64, 1, kPortKey, tables.row(1));
  cs.install(s1.get());
  cs.counters_of(0).load = {5, 1, false, 0};
  cs.counters_of(1).load = {2, 2, true, 0};
  cs.counters_of(2).load = {0, 7, false, 0};
  cs.counters_of(3).load = {1, 0, false, 0};
  tables.servers.counters(0)[s1->server_slot[0]].load = {99, 99, true, 0};  // worker 0's own business

  SnapshotBuilder b2 = topo::standard_mode(abi::Forwarding::nat, 2, {}, 2);
  b2.backends[0].backend_id = 1002;  // re-ordered, one gone (1001), one new (2000)
  b2.backends[1].backend_id = 2000;
  b2.backends[2].backend_id = 1000;
  ASSERT_TRUE(build(b2.bytes(), 2, topo::kPorts, tables, s2, 1, s1.get()).is_ok());
  EXPECT_EQ(s2->server_slot[0], s1->server_slot[2]);
  EXPECT_EQ(s2->server_slot[2], s1->server_slot[0]);
  EXPECT_EQ(s2->server_slot[3], s1->server_slot[3]);
  for (uint32_t slot : s1->server_slot) EXPECT_NE(s2->server_slot[1], slot) << "a new server takes a slot of its own";
  EXPECT_EQ(tables.servers.in_use(), 5u) << "1001 keeps its slot while s1 is held";
  cs.install(s2.get());
  auto same = [](const lb::BackendLoad& a, const lb::BackendLoad& b) {
    return a.active == b.active && a.inactive == b.inactive && a.overloaded == b.overloaded;
  };
  EXPECT_TRUE(same(cs.counters_of(0).load, {0, 7, false, 0}));
  EXPECT_TRUE(same(cs.counters_of(1).load, {0, 0, false, 0})) << "a new server starts idle";
  EXPECT_TRUE(same(cs.counters_of(2).load, {5, 1, false, 0}));
  EXPECT_TRUE(same(cs.counters_of(3).load, {1, 0, false, 0}));
  EXPECT_TRUE(same(tables.servers.counters(0)[s2->server_slot[2]].load, {99, 99, true, 0})) << "worker 0's counts stay its own";

  // Once no worker can hold s1, 1001's slot is released, zeroed, and handed to the next new server.
  const uint32_t gone = s1->server_slot[1];
  tables.servers.release(s1->server_slot);
  EXPECT_EQ(tables.servers.in_use(), 4u);
  EXPECT_TRUE(same(tables.servers.counters(1)[gone].load, {0, 0, false, 0}));
  SnapshotBuilder b3 = b2;
  b3.header.generation = 3;
  b3.backends[3].backend_id = 3000;
  std::unique_ptr<lb::Snapshot> s3;
  ASSERT_TRUE(build(b3.bytes(), 2, topo::kPorts, tables, s3, 1, s2.get()).is_ok());
  EXPECT_EQ(s3->server_slot[3], gone);
}

// fullnat, one server: connections survive its removal and return (same backend_id); the
// counts of the re-added server start from zero and never wrap when the old connections go.
TEST(Load, ServerRemovedAndAddedBackNeverUnderflows) {
  auto with = [](std::vector<BackendSpec> web) {
    SnapshotBuilder b(1, topo::kPorts);
    b.add_service(topo::kVip, 80, 6, web, b.add_pool({topo::kLip}));
    return b;
  };
  Dataplane dp(with({topo::kWeb[0]}));
  for (uint16_t cport : {40000, 40001, 40002}) ASSERT_EQ(dp.run(topo::from_client(cport), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(dp.load(0).active, 1u);
  EXPECT_EQ(dp.load(0).inactive, 2u);

  SnapshotBuilder other = with({topo::kWeb[1]});
  other.backends[0].backend_id = 2000;
  dp.reload(other);
  dp.reload(with({topo::kWeb[0]}));  // back, with backend_id 1000 again
  EXPECT_EQ(dp.load(0).active, 0u) << "the load did not survive the generation without the server";
  EXPECT_EQ(dp.load(0).inactive, 0u);
  // An old connection still names server 1000 and forwards; its state changes count again.
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpFin | kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(dp.load(0).active, 0u);
  EXPECT_EQ(dp.load(0).inactive, 1u);
  ASSERT_EQ(dp.run(topo::from_client(40001, kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(dp.load(0).active, 1u);
  EXPECT_EQ(dp.expire(dp.cs->now + 100000), 3u);
  EXPECT_EQ(dp.load(0).active, 0u);
  EXPECT_EQ(dp.load(0).inactive, 0u) << "no wrap-around below zero";
  EXPECT_EQ(dp.local_ports_in_use(), 0u) << "the servers never answered: nothing held";
}

// Through the packet path: with an upper threshold of 2 on server 0, rr skips it once it holds
// two connections, and takes it again when one goes.
TEST(Load, ThresholdsSteerTheScheduler) {
  SnapshotBuilder b(1, topo::kPorts);
  BackendSpec capped = topo::kWeb[0];
  capped.upper_threshold = 2;
  b.add_service(topo::kVip, 80, 6, {capped, topo::kWeb[1]}, b.add_pool({topo::kLip}));
  Dataplane dp(b);
  std::vector<uint32_t> servers;
  for (uint16_t i = 0; i < 6; ++i) {
    PacketSpec syn = topo::from_client(static_cast<uint16_t>(41000 + i));
    auto f = build_frame(syn);
    ASSERT_EQ(dp.run(f, 0), Verdict::tx);
    // One worker: the local port is the client's own.
    servers.push_back(f == build_frame(topo::to_server(syn, topo::kWeb[0], static_cast<uint16_t>(41000 + i))) ? 0 : 1);
  }
  EXPECT_EQ(servers, (std::vector<uint32_t>{0, 1, 0, 1, 1, 1}));
  EXPECT_TRUE(dp.load(0).overloaded);
  // The first connection (server 0) is established, then reset by the client: CLOSE, 10 s.
  ASSERT_EQ(dp.run(topo::from_client(41000, kTcpAck), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(41000, xvs::core::kTcpRst), 0), Verdict::tx);
  EXPECT_EQ(dp.expire(dp.cs->now + 10), 1u);
  EXPECT_FALSE(dp.load(0).overloaded) << "1 * 4 < 2 * 3";
  auto f = build_frame(topo::from_client(42000));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_EQ(f, build_frame(topo::to_server(topo::from_client(42000), topo::kWeb[0], 42000)));
}
}  // namespace
