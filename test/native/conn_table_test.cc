// test/native/conn_table_test.cc — ConnTable: two-way lookup, full unlink, capacity, timer-ordered budgeted expiry, and agreement with a map model (bucket internals: conn_table_buckets_test.cc).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>
#include <vector>

#include "core/net.h"
#include "lb/conn_table.h"

namespace {
using namespace xvs::lb;
using xvs::core::htons;
using xvs::core::kIpProtoTcp;
using xvs::core::kIpProtoUdp;

constexpr uint32_t kCip = 0x0764'33c6, kVip = 0x0a71'00cb, kRip = 0x0b02'000a, kLip = 0x6402'000a;

ConnTuple client_side(uint16_t cport) { return {kCip, kVip, htons(cport), htons(80)}; }
ConnTuple server_side(uint16_t lport) { return {kRip, kLip, htons(8080), htons(lport)}; }

Conn* add(ConnTable& t, uint16_t cport, uint16_t lport, uint8_t proto = kIpProtoTcp) {
  return t.insert(proto, client_side(cport), server_side(lport), kLinkClient | kLinkServer);
}
ConnLookup find(const ConnTable& t, const ConnTuple& k, uint8_t proto = kIpProtoTcp) {
  return t.lookup(proto, k.saddr, k.daddr, k.sport, k.dport);
}

TEST(ConnTable, InsertAndLookupFromBothDirections) {
  ConnTable t(1024, 42);
  Conn* c = add(t, 40000, 1024);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(c->protocol, kIpProtoTcp);

  const ConnLookup from_client = find(t, client_side(40000));
  EXPECT_EQ(from_client.conn, c);
  EXPECT_EQ(from_client.direction, kFromClient);
  const ConnLookup from_server = find(t, server_side(1024));
  EXPECT_EQ(from_server.conn, c);
  EXPECT_EQ(from_server.direction, kFromServer);
  EXPECT_EQ(c->tuple[kFromServer].dport, htons(1024));
}

TEST(ConnTable, LookupMissesOnAnyDifferentField) {
  ConnTable t(1024, 42);
  ASSERT_NE(add(t, 40000, 1024), nullptr);
  const ConnTuple k = client_side(40000);
  EXPECT_EQ(find(t, k, kIpProtoUdp).conn, nullptr) << "protocol";
  EXPECT_EQ(t.lookup(kIpProtoTcp, k.saddr, k.daddr, htons(40001), k.dport).conn, nullptr) << "sport";
  EXPECT_EQ(t.lookup(kIpProtoTcp, k.saddr, k.daddr, k.sport, htons(81)).conn, nullptr) << "dport";
  EXPECT_EQ(t.lookup(kIpProtoTcp, k.saddr + 1, k.daddr, k.sport, k.dport).conn, nullptr) << "saddr";
  EXPECT_EQ(t.lookup(kIpProtoTcp, k.saddr, k.daddr + 1, k.sport, k.dport).conn, nullptr) << "daddr";
  // Reversed client tuple (VIP -> CIP) is neither direction.
  EXPECT_EQ(t.lookup(kIpProtoTcp, k.daddr, k.saddr, k.dport, k.sport).conn, nullptr) << "reversed";
}

TEST(ConnTable, RemoveUnlinksBothTuples) {
  ConnTable t(1024, 42);
  Conn* a = add(t, 40000, 1024);
  Conn* b = add(t, 40001, 1026);
  t.touch(a, ConnState::tcp_syn_recv, 0, 10);
  t.remove(a);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(find(t, client_side(40000)).conn, nullptr);
  EXPECT_EQ(find(t, server_side(1024)).conn, nullptr);
  EXPECT_EQ(find(t, client_side(40001)).conn, b);
  EXPECT_EQ(find(t, server_side(1026)).conn, b);
  // Removed while on a timer list: expiry never sees it.
  uint32_t calls = 0;
  EXPECT_EQ(t.expire(1000, 100, [&](const Conn&) { ++calls; }), 0u);
  EXPECT_EQ(calls, 0u);
}

TEST(ConnTable, FullTableRefusesUntilARemove) {
  ConnTable t(1024, 42);
  std::vector<Conn*> conns;
  for (uint16_t i = 0; i < 1024; ++i) {
    conns.push_back(add(t, static_cast<uint16_t>(10000 + i), static_cast<uint16_t>(2000 + i)));
    ASSERT_NE(conns.back(), nullptr) << i;
  }
  EXPECT_EQ(t.size(), 1024u);
  EXPECT_EQ(add(t, 9999, 9999), nullptr);
  EXPECT_EQ(t.size(), 1024u);
  EXPECT_EQ(find(t, client_side(9999)).conn, nullptr) << "a refused insert links nothing";

  t.remove(conns[500]);
  Conn* again = add(t, 9999, 9999);
  EXPECT_EQ(again, conns[500]) << "the freed slot is reused";
  EXPECT_EQ(find(t, client_side(9999)).conn, again);
  EXPECT_EQ(find(t, client_side(10500)).conn, nullptr);
  EXPECT_EQ(add(t, 9998, 9998), nullptr);
}

// Collects the client ports of the connections expire() hands out, in call order.
std::vector<uint16_t> expire_ports(ConnTable& t, uint32_t now, uint32_t budget) {
  std::vector<uint16_t> out;
  const uint32_t n = t.expire(now, budget, [&](const Conn& c) { out.push_back(xvs::core::ntohs(c.tuple[kFromClient].sport)); });
  EXPECT_EQ(n, out.size());
  return out;
}

TEST(ConnTable, ExpiryPopsOnlyExpiredInOrderPerClass) {
  ConnTable t(1024, 42);
  // tcp_syn: 1 expires at 10, 2 at 11, 3 at 12. udp: 4 at 5, 5 at 50. established: 6 at 100.
  t.touch(add(t, 1, 1), ConnState::tcp_syn_recv, 0, 10);
  t.touch(add(t, 2, 2), ConnState::tcp_syn_recv, 1, 10);
  t.touch(add(t, 3, 3), ConnState::tcp_syn_recv, 2, 10);
  t.touch(add(t, 4, 4, kIpProtoUdp), ConnState::udp, 0, 5);
  t.touch(add(t, 5, 5, kIpProtoUdp), ConnState::udp, 0, 50);
  t.touch(add(t, 6, 6), ConnState::tcp_established, 0, 100);

  EXPECT_EQ(expire_ports(t, 4, 100), std::vector<uint16_t>{}) << "nothing is due at 4";
  EXPECT_EQ(expire_ports(t, 11, 100), (std::vector<uint16_t>{1, 2, 4})) << "expires == now counts as expired";
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(find(t, client_side(1)).conn, nullptr);
  EXPECT_NE(find(t, client_side(3)).conn, nullptr);
  // One list per state, visited in enum order: established, syn_recv, ..., udp.
  EXPECT_EQ(expire_ports(t, 1000, 100), (std::vector<uint16_t>{6, 3, 5}));
  EXPECT_EQ(t.size(), 0u);
}

// A state change moves a connection to that state's list; a touch with the same state and
// deadline is a no-op; touching a removed-and-reinserted slot starts from no list.
TEST(ConnTable, EveryStateHasItsOwnList) {
  ConnTable t(1024, 42);
  for (uint32_t s = 0; s < kConnStates; ++s) {
    Conn* c = add(t, static_cast<uint16_t>(100 + s), static_cast<uint16_t>(100 + s));
    t.touch(c, static_cast<ConnState>(kConnStates - 1 - s), 0, 10 + s);  // later states expire earlier
    EXPECT_EQ(c->state, static_cast<ConnState>(kConnStates - 1 - s));
    EXPECT_EQ(c->expires, 10 + s);
  }
  std::vector<uint16_t> want;
  for (uint32_t s = 0; s < kConnStates; ++s) want.push_back(static_cast<uint16_t>(100 + kConnStates - 1 - s));
  EXPECT_EQ(expire_ports(t, 100, 100), want) << "lists in enum order, whatever the deadlines";
  EXPECT_EQ(t.size(), 0u);
}

// Links are chosen per insert: a connection reachable from one side only (dr/tunnel: client
// side; one-packet replies: server side; templates) is invisible from the other.
TEST(ConnTable, InsertLinksOnlyTheRequestedSides) {
  ConnTable t(1024, 42);
  Conn* client_only = t.insert(kIpProtoTcp, client_side(1), server_side(1), kLinkClient);
  Conn* server_only = t.insert(kIpProtoTcp, client_side(2), server_side(2), kLinkServer);
  Conn* neither = t.insert(kIpProtoTcp, client_side(3), server_side(3), 0);
  ASSERT_NE(client_only, nullptr);
  ASSERT_NE(server_only, nullptr);
  ASSERT_NE(neither, nullptr);
  EXPECT_EQ(client_only->flags, kLinkClient);
  EXPECT_EQ(server_only->flags, kLinkServer);
  EXPECT_EQ(neither->flags, 0);
  EXPECT_EQ(client_only->state, ConnState::unarmed) << "on no list until touched";
  EXPECT_EQ(find(t, client_side(1)).conn, client_only);
  EXPECT_EQ(find(t, server_side(1)).conn, nullptr);
  EXPECT_EQ(find(t, client_side(2)).conn, nullptr);
  EXPECT_EQ(find(t, server_side(2)).conn, server_only);
  EXPECT_EQ(find(t, server_side(2)).direction, kFromServer);
  EXPECT_EQ(find(t, client_side(3)).conn, nullptr);
  EXPECT_EQ(find(t, server_side(3)).conn, nullptr);
  EXPECT_EQ(t.size(), 3u);
  // Removing unlinks only what was linked; the other connections' chains stay intact.
  t.remove(client_only);
  t.remove(neither);
  EXPECT_EQ(find(t, client_side(1)).conn, nullptr);
  EXPECT_EQ(find(t, server_side(2)).conn, server_only);
  // A template uses a protocol no packet carries: the same tuple under TCP misses it.
  const ConnTuple key{kCip, kVip, 0, htons(80)};
  Conn* tmpl = t.insert(0x80 | kIpProtoTcp, key, key, kLinkClient);
  EXPECT_EQ(t.lookup(0x80 | kIpProtoTcp, kCip, kVip, 0, htons(80)).conn, tmpl);
  EXPECT_EQ(t.lookup(kIpProtoTcp, kCip, kVip, 0, htons(80)).conn, nullptr);
  t.remove(tmpl);
  EXPECT_EQ(t.size(), 1u);
}

TEST(ConnTable, ExpiryRespectsTheBudget) {
  ConnTable t(1024, 42);
  for (uint16_t i = 1; i <= 5; ++i) t.touch(add(t, i, i), ConnState::tcp_time_wait, i, 1);
  for (uint16_t i = 6; i <= 7; ++i) t.touch(add(t, i, i, kIpProtoUdp), ConnState::udp, 0, 1);
  EXPECT_EQ(expire_ports(t, 100, 2), (std::vector<uint16_t>{1, 2}));
  EXPECT_EQ(expire_ports(t, 100, 0), std::vector<uint16_t>{});
  EXPECT_EQ(expire_ports(t, 100, 4), (std::vector<uint16_t>{3, 4, 5, 6}));
  EXPECT_EQ(expire_ports(t, 100, 4), (std::vector<uint16_t>{7}));
}

// The engine clock is a u32 of seconds: deadlines compare by signed difference across wrap-around.
TEST(ConnTable, ExpiryAcrossClockWrapAround) {
  ConnTable t(1024, 42);
  t.touch(add(t, 1, 1), ConnState::tcp_syn_recv, 0xfffffff0u, 100);  // expires at 0x54
  EXPECT_EQ(t.lookup(kIpProtoTcp, kCip, kVip, htons(1), htons(80)).conn->expires, 0x54u);
  EXPECT_EQ(expire_ports(t, 0xfffffff8u, 10), std::vector<uint16_t>{});
  EXPECT_EQ(expire_ports(t, 0x53, 10), std::vector<uint16_t>{});
  EXPECT_EQ(expire_ports(t, 0x54, 10), std::vector<uint16_t>{1});
}

TEST(ConnTable, TouchMovesToTheTail) {
  ConnTable t(1024, 42);
  Conn* a = add(t, 1, 1);
  Conn* b = add(t, 2, 2);
  Conn* c = add(t, 3, 3);
  for (Conn* x : {a, b, c}) t.touch(x, ConnState::tcp_established, 0, 60);
  t.touch(a, ConnState::tcp_established, 30, 60);  // a now expires at 90
  EXPECT_EQ(a->expires, 90u);
  EXPECT_EQ(expire_ports(t, 60, 100), (std::vector<uint16_t>{2, 3}));
  EXPECT_EQ(expire_ports(t, 89, 100), std::vector<uint16_t>{});
  EXPECT_EQ(expire_ports(t, 90, 100), std::vector<uint16_t>{1});

  // A class change moves a connection to the other list: syn 10 s -> fin 120 s.
  Conn* d = add(t, 4, 4);
  t.touch(d, ConnState::tcp_syn_recv, 100, 10);
  t.touch(d, ConnState::tcp_time_wait, 100, 120);
  EXPECT_EQ(d->state, ConnState::tcp_time_wait);
  EXPECT_EQ(expire_ports(t, 150, 100), std::vector<uint16_t>{});
  EXPECT_EQ(expire_ports(t, 220, 100), std::vector<uint16_t>{4});
}

TEST(ConnTable, RandomOperationsAgreeWithAMapModel) {
  constexpr uint32_t kCapacity = 1024;
  ConnTable t(kCapacity, 0x1234'5678'9abc'def0ull);
  // A small key space, so inserts, re-inserts and removals of the same tuples keep colliding
  // in the table's buckets; a third of the keys are UDP.
  using Key = std::tuple<uint8_t, uint32_t, uint16_t>;  // protocol, client address, client port
  std::map<Key, std::pair<Conn*, uint16_t>> model;      // -> connection, local port
  std::mt19937 rng(99);
  auto random_key = [&] {
    return Key{rng() % 3 ? kIpProtoTcp : kIpProtoUdp, 0x0a000000u + rng() % 64, static_cast<uint16_t>(1 + rng() % 32)};
  };
  auto tuples = [](const Key& k, uint16_t lport) {
    return std::pair{ConnTuple{std::get<1>(k), kVip, htons(std::get<2>(k)), htons(80)},
                     ConnTuple{kRip, kLip, htons(8080), htons(lport)}};
  };
  uint32_t inserted = 0;
  uint32_t refused = 0;
  for (int op = 0; op < 40000; ++op) {
    const Key k = random_key();
    auto it = model.find(k);
    if (it == model.end() && rng() % 4 != 0) {
      const auto lport = static_cast<uint16_t>(1024 + inserted++);  // unique: fewer ops than ports
      const auto [fc, fs] = tuples(k, lport);
      Conn* c = t.insert(std::get<0>(k), fc, fs, kLinkClient | kLinkServer);
      if (model.size() == kCapacity) {
        ASSERT_EQ(c, nullptr);
        ++refused;
      } else {
        ASSERT_NE(c, nullptr);
        model[k] = {c, lport};
      }
    } else if (it != model.end()) {
      t.remove(it->second.first);
      model.erase(it);
    }
    ASSERT_EQ(t.size(), model.size());
    if (op % 1000 == 0 || op > 39900) {
      for (const auto& [key, value] : model) {
        const auto [fc, fs] = tuples(key, value.second);
        const ConnLookup a = find(t, fc, std::get<0>(key)), b = find(t, fs, std::get<0>(key));
        ASSERT_EQ(a.conn, value.first);
        ASSERT_EQ(a.direction, kFromClient);
        ASSERT_EQ(b.conn, value.first);
        ASSERT_EQ(b.direction, kFromServer);
      }
    }
    const Key probe = random_key();
    const ConnLookup hit = find(t, tuples(probe, 0).first, std::get<0>(probe));
    ASSERT_EQ(hit.conn != nullptr, model.count(probe) == 1);
  }
  EXPECT_GT(model.size(), 500u);
  EXPECT_GT(refused, 0u) << "the model run should also hit a full table";
}

TEST(ConnTable, AtMost160BytesPerConnection) {
  for (uint32_t capacity : {1024u, 1025u, 1500u, 65536u, 1u << 20, 3'000'000u, 1u << 27})
    EXPECT_LE(ConnTable::bytes_per_connection(capacity), 160u) << capacity;
}
}  // namespace
