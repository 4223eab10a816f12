// native/lb/line_pool.h — which lines of a connection table are free: one bit per 64-byte line,
// lines paired (2k, 2k + 1). A connection takes one line (IPv6 ones too, their addresses
// interned), a paired entry (template, NAT64, an IPv6 connection without free address ids) an
// aligned pair (its connection line and, beside it, its addresses: the second line of its lookup
// then shares the first one's page, which on this machine costs 1–2 ns instead of another page's
// ~10, bench/page_cost_probe.cc). Hands out the lowest free line or pair, so a small table keeps
// to few pages; a single line goes first to a pair already split, so pairs stay whole. With
// twice as many lines as connections a pair is free whenever a connection is: at most one pair
// per live connection is taken or split. Used by the connection table on its worker only.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>

namespace xvs::lb {

// A set of the indices 0..count-1 with the lowest member found in a few word scans: bit i of
// level 0 is member i; each level above has a bit per word below that has any set. The levels
// lie in one array (level 0 first), their starts in a small fixed table: a new connection
// changes and scans them, so no step follows a pointer it need not.
class IndexSet {
 public:
  explicit IndexSet(uint32_t count) {
    uint32_t words = count == 0 ? 1 : static_cast<uint32_t>((static_cast<uint64_t>(count) + 63) / 64);
    uint32_t total = 0;
    for (;;) {
      if (levels_ == kMaxLevels) throw std::length_error("IndexSet: more levels than kMaxLevels");  // never: see there
      start_[levels_++] = total;
      total += words;
      if (words == 1) break;
      words = (words + 63) / 64;
    }
    words_ = std::make_unique<uint64_t[]>(total);  // zero: no member
  }
  void set(uint32_t i, bool member) {
    uint64_t bit = uint64_t{1} << (i % 64);
    uint64_t* word = &words_[i / 64];
    if (((*word & bit) != 0) == member) return;  // already so: nothing above changes either
    for (uint32_t l = 0;;) {
      const bool was_empty = *word == 0;
      *word = member ? *word | bit : *word & ~bit;
      // The level above changes only when this word turns empty or stops being empty.
      if (was_empty == (*word == 0) || ++l == levels_) return;
      i /= 64;
      bit = uint64_t{1} << (i % 64);
      word = &words_[start_[l] + i / 64];
    }
  }
  static constexpr uint32_t kNone = 0xffffffffu;
  uint32_t first() const {
    uint32_t l = levels_ - 1;
    if (words_[start_[l]] == 0) return kNone;
    uint32_t i = 0;
    for (;; --l) {
      i = i * 64 + static_cast<uint32_t>(__builtin_ctzll(words_[start_[l] + i]));
      if (l == 0) return i;
    }
  }

 private:
  // Levels for 2^32 indices: 2^26, 2^20, 2^14, 2^8, 2^2 and 1 words.
  static constexpr uint32_t kMaxLevels = 6;
  std::unique_ptr<uint64_t[]> words_;  // every level's words, level 0 first
  uint32_t start_[kMaxLevels] = {};    // each level's first word in words_
  uint32_t levels_ = 0;                // the top one has a single word
};

class LinePool {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  // `lines`: even (0: a pool that never gives).
  explicit LinePool(uint32_t lines)
      : free_(std::make_unique<uint64_t[]>((lines + 63) / 64)), with_pair_((lines + 63) / 64), with_single_((lines + 63) / 64) {
    const uint32_t words = (lines + 63) / 64;
    for (uint32_t word = 0; word < words; ++word) {
      const uint32_t in_word = lines - word * 64;
      free_[word] = in_word >= 64 ? ~uint64_t{0} : (uint64_t{1} << in_word) - 1;
      summarise(word);
    }
  }

  bool is_free(uint32_t line) const { return (free_[line / 64] >> (line % 64)) & 1; }

  // One line: the lowest whose pair is split already, else the lowest free pair's first line.
  uint32_t take_line() {
    uint32_t word = with_single_.first();
    uint64_t choice;
    if (word != IndexSet::kNone) {
      choice = singles(free_[word]);
    } else {
      word = with_pair_.first();
      if (word == IndexSet::kNone) return kNone;
      choice = pairs(free_[word]);
    }
    const uint32_t line = word * 64 + static_cast<uint32_t>(__builtin_ctzll(choice));
    take(line, 1);
    return line;
  }
  // An aligned pair (line, line + 1); returns its first line.
  uint32_t take_pair() {
    const uint32_t word = with_pair_.first();
    if (word == IndexSet::kNone) return kNone;
    const uint32_t line = word * 64 + static_cast<uint32_t>(__builtin_ctzll(pairs(free_[word])));
    take(line, 3);
    return line;
  }
  void give_line(uint32_t line) { give(line, 1); }
  void give_pair(uint32_t line) { give(line, 3); }

 private:
  static constexpr uint64_t kEven = 0x5555555555555555ull;
  // Bit 2k set where lines 2k and 2k + 1 of the word are both free.
  static uint64_t pairs(uint64_t free) { return free & (free >> 1) & kEven; }
  // Free lines whose pair partner is taken.
  static uint64_t singles(uint64_t free) { return free & ~(pairs(free) * 3); }
  void summarise(uint32_t word) {
    with_pair_.set(word, pairs(free_[word]) != 0);
    with_single_.set(word, singles(free_[word]) != 0);
  }
  void take(uint32_t line, uint64_t mask) {
    free_[line / 64] &= ~(mask << (line % 64));
    summarise(line / 64);
  }
  void give(uint32_t line, uint64_t mask) {
    free_[line / 64] |= mask << (line % 64);
    summarise(line / 64);
  }

  std::unique_ptr<uint64_t[]> free_;  // bit per line: free
  IndexSet with_pair_;                // words of free_ with a free pair
  IndexSet with_single_;              // words of free_ with a free line whose partner is taken
};

}  // namespace xvs::lb
