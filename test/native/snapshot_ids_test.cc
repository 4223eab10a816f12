// test/native/snapshot_ids_test.cc — the ids a core holds for its snapshot's IPv6 addresses
// (lb/snapshot_ids.h): each address of the configuration interned once, new connections name
// their VIP, server and local address by those ids, an address keeps its id across reloads, and
// one that leaves the configuration keeps it for as long as a connection names it.
#include <gtest/gtest.h>

#include <cstring>
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

  // Addresses no connection names keep theirs too: the new snapshot's are taken before the old
  // one's go (in the other order, the freed ids would be handed out again in another order).
  std::vector<uint16_t> servers_before;
  for (uint32_t b = 0; b < dp.snapshot().backends.size(); ++b) servers_before.push_back(held.server(b));

  dp.reload(topo::both_families(Forwarding::fullnat));
  EXPECT_EQ(held.vip(kVip6Http), vip);
  EXPECT_EQ(held.server(c->backend_index), server);
  for (uint32_t b = 0; b < servers_before.size(); ++b) EXPECT_EQ(held.server(b), servers_before[b]) << "backend " << b;
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

// Two IPv6 VIPs and a pool of two IPv6 LIPs beside the standard ones: an id taken from the
// wrong service or LIP index would name another address of the configuration, not fall back.
const core::Ipv6Address kVip6b = ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 20});
const core::Ipv6Address kLips6b[2] = {ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 101}), ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 102})};

TEST(SnapshotIds, EachConnectionNamesTheVipItReachedAndTheLipItLeftFrom) {
  SnapshotBuilder b = topo::both_families(Forwarding::fullnat);
  const uint16_t pool = b.add_pool6({kLips6b[0], kLips6b[1]});
  b.add_service6(kVip6b, topo::kHttp, core::kIpProtoTcp, {topo::kWeb6[1], topo::kWeb6[2]}, pool);
  Dataplane dp(b);
  const lb::Snapshot& snap = dp.snapshot();
  bool lip_used[2] = {};
  for (uint16_t host = 1; host <= 16; ++host) {
    for (const core::Ipv6Address& vip : {topo::kVip6, kVip6b}) {
      Packet6Spec syn = topo::from_client6(40000);
      syn.saddr = ipv6({0x2001, 0xdb8, 0xc, 0, 0, 0, 0, host});
      syn.daddr = vip;
      auto f = build_frame6(syn);
      ASSERT_EQ(dp.run(f, 0), Verdict::tx);
      // The frame as it leaves: Ethernet, then the IPv6 header's source and destination.
      const core::Ipv6Address out_saddr = core::Ipv6Address::load(f.data() + 14 + 8);
      const core::Ipv6Address out_daddr = core::Ipv6Address::load(f.data() + 14 + 24);
      lb::Conn* c = dp.cs->conns.lookup(core::kIpProtoTcp, syn.saddr, vip, core::htons(40000), core::htons(topo::kHttp)).conn;
      ASSERT_NE(c, nullptr);
      ASSERT_TRUE(c->interned);
      const lb::ConnTuple6 client_side = dp.cs->conns.tuple6(*c, lb::kFromClient);
      const lb::ConnTuple6 server_side = dp.cs->conns.tuple6(*c, lb::kFromServer);
      EXPECT_EQ(client_side.daddr, vip);
      EXPECT_EQ(server_side.daddr, out_saddr) << "the LIP the SYN left from";
      EXPECT_EQ(server_side.saddr, out_daddr) << "the server it went to";
      // The server's answer to where the SYN came from finds the connection (the frame's source is
      // written from the entry's ids, the table's link from the chosen LIP: they must agree).
      uint16_t out_sport, out_dport;
      std::memcpy(&out_sport, f.data() + 14 + 40, 2);
      std::memcpy(&out_dport, f.data() + 14 + 42, 2);
      EXPECT_EQ(dp.cs->conns.lookup(core::kIpProtoTcp, out_daddr, out_saddr, out_dport, out_sport).conn, c);
      for (int l = 0; l < 2; ++l) lip_used[l] |= out_saddr == kLips6b[l];
      EXPECT_EQ(c->interned6.server_saddr, dp.cs->snapshot_ids.server(c->backend_index));
      for (uint32_t l = 0; l < snap.lips6.size(); ++l)
        if (snap.lips6[l] == out_saddr) EXPECT_EQ(c->interned6.server_daddr, dp.cs->snapshot_ids.local(l));
    }
  }
  EXPECT_TRUE(lip_used[0] && lip_used[1]) << "sixteen clients over a pool of two: both LIPs";
}

// `count` IPv6 servers fd00:<prefix>::<i>, all behind the first web server's MAC: a configuration
// with as many addresses as the ids can name.
std::vector<BackendSpec6> numbered_servers(uint16_t prefix, uint32_t count) {
  std::vector<BackendSpec6> servers;
  for (uint32_t i = 0; i < count; ++i)
    servers.push_back({ipv6({0xfd00, prefix, 0, 0, 0, 0, static_cast<uint16_t>(i >> 16), static_cast<uint16_t>(i)}), 8080,
                       topo::kWeb6[0].mac});
  return servers;
}

// More IPv6 addresses in a configuration than there are ids: the LIPs and VIPs, named by every
// connection, are the ones that get theirs; servers beyond the last id go without (their
// connections are paired), the others' connections stay one line.
TEST(SnapshotIds, WhenTheConfigurationHasMoreAddressesThanIdsLipsAndVipsKeepTheirs) {
  SnapshotBuilder b = topo::both_families(Forwarding::fullnat);
  const std::vector<BackendSpec6> many = numbered_servers(9, lb::AddressIds::kMaxIds);
  b.add_service6(kVip6b, 8443, core::kIpProtoTcp, many, b.services[kVip6Http].pool);
  Dataplane dp(b);
  const lb::SnapshotIds& held = dp.cs->snapshot_ids;
  EXPECT_EQ(dp.cs->conns.address_ids().size(), lb::AddressIds::kMaxIds);
  EXPECT_NE(held.local(lip6_index(dp.snapshot())), kNone);
  EXPECT_NE(held.vip(kVip6Http), kNone);
  EXPECT_NE(held.vip(kVip6Http + 2), kNone) << "the many servers' own VIP";
  const abi::ServiceRecord& big = dp.snapshot().services[kVip6Http + 2];
  EXPECT_EQ(held.server(big.backend_first + big.backend_count - 1), kNone) << "the last server: no id left";
  lb::Conn* c = open6(dp, 40000);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->interned) << "the web service's connection is one line";

  // Once the big service leaves, the next reload gives the others' ids back: all of them held.
  dp.reload(topo::both_families(Forwarding::fullnat));
  EXPECT_EQ(dp.cs->conns.address_ids().size(), 6u);
}

// The packet path when a server found no id: its connections are paired entries, forwarded and
// answered as any other, and gone with their lines at expiry.
TEST(SnapshotIds, AServerWithoutAnIdStillForwardsThroughAPairedEntry) {
  SnapshotBuilder b = topo::both_families(Forwarding::fullnat);
  const std::vector<BackendSpec6> many = numbered_servers(9, lb::AddressIds::kMaxIds);
  ServiceOptions every_connection_to_the_last;
  every_connection_to_the_last.table = {lb::AddressIds::kMaxIds - 1};
  b.add_service6(kVip6b, 8443, core::kIpProtoTcp, many, b.services[kVip6Http].pool, every_connection_to_the_last);
  Dataplane dp(b);
  const abi::ServiceRecord& big = dp.snapshot().services[kVip6Http + 2];
  ASSERT_EQ(dp.cs->snapshot_ids.server(big.backend_first + big.backend_count - 1), kNone);

  Packet6Spec syn = topo::from_client6(40000, core::kTcpSyn, 8443);
  syn.daddr = kVip6b;
  auto f = build_frame6(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  lb::Conn* c = dp.cs->conns.lookup(core::kIpProtoTcp, topo::kCip6, kVip6b, core::htons(40000), core::htons(8443)).conn;
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->interned) << "paired: its server has no id";
  EXPECT_EQ(dp.cs->conns.paired_entries(), 1u);
  const lb::ConnTuple6 server_side = dp.cs->conns.tuple6(*c, lb::kFromServer);
  EXPECT_EQ(server_side.saddr, many.back().address);
  EXPECT_EQ(server_side.daddr, topo::kLip6);
  EXPECT_EQ(core::Ipv6Address::load(f.data() + 14 + 24), many.back().address) << "the SYN went to the last server";

  Packet6Spec reply;
  reply.src_mac = topo::kWeb6[0].mac, reply.dst_mac = topo::kPortMac[1];
  reply.saddr = server_side.saddr, reply.daddr = server_side.daddr;
  reply.sport = core::ntohs(server_side.sport), reply.dport = core::ntohs(server_side.dport);
  reply.tcp_flags = core::kTcpSyn | core::kTcpAck;
  auto r = build_frame6(reply);
  ASSERT_EQ(dp.run(r, 1), Verdict::tx);
  EXPECT_EQ(core::Ipv6Address::load(r.data() + 14 + 8), kVip6b) << "back to the client from the VIP";
  EXPECT_EQ(core::Ipv6Address::load(r.data() + 14 + 24), topo::kCip6);
  EXPECT_TRUE(ipv6_checksum_ok(r));

  EXPECT_EQ(expire_everything(dp), 0u);
  EXPECT_EQ(dp.cs->conns.paired_entries(), 0u);
}

// A reload from one configuration that uses every id to another of as many different addresses:
// the new ones find no id until the old snapshot's are released, and then get theirs.
TEST(SnapshotIds, AReloadThatReplacesEveryAddressTakesTheIdsTheOldSnapshotFreed) {
  const auto config = [](uint16_t servers_prefix) {
    SnapshotBuilder b = topo::both_families(Forwarding::fullnat);
    // Every id but the both_families six and kVip6b's.
    b.add_service6(kVip6b, 8443, core::kIpProtoTcp, numbered_servers(servers_prefix, lb::AddressIds::kMaxIds - 7),
                   b.services[kVip6Http].pool);
    return b;
  };
  Dataplane dp(config(9));
  const lb::AddressIds& ids = dp.cs->conns.address_ids();
  const lb::SnapshotIds& held = dp.cs->snapshot_ids;
  EXPECT_EQ(ids.size(), lb::AddressIds::kMaxIds);
  dp.reload(config(10));
  EXPECT_EQ(ids.size(), lb::AddressIds::kMaxIds);
  const abi::ServiceRecord& big = dp.snapshot().services[kVip6Http + 2];
  for (const uint32_t b : {big.backend_first, big.backend_first + big.backend_count - 1}) {
    ASSERT_NE(held.server(b), kNone) << "backend " << b;
    EXPECT_EQ(ids[held.server(b)], core::Ipv6Address::load(dp.snapshot().backends[b].address6.bytes));
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
