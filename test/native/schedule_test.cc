// test/native/schedule_test.cc — lb::schedule for each of the 12 IPVS schedulers on a hand-built snapshot with chosen per-worker loads: picks, ties, weights, quiescent and overloaded servers, tables, locality.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "core/hash.h"
#include "lb/schedule.h"
#include "snapshot_fixture.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using abi::Scheduler;
constexpr uint32_t kNone = lb::kNoBackend;

std::vector<BackendSpec> servers(std::vector<uint32_t> weights) {
  std::vector<BackendSpec> out;
  for (uint8_t i = 0; i < weights.size(); ++i) {
    BackendSpec b{ipv4(10, 0, 2, static_cast<uint8_t>(11 + i)), 8080, mac_of(2, 0xbb, 0, 0, 0, static_cast<uint8_t>(i + 1))};
    b.weight = weights[i];
    out.push_back(b);
  }
  return out;
}

// One nat service VIP:80/tcp over `backends`, installed in the CoreState of worker `id`.
struct Sched {
  Sched(Scheduler s, const std::vector<BackendSpec>& backends, std::vector<uint32_t> table = {}, uint32_t workers = 1,
        uint32_t id = 0, uint64_t seed = 0x5eed)
      : tables(workers) {
    SnapshotBuilder b(workers, topo::kPorts);
    ServiceOptions o;
    o.forwarding = abi::Forwarding::nat;
    o.scheduler = s;
    o.table = std::move(table);
    b.add_service(topo::kVip, 80, 6, backends, abi::kNoPool, o);
    const auto st = build(b.bytes(), workers, topo::kPorts, tables, snap, seed);
    EXPECT_TRUE(st.is_ok()) << st.message;
    cs = std::make_unique<lb::CoreState>(id, workers, 64, seed, kPortKey, tables.row(id));
    cs->install(snap.get());
  }
  uint32_t pick(uint32_t saddr = topo::kCip, uint32_t daddr = topo::kVip) {
    return lb::schedule(*cs, snap->services[0], saddr, daddr);
  }
  std::vector<uint32_t> picks(int n) {
    std::vector<uint32_t> out;
    for (int i = 0; i < n; ++i) out.push_back(pick());
    return out;
  }
  lb::BackendLoad& load(uint32_t i) { return cs->counters_of(i).load; }
  // Another worker's count of server i, as that worker would keep it.
  lb::BackendLoad& load_on(uint32_t worker, uint32_t i) { return tables.servers.counters(worker)[snap->server_slot[i]].load; }
  // The other workers' load of server i as the control thread publishes it to this worker.
  lb::PeerLoad& peers(uint32_t i) { return tables.servers.peer_loads(cs->id)[snap->server_slot[i]]; }
  void set(uint32_t i, uint32_t active, uint32_t inactive) { load(i).active = active, load(i).inactive = inactive; }
  void weight(uint32_t i, uint32_t w) { snap->backends[i].weight = w; }

  EngineTables tables;
  std::unique_ptr<lb::Snapshot> snap;
  std::unique_ptr<lb::CoreState> cs;
};

using V = std::vector<uint32_t>;

TEST(Schedule, RoundRobinSkipsQuiescentAndOverloaded) {
  Sched s(Scheduler::rr, servers({1, 1, 1}));
  EXPECT_EQ(s.picks(6), (V{0, 1, 2, 0, 1, 2}));
  s.weight(1, 0);
  EXPECT_EQ(s.picks(4), (V{0, 2, 0, 2}));
  s.load(2).overloaded = true;
  EXPECT_EQ(s.picks(3), (V{0, 0, 0}));
  s.weight(0, 0);
  EXPECT_EQ(s.pick(), kNone);
  // Worker 1 of 2 starts at entry 3 * 1 / 2 = 1.
  Sched w1(Scheduler::rr, servers({1, 1, 1}), {}, 2, 1);
  EXPECT_EQ(w1.picks(4), (V{1, 2, 0, 1}));
}

TEST(Schedule, WeightedRoundRobinFollowsTheTable) {
  Sched s(Scheduler::wrr, servers({3, 2, 1}), {0, 1, 0, 2, 0, 1});
  EXPECT_EQ(s.picks(12), (V{0, 1, 0, 2, 0, 1, 0, 1, 0, 2, 0, 1}));
  s.load(0).overloaded = true;
  EXPECT_EQ(s.picks(6), (V{1, 2, 1, 1, 2, 1}));
}

TEST(Schedule, LeastConnectionByOverheadIgnoringWeight) {
  Sched s(Scheduler::lc, servers({1, 10, 1}));
  s.set(0, 1, 0), s.set(1, 0, 200), s.set(2, 0, 300);  // overheads 256, 200, 300
  EXPECT_EQ(s.pick(), 1u);
  s.set(1, 0, 256);  // 256 = 256: the earlier server
  EXPECT_EQ(s.pick(), 0u);
  s.set(0, 0, 100), s.set(1, 0, 200);  // weight 10 does not matter to lc
  EXPECT_EQ(s.pick(), 0u);
  s.load(0).overloaded = true;
  EXPECT_EQ(s.pick(), 1u);
  s.weight(1, 0);
  EXPECT_EQ(s.pick(), 2u);
}

TEST(Schedule, WeightedLeastConnection) {
  Sched s(Scheduler::wlc, servers({1, 3, 2}));
  s.set(0, 1, 0), s.set(1, 2, 100), s.set(2, 1, 150);  // 256/1, 612/3 = 204, 406/2 = 203
  EXPECT_EQ(s.pick(), 2u);
  s.set(2, 1, 154);  // 410/2 = 205
  EXPECT_EQ(s.pick(), 1u);
  s.set(0, 0, 100), s.set(1, 0, 300), s.set(2, 0, 200);  // 100/1 = 300/3 = 200/2: the first
  EXPECT_EQ(s.pick(), 0u);
  s.weight(0, 0);
  EXPECT_EQ(s.pick(), 1u);
}

TEST(Schedule, ShortestExpectedDelay) {
  Sched s(Scheduler::sed, servers({1, 3, 4}));
  s.set(0, 0, 5000), s.set(1, 2, 0), s.set(2, 3, 0);  // (0+1)/1 = (2+1)/3 = 1 = (3+1)/4: inactive ignored
  EXPECT_EQ(s.pick(), 0u);
  s.set(2, 2, 0);  // 3/4
  EXPECT_EQ(s.pick(), 2u);
  s.load(2).overloaded = true;
  EXPECT_EQ(s.pick(), 0u);
}

TEST(Schedule, NeverQueueTakesAnIdleServerFirst) {
  Sched s(Scheduler::nq, servers({100, 1, 1}));
  s.set(0, 5, 0), s.set(1, 0, 1000), s.set(2, 0, 0);  // sed would pick 0 (6/100); 1 is idle
  EXPECT_EQ(s.pick(), 1u) << "the first idle server, inactive connections notwithstanding";
  s.load(1).overloaded = true;
  EXPECT_EQ(s.pick(), 2u);
  s.set(2, 1, 0);  // nobody idle: (5+1)/100 < (1+1)/1
  EXPECT_EQ(s.pick(), 0u);
  s.weight(0, 0);
  EXPECT_EQ(s.pick(), 2u);
}

TEST(Schedule, LocalityKeepsADestinationOnItsServer) {
  const uint32_t d1 = ipv4(192, 0, 2, 1), d2 = ipv4(192, 0, 2, 2);
  Sched s(Scheduler::lblc, servers({4, 4, 4}));
  EXPECT_EQ(s.pick(topo::kCip, d1), 0u);  // empty table: wlc, all idle, the first
  s.set(0, 3, 0);
  EXPECT_EQ(s.pick(ipv4(198, 51, 100, 99), d1), 0u) << "busier, not overloaded (3 <= weight 4): stays";
  EXPECT_EQ(s.pick(topo::kCip, d2), 1u) << "a new destination: wlc";
  s.set(0, 5, 0), s.set(1, 2, 0), s.set(2, 2, 0);
  EXPECT_EQ(s.pick(topo::kCip, d1), 0u) << "above its weight, but no server is under half of its own";
  s.set(2, 1, 0);  // 1 * 2 < 4
  EXPECT_EQ(s.pick(topo::kCip, d1), 2u) << "overloaded by the lblc rule: rescheduled by wlc";
  s.set(2, 4, 0);
  EXPECT_EQ(s.pick(topo::kCip, d1), 2u) << "the entry now names server 2";
  s.weight(2, 0);
  EXPECT_EQ(s.pick(topo::kCip, d1), 1u) << "quiescent: rescheduled (wlc: 512/4 < 1280/4)";
  s.weight(0, 0), s.weight(1, 0);
  EXPECT_EQ(s.pick(topo::kCip, d1), kNone);
}

TEST(Schedule, LocalityWithReplicationGrowsASetWithoutDuplicates) {
  const uint32_t d = ipv4(192, 0, 2, 1);
  Sched s(Scheduler::lblcr, servers({8, 8, 8}));
  EXPECT_EQ(s.pick(topo::kCip, d), 0u);
  s.set(0, 9, 0), s.set(1, 3, 0), s.set(2, 1, 0);  // 0 overloaded (9 > 8, and 2 * 1 < 8): add wlc's pick
  EXPECT_EQ(s.pick(topo::kCip, d), 2u);
  s.set(0, 5, 0), s.set(2, 6, 0);  // set {0, 2}: its least loaded, though server 1 is idler
  EXPECT_EQ(s.pick(topo::kCip, d), 0u);
  s.set(0, 7, 0);
  EXPECT_EQ(s.pick(topo::kCip, d), 2u);

  // A member overloaded by the rule while wlc (which counts inactive connections) still
  // prefers it: the set must not take it twice (ip_vs_dest_set_insert checks).
  Sched t(Scheduler::lblcr, servers({1, 10}));
  EXPECT_EQ(t.pick(topo::kCip, d), 0u);
  t.set(0, 2, 0), t.set(1, 0, 10000);  // 0: 2 > 1 and server 1 is under half; wlc: 512/1 < 10000/10
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t.pick(topo::kCip, d), 0u);
  std::set<uint32_t> members;
  uint32_t entries = 0;
  for (uint32_t k = 0; k < lb::CoreState::kLocalityEntries; ++k) {
    const lb::LocalityEntry& e = t.cs->locality[k];
    if (e.count == 0) continue;
    ++entries;
    EXPECT_EQ(e.destination, d);
    for (uint32_t m = 0; m < e.count; ++m) EXPECT_TRUE(members.insert(e.backend_ids[m]).second) << "duplicate " << e.backend_ids[m];
  }
  EXPECT_EQ(entries, 1u);
  EXPECT_EQ(members, (std::set<uint32_t>{1000}));
}

// sh, mh and dh index the table by a keyed hash of one address (its lb::sched_key: an IPv4
// address itself), the key derived from the port key (not the engine's random seed): slot = h * n >> 32.
uint32_t slot_of(uint64_t address_key, uint32_t n, const xvs::core::SipKey& port_key = kPortKey) {
  const xvs::core::SipKey hash_key = lb::CoreState::scheduler_key_of(port_key);
  return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(xvs::core::hash_u64(hash_key, address_key))) * n) >> 32);
}

// Another port key places clients elsewhere: an outsider who does not know the key cannot pick
// addresses that all land on one server.
TEST(Schedule, TheHashedSchedulersKeyIsThePortKeys) {
  const xvs::core::SipKey other{0x1234, 0x5678};
  uint32_t moved = 0;
  for (uint32_t i = 0; i < 64; ++i) moved += slot_of(ipv4(198, 51, 100, static_cast<uint8_t>(i)), 1024) != slot_of(ipv4(198, 51, 100, static_cast<uint8_t>(i)), 1024, other);
  EXPECT_GT(moved, 56u);
}

TEST(Schedule, HashedSchedulersIndexTheTable) {
  const V table = {0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 2, 0, 1, 0, 2, 2};
  for (Scheduler sched : {Scheduler::sh, Scheduler::mh, Scheduler::dh}) {
    SCOPED_TRACE(int(sched));
    Sched s(sched, servers({1, 1, 1}), table);
    Sched other_worker(sched, servers({1, 1, 1}), table, 4, 3, 0xabcdef);  // other seed, other worker: same picks
    const bool by_destination = sched == Scheduler::dh;
    std::set<uint32_t> chosen;
    for (uint32_t i = 0; i < 64; ++i) {
      const uint32_t a = ipv4(198, 51, static_cast<uint8_t>(i * 7), static_cast<uint8_t>(i * 13 + 1));
      const uint32_t fixed = ipv4(192, 0, 2, 1);
      const uint32_t saddr = by_destination ? fixed : a, daddr = by_destination ? a : fixed;
      const uint32_t want = table[slot_of(a, 16)];
      ASSERT_EQ(s.pick(saddr, daddr), want) << i;
      ASSERT_EQ(s.pick(saddr, daddr), want) << "stable";
      ASSERT_EQ(other_worker.pick(saddr, daddr), want);
      // The other address does not matter.
      ASSERT_EQ(s.pick(by_destination ? ipv4(1, 2, 3, 4) : saddr, by_destination ? daddr : ipv4(5, 6, 7, 8)), want);
      chosen.insert(want);
    }
    EXPECT_EQ(chosen.size(), 3u);
    // No fallback: the slot's server is quiescent or overloaded -> nothing.
    const uint32_t a = ipv4(198, 51, 100, 7);
    const uint32_t victim = table[slot_of(a, 16)];
    s.weight(victim, 0);
    EXPECT_EQ(s.pick(a, a), kNone);
    s.weight(victim, 1);
    s.load(victim).overloaded = true;
    EXPECT_EQ(s.pick(a, a), kNone);
  }
  Sched empty(Scheduler::sh, servers({1}), {});
  empty.snap->services[0].sched_count = 0;
  EXPECT_EQ(empty.pick(), kNone);
}

// An IPv6 client (sh, mh) or destination (dh) is folded to one word first (lb::sched_key): both
// halves of the address move it across the table, the same address always lands alike, and the
// other address does not matter.
TEST(Schedule, HashedSchedulersFoldAnIpv6AddressWhole) {
  const V table = {0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 2, 0, 1, 0, 2, 2};
  const auto address = [](uint16_t high, uint16_t low) {
    xvs::core::Ipv6Address a{};
    const uint8_t bytes[16] = {0x20, 0x01, 0x0d, 0xb8, static_cast<uint8_t>(high >> 8), static_cast<uint8_t>(high), 0, 0,
                               0, 0, 0, 0, 0, 0, static_cast<uint8_t>(low >> 8), static_cast<uint8_t>(low)};
    std::memcpy(a.bytes, bytes, 16);
    return a;
  };
  for (Scheduler sched : {Scheduler::sh, Scheduler::mh, Scheduler::dh}) {
    SCOPED_TRACE(int(sched));
    Sched s(sched, servers({1, 1, 1}), table);
    const bool by_destination = sched == Scheduler::dh;
    const auto pick = [&](const xvs::core::Ipv6Address& a, const xvs::core::Ipv6Address& other) {
      return by_destination ? lb::schedule(*s.cs, s.snap->services[0], other, a) : lb::schedule(*s.cs, s.snap->services[0], a, other);
    };
    std::set<uint32_t> by_high, by_low;
    for (uint16_t i = 0; i < 32; ++i) {
      const xvs::core::Ipv6Address high = address(i, 1), low = address(0, static_cast<uint16_t>(i + 1));
      for (const auto& a : {high, low}) {
        const uint32_t want = table[slot_of(lb::sched_key(a), 16)];
        ASSERT_EQ(pick(a, address(7, 7)), want) << i;
        ASSERT_EQ(pick(a, address(7, 7)), want) << "stable";
        ASSERT_EQ(pick(a, address(7, 7)), pick(a, address(9, 9))) << "the other address does not matter";
      }
      by_high.insert(pick(high, address(7, 7)));
      by_low.insert(pick(low, address(7, 7)));
    }
    EXPECT_EQ(by_high.size(), 3u) << "the first 64 bits move a client";
    EXPECT_EQ(by_low.size(), 3u) << "the last 64 bits move a client";
  }
}

TEST(Schedule, FailoverTakesTheFirstUsableEntry) {
  Sched s(Scheduler::fo, servers({1, 5, 9}), {2, 0, 1});
  EXPECT_EQ(s.picks(3), (V{2, 2, 2}));
  s.load(2).overloaded = true;
  EXPECT_EQ(s.pick(), 0u);
  s.weight(0, 0);
  EXPECT_EQ(s.pick(), 1u);
  s.load(2).overloaded = false;
  EXPECT_EQ(s.pick(), 2u);
  s.weight(1, 0), s.weight(2, 0);
  EXPECT_EQ(s.pick(), kNone);
}

// Dynamic schedulers read this worker's own counts, never another worker's live ones...
TEST(Schedule, LoadsArePerWorker) {
  Sched s(Scheduler::lc, servers({1, 1}), {}, 2, 1);
  s.load_on(0, 1).active = 100;  // worker 0's count
  s.set(0, 1, 0);
  EXPECT_EQ(s.pick(), 1u);
}
}  // namespace

// ...plus the other workers' loads as last published by the control thread (PeerLoad).
namespace {
TEST(Schedule, DynamicSchedulersAddThePeersPublishedLoads) {
  Sched s(Scheduler::wlc, servers({1, 1}), {}, 2, 1);
  s.set(0, 1, 0);                           // own row: server 0 busier (256 vs 0)
  s.peers(1) = {3, 0};                      // the other worker: server 1 has 3 active
  EXPECT_EQ(s.pick(), 0u) << "256 + 0 < 0 + 768";
  s.peers(1) = {0, 100};
  EXPECT_EQ(s.pick(), 1u) << "256 > 100";
  Sched nq(Scheduler::nq, servers({1, 1}), {}, 2, 1);
  nq.peers(0) = {1, 0};                     // idle here, busy on the other worker
  EXPECT_EQ(nq.pick(), 1u) << "nq's idle server is idle cluster-wide";
}
}  // namespace
