// test/native/flat_map_test.cc — FlatMap finds exactly the keys it was built with, for empty, tiny (heavily probed) and large tables.
#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

#include "lb/flat_map.h"

namespace {
using xvs::lb::FlatMap;

TEST(FlatMap, DefaultAndEmptyMapsMiss) {
  FlatMap fresh;
  EXPECT_EQ(fresh.find(0), FlatMap::kMissing);
  EXPECT_EQ(fresh.find(42), FlatMap::kMissing);
  FlatMap empty;
  empty.build({}, 7);
  EXPECT_EQ(empty.find(0), FlatMap::kMissing);
  EXPECT_EQ(empty.find(~0ull), FlatMap::kMissing);
}

TEST(FlatMap, KeyZeroAndExtremes) {
  FlatMap m;
  m.build({{0, 10}, {~0ull, 11}, {1ull << 63, 12}}, 3);
  EXPECT_EQ(m.find(0), 10u);
  EXPECT_EQ(m.find(~0ull), 11u);
  EXPECT_EQ(m.find(1ull << 63), 12u);
  EXPECT_EQ(m.find(1), FlatMap::kMissing);
}

// Every size from 0 to 300 (tables from 8 slots up, at most half full) and several seeds: all
// keys found with their values, no stranger found.
TEST(FlatMap, RandomContentsAgreeWithUnorderedMap) {
  std::mt19937_64 rng(5);
  for (uint32_t n = 0; n <= 300; ++n) {
    for (uint64_t seed : {0ull, 1ull, 0xdeadbeefull}) {
      std::unordered_map<uint64_t, uint32_t> model;
      std::vector<std::pair<uint64_t, uint32_t>> entries;
      while (model.size() < n) {
        // Keys close together, like service keys differing only in port, plus random ones.
        const uint64_t key = rng() % 2 ? rng() : (0x0a000001ull << 32 | (rng() % 1000) << 8 | 6);
        if (model.emplace(key, static_cast<uint32_t>(model.size())).second) entries.emplace_back(key, model[key]);
      }
      FlatMap m;
      m.build(entries, seed);
      for (const auto& [key, value] : model) ASSERT_EQ(m.find(key), value) << "n " << n;
      for (int miss = 0; miss < 50; ++miss) {
        // Strangers: random keys, and neighbours of the inserted ones (ports 1000..1999).
        const uint64_t key = miss % 2 ? rng() : (0x0a000001ull << 32 | (1000 + rng() % 1000) << 8 | 6);
        if (model.count(key) == 0) {
          ASSERT_EQ(m.find(key), FlatMap::kMissing);
        }
      }
    }
  }
}

TEST(FlatMap, LargeTable) {
  std::vector<std::pair<uint64_t, uint32_t>> entries;
  for (uint32_t i = 0; i < 200000; ++i) entries.emplace_back(uint64_t{i} * 0x9e3779b97f4a7c15ull, i);
  FlatMap m;
  m.build(entries, 99);
  for (const auto& [key, value] : entries) ASSERT_EQ(m.find(key), value);
  for (uint32_t i = 0; i < 200000; ++i) ASSERT_EQ(m.find(uint64_t{i} * 0x9e3779b97f4a7c15ull + 1), FlatMap::kMissing);
}

TEST(FlatMap, RebuildReplacesContents) {
  FlatMap m;
  m.build({{1, 1}, {2, 2}}, 1);
  m.build({{3, 3}}, 2);
  EXPECT_EQ(m.find(1), FlatMap::kMissing);
  EXPECT_EQ(m.find(2), FlatMap::kMissing);
  EXPECT_EQ(m.find(3), 3u);
}
}  // namespace
