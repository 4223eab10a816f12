// test/native/line_pool_test.cc — the connection table's free lines (lb/line_pool.h): lowest
// first, single lines from pairs already split, a free pair for an IPv6 entry whenever the table
// has room for a connection (against a model, under orders that split as many pairs as they
// can), and IndexSet's lowest member across its levels.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <set>
#include <vector>

#include "lb/line_pool.h"

namespace {
using xvs::lb::IndexSet;
using xvs::lb::LinePool;

TEST(IndexSet, LowestMemberAcrossLevels) {
  EXPECT_EQ(IndexSet(0).first(), IndexSet::kNone);
  EXPECT_EQ(LinePool(0).take_line(), LinePool::kNone);
  for (uint32_t count : {1u, 63u, 64u, 65u, 4096u, 4097u, 300000u}) {
    IndexSet s(count);
    EXPECT_EQ(s.first(), IndexSet::kNone) << count;
    std::set<uint32_t> model;
    std::mt19937 rng(count);
    for (int op = 0; op < 2000; ++op) {
      const uint32_t i = rng() % count;
      const bool member = rng() % 3 != 0;
      s.set(i, member);
      if (member) model.insert(i);
      else model.erase(i);
      ASSERT_EQ(s.first(), model.empty() ? IndexSet::kNone : *model.begin()) << count << " op " << op;
    }
  }
}

// Removals that empty whole words at every level: the lowest member taken away, or any member,
// in sets of three to six levels (the engine's largest pool has four), members added low and
// high; first() checked against a model after each step.
TEST(IndexSet, RemovalsEmptyWordsAtEveryLevel) {
  for (uint32_t count : {262145u, 1u << 22, (1u << 24) + 1}) {
    IndexSet s(count);
    std::set<uint32_t> model;
    std::mt19937 rng(count);
    for (int op = 0; op < 3000; ++op) {
      const uint32_t kind = rng() % 4;
      if (kind == 0 || model.empty()) {
        // A member low, or one near the top, or one in the middle of nowhere.
        const uint32_t i = rng() % 3 == 0 ? count - 1 - rng() % 64 : rng() % 2 == 0 ? rng() % 4096 : rng() % count;
        s.set(i, true);
        model.insert(i);
      } else if (kind == 1) {
        s.set(*model.begin(), false);  // the lowest goes: first() must find the next, maybe levels up
        model.erase(model.begin());
      } else if (kind == 2) {
        auto it = model.begin();
        std::advance(it, rng() % model.size());
        s.set(*it, false);
        model.erase(it);
      } else {
        const uint32_t i = rng() % count;  // mostly not a member: a removal that changes nothing
        s.set(i, false);
        model.erase(i);
      }
      ASSERT_EQ(s.first(), model.empty() ? IndexSet::kNone : *model.begin()) << count << " op " << op;
    }
    while (!model.empty()) {
      s.set(*model.rbegin(), false);
      model.erase(std::prev(model.end()));
      ASSERT_EQ(s.first(), model.empty() ? IndexSet::kNone : *model.begin()) << count;
    }
  }
}

TEST(LinePool, LowestFirstAndSinglesBeforePairs) {
  LinePool p(256);
  EXPECT_EQ(p.take_line(), 0u);
  EXPECT_EQ(p.take_pair(), 2u) << "line 1 is a single: the pair after it is the first whole one";
  EXPECT_EQ(p.take_line(), 1u) << "the split pair's other line before any whole pair";
  EXPECT_EQ(p.take_line(), 4u);
  p.give_pair(2);
  EXPECT_EQ(p.take_line(), 5u) << "a single (line 5) before the whole pair 2-3";
  EXPECT_EQ(p.take_pair(), 2u);
  EXPECT_FALSE(p.is_free(3));
  EXPECT_TRUE(p.is_free(6));
}

// Lines across word and summary boundaries; an exhausted pool answers kNone.
TEST(LinePool, EveryLineOnceThenNone) {
  LinePool p(4096 + 130);
  std::vector<bool> seen(4096 + 130);
  for (uint32_t i = 0; i < 4096 + 130; ++i) {
    const uint32_t line = i % 3 == 0 ? p.take_pair() : p.take_line();
    ASSERT_NE(line, LinePool::kNone) << i;
    ASSERT_FALSE(seen[line]);
    seen[line] = true;
    if (i % 3 == 0) {
      ASSERT_EQ(line % 2, 0u);
      ASSERT_FALSE(seen[line + 1]);
      seen[line + 1] = true;
      ++i;
    }
  }
  EXPECT_EQ(p.take_line(), LinePool::kNone);
  EXPECT_EQ(p.take_pair(), LinePool::kNone);
}

// What ConnTable relies on: with 2 x capacity lines, an entry of either kind finds its lines
// whenever fewer than `capacity` entries are held, whatever the order of takes and gives. The
// adversarial phase keeps one IPv4 entry in as many pairs as it can before asking for pairs.
TEST(LinePool, AnEntryFitsWhileFewerThanCapacityAreHeld) {
  constexpr uint32_t kCapacity = 1000;
  LinePool p(2 * kCapacity);
  std::vector<std::pair<uint32_t, bool>> held;  // (first line, pair)
  std::vector<bool> taken(2 * kCapacity);         // the model: lines held
  std::mt19937 rng(3);
  auto take = [&](bool pair) {
    const uint32_t line = pair ? p.take_pair() : p.take_line();
    ASSERT_NE(line, LinePool::kNone);
    ASSERT_LT(line, 2 * kCapacity);
    ASSERT_FALSE(taken[line]) << "handed out twice";
    ASSERT_FALSE(p.is_free(line));
    taken[line] = true;
    if (pair) {
      ASSERT_EQ(line % 2, 0u);
      ASSERT_FALSE(taken[line + 1]) << "handed out twice";
      taken[line + 1] = true;
    }
    held.emplace_back(line, pair);
  };
  auto give = [&](size_t i) {
    const auto [line, pair] = held[i];
    if (pair) p.give_pair(line);
    else p.give_line(line);
    taken[line] = false;
    if (pair) taken[line + 1] = false;
    ASSERT_TRUE(p.is_free(line));
    held[i] = held.back();
    held.pop_back();
  };
  // Every line an IPv4 entry, then the even ones freed: each pair is split by one entry.
  for (uint32_t i = 0; i < 2 * kCapacity; ++i) ASSERT_EQ(p.take_line(), i);
  for (uint32_t line = 0; line < 2 * kCapacity; ++line) {
    if (line % 2 == 0) p.give_line(line);
    else held.emplace_back(line, false), taken[line] = true;
  }
  ASSERT_EQ(held.size(), kCapacity);
  EXPECT_EQ(p.take_pair(), LinePool::kNone) << "every pair split";
  // At capacity nothing more is asked; below it, pairs must keep coming.
  for (int op = 0; op < 200000; ++op) {
    if (held.size() == kCapacity || (held.size() > 0 && rng() % 2 == 0)) give(rng() % held.size());
    else take(rng() % 2 == 0);
    if (HasFatalFailure()) return;
  }
}
}  // namespace
