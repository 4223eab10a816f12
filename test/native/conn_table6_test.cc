// test/native/conn_table6_test.cc — ConnTable with IPv6 entries beside IPv4 ones: two-way
// lookup of one-line entries (the client address in the line, the others interned) and of
// paired ones (templates, NAT64, connections once the address ids have run out: their addresses
// in a second line, lb/line_pool.h), misses on every field, no match across families (whatever
// the tags: few buckets force collisions), removal and slot reuse by the other family, expiry of
// both, the rewrite delta an entry keeps against checksums computed afresh, and agreement with a
// map model under random operations mixing all of them, with and without enough address ids.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <list>
#include <map>
#include <random>
#include <tuple>
#include <vector>

#include "core/checksum.h"
#include "core/net.h"
#include "lb/conn_table.h"

namespace {
using namespace xvs::lb;
using xvs::core::htons;
using xvs::core::Ipv6Address;
using xvs::core::kIpProtoTcp;
using xvs::core::kIpProtoUdp;

Ipv6Address addr(uint16_t first, uint32_t last) {
  Ipv6Address a{};
  a.bytes[0] = static_cast<uint8_t>(first >> 8);
  a.bytes[1] = static_cast<uint8_t>(first);
  for (int i = 0; i < 4; ++i) a.bytes[12 + i] = static_cast<uint8_t>(last >> (24 - 8 * i));
  return a;
}
const Ipv6Address kCip6 = addr(0x2001, 7), kVip6 = addr(0x2001, 0x100), kRip6 = addr(0xfd00, 10), kLip6 = addr(0xfd00, 100);

ConnTuple6 client_side(uint16_t cport, const Ipv6Address& cip = kCip6) { return {cip, kVip6, htons(cport), htons(80)}; }
ConnTuple6 server_side(uint16_t lport) { return {kRip6, kLip6, htons(8080), htons(lport)}; }
Conn* add6(ConnTable& t, uint16_t cport, uint16_t lport, uint8_t proto = kIpProtoTcp) {
  return t.insert(proto, client_side(cport), server_side(lport), kLinkClient | kLinkServer);
}
ConnLookup find(const ConnTable& t, const ConnTuple6& k, uint8_t proto = kIpProtoTcp) {
  return t.lookup(proto, k.saddr, k.daddr, k.sport, k.dport);
}
ConnLookup find(const ConnTable& t, const ConnTuple& k, uint8_t proto = kIpProtoTcp) {
  return t.lookup(proto, k.saddr, k.daddr, k.sport, k.dport);
}

TEST(ConnTable6, InsertAndLookupFromBothDirections) {
  ConnTable t(1024, 42);
  Conn* c = add6(t, 40000, 1024);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->ipv6);
  EXPECT_EQ(t.size(), 1u);
  const ConnLookup a = find(t, client_side(40000)), b = find(t, server_side(1024));
  EXPECT_EQ(a.conn, c);
  EXPECT_EQ(a.direction, kFromClient);
  EXPECT_EQ(b.conn, c);
  EXPECT_EQ(b.direction, kFromServer);
  // One line: the ports and the client address in it, the VIP, server and local address
  // interned (one reference each); the line after it is free.
  EXPECT_TRUE(c->interned);
  EXPECT_EQ(c->tuple[kFromServer].dport, htons(1024));
  EXPECT_EQ(t.address_ids().size(), 3u);
  EXPECT_EQ(t.paired_entries(), 0u);
  const uint32_t index = t.index_of(c);
  EXPECT_EQ(t.at(index), c);
  Conn* next = add6(t, 40001, 1025);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(t.index_of(next), index + 1) << "the next one-line entry takes the line after it";
  EXPECT_EQ(t.address_ids().size(), 3u) << "the same three addresses, one more reference each";
  EXPECT_EQ(t.address_ids().references(c->interned6.client_daddr), 2u);
  const ConnTuple6 back = t.tuple6(*c, kFromClient);
  EXPECT_EQ(back.saddr, kCip6);
  EXPECT_EQ(back.daddr, kVip6);
  EXPECT_EQ(back.sport, htons(40000));
  EXPECT_EQ(t.tuple6(*c, kFromServer).daddr, kLip6);
  EXPECT_EQ(t.tuple6(*c, kFromServer).saddr, kRip6);
  EXPECT_EQ(find(t, client_side(40001)).conn, next);
  t.remove(c);
  t.remove(next);
  EXPECT_EQ(t.address_ids().size(), 0u) << "released with the last entry naming them";
}

// nat (and dr, tunnel): the server side answers the client's own address, which is not interned
// (Interned6::kClient) but read from the line.
TEST(ConnTable6, TheServerSideMayNameTheClientsAddress) {
  ConnTable t(64, 42);
  Conn* c = t.insert(kIpProtoTcp, client_side(40000), ConnTuple6{kRip6, kCip6, htons(8080), htons(40000)},
                     kLinkClient | kLinkServer);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->interned);
  EXPECT_EQ(c->interned6.server_daddr, Interned6::kClient);
  EXPECT_EQ(t.address_ids().size(), 2u);
  EXPECT_EQ(find(t, ConnTuple6{kRip6, kCip6, htons(8080), htons(40000)}).conn, c);
  EXPECT_EQ(find(t, ConnTuple6{kRip6, kLip6, htons(8080), htons(40000)}).conn, nullptr);
  const Conn6Addresses a = t.addresses6(*c);
  EXPECT_EQ(a.tuple[kFromServer].daddr, kCip6);
  EXPECT_EQ(a.tuple[kFromClient].daddr, kVip6);
}

// With every address id taken, a connection keeps its addresses in a second line, as a template
// always does: found alike, and its delta where a paired entry keeps it.
TEST(ConnTable6, WithoutAFreeAddressIdAConnectionIsPaired) {
  ConnTable t(64, 42, 0, /*address_ids=*/3);
  Conn* one_line = add6(t, 40000, 1024);
  ASSERT_NE(one_line, nullptr);
  EXPECT_TRUE(one_line->interned);
  const Ipv6Address other_rip = addr(0xfd00, 11);
  Conn* paired = t.insert(kIpProtoTcp, client_side(40001), ConnTuple6{other_rip, kLip6, htons(8080), htons(1025)},
                          kLinkClient | kLinkServer);
  ASSERT_NE(paired, nullptr);
  EXPECT_FALSE(paired->interned);
  EXPECT_EQ(t.index_of(paired) % 2, 0u);
  EXPECT_EQ(t.at(t.index_of(paired) + 1), nullptr) << "its addresses line";
  EXPECT_EQ(t.paired_entries(), 1u);
  EXPECT_EQ(t.address_ids().size(), 3u) << "the ids it took before running out were given back";
  EXPECT_EQ(t.address_ids().references(one_line->interned6.client_daddr), 1u);
  EXPECT_EQ(find(t, client_side(40001)).conn, paired);
  EXPECT_EQ(find(t, ConnTuple6{other_rip, kLip6, htons(8080), htons(1025)}).conn, paired);
  // A template is paired whatever the ids (its settings take the client address's room).
  Conn* tmpl = t.insert(kTemplateProtocol | kIpProtoTcp, ConnTuple6{kCip6, kVip6, 0, htons(80)}, ConnTuple6{}, kLinkClient);
  ASSERT_NE(tmpl, nullptr);
  EXPECT_FALSE(tmpl->interned);
  EXPECT_EQ(t.paired_entries(), 1u) << "no packet matches a template: not looked ahead for";
  t.remove(one_line);
  EXPECT_EQ(t.address_ids().size(), 0u);
  Conn* again = t.insert(kIpProtoTcp, client_side(40002), ConnTuple6{other_rip, kLip6, htons(8080), htons(1026)},
                         kLinkClient | kLinkServer);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->interned) << "ids free again";
  t.remove(paired);
  t.remove(tmpl);
  EXPECT_EQ(t.paired_entries(), 0u);
}

// A TCP segment of `t` with some payload, its checksum computed over the whole of it.
std::vector<uint8_t> segment(const ConnTuple6& t) {
  std::vector<uint8_t> bytes(sizeof(xvs::core::Ipv6Hdr) + 20 + 7, 0);
  auto* ip = reinterpret_cast<xvs::core::Ipv6Hdr*>(bytes.data());
  ip->version_class = 0x60;
  ip->payload_length = htons(27);
  ip->next_header = kIpProtoTcp;
  ip->hop_limit = 64;
  t.saddr.store(ip->saddr);
  t.daddr.store(ip->daddr);
  uint8_t* tcp = bytes.data() + sizeof(xvs::core::Ipv6Hdr);
  std::memcpy(tcp, &t.sport, 2);
  std::memcpy(tcp + 2, &t.dport, 2);
  tcp[12] = 5 << 4;
  for (int i = 0; i < 7; ++i) tcp[20 + i] = static_cast<uint8_t>(0xa0 + i);
  const uint16_t sum = xvs::core::ipv6_l4_checksum(ip, kIpProtoTcp, tcp, 27);
  std::memcpy(tcp + 16, &sum, 2);
  return bytes;
}
uint16_t tcp_checksum_of(const std::vector<uint8_t>& s) {
  uint16_t sum;
  std::memcpy(&sum, s.data() + sizeof(xvs::core::Ipv6Hdr) + 16, 2);
  return sum;
}

// What an IPv6 entry keeps for nat/fullnat (lb/conn.h rewrite_delta6): a segment of either
// direction's tuple, its checksum updated by that delta alone, has the checksum computed afresh
// over the segment it becomes (the reverse of the other direction's tuple).
void expect_rewrite_deltas(const ConnTable& t, const Conn& c, uint32_t cport) {
  for (const Direction d : {kFromClient, kFromServer}) {
    const ConnTuple6 from = t.tuple6(c, d), other = t.tuple6(c, static_cast<Direction>(d ^ 1));
    const ConnTuple6 to{other.daddr, other.saddr, other.dport, other.sport};
    const uint16_t updated = xvs::core::checksum_apply(tcp_checksum_of(segment(from)), rewrite_delta6(c, d));
    EXPECT_EQ(updated, tcp_checksum_of(segment(to))) << "cport " << cport << " direction " << d << " interned " << +c.interned;
  }
}

TEST(ConnTable6, RewriteDeltaIsTheChecksumOfTheRewrite) {
  // One-line entries keep one delta (the server side's is its complement), paired ones two.
  for (const uint32_t ids : {AddressIds::kMaxIds, 0u}) {
    ConnTable t(4096, 42, 0, ids);
    for (uint32_t cport = 1; cport < 65536; cport += 29) {
      Conn* c = add6(t, static_cast<uint16_t>(cport), static_cast<uint16_t>(cport ^ 0x5555));
      ASSERT_NE(c, nullptr);
      ASSERT_EQ(c->interned, ids != 0);
      expect_rewrite_deltas(t, *c, cport);
    }
  }
  // A rewrite that changes no sum (delta 0xffff, its complement 0: one's complement's two
  // zeros): the server side's addresses and ports are the client side's, swapped.
  ConnTable t(16, 42);
  Conn* c = t.insert(kIpProtoTcp, client_side(40000), ConnTuple6{kCip6, kVip6, htons(40000), htons(80)}, kLinkClient);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->interned);
  EXPECT_EQ(c->interned6.rewrite_delta, 0xffff);
  expect_rewrite_deltas(t, *c, 40000);
}

TEST(ConnTable6, LookupMissesOnAnyDifferentField) {
  ConnTable t(1024, 42);
  ASSERT_NE(add6(t, 40000, 1024), nullptr);
  const ConnTuple6 k = client_side(40000);
  Ipv6Address other_low = k.saddr, other_high = k.saddr;
  other_low.bytes[15] ^= 1;
  other_high.bytes[0] ^= 0x80;
  EXPECT_EQ(find(t, k, kIpProtoUdp).conn, nullptr) << "protocol";
  EXPECT_EQ(t.lookup(kIpProtoTcp, k.saddr, k.daddr, htons(40001), k.dport).conn, nullptr) << "sport";
  EXPECT_EQ(t.lookup(kIpProtoTcp, k.saddr, k.daddr, k.sport, htons(81)).conn, nullptr) << "dport";
  EXPECT_EQ(t.lookup(kIpProtoTcp, other_low, k.daddr, k.sport, k.dport).conn, nullptr) << "saddr, last byte";
  EXPECT_EQ(t.lookup(kIpProtoTcp, other_high, k.daddr, k.sport, k.dport).conn, nullptr) << "saddr, first byte";
  EXPECT_EQ(t.lookup(kIpProtoTcp, k.saddr, other_low, k.sport, k.dport).conn, nullptr) << "daddr";
  EXPECT_EQ(t.lookup(kIpProtoTcp, k.daddr, k.saddr, k.dport, k.sport).conn, nullptr) << "reversed";
}

// One bucket: every tuple's tag is compared, and every entry's full key with it. An IPv4 tuple
// with the same ports and protocol (and the zero addresses an IPv6 entry keeps in its IPv4
// fields) never finds an IPv6 entry, and an IPv6 lookup never finds an IPv4 one.
TEST(ConnTable6, FamiliesNeverMatchEachOther) {
  ConnTable t(64, 42, /*bucket_count=*/1);
  Conn* v6 = add6(t, 40000, 1024);
  Conn* v4 = t.insert(kIpProtoTcp, ConnTuple{0, 0, htons(40001), htons(80)}, ConnTuple{0, 0, htons(8080), htons(1025)},
                      kLinkClient | kLinkServer);
  ASSERT_NE(v6, nullptr);
  ASSERT_NE(v4, nullptr);
  EXPECT_FALSE(v4->ipv6);
  EXPECT_EQ(find(t, ConnTuple{0, 0, htons(40000), htons(80)}).conn, nullptr) << "IPv4 lookup, IPv6 entry's ports";
  EXPECT_EQ(find(t, ConnTuple{0, 0, htons(8080), htons(1024)}).conn, nullptr);
  const Ipv6Address zero{};
  EXPECT_EQ(find(t, ConnTuple6{zero, zero, htons(40001), htons(80)}).conn, nullptr) << "IPv6 lookup, IPv4 entry's ports";
  EXPECT_EQ(find(t, ConnTuple{0, 0, htons(40001), htons(80)}).conn, v4);
  EXPECT_EQ(find(t, client_side(40000)).conn, v6);
  // Through the hint too (a candidate of the other family: its key is compared whatever the tag).
  const uint32_t v6_node = t.index_of(v6) * 2;
  EXPECT_EQ(t.lookup(t.probe(kIpProtoTcp, 0u, 0u, htons(40000), htons(80)), v6_node, kIpProtoTcp, 0u, 0u, htons(40000), htons(80)).conn,
            nullptr);
  const uint32_t v4_node = t.index_of(v4) * 2;
  EXPECT_EQ(t.lookup(t.probe(kIpProtoTcp, zero, zero, htons(40001), htons(80)), v4_node, kIpProtoTcp, zero, zero, htons(40001),
                     htons(80))
                .conn,
            nullptr);
}

TEST(ConnTable6, RemoveAndReuseTheSlotForTheOtherFamily) {
  ConnTable t(2, 42);
  Conn* a = add6(t, 40000, 1024);
  Conn* b = add6(t, 40001, 1025);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(add6(t, 40002, 1026), nullptr) << "full";
  t.touch(a, ConnState::tcp_established, 0, 100);
  t.remove(a);
  EXPECT_EQ(find(t, client_side(40000)).conn, nullptr);
  EXPECT_EQ(find(t, server_side(1024)).conn, nullptr);
  EXPECT_EQ(find(t, client_side(40001)).conn, b);
  // The freed slot becomes an IPv4 entry: no IPv6 bit, no IPv6 key left behind.
  constexpr uint32_t kCip = 0x0764'33c6, kVip = 0x0a71'00cb;
  Conn* c = t.insert(kIpProtoTcp, ConnTuple{kCip, kVip, htons(40000), htons(80)}, ConnTuple{kVip, kCip, htons(80), htons(40000)},
                     kLinkClient);
  ASSERT_EQ(c, a);
  EXPECT_FALSE(c->ipv6);
  EXPECT_EQ(find(t, ConnTuple{kCip, kVip, htons(40000), htons(80)}).conn, c);
  EXPECT_EQ(find(t, client_side(40000)).conn, nullptr);
}

// A NAT64 entry: its IPv6 client side is found by IPv6 lookups only, its IPv4 server side by
// IPv4 lookups only (one bucket: every tag collides), and both go with it.
TEST(ConnTable6, ANat64EntryIsFoundByEachSidesOwnFamily) {
  ConnTable t(8, 42, 1);
  constexpr uint32_t kRip = 0x0b02000a, kLip = 0x6402000a;
  const ConnTuple server{kRip, kLip, htons(8080), htons(1024)};
  Conn* c = t.insert(kIpProtoTcp, client_side(40000), server, kLinkClient | kLinkServer);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->ipv6 && c->nat64);
  EXPECT_TRUE(side_is_ipv6(*c, kFromClient));
  EXPECT_FALSE(side_is_ipv6(*c, kFromServer));
  // An IPv6 entry and an IPv4 one beside it, with the same ports.
  Conn* v6 = add6(t, 40000, 1024);
  Conn* v4 = t.insert(kIpProtoTcp, ConnTuple{0x0764'33c6, 0x0a71'00cb, htons(40000), htons(80)}, ConnTuple{kRip, kLip, htons(8080), htons(1025)},
                      kLinkClient | kLinkServer);
  ASSERT_NE(v6, nullptr);
  ASSERT_NE(v4, nullptr);
  const ConnLookup a = find(t, client_side(40000, addr(0x2001, 7)));
  EXPECT_TRUE(a.conn == c || a.conn == v6);  // the same client tuple: either (never both in a real table)
  const ConnLookup b = find(t, server);
  EXPECT_EQ(b.conn, c);
  EXPECT_EQ(b.direction, kFromServer);
  EXPECT_EQ(c->tuple[kFromServer].daddr, kLip);
  // The server side as IPv6 (its addresses in any form) finds nothing of the NAT64 entry.
  Ipv6Address mapped{};
  mapped.bytes[10] = mapped.bytes[11] = 0xff;
  std::memcpy(mapped.bytes + 12, &kRip, 4);
  Ipv6Address mapped_lip = mapped;
  std::memcpy(mapped_lip.bytes + 12, &kLip, 4);
  EXPECT_EQ(t.lookup(kIpProtoTcp, mapped, mapped_lip, htons(8080), htons(1024)).conn, nullptr);
  EXPECT_EQ(t.lookup(kIpProtoTcp, Ipv6Address{}, Ipv6Address{}, htons(8080), htons(1024)).conn, nullptr);
  // The client side as IPv4 (the zero addresses an IPv6 side keeps in its line) finds nothing.
  EXPECT_EQ(t.lookup(kIpProtoTcp, 0u, 0u, htons(40000), htons(80)).conn, nullptr);
  EXPECT_EQ(t.tuple6(*c, kFromClient).saddr, kCip6);
  t.touch(c, ConnState::tcp_established, 0, 100);
  t.remove(c);
  EXPECT_EQ(find(t, server).conn, nullptr);
  EXPECT_EQ(find(t, client_side(40000)).conn, v6);
  EXPECT_EQ(find(t, ConnTuple{kRip, kLip, htons(8080), htons(1025)}).conn, v4);
  // Its slot, reused by an IPv6 entry, carries no NAT64 bit.
  Conn* again = add6(t, 40001, 1026);
  ASSERT_EQ(again, c);
  EXPECT_FALSE(again->nat64);
}

TEST(ConnTable6, ExpiryVisitsBothFamiliesInOneList) {
  ConnTable t(16, 42);
  constexpr uint32_t kCip = 0x0764'33c6, kVip = 0x0a71'00cb;
  Conn* v4 = t.insert(kIpProtoUdp, ConnTuple{kCip, kVip, htons(1), htons(53)}, ConnTuple{kVip, kCip, htons(53), htons(1)}, kLinkClient);
  Conn* v6 = add6(t, 2, 2, kIpProtoUdp);
  t.touch(v4, ConnState::udp, 0, 10);
  t.touch(v6, ConnState::udp, 1, 10);
  std::vector<bool> families;
  EXPECT_EQ(t.expire(20, 10, [&](const Conn& c) { families.push_back(c.ipv6); }), 2u);
  EXPECT_EQ(families, (std::vector<bool>{false, true}));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(find(t, client_side(2), kIpProtoUdp).conn, nullptr);
}

// Expiry lists of every kind of entry (IPv4, interned IPv6, paired IPv6 once ids run out, NAT64)
// under random touches and removals: the timer links of interned entries live beside the pool,
// the others' in their lines, and each list still runs in expiry order, checked against a model.
void expiry_lists_model(uint32_t ids) {
  constexpr uint32_t kCap = 256;
  ConnTable t(kCap, 99, 13, ids);
  std::mt19937 rng(5);
  std::vector<Conn*> live;
  std::map<int, std::list<Conn*>> lists;
  auto unlist = [&](Conn* c) {
    for (auto& [s, l] : lists) l.remove(c);
  };
  uint32_t now = 0;
  uint16_t port = 1;
  for (int op = 0; op < 40000; ++op) {
    const uint32_t r = rng() % 10;
    if (r < 4 && t.size() < kCap) {
      const uint32_t fam = rng() % 4;
      ++port;
      Conn* c = nullptr;
      if (fam == 0) c = t.insert(kIpProtoTcp, ConnTuple{0x0a000001u + port, 0x0b000001u, htons(port), htons(80)},
                                  ConnTuple{0x0c000001u, 0x0d000001u, htons(80), htons(port)}, kLinkClient | kLinkServer);
      else if (fam == 1 || fam == 3)
        c = t.insert(kIpProtoTcp, ConnTuple6{addr(0x2001, port), addr(0x2001, 0x100), htons(port), htons(80)},
                     ConnTuple6{addr(0xfd00, 10 + port % (fam == 3 ? 50 : 3)), addr(0xfd00, 100), htons(8080), htons(port)},
                     kLinkClient | kLinkServer);
      else c = t.insert(kIpProtoTcp, ConnTuple6{addr(0x2002, port), addr(0x2001, 0x100), htons(port), htons(80)},
                        ConnTuple{0x0c000001u, 0x0d000002u, htons(80), htons(port)}, kLinkClient | kLinkServer);
      if (c == nullptr) continue;
      live.push_back(c);
    } else if (r < 8 && !live.empty()) {
      Conn* c = live[rng() % live.size()];
      const int s = rng() % 3;
      const ConnState st = s == 0 ? ConnState::tcp_established : s == 1 ? ConnState::tcp_syn_recv : ConnState::tcp_fin_wait;
      const uint32_t before_state = static_cast<uint32_t>(c->state), before_exp = c->expires;
      t.touch(c, st, now, 100);
      if (before_state != static_cast<uint32_t>(st) || before_exp != now + 100) {
        unlist(c);
        lists[static_cast<int>(st)].push_back(c);
      }
      ++now;
    } else if (!live.empty()) {
      const size_t i = rng() % live.size();
      Conn* c = live[i];
      unlist(c);
      t.remove(c);
      live.erase(live.begin() + i);
    }
    if (op % 97 == 0) {
      std::vector<Conn*> want, got;
      for (uint32_t cls = 0; cls < kConnStates; ++cls)
        if (lists.count(cls)) for (Conn* c : lists[cls]) want.push_back(c);
      t.for_each(1u << 30, [&](const Conn& c) { got.push_back(const_cast<Conn*>(&c)); });
      ASSERT_EQ(got, want) << "op " << op;
      for (uint32_t cls = 0; cls < kConnStates; ++cls) {
        Conn* o = t.oldest(static_cast<ConnState>(cls));
        Conn* w = lists.count(cls) && !lists[cls].empty() ? lists[cls].front() : nullptr;
        ASSERT_EQ(o, w);
      }
    }
  }
  for (Conn* c : live) t.remove(c);
  EXPECT_EQ(t.address_ids().size(), 0u);
  EXPECT_EQ(t.paired_entries(), 0u);
}
TEST(ConnTable6, ExpiryListsOfEveryKindAgreeWithAModel) { expiry_lists_model(AddressIds::kMaxIds); }
TEST(ConnTable6, ExpiryListsOfEveryKindAgreeWithAModelWhenAddressIdsRunOut) { expiry_lists_model(6); }

// Random inserts and removals of both families in a table with few buckets (long overflow
// chains, tag collisions across families), checked against a std::map after every step.
// `address_ids`: fewer than the five addresses the connections name (a VIP, a local address,
// three servers) leaves some IPv6 connections paired, and ids are reused as entries leave.
void random_mixed_operations(uint32_t address_ids) {
  constexpr uint32_t kCapacity = 512;
  ConnTable t(kCapacity, 0x1234'5678'9abc'def0ull, /*bucket_count=*/17, address_ids);
  // family (0 IPv4, 1 IPv6, 2 NAT64: an IPv6 client, an IPv4 server), protocol, client address, client port
  using Key = std::tuple<uint8_t, uint8_t, uint32_t, uint16_t>;
  std::map<Key, std::pair<Conn*, uint16_t>> model;
  std::mt19937 rng(7);
  auto random_key = [&] {
    return Key{static_cast<uint8_t>(rng() % 3), rng() % 3 ? kIpProtoTcp : kIpProtoUdp, rng() % 48, static_cast<uint16_t>(1 + rng() % 24)};
  };
  struct Tuples {
    uint8_t family;
    ConnTuple c4, s4;
    ConnTuple6 c6, s6;
  };
  auto tuples = [](const Key& k, uint16_t lport) {
    const uint32_t host = std::get<2>(k);
    const uint16_t cport = htons(std::get<3>(k));
    return Tuples{std::get<0>(k),
                  {0x0a000000u + host, 0x0a71'00cb, cport, htons(80)},
                  {0x0b02'000a, 0x6402'000a, htons(8080), htons(lport)},
                  {addr(std::get<0>(k) == 2 ? 0x2002 : 0x2001, host), kVip6, cport, htons(80)},
                  {addr(0xfd00, 10 + host % 3), kLip6, htons(8080), htons(lport)}};
  };
  auto lookups = [&](const Tuples& k, uint8_t proto) {
    if (k.family == 0) return std::pair{find(t, k.c4, proto), find(t, k.s4, proto)};
    return std::pair{find(t, k.c6, proto), k.family == 1 ? find(t, k.s6, proto) : find(t, k.s4, proto)};
  };
  uint32_t inserted = 0;
  for (int op = 0; op < 30000; ++op) {
    const Key k = random_key();
    const uint8_t proto = std::get<1>(k);
    auto it = model.find(k);
    if (it == model.end() && rng() % 4 != 0) {
      const auto lport = static_cast<uint16_t>(1024 + inserted++);
      const Tuples tu = tuples(k, lport);
      Conn* c = tu.family == 0   ? t.insert(proto, tu.c4, tu.s4, kLinkClient | kLinkServer)
                : tu.family == 1 ? t.insert(proto, tu.c6, tu.s6, kLinkClient | kLinkServer)
                                 : t.insert(proto, tu.c6, tu.s4, kLinkClient | kLinkServer);
      if (model.size() == kCapacity) {
        ASSERT_EQ(c, nullptr);
      } else {
        ASSERT_NE(c, nullptr);
        ASSERT_EQ(c->ipv6, tu.family != 0);
        ASSERT_EQ(c->nat64, tu.family == 2);
        model[k] = {c, lport};
      }
    } else if (it != model.end()) {
      t.remove(it->second.first);
      model.erase(it);
    }
    ASSERT_EQ(t.size(), model.size());
    // What process_burst reads to decide on looking ahead for paired entries' addresses lines.
    ASSERT_EQ(t.paired_entries(), static_cast<uint32_t>(std::count_if(model.begin(), model.end(), [](const auto& e) {
                return e.second.first->ipv6 && !e.second.first->interned;
              })));
    if (op % 500 == 0 || op > 29900) {
      // Lines: a paired entry holds an aligned pair, its second line its addresses (no entry
      // there for the listings and sync's walk); every entry is found by its index.
      uint32_t entries = 0;
      for (uint32_t line = 0; line < t.lines(); ++line) entries += t.at(line) != nullptr;
      ASSERT_EQ(entries, model.size());
      for (const auto& [key, value] : model) {
        const uint32_t index = t.index_of(value.first);
        ASSERT_EQ(t.at(index), value.first);
        if (value.first->ipv6 && !value.first->interned) {
          ASSERT_EQ(index % 2, 0u);
          ASSERT_EQ(t.at(index + 1), nullptr);
        }
      }
      for (const auto& [key, value] : model) {
        const auto [a, b] = lookups(tuples(key, value.second), std::get<1>(key));
        ASSERT_EQ(a.conn, value.first);
        ASSERT_EQ(a.direction, kFromClient);
        ASSERT_EQ(b.conn, value.first);
        ASSERT_EQ(b.direction, kFromServer);
      }
    }
    const Key probe = random_key();
    ASSERT_EQ(lookups(tuples(probe, 0), std::get<1>(probe)).first.conn != nullptr, model.count(probe) == 1);
  }
  EXPECT_GT(model.size(), 300u);
  EXPECT_GT(t.overflowed(), 0u) << "few buckets: chains should be exercised";
  uint32_t interned = 0, paired = 0;
  for (const auto& [key, value] : model) {
    interned += value.first->interned;
    paired += value.first->ipv6 && !value.first->nat64 && !value.first->interned;
  }
  EXPECT_GT(interned, 0u);
  if (address_ids < 5) {
    EXPECT_GT(paired, 0u) << "ids ran out";
  }
  for (const auto& [key, value] : model) t.remove(value.first);
  EXPECT_EQ(t.address_ids().size(), 0u) << "every id released with the entries";
  EXPECT_EQ(t.paired_entries(), 0u);
}

TEST(ConnTable6, RandomMixedOperationsAgreeWithAMapModel) { random_mixed_operations(AddressIds::kMaxIds); }
TEST(ConnTable6, RandomMixedOperationsAgreeWithAMapModelWhenAddressIdsRunOut) { random_mixed_operations(4); }
}  // namespace
