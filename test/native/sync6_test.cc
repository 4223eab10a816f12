// test/native/sync6_test.cc — connection sync of IPv6 and NAT64 connections (lb/sync.h,
// abi::SyncRecord6): node A's records carry the IPv6 tuples (NAT64: the IPv4 server side), node B
// of the same configuration installs them, awaiting, and takes the connection over at its first
// packet — the server's reply on B reaches the client as it would on A; nat ownership by the IPv6
// client's address; an IPv6 persistence template travels and binds; records that cannot describe
// an entry are counted invalid.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "dataplane_fixture.h"
#include "lb/sync.h"
#include "packet_builder6.h"
#include "sync_tap.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
namespace core = xvs::core;
using namespace xvs::test;
using abi::Forwarding;
using core::kTcpAck;
using core::kTcpSyn;
using lb::Verdict;

SnapshotBuilder nat64() {
  SnapshotBuilder b = topo::standard(1, 3);
  b.add_service64(topo::kVip6, topo::kHttp, core::kIpProtoTcp, {topo::kWeb[0], topo::kWeb[1]}, 0);
  return b;
}

lb::Conn* conn6(Dataplane& d, uint16_t cport) {
  return d.cs->conns.lookup(core::kIpProtoTcp, topo::kCip6, topo::kVip6, core::htons(cport), core::htons(topo::kHttp)).conn;
}

abi::SyncRecord6 only_record6(SyncTap& tap) {
  const auto items = tap.drain_items();
  EXPECT_EQ(items.size(), 1u);
  EXPECT_EQ(items.at(0).family(), abi::kSyncFamily6);
  return items.at(0).as<abi::SyncRecord6>();
}

// Node `a`, its records tapped, opens an IPv6 connection from [CIP6]:40000: the record it queued.
abi::SyncRecord6 opened_on(Dataplane& a, SyncTap& tap) {
  tap.attach(a);
  auto f = build_frame6(topo::from_client6(40000, kTcpSyn));
  EXPECT_EQ(a.run(f, 0), Verdict::tx);
  return only_record6(tap);
}

TEST(Sync6, AnIpv6FullnatConnectionIsTakenOverByTheOtherNode) {
  Dataplane a(topo::both_families(Forwarding::fullnat)), b(topo::both_families(Forwarding::fullnat));
  SyncTap tap;
  const abi::SyncRecord6 r = opened_on(a, tap);
  const lb::Conn& c = *conn6(a, 40000);
  const lb::ConnTuple6 server = a.cs->conns.tuple6(c, lb::kFromServer);
  EXPECT_EQ(core::Ipv6Address::load(r.client_saddr.bytes), topo::kCip6);
  EXPECT_EQ(core::Ipv6Address::load(r.client_daddr.bytes), topo::kVip6);
  EXPECT_EQ(core::Ipv6Address::load(r.server_daddr.bytes), topo::kLip6);
  EXPECT_EQ(core::Ipv6Address::load(r.server_saddr.bytes), server.saddr);
  EXPECT_EQ(core::Ipv6Address::load(r.backend_address.bytes), server.saddr);
  EXPECT_EQ(r.backend_address4, 0u);
  EXPECT_EQ(r.server_family, abi::kSyncFamily6);
  EXPECT_EQ(r.server_dport, server.dport);
  EXPECT_TRUE(lb::sync_record_valid(r));

  lb::sync_install(*b.cs, r);
  EXPECT_EQ(b.counter(abi::Counter::sync_installed), 1u);
  lb::Conn* copy = conn6(b, 40000);
  ASSERT_NE(copy, nullptr);
  EXPECT_TRUE(copy->client_port_index & lb::kSyncedAwaiting);
  EXPECT_EQ(b.cs->conns.tuple6(*copy, lb::kFromServer).daddr, topo::kLip6);

  // The server answers on B: the same translation A would have made.
  Packet6Spec reply;
  reply.saddr = server.saddr, reply.daddr = server.daddr, reply.sport = core::ntohs(server.sport), reply.dport = core::ntohs(server.dport);
  reply.tcp_flags = kTcpSyn | kTcpAck;
  std::vector<uint8_t> on_a = build_frame6(reply), on_b = on_a;
  ASSERT_EQ(a.run(on_a, 1), Verdict::tx);
  ASSERT_EQ(b.run(on_b, 1), Verdict::tx);
  EXPECT_EQ(on_b, on_a);
  EXPECT_EQ(b.counter(abi::Counter::sync_adopted), 1u);
  EXPECT_FALSE(copy->client_port_index & lb::kSyncedAwaiting);

  // Installed from a record, it is one line as a local connection is, naming the ids B's
  // snapshot holds (lb/snapshot_ids.h), and gives its references back when it expires.
  ASSERT_TRUE(copy->interned);
  const lb::AddressIds& ids = b.cs->conns.address_ids();
  const uint16_t vip = copy->interned6.client_daddr, lip = copy->interned6.server_daddr;
  EXPECT_EQ(vip, b.cs->snapshot_ids.vip(2));
  EXPECT_EQ(copy->interned6.server_saddr, b.cs->snapshot_ids.server(copy->backend_index));
  EXPECT_EQ(ids[lip], topo::kLip6);
  EXPECT_EQ(ids.references(vip), 3u) << "B's two IPv6 services and the connection";
  for (int round = 0; round < 3; ++round) b.expire(b.cs->now + (1u << 30));  // port holds too
  EXPECT_EQ(b.cs->conns.size(), 0u);
  EXPECT_EQ(ids.references(vip), 2u);
  EXPECT_EQ(ids.references(lip), 1u);
}

TEST(Sync6, ANat64ConnectionCarriesItsIpv4ServerSide) {
  Dataplane a(nat64()), b(nat64());
  SyncTap tap;
  const abi::SyncRecord6 r = opened_on(a, tap);
  const lb::Conn& c = *conn6(a, 40000);
  EXPECT_EQ(r.server_family, abi::kSyncFamily4);
  EXPECT_EQ(r.server_saddr4, c.tuple[lb::kFromServer].saddr);
  EXPECT_EQ(r.server_daddr4, topo::kLip);
  EXPECT_EQ(r.backend_address4, c.tuple[lb::kFromServer].saddr);
  EXPECT_TRUE(core::Ipv6Address::load(r.backend_address.bytes).is_zero());
  lb::sync_install(*b.cs, r);
  ASSERT_EQ(b.counter(abi::Counter::sync_installed), 1u);
  lb::Conn* copy = conn6(b, 40000);
  ASSERT_NE(copy, nullptr);
  EXPECT_TRUE(copy->nat64);
  // The IPv4 server's SYN-ACK on B becomes the IPv6 one A would send.
  PacketSpec reply;
  reply.saddr = c.tuple[lb::kFromServer].saddr, reply.daddr = c.tuple[lb::kFromServer].daddr;
  reply.sport = core::ntohs(c.tuple[lb::kFromServer].sport), reply.dport = core::ntohs(c.tuple[lb::kFromServer].dport);
  reply.tcp_flags = kTcpSyn | kTcpAck;
  std::vector<uint8_t> on_a = build_frame(reply), on_b = on_a;
  ASSERT_EQ(a.run(on_a, 1), Verdict::tx);
  ASSERT_EQ(b.run(on_b, 1), Verdict::tx);
  EXPECT_EQ(on_b, on_a);
  EXPECT_EQ(on_b[12], 0x86) << "an IPv6 frame";
}

TEST(Sync6, NatConnectionsAreOwnedByTheClientsAddressAndTemplatesTravel) {
  ServiceOptions persistent;
  persistent.flags = abi::persistent;
  persistent.persist_timeout = 300;
  Dataplane a(topo::both_families(Forwarding::nat, persistent));
  SyncTap tap;
  tap.attach(a);
  auto f = build_frame6(topo::from_client6(40000, kTcpSyn));
  ASSERT_EQ(a.run(f, 0), Verdict::tx);
  const auto items = tap.drain_items();
  ASSERT_EQ(items.size(), 2u) << "the template, then its connection";
  const abi::SyncRecord6 tmpl = items[0].as<abi::SyncRecord6>(), conn = items[1].as<abi::SyncRecord6>();
  EXPECT_TRUE(tmpl.flags & abi::kSyncTemplate);
  EXPECT_TRUE(conn.flags & abi::kSyncPersistent);
  EXPECT_EQ(lb::sync_owner(conn, 4, {}), lb::nat_owner(topo::kCip6, core::htons(40000), 4));

  Dataplane b(topo::both_families(Forwarding::nat, persistent));
  for (const abi::SyncItem& r : items) lb::sync_install(*b.cs, r);
  EXPECT_EQ(b.counter(abi::Counter::sync_installed), 2u);
  const abi::ServiceRecord* svc = b.snapshot().find_service(topo::kVip6, core::htons(topo::kHttp), core::kIpProtoTcp);
  ASSERT_NE(svc, nullptr);
  lb::Conn* t = lb::find_template(*b.cs, *svc, topo::kCip6);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->controlled, 1u) << "the synced connection is bound by the synced template";
}

TEST(Sync6, RecordsThatDescribeNoEntryAreCountedInvalid) {
  Dataplane a(topo::both_families(Forwarding::fullnat)), b(topo::both_families(Forwarding::fullnat));
  SyncTap tap;
  const abi::SyncRecord6 good = opened_on(a, tap);
  struct Row {
    const char* what;
    void (*edit)(abi::SyncRecord6&);
  };
  const Row rows[] = {
      {"no client address", [](abi::SyncRecord6& r) { std::memset(r.client_saddr.bytes, 0, 16); }},
      {"server family 7", [](abi::SyncRecord6& r) { r.server_family = 7; }},
      {"both backend addresses", [](abi::SyncRecord6& r) { r.backend_address4 = 0x0100000a; }},
      {"no backend address", [](abi::SyncRecord6& r) { std::memset(r.backend_address.bytes, 0, 16); }},
      {"an IPv4 server side with an IPv6 server", [](abi::SyncRecord6& r) { r.server_family = abi::kSyncFamily4; }},
      {"NAT64 in nat mode",
       [](abi::SyncRecord6& r) {
         r.server_family = abi::kSyncFamily4;
         std::memset(r.backend_address.bytes, 0, 16);
         r.backend_address4 = 0x0b02000a;
         r.forwarding = static_cast<uint8_t>(Forwarding::nat);
       }},
      {"an unknown state", [](abi::SyncRecord6& r) { r.state = 200; }},
  };
  // The snapshot's own addresses are interned by the core (lb/snapshot_ids.h); records add no
  // address and leave no reference behind.
  const lb::AddressIds& ids = b.cs->conns.address_ids();
  const uint32_t snapshot_addresses = ids.size();
  std::vector<uint32_t> references_before;
  for (uint16_t id = 0; id < snapshot_addresses; ++id) references_before.push_back(ids.references(id));
  uint64_t invalid = 0;
  for (const Row& row : rows) {
    abi::SyncRecord6 r = good;
    row.edit(r);
    EXPECT_FALSE(lb::sync_record_valid(r)) << row.what;
    lb::sync_install(*b.cs, r);
    EXPECT_EQ(b.counter(abi::Counter::sync_invalid), ++invalid) << row.what;
  }
  // Server sides this node would never have made (from another address than the record's server;
  // to one that is neither a local address nor the client): counted invalid, nothing interned.
  for (const auto edit : {+[](abi::SyncRecord6& r) { r.server_saddr.bytes[15] ^= 1; },
                          +[](abi::SyncRecord6& r) { r.server_daddr.bytes[15] ^= 1; }}) {
    abi::SyncRecord6 r = good;
    edit(r);
    EXPECT_TRUE(lb::sync_record_valid(r));
    lb::sync_install(*b.cs, r);
    EXPECT_EQ(b.counter(abi::Counter::sync_invalid), ++invalid);
  }
  EXPECT_EQ(ids.size(), snapshot_addresses);
  for (uint16_t id = 0; id < snapshot_addresses; ++id) EXPECT_EQ(ids.references(id), references_before[id]) << "id " << id;
  abi::SyncItem unknown = good;
  unknown.bytes[0] = 5;
  lb::sync_install(*b.cs, unknown);
  EXPECT_EQ(b.counter(abi::Counter::sync_invalid), ++invalid) << "family 5";
  EXPECT_EQ(b.cs->conns.size(), 0u);
}

}  // namespace
