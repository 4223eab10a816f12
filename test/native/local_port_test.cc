// test/native/local_port_test.cc — the Full-NAT local port a new connection gets (lb/local_port.h)
// through lb::process: never a server-side tuple (LIP, lport, RIP, rport) that another client's
// connection used within the server's TIME_WAIT (while running, and after a restart with the
// same key), a client reusing its port gets its own tuple back, capacity grows with the servers,
// and the port is keyed, not sequential.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "core/parse.h"
#include "lb/local_port.h"
#include "dataplane_fixture.h"

namespace xvs::test {
namespace {

using abi::Counter;
using lb::Verdict;
constexpr uint32_t kTableSize = 1u << 18;
constexpr uint32_t kClassPorts = 65536 - 1024;  // a worker's share of 1024..65535 with one worker

// VIP:80/tcp over `servers` (rr) through one LIP.
SnapshotBuilder web(std::vector<BackendSpec> servers, uint32_t workers = 1) {
  SnapshotBuilder b(workers, topo::kPorts);
  const uint16_t pool = b.add_pool({topo::kLip});
  b.add_service(topo::kVip, topo::kHttp, core::kIpProtoTcp, servers, pool);
  return b;
}

// The n-th of many distinct clients: 198.18.0.0/15.
uint32_t client_address(uint32_t n) { return core::htonl((198u << 24) | (18u << 16) | (n & 0x1ffff)); }

PacketSpec syn_from(uint32_t address, uint16_t cport) {
  PacketSpec s = topo::from_client(cport);
  s.saddr = address;
  return s;
}

struct Opened {
  Verdict verdict;
  uint32_t server;  // network order
  uint16_t lport;   // host order
};

// A client's SYN through the data plane; where it went and from which local port.
Opened open(Dataplane& dp, uint32_t address, uint16_t cport) {
  auto frame = build_frame(syn_from(address, cport));
  const Verdict v = dp.run(frame, 0);
  if (v != Verdict::tx) return {v, 0, 0};
  core::PacketView pkt{};
  if (core::parse_packet(frame.data(), static_cast<uint32_t>(frame.size()), pkt).status != core::ParseStatus::ok) {
    ADD_FAILURE() << "the frame that left does not parse";
    return {Verdict::drop, 0, 0};
  }
  return {v, pkt.ip->daddr, core::ntohs(pkt.sport())};
}

// The server's SYN-ACK for a connection from `lport`, the client's ACK, then its RST: the server
// held a connection, and our entry is left in CLOSE (10 s).
void answer_and_reset(Dataplane& dp, const BackendSpec& server, uint16_t lport, uint32_t client, uint16_t cport) {
  ASSERT_EQ(dp.run(topo::from_server(server, lport), 1), Verdict::tx);
  PacketSpec packet = syn_from(client, cport);
  packet.tcp_flags = core::kTcpAck;
  ASSERT_EQ(dp.run(packet, 0), Verdict::tx);
  packet.tcp_flags = core::kTcpRst | core::kTcpAck;
  ASSERT_EQ(dp.run(packet, 0), Verdict::tx);
  ASSERT_EQ(dp.conn(core::kIpProtoTcp, client, topo::kVip, cport, topo::kHttp)->state, lb::ConnState::tcp_close);
}

TEST(LocalPort, AnotherClientNeverGetsATupleItsServerMayStillHold) {
  Dataplane dp(web({topo::kWeb[0]}), 1, 0, kTableSize);
  const Opened first = open(dp, topo::kCip, 40000);
  ASSERT_EQ(first.verdict, Verdict::tx);
  answer_and_reset(dp, topo::kWeb[0], first.lport, topo::kCip, 40000);
  const uint32_t ended = dp.cs->now;
  dp.expire(ended + 11);  // CLOSE is over for us; the server may hold the tuple for 60 s more
  ASSERT_EQ(dp.client_conn(40000), nullptr);
  // As many other clients as the LIP has ports, within the server's TIME_WAIT.
  uint32_t opened = 0;
  for (uint32_t n = 0; n < kClassPorts; ++n) {
    const Opened o = open(dp, client_address(n), static_cast<uint16_t>(1024 + n % 64000));
    if (o.verdict != Verdict::tx) continue;
    ++opened;
    ASSERT_NE(o.lport, first.lport) << "client #" << n << " got the tuple the server may still hold for 198.51.100.7:40000";
  }
  EXPECT_GT(opened, kClassPorts / 2);
  EXPECT_EQ(opened + dp.counter(Counter::drop_lport_exhausted), kClassPorts);
}

TEST(LocalPort, ARestartGivesAClientItsTupleAndNoOneElseIt) {
  const auto first_run = [](uint32_t client, uint16_t cport) {
    Dataplane dp(web({topo::kWeb[0]}), 1, 0, kTableSize);
    return open(dp, client, cport);
  };
  const Opened before = first_run(topo::kCip, 40001);
  ASSERT_EQ(before.verdict, Verdict::tx);
  // Restarted: same key, empty tables. Another client first, then the same one again.
  Dataplane after(web({topo::kWeb[0]}), 1, 0, kTableSize);
  const Opened other = open(after, client_address(7), 40002);
  ASSERT_EQ(other.verdict, Verdict::tx);
  EXPECT_NE(other.lport, before.lport) << "another client got the tuple the server may hold from before the restart";
  const Opened same = open(after, topo::kCip, 40001);
  ASSERT_EQ(same.verdict, Verdict::tx);
  EXPECT_EQ(same.lport, before.lport) << "the same client tuple maps to the same server tuple across a restart";
}

TEST(LocalPort, ALocalPortIsUniquePerServerNotPerLip) {
  Dataplane dp(web({topo::kWeb[0], topo::kWeb[1]}), 1, 0, kTableSize);
  std::set<std::pair<uint32_t, uint16_t>> tuples;
  for (uint32_t n = 0; n < 2 * kClassPorts; ++n) {
    const Opened o = open(dp, client_address(n), static_cast<uint16_t>(1024 + n % 64000));
    if (o.verdict != Verdict::tx) continue;
    ASSERT_TRUE(tuples.insert({o.server, o.lport}).second) << "server-side tuple handed out twice";
  }
  EXPECT_GT(tuples.size(), 3u * kClassPorts / 2) << "two servers: room for about twice a LIP's ports";
}

// Many clients with one source port (in the range: resolvers, hosts behind one NAT, a
// generator that varies only addresses) towards one server through one LIP: after the first, whose
// own port it is, each walks from a hash of its own tuple, so they do not run out after
// kLocalPortTries of them as they would on one shared sequence.
TEST(LocalPort, ClientsSharingASourcePortDoNotShareASequence) {
  for (uint32_t workers : {1u, 2u}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    Dataplane dp(web({topo::kWeb[0]}, workers), workers, 0, kTableSize);
    std::set<uint16_t> lports;
    constexpr uint32_t kClients = 4096;
    for (uint32_t n = 0; n < kClients; ++n) {
      const Opened o = open(dp, client_address(n), 10000);
      ASSERT_EQ(o.verdict, Verdict::tx) << "client " << n << " found no local port";
      ASSERT_TRUE(lports.insert(o.lport).second) << "local port " << o.lport << " handed out twice";
    }
    EXPECT_EQ(dp.counter(Counter::drop_lport_exhausted), 0u);
    // Every client after the first finds its own port taken; then its hashed port is mostly free.
    EXPECT_LT(dp.counter(Counter::lport_busy), uint64_t{2 * kClients});
  }
}

// A share smaller than the tries: clients sharing a source port in it take every one of its ports,
// the own port tried first and then passed over by the walk, and the next client is refused.
TEST(LocalPort, ASmallShareIsUsedUpCompletely) {
  const lb::LocalPortRange range{40000, 40009};
  // Many source ports: which port a walk that did not pass over the own port would miss depends
  // on the hashes, so one run could be lucky.
  for (uint16_t cport = 40000; cport <= 40009; ++cport)
    for (uint32_t base = 0; base < 5000; base += 1000) {
      SCOPED_TRACE("client port " + std::to_string(cport) + ", clients from " + std::to_string(base));
      Dataplane dp(web({topo::kWeb[0]}), 1, 0, kTableSize, kPortKey, range);
      std::set<uint16_t> lports;
      for (uint32_t n = 0; n < range.size(); ++n) {
        const Opened o = open(dp, client_address(base + n), cport);
        ASSERT_EQ(o.verdict, Verdict::tx) << "client " << n << " found no local port of the 10";
        ASSERT_TRUE(lports.insert(o.lport).second) << o.lport;
      }
      EXPECT_EQ(open(dp, client_address(base + 999), cport).verdict, Verdict::drop);
      EXPECT_EQ(dp.counter(Counter::drop_lport_exhausted), 1u);
    }
}

// The workers' shares split local_port_range exactly once, the owner rule agrees with them, and
// count tries by the stride visit every port of a share once.
TEST(LocalPort, SharesPartitionTheRangeAndTheStrideVisitsEachOnce) {
  const lb::LocalPortRange ranges[] = {{}, {1024, 65535}, {40000, 40063}, {61000, 65535}, {1024, 1087}};
  for (const lb::LocalPortRange range : ranges)
  for (uint32_t workers : {1u, 2u, 3u, 5u, 7u, 8u, 63u, 64u}) {
    SCOPED_TRACE("range " + std::to_string(range.first) + "-" + std::to_string(range.last) + ", workers " + std::to_string(workers));
    std::vector<int> owner(65536, -1);
    uint32_t total = 0;
    for (uint32_t w = 0; w < workers; ++w) {
      const lb::LocalPortShare share(w, workers, range);
      total += share.count;
      std::vector<bool> seen(share.count, false);
      for (uint32_t i = 0, index = 17 % share.count; i < share.count; ++i, index = (index + share.stride) % share.count) {
        ASSERT_FALSE(seen[index]) << "index " << index << " visited twice";
        seen[index] = true;
        const uint16_t port = share.port_at(index);
        ASSERT_TRUE(range.contains(port)) << port;
        ASSERT_EQ(owner[port], -1) << "port " << port << " in two shares";
        owner[port] = static_cast<int>(w);
        ASSERT_EQ(lb::local_port_owner(port, workers), w);
        ASSERT_EQ(share.index_of(port), index);
      }
    }
    EXPECT_EQ(total, range.size());
  }
}

// local_port_range: new connections take their ports in it only (the client's own port when it is
// in range, else a keyed one), and a packet to a LIP outside it is the host's (pass, never
// redirected to another worker), while inside it an unmatched reply goes to its port's owner.
TEST(LocalPort, OnlyTheRangeIsTheDataPlanes) {
  const lb::LocalPortRange range{20000, 20999};
  Dataplane dp(web({topo::kWeb[0]}, 2), 2, 0, kTableSize, kPortKey, range);
  for (uint16_t cport : {20000, 20002, 40000, 40002, 1000}) {
    const Opened o = open(dp, topo::kCip, cport);
    ASSERT_EQ(o.verdict, Verdict::tx) << cport;
    const uint16_t lport = o.lport;
    EXPECT_TRUE(range.contains(lport)) << cport << " -> " << lport;
    EXPECT_EQ(lb::local_port_owner(lport, 2), 0u);
    if (range.contains(cport)) EXPECT_EQ(lport, cport);
  }
  // Replies no connection of worker 0 matches: in range, the owner of the port; outside, the kernel's.
  EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[0], 20001, core::kTcpAck), 0), Verdict::redirect_to(1));
  for (uint16_t port : {19999, 21000, 40001, 22})
    EXPECT_EQ(dp.run(topo::from_server(topo::kWeb[0], port, core::kTcpAck), 0), Verdict::pass) << port;
}

}  // namespace
}  // namespace xvs::test
