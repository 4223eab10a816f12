// test/native/conn_table_test.cc — ConnTable: two-way lookup, full unlink, capacity, timer-ordered budgeted expiry, and agreement with a map model.
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

ConnTuple client_side(uint16_t cport) { return {kCip, kVip, htons(cport), htons(80), 0}; }
ConnTuple server_side(uint16_t lport) { return {kRip, kLip, htons(8080), htons(lport), 0}; }

Conn* add(ConnTable& t, uint16_t cport, uint16_t lport, uint8_t proto = kIpProtoTcp) {
  return t.insert(proto, client_side(cport), server_side(lport));
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
  t.touch(a, TimerClass::tcp_syn, 0, 10);
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
  t.touch(add(t, 1, 1), TimerClass::tcp_syn, 0, 10);
  t.touch(add(t, 2, 2), TimerClass::tcp_syn, 1, 10);
  t.touch(add(t, 3, 3), TimerClass::tcp_syn, 2, 10);
  t.touch(add(t, 4, 4, kIpProtoUdp), TimerClass::udp, 0, 5);
  t.touch(add(t, 5, 5, kIpProtoUdp), TimerClass::udp, 0, 50);
  t.touch(add(t, 6, 6), TimerClass::tcp_established, 0, 100);

  EXPECT_EQ(expire_ports(t, 4, 100), std::vector<uint16_t>{}) << "nothing is due at 4";
  EXPECT_EQ(expire_ports(t, 11, 100), (std::vector<uint16_t>{1, 2, 4})) << "expires == now counts as expired";
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(find(t, client_side(1)).conn, nullptr);
  EXPECT_NE(find(t, client_side(3)).conn, nullptr);
  EXPECT_EQ(expire_ports(t, 1000, 100), (std::vector<uint16_t>{3, 6, 5}));
  EXPECT_EQ(t.size(), 0u);
}

TEST(ConnTable, ExpiryRespectsTheBudget) {
  ConnTable t(1024, 42);
  for (uint16_t i = 1; i <= 5; ++i) t.touch(add(t, i, i), TimerClass::tcp_fin, i, 1);
  for (uint16_t i = 6; i <= 7; ++i) t.touch(add(t, i, i, kIpProtoUdp), TimerClass::udp, 0, 1);
  EXPECT_EQ(expire_ports(t, 100, 2), (std::vector<uint16_t>{1, 2}));
  EXPECT_EQ(expire_ports(t, 100, 0), std::vector<uint16_t>{});
  EXPECT_EQ(expire_ports(t, 100, 4), (std::vector<uint16_t>{3, 4, 5, 6}));
  EXPECT_EQ(expire_ports(t, 100, 4), (std::vector<uint16_t>{7}));
}

// The engine clock is a u32 of seconds: deadlines compare by signed difference across wrap-around.
TEST(ConnTable, ExpiryAcrossClockWrapAround) {
  ConnTable t(1024, 42);
  t.touch(add(t, 1, 1), TimerClass::tcp_syn, 0xfffffff0u, 100);  // expires at 0x54
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
  for (Conn* x : {a, b, c}) t.touch(x, TimerClass::tcp_established, 0, 60);
  t.touch(a, TimerClass::tcp_established, 30, 60);  // a now expires at 90
  EXPECT_EQ(a->expires, 90u);
  EXPECT_EQ(expire_ports(t, 60, 100), (std::vector<uint16_t>{2, 3}));
  EXPECT_EQ(expire_ports(t, 89, 100), std::vector<uint16_t>{});
  EXPECT_EQ(expire_ports(t, 90, 100), std::vector<uint16_t>{1});

  // A class change moves a connection to the other list: syn 10 s -> fin 120 s.
  Conn* d = add(t, 4, 4);
  t.touch(d, TimerClass::tcp_syn, 100, 10);
  t.touch(d, TimerClass::tcp_fin, 100, 120);
  EXPECT_EQ(d->timer_class, TimerClass::tcp_fin);
  EXPECT_EQ(expire_ports(t, 150, 100), std::vector<uint16_t>{});
  EXPECT_EQ(expire_ports(t, 220, 100), std::vector<uint16_t>{4});
}

TEST(ConnTable, RandomOperationsAgreeWithAMapModel) {
  constexpr uint32_t kCapacity = 1024;
  ConnTable t(kCapacity, 0x1234'5678'9abc'def0ull);
  // A small key space, so inserts, re-inserts and removals of the same tuples keep colliding
  // in the (2 x capacity) buckets; a third of the keys are UDP.
  using Key = std::tuple<uint8_t, uint32_t, uint16_t>;  // protocol, client address, client port
  std::map<Key, std::pair<Conn*, uint16_t>> model;      // -> connection, local port
  std::mt19937 rng(99);
  auto random_key = [&] {
    return Key{rng() % 3 ? kIpProtoTcp : kIpProtoUdp, 0x0a000000u + rng() % 64, static_cast<uint16_t>(1 + rng() % 32)};
  };
  auto tuples = [](const Key& k, uint16_t lport) {
    return std::pair{ConnTuple{std::get<1>(k), kVip, htons(std::get<2>(k)), htons(80), 0},
                     ConnTuple{kRip, kLip, htons(8080), htons(lport), 0}};
  };
  uint32_t inserted = 0;
  uint32_t refused = 0;
  for (int op = 0; op < 40000; ++op) {
    const Key k = random_key();
    auto it = model.find(k);
    if (it == model.end() && rng() % 4 != 0) {
      const auto lport = static_cast<uint16_t>(1024 + inserted++);  // unique: fewer ops than ports
      const auto [fc, fs] = tuples(k, lport);
      Conn* c = t.insert(std::get<0>(k), fc, fs);
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
  EXPECT_LE(sizeof(Conn), 128u);
}
}  // namespace
