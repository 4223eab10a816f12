// test/native/conn_table_buckets_test.cc — ConnTable's buckets: one-line connections, tag collisions resolved by the full key, overflow chains (inserts never fail below capacity, removals pull chained tuples back into the slots), exact fullness, and agreement with a std::map model under random operations with few buckets.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "core/net.h"
#include "lb/conn_table.h"

namespace {
using namespace xvs::lb;
using xvs::core::htons;
using xvs::core::kIpProtoTcp;
using xvs::core::kIpProtoUdp;

constexpr uint32_t kVip = 0x0a71'00cb, kRip = 0x0b02'000a, kLip = 0x6402'000a;

// Client side i: a distinct (address, port) per i; server side: local port i.
ConnTuple client(uint32_t i) { return {0x0a00'0000u + (i >> 16), kVip, htons(static_cast<uint16_t>(i)), htons(80)}; }
ConnTuple server(uint32_t i) { return {kRip, kLip + (i >> 16), htons(8080), htons(static_cast<uint16_t>(i))}; }
Conn* add(ConnTable& t, uint32_t i) { return t.insert(kIpProtoTcp, client(i), server(i), kLinkClient | kLinkServer); }
ConnLookup find(const ConnTable& t, const ConnTuple& k, uint8_t proto = kIpProtoTcp) {
  return t.lookup(proto, k.saddr, k.daddr, k.sport, k.dport);
}
ConnTable::Probe probe(const ConnTable& t, const ConnTuple& k) {
  return t.probe(kIpProtoTcp, k.saddr, k.daddr, k.sport, k.dport);
}
// Both tuples of connection i lead to c.
void expect_found(const ConnTable& t, uint32_t i, const Conn* c) {
  const ConnLookup a = find(t, client(i)), b = find(t, server(i));
  EXPECT_EQ(a.conn, c) << i;
  EXPECT_EQ(a.direction, kFromClient) << i;
  EXPECT_EQ(b.conn, c) << i;
  EXPECT_EQ(b.direction, kFromServer) << i;
}

// (One cache line per connection and per bucket: static_asserts in conn.h and conn_table.h.)
TEST(ConnTableBuckets, ABucketPerTwoConnectionsAndAlignedConnections) {
  ConnTable t(1024, 7);
  EXPECT_EQ(t.bucket_count(), 513u) << "capacity / 2 + 1";
  Conn* c = add(t, 1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(c) % 64, 0u);
  // Memory: the connection, four overflow links (two lines' worth), its share of buckets (32 and
  // a bit) and two free-line bits, rounded up.
  EXPECT_EQ(ConnTable::bytes_per_connection(1u << 20), 64u + 16 + 33);
  for (uint32_t capacity : {1u, 2u, 3u, 1024u, 1025u, 1000000u, 1u << 24})
    EXPECT_LE(ConnTable::bytes_per_connection(capacity), capacity < 16 ? 160u : 114u) << capacity;
}

// Many client tuples with one tag in one bucket: each lookup tells them apart by the full key,
// and a tuple with that tag that was never inserted misses.
TEST(ConnTableBuckets, EqualTagsAreToldApartByTheKey) {
  ConnTable t(64, 0xabcdef, 1);  // one bucket: every tuple hashes there
  // Client tuples that share the tag of client(0): about one in 65 535 does.
  const uint16_t tag = probe(t, client(0)).tag;
  std::vector<uint32_t> same;
  for (uint32_t i = 0; same.size() < 25; ++i)
    if (probe(t, client(i)).tag == tag) same.push_back(i);
  for (size_t k = 0; k < 20; ++k) ASSERT_NE(add(t, same[k]), nullptr);
  EXPECT_EQ(t.size(), 20u);
  EXPECT_EQ(t.overflowed(), 30u) << "40 tuples, 10 slots";
  for (size_t k = 0; k < 20; ++k) expect_found(t, same[k], find(t, client(same[k])).conn);
  std::set<const Conn*> distinct;
  for (size_t k = 0; k < 20; ++k) distinct.insert(find(t, client(same[k])).conn);
  EXPECT_EQ(distinct.size(), 20u);
  for (size_t k = 20; k < 25; ++k) {
    EXPECT_EQ(find(t, client(same[k])).conn, nullptr) << "same tag, never inserted";
    EXPECT_EQ(find(t, client(same[k]), kIpProtoUdp).conn, nullptr);
  }
  // Removing every other one leaves the rest reachable, in slots or on the chain.
  for (size_t k = 0; k < 20; k += 2) t.remove(find(t, client(same[k])).conn);
  for (size_t k = 0; k < 20; ++k) {
    if (k % 2 == 0) EXPECT_EQ(find(t, client(same[k])).conn, nullptr) << k;
    else expect_found(t, same[k], find(t, client(same[k])).conn);
  }
  EXPECT_EQ(t.overflowed(), 10u) << "20 tuples left, the slots refilled from the chain";
}

// All tuples in one bucket: 10 in its slots, the rest on its overflow chain. Inserts succeed
// exactly up to capacity; a removal makes room and pulls a chained tuple into a freed slot.
TEST(ConnTableBuckets, OverflowNeverRefusesBelowCapacity) {
  constexpr uint32_t kCapacity = 500;
  ConnTable t(kCapacity, 3, 1);
  std::vector<Conn*> conns;
  for (uint32_t i = 0; i < kCapacity; ++i) {
    conns.push_back(add(t, i));
    ASSERT_NE(conns.back(), nullptr) << i;
  }
  EXPECT_EQ(t.overflowed(), 2 * kCapacity - ConnTable::kSlots);
  EXPECT_EQ(add(t, kCapacity), nullptr) << "full";
  EXPECT_EQ(find(t, client(kCapacity)).conn, nullptr) << "a refused insert links nothing";
  EXPECT_EQ(t.overflowed(), 2 * kCapacity - ConnTable::kSlots);
  for (uint32_t i = 0; i < kCapacity; i += 37) expect_found(t, i, conns[i]);

  // The first connections sit in the slots: removing one pulls two chained tuples in.
  t.remove(conns[0]);
  EXPECT_EQ(t.overflowed(), 2 * kCapacity - ConnTable::kSlots - 2);
  Conn* again = add(t, kCapacity);
  ASSERT_EQ(again, conns[0]) << "the freed connection is reused";
  expect_found(t, kCapacity, again);
  EXPECT_EQ(add(t, kCapacity + 1), nullptr);

  // Remove everything in an order that mixes slots and chain positions.
  std::vector<uint32_t> order;
  for (uint32_t i = 1; i <= kCapacity; ++i) order.push_back(i);
  std::shuffle(order.begin(), order.end(), std::mt19937(5));
  for (size_t k = 0; k < order.size(); ++k) {
    const uint32_t i = order[k];
    Conn* c = find(t, client(i)).conn;
    ASSERT_NE(c, nullptr) << i;
    t.remove(c);
    ASSERT_EQ(find(t, client(i)).conn, nullptr) << i;
    ASSERT_EQ(find(t, server(i)).conn, nullptr) << i;
    if (k % 50 == 0)
      for (size_t m = k + 1; m < order.size(); m += 7) expect_found(t, order[m], find(t, client(order[m])).conn);
  }
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.overflowed(), 0u);
}

// With the engine's bucket count the table fills to exactly its capacity.
TEST(ConnTableBuckets, FillsExactlyToCapacity) {
  constexpr uint32_t kCapacity = 50000;
  ConnTable t(kCapacity, 11);
  for (uint32_t i = 0; i < kCapacity; ++i) ASSERT_NE(add(t, i), nullptr) << i;
  EXPECT_EQ(add(t, kCapacity), nullptr);
  EXPECT_LT(t.overflowed(), 2 * kCapacity / 100) << "chains stay rare at 4 tuples per bucket";
  for (uint32_t i = 0; i < kCapacity; i += 101) expect_found(t, i, find(t, client(i)).conn);
  t.remove(find(t, server(777)).conn);
  EXPECT_NE(add(t, kCapacity), nullptr) << "a removal makes room";
  EXPECT_EQ(add(t, kCapacity + 1), nullptr);
}

// Random inserts and removals against a std::map, with 1, 7 and the default number of buckets:
// every lookup agrees, and the table is full exactly when the model holds `capacity` entries.
class ConnTableModel : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ConnTableModel, RandomOperationsAgreeWithAMap) {
  constexpr uint32_t kCapacity = 300;
  ConnTable t(kCapacity, 0x5151, GetParam());
  using Key = std::pair<uint8_t, uint32_t>;  // protocol, flow number
  std::map<Key, Conn*> model;
  std::mt19937 rng(GetParam() + 1);
  auto tuples_of = [](const Key& k) { return std::pair{client(k.second), server(k.second)}; };
  uint32_t refused = 0;
  for (int op = 0; op < 20000; ++op) {
    const Key k{rng() % 4 ? kIpProtoTcp : kIpProtoUdp, rng() % 600};
    auto it = model.find(k);
    const auto [fc, fs] = tuples_of(k);
    if (it == model.end()) {
      Conn* c = t.insert(k.first, fc, fs, rng() % 8 ? (kLinkClient | kLinkServer) : kLinkClient);
      if (model.size() == kCapacity) {
        ASSERT_EQ(c, nullptr) << op;
        ++refused;
      } else {
        ASSERT_NE(c, nullptr) << op;
        model[k] = c;
      }
    } else {
      t.remove(it->second);
      model.erase(it);
    }
    ASSERT_EQ(t.size(), model.size());
    const Key q{rng() % 4 ? kIpProtoTcp : kIpProtoUdp, rng() % 600};
    const auto [qc, qs] = tuples_of(q);
    auto found = model.find(q);
    const ConnLookup a = find(t, qc, q.first);
    ASSERT_EQ(a.conn, found == model.end() ? nullptr : found->second) << op;
    if (a.conn != nullptr) {
      ASSERT_EQ(a.direction, kFromClient);
    }
    const ConnLookup b = find(t, qs, q.first);
    const bool server_linked = found != model.end() && (found->second->flags & kLinkServer);
    ASSERT_EQ(b.conn, server_linked ? found->second : nullptr) << op;
    if (op % 2000 == 0) {
      for (const auto& [key, c] : model) ASSERT_EQ(find(t, tuples_of(key).first, key.first).conn, c);
    }
  }
  EXPECT_GT(refused, 0u) << "the run should also meet a full table";
  while (!model.empty()) {
    t.remove(model.begin()->second);
    model.erase(model.begin());
  }
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.overflowed(), 0u);
}
INSTANTIATE_TEST_SUITE_P(Buckets, ConnTableModel, ::testing::Values(1u, 7u, 0u));

}  // namespace
