// test/native/entry_index_test.cc — what is kept or walked by connection-table entry index
// (lb/line_pool.h: an index is a line, IPv6 entries take two): the arrays beside the table cover
// every index a full table of IPv6 entries reaches, and a paged listing (xvs list -c) walks the
// lines, IPv6 entries' addresses lines among them, listing every entry exactly once.
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

Dataplane dual_stack() {
  SnapshotBuilder b = topo::standard_mode(abi::Forwarding::fullnat);
  topo::add_standard6(b, abi::Forwarding::fullnat);
  return Dataplane(b, 1, 0, kCapacity);
}

std::vector<uint8_t> syn6(uint16_t cport) {
  Packet6Spec s;
  s.src_mac = topo::kRouterMac, s.dst_mac = topo::kPortMac[0];
  s.saddr = topo::kCip6, s.daddr = topo::kVip6, s.sport = cport, s.dport = topo::kHttp;
  return build_frame6(s);
}

TEST(EntryIndex, ArraysBesideTheTableCoverEveryLine) {
  Dataplane dp = dual_stack();
  const uint32_t lines = dp.cs->conns.lines();
  EXPECT_EQ(lines, 2 * kCapacity);
  EXPECT_GE(dp.cs->proxy.conns.size(), lines);
  EXPECT_GE(dp.cs->client_addresses.size(), lines);
  // A table full of IPv6 entries reaches the last pair.
  uint32_t highest = 0;
  for (uint16_t p = 0; p < kCapacity; ++p) {
    auto f = syn6(static_cast<uint16_t>(40000 + p));
    ASSERT_EQ(dp.run(f, 0), Verdict::tx) << p;
  }
  dp.cs->conns.for_each(kCapacity, [&](const lb::Conn& c) { highest = std::max(highest, dp.cs->conns.index_of(&c)); });
  EXPECT_EQ(dp.cs->conns.size(), kCapacity);
  EXPECT_EQ(highest, lines - 2);
}

// Pages of two entries over a table of both families (IPv4 entries between IPv6 pairs, some
// removed): each entry once, never an addresses line as an entry, the walk ends.
TEST(EntryIndex, APagedListingListsEveryEntryOnce) {
  Dataplane dp = dual_stack();
  for (uint16_t p = 0; p < 6; ++p) {
    auto f = syn6(static_cast<uint16_t>(41000 + p));
    ASSERT_EQ(dp.run(f, 0), Verdict::tx);
    ASSERT_EQ(dp.run(topo::from_client(static_cast<uint16_t>(42000 + p)), 0), Verdict::tx);
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
  EXPECT_EQ(listed.size(), 10u);
  for (uint16_t p = 0; p < 6; ++p) {
    EXPECT_EQ(listed.count({true, static_cast<uint16_t>(41000 + p)}), p == 2 ? 0u : 1u) << p;
    EXPECT_EQ(listed.count({false, static_cast<uint16_t>(42000 + p)}), p == 1 ? 0u : 1u) << p;
  }
}

}  // namespace
