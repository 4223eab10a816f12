// test/native/address_ids_test.cc — lb::AddressIds: one id per address while referenced, the
// same id for every reference, a known id counted without a lookup, reuse once none is left, the
// end of the ids, and agreement with a
// map model under random acquires and releases (deletions from the open-addressed index must
// leave every other address findable).
#include "lb/address_ids.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace {
using xvs::core::Ipv6Address;
using xvs::lb::AddressIds;

Ipv6Address addr(uint32_t n) {
  Ipv6Address a{};
  a.bytes[0] = 0xfd;
  for (int i = 0; i < 4; ++i) a.bytes[12 + i] = static_cast<uint8_t>(n >> (24 - 8 * i));
  return a;
}

TEST(AddressIds, OneIdPerAddressCountedByItsReferences) {
  AddressIds ids(16);
  const uint16_t a = ids.acquire(addr(1)), b = ids.acquire(addr(2));
  ASSERT_NE(a, AddressIds::kNone);
  ASSERT_NE(b, AddressIds::kNone);
  EXPECT_NE(a, b);
  EXPECT_EQ(ids.acquire(addr(1)), a);
  EXPECT_EQ(ids.references(a), 2u);
  EXPECT_EQ(ids[a], addr(1));
  EXPECT_EQ(ids[b], addr(2));
  EXPECT_EQ(ids.size(), 2u);
  ids.release(a);
  EXPECT_EQ(ids.size(), 2u) << "one reference left";
  EXPECT_EQ(ids[a], addr(1));
  ids.release(a);
  EXPECT_EQ(ids.size(), 1u);
  // The freed id names the next new address; the old one, acquired again, gets some other id.
  const uint16_t c = ids.acquire(addr(3));
  EXPECT_EQ(c, a);
  EXPECT_EQ(ids[c], addr(3));
  const uint16_t again = ids.acquire(addr(1));
  EXPECT_NE(again, c);
  EXPECT_EQ(ids[again], addr(1));
  EXPECT_EQ(ids.acquire(addr(2)), b);
}

// A holder of an id (lb/snapshot_ids.h) adds references without a lookup: the address it passes
// is not read, so the known id is what counts, even where the index is full.
TEST(AddressIds, AKnownIdIsCountedWithoutALookup) {
  AddressIds ids(2);
  const uint16_t a = ids.acquire(addr(1));
  ids.acquire(addr(2));
  EXPECT_EQ(ids.acquire(addr(3)), AddressIds::kNone) << "full";
  EXPECT_EQ(ids.acquire(addr(3), a), a) << "the known id, whatever the address";
  EXPECT_EQ(ids.references(a), 2u);
  EXPECT_EQ(ids[a], addr(1));
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids.acquire(addr(3), AddressIds::kNone), AddressIds::kNone) << "not known: looked up, and full";
  EXPECT_EQ(ids.acquire(addr(1), AddressIds::kNone), a);
  EXPECT_EQ(ids.references(a), 3u);
}

TEST(AddressIds, SaysWhenEveryIdIsTaken) {
  AddressIds ids(3);
  for (uint32_t n = 0; n < 3; ++n) ASSERT_NE(ids.acquire(addr(n)), AddressIds::kNone);
  EXPECT_EQ(ids.acquire(addr(9)), AddressIds::kNone);
  EXPECT_EQ(ids.size(), 3u) << "a refused address takes nothing";
  EXPECT_NE(ids.acquire(addr(1)), AddressIds::kNone) << "an address already interned still is";
  const uint16_t zero = ids.acquire(addr(0));
  ids.release(zero);
  ids.release(zero);
  EXPECT_EQ(ids.acquire(addr(9)), zero);
  AddressIds none(0);
  EXPECT_EQ(none.acquire(addr(1)), AddressIds::kNone);
}

TEST(AddressIds, TheLargestTableHandsOutEveryId) {
  AddressIds ids;
  ASSERT_EQ(ids.capacity(), AddressIds::kMaxIds);
  std::set<uint16_t> seen;
  for (uint32_t n = 0; n < AddressIds::kMaxIds; ++n) {
    const uint16_t id = ids.acquire(addr(n));
    ASSERT_NE(id, AddressIds::kNone) << n;
    ASSERT_TRUE(seen.insert(id).second);
  }
  EXPECT_EQ(ids.acquire(addr(AddressIds::kMaxIds)), AddressIds::kNone);
  for (uint32_t n = 0; n < AddressIds::kMaxIds; n += 997) ASSERT_EQ(ids[ids.acquire(addr(n))], addr(n));
}

// Random acquires and releases over a few hundred addresses in a small table (long probe runs,
// many deletions from the middle of them), checked against a model after every step.
TEST(AddressIds, RandomOperationsAgreeWithAMapModel) {
  constexpr uint32_t kCapacity = 200;
  AddressIds ids(kCapacity);
  std::map<uint32_t, std::pair<uint16_t, uint32_t>> model;  // address number -> id, references
  std::mt19937 rng(11);
  for (int op = 0; op < 200000; ++op) {
    const uint32_t n = rng() % 300;
    auto it = model.find(n);
    if (rng() % 2 == 0) {
      const uint16_t id = ids.acquire(addr(n));
      if (it != model.end()) {
        ASSERT_EQ(id, it->second.first);
        ++it->second.second;
      } else if (model.size() == kCapacity) {
        ASSERT_EQ(id, AddressIds::kNone);
      } else {
        ASSERT_NE(id, AddressIds::kNone);
        for (const auto& [other, entry] : model) ASSERT_NE(entry.first, id) << "an id in use handed out again";
        model[n] = {id, 1};
      }
    } else if (it != model.end()) {
      ids.release(it->second.first);
      if (--it->second.second == 0) model.erase(it);
    }
    ASSERT_EQ(ids.size(), model.size());
    if (op % 1000 == 0) {
      for (const auto& [number, entry] : model) {
        ASSERT_EQ(ids[entry.first], addr(number));
        ASSERT_EQ(ids.references(entry.first), entry.second);
        // Still reachable through the index: acquiring finds the same id.
        ASSERT_EQ(ids.acquire(addr(number)), entry.first);
        ids.release(entry.first);
      }
    }
  }
}

}  // namespace
