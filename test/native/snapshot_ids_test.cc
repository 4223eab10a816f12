// test/native/snapshot_ids_test.cc — the ids a core holds for its snapshot's IPv6 addresses
// (lb/snapshot_ids.h): each address of the configuration interned once, new connections name
// their VIP, server and local address by those ids, an address keeps its id across reloads, and
// one that leaves the configuration keeps it for as long as a connection names it.
#include <gtest/gtest.h>

#include <vector>

#include "dataplane_fixture.h"
#include "packet_builder6.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
namespace core = xvs::core;
using namespace xvs::test;
using abi::Forwarding;
using lb::Verdict;

constexpr uint16_t kNone = lb::AddressIds::kNone;
constexpr uint32_t kVip6Http = 2;  // both_families: services 0 and 1 are IPv4, 2 and 3 IPv6

lb::Conn* open6(Dataplane& dp, uint16_t cport) {
  auto f = build_frame6(topo::from_client6(cport));
  EXPECT_EQ(dp.run(f, 0), Verdict::tx);
  return dp.cs->conns.lookup(core::kIpProtoTcp, topo::kCip6, topo::kVip6, core::htons(cport), core::htons(topo::kHttp)).conn;
}

uint32_t lip6_index(const lb::Snapshot& snap) {
  for (uint32_t l = 0; l < snap.lips6.size(); ++l)
    if (snap.lips6[l] == topo::kLip6) return l;
  ADD_FAILURE() << "no kLip6 in the snapshot";
  return 0;
}

// Every timer runs out (port holds too); returns the connections left.
uint32_t expire_everything(Dataplane& dp) {
  for (int round = 0; round < 3; ++round) dp.expire(dp.cs->now + (1u << 24));
  return dp.cs->conns.size();
}

TEST(SnapshotIds, EachAddressOfTheConfigurationOnceAndNewConnectionsNameThem) {
  Dataplane dp(topo::both_families(Forwarding::fullnat));
  const lb::AddressIds& ids = dp.cs->conns.address_ids();
  const lb::SnapshotIds& held = dp.cs->snapshot_ids;
  const lb::Snapshot& snap = dp.snapshot();
  EXPECT_EQ(ids.size(), 6u) << "the VIP, three web servers, the DNS server, the LIP";
  EXPECT_EQ(held.vip(0), kNone) << "an IPv4 service";
  ASSERT_NE(held.vip(kVip6Http), kNone);
  EXPECT_EQ(held.vip(kVip6Http + 1), held.vip(kVip6Http)) << "one VIP of two services: one id";
  EXPECT_EQ(ids[held.vip(kVip6Http)], topo::kVip6);
  EXPECT_EQ(ids.references(held.vip(kVip6Http)), 2u);
  const abi::ServiceRecord& http = snap.services[kVip6Http];
  for (uint32_t i = 0; i < http.backend_count; ++i) {
    ASSERT_NE(held.server(http.backend_first + i), kNone);
    EXPECT_EQ(ids[held.server(http.backend_first + i)], topo::kWeb6[i].address);
  }
  EXPECT_EQ(held.server(snap.services[0].backend_first), kNone) << "an IPv4 server";
  const uint32_t lip = lip6_index(snap);
  ASSERT_NE(held.local(lip), kNone);
  EXPECT_EQ(ids[held.local(lip)], topo::kLip6);

  std::vector<lb::Conn*> conns;
  for (uint16_t cport = 40000; cport < 40003; ++cport) conns.push_back(open6(dp, cport));
  for (lb::Conn* c : conns) {
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->interned);
    EXPECT_EQ(c->interned6.client_daddr, held.vip(kVip6Http));
    EXPECT_EQ(c->interned6.server_saddr, held.server(c->backend_index));
    EXPECT_EQ(c->interned6.server_daddr, held.local(lip));
    const lb::ConnTuple6 server_side = dp.cs->conns.tuple6(*c, lb::kFromServer);
    EXPECT_EQ(server_side.saddr, core::Ipv6Address::load(snap.backends[c->backend_index].address6.bytes));
    EXPECT_EQ(server_side.daddr, topo::kLip6);
  }
  EXPECT_EQ(ids.size(), 6u) << "no address was interned twice";
  EXPECT_EQ(ids.references(held.vip(kVip6Http)), 2u + 3u);
  EXPECT_EQ(ids.references(held.local(lip)), 1u + 3u);

  EXPECT_EQ(expire_everything(dp), 0u);
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(ids.references(held.vip(kVip6Http)), 2u) << "the snapshot's own references stay";
  EXPECT_EQ(ids.references(held.local(lip)), 1u);
}

TEST(SnapshotIds, AnAddressKeepsItsIdAcrossReloadsAndWhileAConnectionNamesItAfterItLeft) {
  Dataplane dp(topo::both_families(Forwarding::fullnat));
  const lb::AddressIds& ids = dp.cs->conns.address_ids();
  const lb::SnapshotIds& held = dp.cs->snapshot_ids;
  const uint16_t vip = held.vip(kVip6Http);
  const uint16_t lip = held.local(lip6_index(dp.snapshot()));
  lb::Conn* c = open6(dp, 40000);
  ASSERT_NE(c, nullptr);
  const uint16_t server = c->interned6.server_saddr;

  dp.reload(topo::both_families(Forwarding::fullnat));
  EXPECT_EQ(held.vip(kVip6Http), vip);
  EXPECT_EQ(held.server(c->backend_index), server);
  EXPECT_EQ(held.local(lip6_index(dp.snapshot())), lip);
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(ids.references(vip), 2u + 1u) << "the old snapshot's references went with it";

  // The IPv6 services leave the configuration: only the connection's three addresses stay.
  dp.reload(topo::standard_mode(Forwarding::fullnat));
  EXPECT_EQ(ids.size(), 3u);
  for (const uint16_t id : {vip, server, lip}) EXPECT_EQ(ids.references(id), 1u);
  const lb::ConnTuple6 client_side = dp.cs->conns.tuple6(*c, lb::kFromClient);
  const lb::ConnTuple6 server_side = dp.cs->conns.tuple6(*c, lb::kFromServer);
  EXPECT_EQ(client_side.saddr, topo::kCip6);
  EXPECT_EQ(client_side.daddr, topo::kVip6);
  EXPECT_EQ(server_side.daddr, topo::kLip6);
  EXPECT_EQ(ids[server], server_side.saddr);

  EXPECT_EQ(expire_everything(dp), 0u);
  EXPECT_EQ(ids.size(), 0u) << "released with the last entry that named them";

  // Back in the configuration: interned afresh, and connections work as before.
  dp.reload(topo::both_families(Forwarding::fullnat));
  EXPECT_EQ(ids.size(), 6u);
  lb::Conn* again = open6(dp, 40001);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->interned);
  EXPECT_EQ(dp.cs->conns.tuple6(*again, lb::kFromClient).daddr, topo::kVip6);
}

TEST(SnapshotIds, NatAndRoutedConnectionsNameTheClientNotAnId) {
  for (const Forwarding mode : {Forwarding::nat, Forwarding::dr, Forwarding::tunnel}) {
    Dataplane dp(topo::both_families(mode));
    const lb::AddressIds& ids = dp.cs->conns.address_ids();
    EXPECT_EQ(ids.size(), 5u) << "the VIP and four servers, no LIP; mode " << static_cast<int>(mode);
    lb::Conn* c = open6(dp, 40000);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->interned);
    EXPECT_EQ(c->interned6.server_saddr, dp.cs->snapshot_ids.server(c->backend_index));
    EXPECT_EQ(c->interned6.server_daddr, lb::Interned6::kClient);
    EXPECT_EQ(dp.cs->conns.tuple6(*c, lb::kFromServer).daddr, topo::kCip6);
    EXPECT_EQ(ids.size(), 5u);
  }
}

// The table side: ids a caller holds are counted, not looked up, and come out as the lookup's.
TEST(SnapshotIds, AnInsertWithKnownIdsCountsThemAsALookupWould) {
  lb::ConnTable table(64, 7);
  lb::AddressIds& ids = table.address_ids();
  const core::Ipv6Address lip = topo::kLip6, server = topo::kWeb6[0].address;
  const lb::KnownIds known{ids.acquire(topo::kVip6), ids.acquire(server), ids.acquire(lip)};
  const lb::ConnTuple6 from_client{topo::kCip6, topo::kVip6, core::htons(40000), core::htons(80)};
  const lb::ConnTuple6 from_server{server, lip, core::htons(8080), core::htons(40000)};
  lb::Conn* with_ids = table.insert(core::kIpProtoTcp, from_client, from_server, lb::kLinkClient | lb::kLinkServer, {}, known);
  const lb::ConnTuple6 other_client{topo::kCip6, topo::kVip6, core::htons(40001), core::htons(80)};
  const lb::ConnTuple6 other_server{server, lip, core::htons(8080), core::htons(40001)};
  lb::Conn* looked_up = table.insert(core::kIpProtoTcp, other_client, other_server, lb::kLinkClient | lb::kLinkServer);
  ASSERT_NE(with_ids, nullptr);
  ASSERT_NE(looked_up, nullptr);
  for (const lb::Conn* c : {with_ids, looked_up}) {
    ASSERT_TRUE(c->interned);
    EXPECT_EQ(c->interned6.client_daddr, known.vip);
    EXPECT_EQ(c->interned6.server_saddr, known.server);
    EXPECT_EQ(c->interned6.server_daddr, known.local);
  }
  EXPECT_EQ(table.tuple6(*with_ids, lb::kFromServer).daddr, lip);
  for (const uint16_t id : {known.vip, known.server, known.local}) EXPECT_EQ(ids.references(id), 3u);
  table.remove(with_ids);
  table.remove(looked_up);
  for (const uint16_t id : {known.vip, known.server, known.local}) EXPECT_EQ(ids.references(id), 1u);
  EXPECT_EQ(ids.size(), 3u);
}

}  // namespace
