// test/native/entry_index_test.cc — what is kept or walked by connection-table entry index
// (lb/line_pool.h: an index is a line, paired entries take two): the arrays beside the table
// cover every index a full table of paired entries reaches, and a paged listing (xvs list -c)
// walks the lines, paired entries' addresses lines among them, listing every entry exactly once.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "dataplane_fixture.h"
#include "packet_builder6.h"
#include "worker/conn_dump.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using lb::Verdict;
using xvs::worker::ConnDump;

constexpr uint32_t kCapacity = 16;
constexpr uint16_t kNat64Port = 8080;

// Both families' standard services (IPv6 ones: one-line entries), and [kVip6]:8080 over an IPv4
// server (NAT64: paired entries).
Dataplane dual_stack() {
  SnapshotBuilder b = topo::standard_mode(abi::Forwarding::fullnat);
  topo::add_standard6(b, abi::Forwarding::fullnat);
  ServiceOptions nat64;
  nat64.forwarding = abi::Forwarding::fullnat;
  b.add_service64(topo::kVip6, kNat64Port, xvs::core::kIpProtoTcp, {topo::kWeb[0]}, 0, nat64);
  return Dataplane(b, 1, 0, kCapacity);
}

std::vector<uint8_t> syn6(uint16_t cport, uint16_t vport = topo::kHttp) {
  Packet6Spec s;
  s.src_mac = topo::kRouterMac, s.dst_mac = topo::kPortMac[0];
  s.saddr = topo::kCip6, s.daddr = topo::kVip6, s.sport = cport, s.dport = vport;
  return build_frame6(s);
}

TEST(EntryIndex, ArraysBesideTheTableCoverEveryLine) {
  Dataplane dp = dual_stack();
  const uint32_t lines = dp.cs->conns.lines();
  EXPECT_EQ(lines, 2 * kCapacity);
  EXPECT_GE(dp.cs->proxy.conns.size(), lines);
  EXPECT_GE(dp.cs->client_addresses.size(), lines);
  // A table full of paired entries reaches the last pair.
  uint32_t highest = 0;
  for (uint16_t p = 0; p < kCapacity; ++p) {
    auto f = syn6(static_cast<uint16_t>(40000 + p), kNat64Port);
    ASSERT_EQ(dp.run(f, 0), Verdict::tx) << p;
  }
  dp.cs->conns.for_each(kCapacity, [&](const lb::Conn& c) { highest = std::max(highest, dp.cs->conns.index_of(&c)); });
  EXPECT_EQ(dp.cs->conns.size(), kCapacity);
  EXPECT_EQ(highest, lines - 2);
}

// Pages of two entries over a table of both families (IPv4 and one-line IPv6 entries between
// NAT64 pairs, some removed): each entry once, never an addresses line as an entry, the walk ends.
TEST(EntryIndex, APagedListingListsEveryEntryOnce) {
  Dataplane dp = dual_stack();
  for (uint16_t p = 0; p < 6; ++p) {
    auto f = syn6(static_cast<uint16_t>(41000 + p));
    ASSERT_EQ(dp.run(f, 0), Verdict::tx);
    ASSERT_EQ(dp.run(topo::from_client(static_cast<uint16_t>(42000 + p)), 0), Verdict::tx);
    if (p % 2 == 0) {
      auto g = syn6(static_cast<uint16_t>(43000 + p), kNat64Port);
      ASSERT_EQ(dp.run(g, 0), Verdict::tx);
    }
  }
  // Holes: an IPv4 entry and an IPv6 one go (their lines free again).
  dp.cs->conns.remove(dp.client_conn(42001));
  dp.cs->conns.remove(dp.cs->conns.lookup(xvs::core::kIpProtoTcp, topo::kCip6, topo::kVip6, xvs::core::htons(41002),
                                          xvs::core::htons(topo::kHttp)).conn);
  std::multiset<std::pair<bool, uint16_t>> listed;  // (IPv6, client port)
  uint32_t start = 0, pages = 0;
  while (start != ConnDump::kEnd && pages < 100) {
    ConnDump page(2, start);
    fill_conn_dump(*dp.cs, page);
    for (const auto& e : page.entries) listed.emplace(e.ipv6, xvs::core::ntohs(e.client.sport));
    start = page.next;
    ++pages;
  }
  EXPECT_EQ(start, ConnDump::kEnd);
  EXPECT_EQ(listed.size(), dp.cs->conns.size());
  EXPECT_EQ(listed.size(), 13u);
  for (uint16_t p = 0; p < 6; ++p) {
    EXPECT_EQ(listed.count({true, static_cast<uint16_t>(41000 + p)}), p == 2 ? 0u : 1u) << p;
    EXPECT_EQ(listed.count({false, static_cast<uint16_t>(42000 + p)}), p == 1 ? 0u : 1u) << p;
    EXPECT_EQ(listed.count({true, static_cast<uint16_t>(43000 + p)}), p % 2 == 0 ? 1u : 0u) << p;
  }
}

}  // namespace
