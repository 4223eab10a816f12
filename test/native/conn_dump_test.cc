// test/native/conn_dump_test.cc — a worker's connection listing (worker/conn_dump.h, for xvs
// list -c): every live entry once — connections with both tuples, state and time left, and
// persistence templates — within the limit, with the table's total; nothing allocated beyond
// the reserved entries.
#include <gtest/gtest.h>

#include "dataplane_fixture.h"
#include "packet_builder6.h"
#include "worker/conn_dump.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using lb::Verdict;
using xvs::core::htons;
using xvs::core::kTcpAck;
using xvs::worker::ConnDump;

TEST(ConnDump, ListsEveryEntryWithItsTuplesStateAndTimeLeft) {
  ServiceOptions o;
  o.flags = abi::persistent;
  o.persist_timeout = 300;
  o.persist_netmask = 0xffffffffu;  // /32, network order
  Dataplane dp(topo::standard_mode(abi::Forwarding::fullnat, 1, o));
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40000, kTcpAck), 0), Verdict::tx);  // established
  ASSERT_EQ(dp.run(topo::from_client(40001), 0), Verdict::tx);            // same client: same template
  ASSERT_EQ(dp.cs->conns.size(), 3u) << "two connections and one template";

  ConnDump dump(10);
  const auto* reserved = dump.entries.data();
  dp.cs->now += 5;
  fill_conn_dump(*dp.cs, dump);
  EXPECT_TRUE(dump.done.load());
  EXPECT_EQ(dump.total, 3u);
  ASSERT_EQ(dump.entries.size(), 3u);
  EXPECT_EQ(dump.entries.data(), reserved) << "filled within what the control thread reserved";
  int connections = 0, templates = 0;
  for (const auto& e : dump.entries) {
    if (e.flags & lb::kTemplate) {
      ++templates;
      EXPECT_EQ(e.state, lb::ConnState::persist_template);
      EXPECT_EQ(e.client.saddr, topo::kCip);
      EXPECT_EQ(e.client.daddr, topo::kVip);
      continue;
    }
    ++connections;
    EXPECT_EQ(e.client.saddr, topo::kCip);
    EXPECT_EQ(e.client.daddr, topo::kVip);
    EXPECT_EQ(e.client.dport, htons(topo::kHttp));
    EXPECT_EQ(e.server.daddr, topo::kLip) << "the server replies to the LIP";
    EXPECT_EQ(e.server.saddr, topo::kWeb[0].address) << "persistence: both on the first server";
    if (e.client.sport == htons(40000)) {
      EXPECT_EQ(e.state, lb::ConnState::tcp_established);
      EXPECT_EQ(e.expires_in, 900u - 5u) << "the established timeout, 5 s later";
    } else {
      EXPECT_EQ(e.state, lb::ConnState::tcp_syn_recv);
    }
  }
  EXPECT_EQ(connections, 2);
  EXPECT_EQ(templates, 1);
}

TEST(ConnDump, StopsAtItsLimitButCountsTheWholeTable) {
  Dataplane dp(topo::standard(1));
  for (uint16_t cport = 40000; cport < 40010; ++cport) ASSERT_EQ(dp.run(topo::from_client(cport), 0), Verdict::tx);
  ConnDump dump(4);
  fill_conn_dump(*dp.cs, dump);
  EXPECT_EQ(dump.entries.size(), 4u);
  EXPECT_EQ(dump.total, 10u);
}

// An IPv6 entry is listed with its addresses (the IPv4 fields of its tuples hold only ports).
TEST(ConnDump, ListsIpv6EntriesWithTheirAddresses) {
  SnapshotBuilder b = topo::standard_mode(abi::Forwarding::fullnat);
  topo::add_standard6(b, abi::Forwarding::fullnat);
  Dataplane dp(b);
  Packet6Spec syn;
  syn.src_mac = topo::kRouterMac, syn.dst_mac = topo::kPortMac[0];
  syn.saddr = topo::kCip6, syn.daddr = topo::kVip6, syn.sport = 40000, syn.dport = topo::kHttp;
  auto f = build_frame6(syn);
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);
  ConnDump dump(10);
  fill_conn_dump(*dp.cs, dump);
  ASSERT_EQ(dump.entries.size(), 2u);
  int v6 = 0;
  for (const auto& e : dump.entries) {
    if (!e.ipv6) {
      EXPECT_EQ(e.client.saddr, topo::kCip);
      continue;
    }
    ++v6;
    EXPECT_EQ(e.addresses6.tuple[lb::kFromClient].saddr, topo::kCip6);
    EXPECT_EQ(e.addresses6.tuple[lb::kFromClient].daddr, topo::kVip6);
    EXPECT_EQ(e.addresses6.tuple[lb::kFromServer].saddr, topo::kWeb6[0].address);
    EXPECT_EQ(e.addresses6.tuple[lb::kFromServer].daddr, topo::kLip6);
    EXPECT_EQ(e.client.sport, htons(40000));
    EXPECT_EQ(e.server.dport, htons(40000));
  }
  EXPECT_EQ(v6, 1);
}

}  // namespace
