// test/native/fast_path_life_test.cc — the life of a connection's XDP fast-path entries as
// lb::process drives it (lb/fast_path.h), against a recording table instead of the kernel's map:
// installed once a connection has proved itself (established TCP; UDP at its second packet),
// one entry per direction that passes the balancer; taken back at FIN/RST, when the connection
// goes, when the table refused them (no retry before the next snapshot); replaced when a packet
// shows entries of an older snapshot; and at expiry, the steering program's last-seen time keeps
// a connection alive. Each entry names its server's counter slot and direction, where the
// steering program counts.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "dataplane_fixture.h"
#include "packet_builder6.h"
#include "lb/fast_path.h"
#include "lb/fast_path_table.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
namespace core = xvs::core;
using namespace xvs::test;
using abi::Counter;
using abi::Forwarding;
using lb::Verdict;

class RecordingTable : public lb::FastPathTable {
 public:
  bool install(const xvs_fast_key& key, const xvs_fast_entry& entry) override {
    ++installs;
    if ((full || entries.size() >= capacity) && entries.count(bytes(key)) == 0) return false;
    entries[bytes(key)] = entry;
    return true;
  }
  bool read(const xvs_fast_key& key, xvs_fast_entry& entry) override {
    auto it = entries.find(bytes(key));
    if (it == entries.end()) return false;
    entry = it->second;
    return true;
  }
  void remove(const xvs_fast_key& key) override { entries.erase(bytes(key)); }
  bool install(const xvs_fast_key6& key, const xvs_fast_entry6& entry) override {
    ++installs;
    if ((full || entries.size() + entries6.size() >= capacity) && entries6.count(bytes(key)) == 0) return false;
    entries6[bytes(key)] = entry;
    return true;
  }
  bool read(const xvs_fast_key6& key, xvs_fast_entry6& entry) override {
    auto it = entries6.find(bytes(key));
    if (it == entries6.end()) return false;
    entry = it->second;
    return true;
  }
  void remove(const xvs_fast_key6& key) override { entries6.erase(bytes(key)); }
  // The tests' clock: CLOCK_MONOTONIC second N is the engine's second N.
  uint32_t age_seconds(uint64_t ns) const override { return now - static_cast<uint32_t>(ns / 1000000000u); }
  uint32_t now = 0;

  xvs_fast_entry* find(const lb::Conn& c, lb::Direction dir) {
    auto it = entries.find(bytes(lb::fast_key_of(c, dir)));
    return it == entries.end() ? nullptr : &it->second;
  }
  xvs_fast_entry6* find6(const lb::ConnTable& conns, const lb::Conn& c, lb::Direction dir) {
    auto it = entries6.find(bytes(lb::fast_key_for<lb::V6>(conns, c, dir)));
    return it == entries6.end() ? nullptr : &it->second;
  }
  template <typename Key>
  static std::string bytes(const Key& key) { return std::string(reinterpret_cast<const char*>(&key), sizeof key); }

  std::map<std::string, xvs_fast_entry> entries;
  std::map<std::string, xvs_fast_entry6> entries6;
  bool full = false;
  size_t capacity = SIZE_MAX;  // refuses new keys beyond this many entries
  uint32_t installs = 0;
};

struct FastPathLife : ::testing::Test {
  // A fullnat TCP connection through its handshake: the client's SYN, the server's SYN-ACK.
  lb::Conn* open(Dataplane& dp, uint16_t cport = 40000) {
    EXPECT_EQ(dp.run(topo::from_client(cport), 0), Verdict::tx);
    lb::Conn* c = dp.client_conn(cport);
    if (c != nullptr && (c->flags & lb::kLinkServer)) {
      EXPECT_EQ(dp.run(packet_of(*c, lb::kFromServer, core::kTcpSyn | core::kTcpAck), 1), Verdict::tx);
    }
    return c;
  }
  uint64_t counter(Dataplane& dp, Counter c) { return dp.cs->counters[static_cast<uint32_t>(c)]; }
  RecordingTable table;
};

TEST_F(FastPathLife, EstablishedTcpBothDirectionsUntilFin) {
  Dataplane dp(topo::standard_mode(Forwarding::fullnat));
  dp.cs->fast_path = &table;
  lb::Conn* c = open(dp);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(table.entries.empty()) << "SYN_RECV is not established";
  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(c->state, lb::ConnState::tcp_established);
  ASSERT_EQ(table.entries.size(), 2u);
  EXPECT_EQ(counter(dp, Counter::fast_path_installed), 2u);
  const xvs_fast_entry* to_server = table.find(*c, lb::kFromClient);
  ASSERT_NE(to_server, nullptr);
  EXPECT_EQ(to_server->egress_port, 1);
  EXPECT_EQ(to_server->daddr, topo::kWeb[0].address);
  EXPECT_EQ(to_server->flags, XVS_FAST_ROUTED);
  EXPECT_EQ(to_server->server_slot, dp.snapshot().server_slot[0]);
  EXPECT_EQ(to_server->from_server, 0);
  EXPECT_EQ(table.find(*c, lb::kFromServer)->egress_port, 0);
  EXPECT_EQ(table.find(*c, lb::kFromServer)->from_server, 1);
  // A packet that still reaches the worker (e.g. before the engine published the generation)
  // changes nothing.
  const uint32_t installs = table.installs;
  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(table.installs, installs);

  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpFin | core::kTcpAck), 0), Verdict::tx);
  EXPECT_TRUE(table.entries.empty()) << "FIN: the state machine needs every packet";
  EXPECT_EQ(counter(dp, Counter::fast_path_removed), 2u);
  EXPECT_EQ(c->fast_path, 0);
}

// An IPv6 connection has its entries in the IPv6 map: installed once established, kept alive by
// the program's last-seen time, taken back at its FIN.
TEST_F(FastPathLife, Ipv6ConnectionsInTheirOwnMap) {
  Dataplane dp(topo::both_families(Forwarding::fullnat));
  dp.cs->fast_path = &table;
  auto f = build_frame6(topo::from_client6(40000));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  lb::Conn* c = dp.cs->conns.lookup(core::kIpProtoTcp, topo::kCip6, topo::kVip6, core::htons(40000), core::htons(topo::kHttp)).conn;
  ASSERT_NE(c, nullptr);
  const auto segment = [&](lb::Direction dir, uint8_t flags) { return build_frame6(packet6_of(dp.cs->conns, *c, dir, flags, 0)); };
  f = segment(lb::kFromServer, core::kTcpSyn | core::kTcpAck);
  ASSERT_EQ(dp.run(f, 1), Verdict::tx);
  f = segment(lb::kFromClient, core::kTcpAck);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_TRUE(table.entries.empty()) << "nothing in the IPv4 map";
  ASSERT_EQ(table.entries6.size(), 2u);
  const xvs_fast_entry6* to_server = table.find6(dp.cs->conns, *c, lb::kFromClient);
  ASSERT_NE(to_server, nullptr);
  EXPECT_EQ(core::Ipv6Address::load(to_server->saddr), topo::kLip6);
  EXPECT_EQ(core::Ipv6Address::load(to_server->daddr), topo::kWeb6[0].address);
  EXPECT_EQ(to_server->dport, core::htons(topo::kWeb6[0].port));
  EXPECT_EQ(to_server->flags, XVS_FAST_ROUTED);
  const xvs_fast_entry6* to_client = table.find6(dp.cs->conns, *c, lb::kFromServer);
  ASSERT_NE(to_client, nullptr);
  EXPECT_EQ(core::Ipv6Address::load(to_client->saddr), topo::kVip6);
  EXPECT_EQ(core::Ipv6Address::load(to_client->daddr), topo::kCip6);

  // The program forwarded a packet 100 s in: at the timer's end the connection lives on.
  const uint32_t start = dp.cs->now;
  table.find6(dp.cs->conns, *c, lb::kFromServer)->last_seen_ns = uint64_t{start + 100} * 1000000000u;
  table.now = start + 900;
  EXPECT_EQ(dp.expire(start + 900), 0u) << "kept: the fast path carried it";
  EXPECT_EQ(c->expires, start + 1000) << "900 s from the program's last packet";
  f = segment(lb::kFromClient, core::kTcpFin | core::kTcpAck);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  EXPECT_TRUE(table.entries6.empty()) << "FIN: back to the worker";
  EXPECT_EQ(counter(dp, Counter::fast_path_removed), 2u);
}

TEST_F(FastPathLife, UdpAtItsSecondPacketAndDrAndTunnelOneDirection) {
  {
    Dataplane dp(topo::standard_mode(Forwarding::nat));
    dp.cs->fast_path = &table;
    PacketSpec q = topo::from_client(5000, 0, topo::kDns);
    q.protocol = core::kIpProtoUdp;
    ASSERT_EQ(dp.run(q, 0), Verdict::tx);
    EXPECT_TRUE(table.entries.empty()) << "a single datagram costs no table call";
    EXPECT_EQ(table.installs, 0u);
    ASSERT_EQ(dp.run(q, 0), Verdict::tx);
    EXPECT_EQ(table.entries.size(), 2u);
  }
  table.entries.clear();
  {
    Dataplane dp(topo::standard_mode(Forwarding::dr));
    dp.cs->fast_path = &table;
    lb::Conn* c = open(dp);
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
    ASSERT_EQ(table.entries.size(), 1u) << "dr: replies bypass the balancer";
    EXPECT_EQ(table.find(*c, lb::kFromClient)->flags, 0);
  }
  table.entries.clear();
  {
    Dataplane dp(topo::standard_mode(Forwarding::tunnel));
    dp.cs->fast_path = &table;
    lb::Conn* c = open(dp);
    ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
    ASSERT_EQ(table.entries.size(), 1u) << "tunnel: replies bypass the balancer, as in dr";
    const xvs_fast_entry* e = table.find(*c, lb::kFromClient);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->flags, XVS_FAST_TUNNEL);
    const uint32_t server_port = dp.cs->snapshot->backends[c->backend_index].port_index;
    EXPECT_EQ(e->saddr, topo::kPortAddress[server_port]) << "the outer source: the egress port's address";
    EXPECT_EQ(e->daddr, c->tuple[lb::kFromServer].saddr) << "the outer destination: the server";
  }
}

TEST_F(FastPathLife, TimeoutRunsFromTheLastPacketTheSteeringProgramSent) {
  Dataplane dp(topo::standard_mode(Forwarding::fullnat));
  dp.cs->fast_path = &table;
  lb::Conn* c = open(dp);
  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
  ASSERT_EQ(c->expires, 1000u + 900u);
  xvs_fast_entry* e = table.find(*c, lb::kFromClient);
  e->last_seen_ns = 1500ull * 1000000000ull;
  table.now = 1900;
  EXPECT_EQ(dp.expire(1900), 0u) << "seen at 1500: it lives until 2400";
  EXPECT_EQ(c->expires, 2400u);
  EXPECT_EQ(table.entries.size(), 2u);
  table.now = 2400;
  EXPECT_EQ(dp.expire(2400), 1u) << "nothing since";
  EXPECT_TRUE(table.entries.empty());
}

TEST_F(FastPathLife, RefusedOncePerSnapshotAndReplacedAfterAReload) {
  Dataplane dp(topo::standard_mode(Forwarding::fullnat));
  dp.cs->fast_path = &table;
  table.full = true;
  lb::Conn* c = open(dp);
  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
  EXPECT_TRUE(table.entries.empty());
  EXPECT_EQ(counter(dp, Counter::fast_path_install_failed), 1u);
  const uint32_t tries = table.installs;
  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
  EXPECT_EQ(table.installs, tries) << "no new try in the same snapshot";
  EXPECT_EQ(counter(dp, Counter::fast_path_installed), 0u);
  EXPECT_EQ(counter(dp, Counter::fast_path_removed), 0u) << "nothing went in, nothing is taken back";

  table.full = false;
  dp.reload(topo::standard_mode(Forwarding::fullnat));
  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
  ASSERT_EQ(table.entries.size(), 2u);
  const uint32_t generation = static_cast<uint32_t>(dp.snapshot().generation);
  EXPECT_EQ(table.find(*c, lb::kFromClient)->generation, generation);

  dp.reload(topo::standard_mode(Forwarding::fullnat));
  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromServer, core::kTcpAck), 1), Verdict::tx);
  EXPECT_EQ(table.find(*c, lb::kFromClient)->generation, generation + 1) << "replaced with the new snapshot's rewrite";
  EXPECT_EQ(counter(dp, Counter::fast_path_installed), 2u) << "a replacement is not a new hand-over";
}

TEST_F(FastPathLife, AConnectionThatGoesTakesItsEntries) {
  Dataplane dp(topo::standard_mode(Forwarding::fullnat));
  dp.cs->fast_path = &table;
  lb::Conn* c = open(dp);
  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
  ASSERT_EQ(table.entries.size(), 2u);
  // The client reuses its port after an RST: RST leaves the fast path, the new SYN replaces the connection.
  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpRst), 0), Verdict::tx);
  EXPECT_TRUE(table.entries.empty());
}

TEST_F(FastPathLife, HalfAConnectionIsNone) {
  Dataplane dp(topo::standard_mode(Forwarding::fullnat));
  dp.cs->fast_path = &table;
  table.capacity = 1;  // room for the client's direction only
  lb::Conn* c = open(dp);
  ASSERT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
  EXPECT_TRUE(table.entries.empty()) << "the direction that went in came out again";
  EXPECT_EQ(counter(dp, Counter::fast_path_install_failed), 1u);
  EXPECT_EQ(counter(dp, Counter::fast_path_installed), 0u);
  EXPECT_EQ(counter(dp, Counter::fast_path_removed), 0u);
}

}  // namespace
