// test/native/sync_test.cc — connection sync between cluster nodes on the worker side (lb/sync.h):
// node A queues a record when a connection is created, when its state changes and when its
// timer is extended half a timeout after the last record; node B installs A's records and then
// forwards the connection's packets exactly as A would, in every mode, counting it in its
// server's load only from its first packet; records that cannot be installed are refused and
// counted by reason; an installed connection that never sees a packet leaves without touching
// the load; persistence templates travel before their connections.
#include <gtest/gtest.h>

#include <vector>

#include "core/spsc_ring.h"
#include "dataplane_fixture.h"
#include "lb/sync.h"
#include "sync_tap.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
namespace core = xvs::core;
using namespace xvs::test;
using core::kTcpAck;
using core::kTcpSyn;

// Node A, whose records are tapped, and node B, which installs them: the same configuration.
struct Nodes {
  Dataplane a, b;
  SyncTap tap;
  explicit Nodes(abi::Forwarding mode, ServiceOptions o = {}) : a(topo::standard_mode(mode, 1, o)), b(topo::standard_mode(mode, 1, o)) {
    tap.attach(a);
  }
  // The client's SYN to `cport` through A, its records installed on B; A's connection.
  const lb::Conn& opened_and_synced(uint16_t cport);
};

void install(Dataplane& d, const std::vector<abi::SyncRecord>& records) {
  for (const abi::SyncRecord& r : records) lb::sync_install(*d.cs, r);
}

const lb::Conn& Nodes::opened_and_synced(uint16_t cport) {
  EXPECT_EQ(a.run(topo::from_client(cport, kTcpSyn), 0), lb::Verdict::tx);
  install(b, tap.drain());
  const lb::Conn* c = a.client_conn(cport);
  EXPECT_NE(c, nullptr);
  return *c;
}

uint32_t load_total(const Dataplane& d, uint32_t index) { return d.load(index).active + d.load(index).inactive; }

TEST(Sync, RecordsOnCreationAndStateChangesOnly) {
  Dataplane a(topo::standard_mode(abi::Forwarding::fullnat));
  SyncTap tap;
  tap.attach(a);
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpSyn), 0), lb::Verdict::tx);
  auto records = tap.drain();
  ASSERT_EQ(records.size(), 1u);
  const abi::SyncRecord& r = records[0];
  const lb::Conn& c = *a.client_conn(40000);
  EXPECT_EQ(r.client_saddr, topo::kCip);
  EXPECT_EQ(r.client_daddr, topo::kVip);
  EXPECT_EQ(r.client_sport, core::htons(40000));
  EXPECT_EQ(r.server_daddr, topo::kLip);
  EXPECT_EQ(r.server_dport, c.tuple[lb::kFromServer].dport);
  EXPECT_EQ(r.backend_address, c.tuple[lb::kFromServer].saddr);
  EXPECT_EQ(r.state, static_cast<uint8_t>(lb::ConnState::tcp_syn_recv));
  EXPECT_EQ(r.forwarding, static_cast<uint8_t>(abi::Forwarding::fullnat));
  EXPECT_EQ(r.timeout_left, a.snapshot().timeouts.tcp_syn);
  EXPECT_EQ(r.owner, 0);
  EXPECT_EQ(r.client_port, 0);
  EXPECT_TRUE(lb::sync_record_valid(r));

  // The same state again queues nothing; the handshake's end does.
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpSyn), 0), lb::Verdict::tx);
  EXPECT_TRUE(tap.drain().empty());
  ASSERT_EQ(a.run(packet_of(c, lb::kFromServer, kTcpSyn | kTcpAck), 1), lb::Verdict::tx);
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpAck), 0), lb::Verdict::tx);
  records = tap.drain();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().state, static_cast<uint8_t>(lb::ConnState::tcp_established));
  EXPECT_EQ(records.back().flags & abi::kSyncServerSeen, abi::kSyncServerSeen);
  EXPECT_EQ(a.counter(abi::Counter::sync_queued), 1u + records.size());

  // Established packets: nothing until half the timeout has passed since the last record.
  for (int i = 0; i < 5; ++i) ASSERT_EQ(a.run(topo::from_client(40000, kTcpAck), 0), lb::Verdict::tx);
  a.cs->now += a.snapshot().timeouts.tcp / 2 - 1;
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpAck), 0), lb::Verdict::tx);
  EXPECT_TRUE(tap.drain().empty());
  a.cs->now += 1;
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpAck), 0), lb::Verdict::tx);
  records = tap.drain();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].timeout_left, a.snapshot().timeouts.tcp);
}

TEST(Sync, ARefreshPeriodShorterThanHalfTheTimeoutRefreshesSooner) {
  Dataplane a(topo::standard_mode(abi::Forwarding::fullnat));
  SyncTap tap;
  tap.attach(a);
  a.cs->sync.refresh_seconds = 30;
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpSyn), 0), lb::Verdict::tx);
  const lb::Conn& c = *a.client_conn(40000);
  ASSERT_EQ(a.run(packet_of(c, lb::kFromServer, kTcpSyn | kTcpAck), 1), lb::Verdict::tx);
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpAck), 0), lb::Verdict::tx);
  tap.drain();
  a.cs->now += 29;
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpAck), 0), lb::Verdict::tx);
  EXPECT_TRUE(tap.drain().empty());
  a.cs->now += 1;
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpAck), 0), lb::Verdict::tx);
  EXPECT_EQ(tap.drain().size(), 1u);
  // One longer than half the timeout is half the timeout.
  a.cs->sync.refresh_seconds = 100000;
  a.cs->now += a.snapshot().timeouts.tcp / 2;
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpAck), 0), lb::Verdict::tx);
  EXPECT_EQ(tap.drain().size(), 1u);
}

TEST(Sync, NoRecordsWithoutACluster) {
  Dataplane a(topo::standard_mode(abi::Forwarding::fullnat));
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpSyn), 0), lb::Verdict::tx);
  EXPECT_EQ(a.counter(abi::Counter::sync_queued), 0u);
}

TEST(Sync, AFullQueueCountsItsLosses) {
  Dataplane a(topo::standard_mode(abi::Forwarding::fullnat));
  core::SpscRing<abi::SyncItem> tiny(2);
  std::vector<uint32_t> queued_at(a.cs->conns.lines());
  a.cs->sync = lb::SyncExport{&tiny, queued_at.data()};
  for (uint16_t p = 0; p < 5; ++p) ASSERT_EQ(a.run(topo::from_client(static_cast<uint16_t>(40000 + p), kTcpSyn), 0), lb::Verdict::tx);
  EXPECT_EQ(a.counter(abi::Counter::sync_queued), 2u);
  EXPECT_EQ(a.counter(abi::Counter::sync_queue_full), 3u);
}

// Node B takes over an established connection of node A: every packet afterwards leaves B as it
// would have left A.
struct TakeoverRow {
  abi::Forwarding mode;
  bool replies;  // the server's packets come through the balancer (nat, fullnat)
};

class SyncTakeover : public ::testing::TestWithParam<TakeoverRow> {};

TEST_P(SyncTakeover, ForwardsAsTheSenderWouldAndCountsFromTheFirstPacket) {
  const TakeoverRow row = GetParam();
  Nodes n(row.mode);
  Dataplane &a = n.a, &b = n.b;
  SyncTap& tap = n.tap;
  // B has scheduled connections of its own: its rr cursor points elsewhere than A's did.
  ASSERT_EQ(b.run(topo::from_client(41000, kTcpSyn), 0), lb::Verdict::tx);
  const uint32_t loads_before = load_total(b, 0) + load_total(b, 1) + load_total(b, 2);

  ASSERT_EQ(a.run(topo::from_client(40000, kTcpSyn), 0), lb::Verdict::tx);
  const lb::Conn& c = *a.client_conn(40000);
  if (row.replies) {
    ASSERT_EQ(a.run(packet_of(c, lb::kFromServer, kTcpSyn | kTcpAck), 1), lb::Verdict::tx);
  }
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpAck), 0), lb::Verdict::tx);
  install(b, tap.drain());
  EXPECT_GE(b.counter(abi::Counter::sync_installed), 1u);
  lb::Conn* copy = b.client_conn(40000);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->client_port_index, lb::kSyncedAwaiting);
  EXPECT_EQ(copy->state, c.state);
  EXPECT_EQ(load_total(b, 0) + load_total(b, 1) + load_total(b, 2), loads_before) << "not counted before a packet";

  auto at_a = build_frame(topo::from_client(40000, kTcpAck));
  auto at_b = at_a;
  uint8_t port_a = 0, port_b = 0;
  ASSERT_EQ(a.run(at_a, 0, &port_a), lb::Verdict::tx);
  ASSERT_EQ(b.run(at_b, 0, &port_b), lb::Verdict::tx);
  EXPECT_EQ(at_b, at_a);
  EXPECT_EQ(port_b, port_a);
  EXPECT_EQ(b.counter(abi::Counter::sync_adopted), 1u);
  EXPECT_EQ(copy->client_port_index, 0);
  EXPECT_EQ(b.counter(abi::Counter::conn_created), 1u) << "only B's own";
  EXPECT_EQ(load_total(b, 0) + load_total(b, 1) + load_total(b, 2), loads_before + 1);
  if (row.replies) {
    auto back_a = build_frame(packet_of(c, lb::kFromServer, kTcpAck));
    auto back_b = back_a;
    ASSERT_EQ(a.run(back_a, 1, &port_a), lb::Verdict::tx);
    ASSERT_EQ(b.run(back_b, 1, &port_b), lb::Verdict::tx);
    EXPECT_EQ(back_b, back_a);
    EXPECT_EQ(port_b, port_a);
  }
}

const TakeoverRow kTakeoverRows[] = {
    {abi::Forwarding::fullnat, true}, {abi::Forwarding::nat, true}, {abi::Forwarding::dr, false}, {abi::Forwarding::tunnel, false}};

std::string takeover_name(const ::testing::TestParamInfo<TakeoverRow>& info) {
  static const char* const names[] = {"dr", "nat", "tunnel", "fullnat"};
  return names[static_cast<int>(info.param.mode)];
}

INSTANTIATE_TEST_SUITE_P(Modes, SyncTakeover, ::testing::ValuesIn(kTakeoverRows), takeover_name);

TEST(Sync, AReplyFirstTakesTheSendersNextHopTowardsTheClient) {
  Nodes n(abi::Forwarding::fullnat);
  Dataplane &a = n.a, &b = n.b;
  const lb::Conn& c = n.opened_and_synced(40000);
  auto at_a = build_frame(packet_of(c, lb::kFromServer, kTcpSyn | kTcpAck));
  auto at_b = at_a;
  ASSERT_EQ(a.run(at_a, 1), lb::Verdict::tx);
  ASSERT_EQ(b.run(at_b, 1), lb::Verdict::tx);
  EXPECT_EQ(at_b, at_a) << "towards the client's MAC from the record";
  EXPECT_EQ(b.counter(abi::Counter::sync_adopted), 1u);
}

TEST(Sync, RefusedRecordsAreCountedByReason) {
  Dataplane a(topo::standard_mode(abi::Forwarding::fullnat)), b(topo::standard_mode(abi::Forwarding::fullnat), 1, 0, 1024);
  SyncTap tap;
  tap.attach(a);
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpSyn), 0), lb::Verdict::tx);
  const abi::SyncRecord good = tap.drain().at(0);
  struct Bad {
    const char* what;
    void (*edit)(abi::SyncRecord&);
    abi::Counter counted;
  };
  const Bad rows[] = {
      {"protocol", [](abi::SyncRecord& r) { r.protocol = 1; }, abi::Counter::sync_invalid},
      {"mode", [](abi::SyncRecord& r) { r.forwarding = 9; }, abi::Counter::sync_invalid},
      {"state", [](abi::SyncRecord& r) { r.state = 200; }, abi::Counter::sync_invalid},
      {"udp state on tcp", [](abi::SyncRecord& r) { r.state = static_cast<uint8_t>(lb::ConnState::udp); }, abi::Counter::sync_invalid},
      {"held tuple", [](abi::SyncRecord& r) { r.state = static_cast<uint8_t>(lb::ConnState::tcp_port_hold); }, abi::Counter::sync_invalid},
      {"template flag on a connection", [](abi::SyncRecord& r) { r.flags = abi::kSyncTemplate; }, abi::Counter::sync_invalid},
      {"unknown flags", [](abi::SyncRecord& r) { r.flags = 0x80; }, abi::Counter::sync_invalid},
      {"reserved", [](abi::SyncRecord& r) { r.reserved0 = 1; }, abi::Counter::sync_invalid},
      {"port", [](abi::SyncRecord& r) { r.client_port = 200; }, abi::Counter::sync_invalid},
      {"timeout", [](abi::SyncRecord& r) { r.timeout_left = 0xffffffffu; }, abi::Counter::sync_invalid},
      {"zero client", [](abi::SyncRecord& r) { r.client_saddr = 0; }, abi::Counter::sync_invalid},
      {"no such service", [](abi::SyncRecord& r) { r.client_dport = core::htons(81); }, abi::Counter::sync_no_server},
      {"another mode here", [](abi::SyncRecord& r) { r.forwarding = static_cast<uint8_t>(abi::Forwarding::nat); }, abi::Counter::sync_no_server},
      {"no such server", [](abi::SyncRecord& r) { r.backend_port = core::htons(9999); }, abi::Counter::sync_no_server},
  };
  for (const Bad& row : rows) {
    abi::SyncRecord r = good;
    row.edit(r);
    const uint64_t before = b.counter(row.counted);
    lb::sync_install(*b.cs, r);
    EXPECT_EQ(b.counter(row.counted), before + 1) << row.what;
  }
  EXPECT_EQ(b.cs->conns.size(), 0u);
  EXPECT_EQ(b.counter(abi::Counter::sync_installed), 0u);
  // A full table refuses, and keeps what it has.
  for (uint16_t p = 0; b.cs->conns.size() < b.cs->conns.capacity(); ++p) {
    abi::SyncRecord r = good;
    r.client_sport = core::htons(static_cast<uint16_t>(2000 + p));
    r.server_dport = core::htons(static_cast<uint16_t>(2000 + p));
    lb::sync_install(*b.cs, r);
  }
  abi::SyncRecord one_more = good;
  one_more.client_sport = core::htons(1999);
  one_more.server_dport = core::htons(1999);
  lb::sync_install(*b.cs, one_more);
  EXPECT_EQ(b.counter(abi::Counter::sync_table_full), 1u);
}

TEST(Sync, ATupleOfThisNodesOwnIsNotTakenByARecord) {
  Dataplane a(topo::standard_mode(abi::Forwarding::fullnat));
  SyncTap tap;
  tap.attach(a);
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpSyn), 0), lb::Verdict::tx);
  abi::SyncRecord r = tap.drain().at(0);
  // Another client whose server-side tuple is the one A's connection holds.
  r.client_sport = core::htons(40001);
  lb::sync_install(*a.cs, r);
  EXPECT_EQ(a.counter(abi::Counter::sync_conflict), 1u);
  EXPECT_EQ(a.cs->conns.size(), 1u);
  // A local port outside this node's range, and a nat connection another worker owns here.
  Dataplane narrow(topo::standard_mode(abi::Forwarding::fullnat), 1, 0, 1024, kPortKey, {1024, 2047});
  lb::sync_install(*narrow.cs, r);
  EXPECT_EQ(narrow.counter(abi::Counter::sync_invalid), 1u);
  Dataplane two(topo::standard_mode(abi::Forwarding::nat, 2), 2, 0);
  abi::SyncRecord n = r;
  n.forwarding = static_cast<uint8_t>(abi::Forwarding::nat);
  n.server_daddr = n.client_saddr;
  n.server_dport = n.client_sport;
  n.backend_port = core::htons(8080);
  n.client_sport = core::htons(lb::nat_owner(n.client_saddr, core::htons(40001), 2) == 0 ? 40000 : 40001);
  if (lb::nat_owner(n.client_saddr, n.client_sport, 2) == 0) n.client_sport = core::htons(core::ntohs(n.client_sport) + 1);
  ASSERT_EQ(lb::nat_owner(n.client_saddr, n.client_sport, 2), 1u);
  lb::sync_install(*two.cs, n);
  EXPECT_EQ(two.counter(abi::Counter::sync_invalid), 1u) << "worker 0 of 2 does not take worker 1's nat connection";
}

TEST(Sync, AnUntouchedCopyExpiresWithoutTouchingTheLoad) {
  Nodes n(abi::Forwarding::fullnat);
  Dataplane& b = n.b;
  n.opened_and_synced(40000);
  ASSERT_EQ(b.cs->conns.size(), 1u);
  const uint32_t syn = b.snapshot().timeouts.tcp_syn;
  // Kept for the sender's time left plus one more timeout of its state.
  EXPECT_EQ(b.expire(b.cs->now + 2 * syn - 1), 0u);
  EXPECT_EQ(b.expire(b.cs->now + 2 * syn), 1u);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(load_total(b, i), 0u);
  EXPECT_EQ(b.cs->half_open[0], 0u);
}

TEST(Sync, ARecordForAConnectionAlreadyHereUpdatesIt) {
  Nodes n(abi::Forwarding::fullnat);
  Dataplane &a = n.a, &b = n.b;
  SyncTap& tap = n.tap;
  const lb::Conn& c = n.opened_and_synced(40000);
  ASSERT_EQ(a.run(packet_of(c, lb::kFromServer, kTcpSyn | kTcpAck), 1), lb::Verdict::tx);
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpAck), 0), lb::Verdict::tx);
  install(b, tap.drain());
  EXPECT_EQ(b.cs->conns.size(), 1u);
  EXPECT_GE(b.counter(abi::Counter::sync_updated), 1u);
  EXPECT_EQ(b.client_conn(40000)->state, lb::ConnState::tcp_established);
}

TEST(Sync, TemplatesTravelBeforeTheirConnections) {
  ServiceOptions o;
  o.flags = abi::persistent;
  o.persist_timeout = 300;
  Nodes n(abi::Forwarding::fullnat, o);
  Dataplane &a = n.a, &b = n.b;
  SyncTap& tap = n.tap;
  ASSERT_EQ(a.run(topo::from_client(40000, kTcpSyn), 0), lb::Verdict::tx);
  const auto records = tap.drain();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].flags & abi::kSyncTemplate, abi::kSyncTemplate);
  EXPECT_EQ(records[1].flags & abi::kSyncPersistent, abi::kSyncPersistent);
  install(b, records);
  EXPECT_EQ(b.counter(abi::Counter::sync_installed), 2u);
  const lb::Conn* copy = b.client_conn(40000);
  ASSERT_NE(copy, nullptr);
  EXPECT_TRUE(copy->flags & lb::kPersistent);
  // A new connection of the same client on B goes to the template's server, as on A.
  auto at_a = build_frame(topo::from_client(40001, kTcpSyn));
  auto at_b = at_a;
  ASSERT_EQ(a.run(at_a, 0), lb::Verdict::tx);
  ASSERT_EQ(b.run(at_b, 0), lb::Verdict::tx);
  EXPECT_EQ(b.counter(abi::Counter::persistence_hits), 1u);
  const lb::Conn* fresh_b = b.client_conn(40001);
  const lb::Conn* fresh_a = a.client_conn(40001);
  EXPECT_EQ(fresh_b->backend_id, fresh_a->backend_id);
}

}  // namespace
