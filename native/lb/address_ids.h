// native/lb/address_ids.h — one worker's interned IPv6 addresses: the VIPs, local addresses and
// server addresses that its one-line IPv6 connections (lb/conn_table.h) name by a 16-bit id
// instead of holding 16 bytes each. Every id counts the entries naming it and is reused only
// once none does, so an id stays valid across reloads for as long as a connection names its
// address. Consumes addresses from ConnTable::insert; produces ids and, for an id, its address.
// Written and read only by the owning worker (the constructor runs on the control thread).
//
// Only addresses of the configuration come here (a client's address stays in its entry's line;
// connection sync installs only server sides from a server of the configuration to one of its
// local addresses or to the client, lb/sync.h), so the set is small and not an outsider's to
// choose: one multiply (Fibonacci hashing of the address's two words folded) over an
// open-addressed index with linear probing is enough. A new connection of the configuration's
// addresses looks none up: the worker holds their ids (lb/snapshot_ids.h); port holds and synced
// connections do. When every id is taken, acquire() says so and the entry keeps its addresses
// in a second line instead: nothing is refused.
#pragma once
#include <cstdint>

#include "core/huge_array.h"
#include "core/ipv6_address.h"

namespace xvs::lb {

class AddressIds {
 public:
  static constexpr uint16_t kNone = 0xffff;
  static constexpr uint32_t kMaxIds = 0xfffe;  // ids 0 .. kMaxIds - 1; kNone and one more never taken

  // `capacity` ids at most (≤ kMaxIds; tests pass fewer to reach the end of them). The arrays
  // are anonymous memory in small pages (core::HugeArray without huge pages), zero-filled and
  // untouched until used: a worker that sees no IPv6 connection pays nothing, and a new table's
  // first ones pay a few 4 KiB pages, not the malloc of 1.6 MiB it took in a fresh table per
  // batch of `xvs bench dataplane` (+150 ns per new IPv4 connection at 1 000 flows).
  explicit AddressIds(uint32_t capacity = kMaxIds)
      : capacity_(capacity < kMaxIds ? capacity : kMaxIds),
        slots_(index_slots(capacity_)),
        shift_(64 - static_cast<uint32_t>(__builtin_ctz(slots_))),
        addresses_(capacity_ + 1, false),
        references_(capacity_ + 1, false),
        free_ids_(capacity_ + 1, false),
        index_(slots_, false) {}

  // The id of `a`, counting one more reference to it; kNone when every id names another address.
  uint16_t acquire(const core::Ipv6Address& a) {
    uint32_t slot = home(a);
    for (; index_[slot] != 0; slot = (slot + 1) & (slots_ - 1)) {
      const uint16_t id = static_cast<uint16_t>(index_[slot] - 1);
      if (addresses_[id] == a) {
        ++references_[id];
        return id;
      }
    }
    uint16_t id;
    if (free_count_ != 0) id = free_ids_[--free_count_];
    else if (next_unused_ < capacity_) id = static_cast<uint16_t>(next_unused_++);
    else return kNone;
    addresses_[id] = a;
    references_[id] = 1;
    index_[slot] = static_cast<uint16_t>(id + 1);
    ++size_;
    return id;
  }
  // The same where the caller holds `known`, the id of `a` (kNone: not known), and so a
  // reference that keeps it: one more reference, no lookup. `a` is not read then.
  uint16_t acquire(const core::Ipv6Address& a, uint16_t known) {
    if (known == kNone) return acquire(a);
    ++references_[known];
    return known;
  }
  // One reference fewer; the id is free again once none is left.
  void release(uint16_t id) {
    if (--references_[id] != 0) return;
    remove_from_index(id);
    free_ids_[free_count_++] = id;
    --size_;
  }
  const core::Ipv6Address& operator[](uint16_t id) const { return addresses_[id]; }
  uint32_t references(uint16_t id) const { return references_[id]; }
  // Addresses interned now.
  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  // Memory of a table of `capacity` ids when all are in use.
  static size_t bytes(uint32_t capacity) {
    return static_cast<size_t>(capacity + 1) * (sizeof(core::Ipv6Address) + sizeof(uint32_t) + sizeof(uint16_t)) +
           static_cast<size_t>(index_slots(capacity)) * sizeof(uint16_t);
  }

 private:
  // At most half full: short probe runs.
  static uint32_t index_slots(uint32_t capacity) {
    uint32_t slots = 2;
    while (slots < 2 * capacity) slots <<= 1;
    return slots;
  }
  uint32_t home(const core::Ipv6Address& a) const {
    const uint64_t folded = a.word(0) ^ (a.word(1) << 29 | a.word(1) >> 35);
    return static_cast<uint32_t>((folded * 0x9e3779b97f4a7c15ull) >> shift_);
  }
  // Backward-shift deletion (linear probing, no tombstones): each entry after the hole that may
  // move into it does, so every entry stays reachable from its home slot.
  void remove_from_index(uint16_t id) {
    uint32_t hole = home(addresses_[id]);
    while (index_[hole] != id + 1) hole = (hole + 1) & (slots_ - 1);
    for (uint32_t next = (hole + 1) & (slots_ - 1); index_[next] != 0; next = (next + 1) & (slots_ - 1)) {
      const uint32_t want = home(addresses_[index_[next] - 1]);
      // The entry at `next` may fill the hole if its home is not in (hole, next], cyclically.
      const bool home_after_hole = ((next - want) & (slots_ - 1)) < ((next - hole) & (slots_ - 1));
      if (home_after_hole) continue;
      index_[hole] = index_[next];
      hole = next;
    }
    index_[hole] = 0;
  }

  uint32_t capacity_;
  uint32_t slots_;
  uint32_t shift_;  // 64 - log2(slots_): the product's top bits index the slots
  uint32_t size_ = 0;
  uint32_t next_unused_ = 0;
  uint32_t free_count_ = 0;
  core::HugeArray<core::Ipv6Address> addresses_;  // by id
  core::HugeArray<uint32_t> references_;          // by id
  core::HugeArray<uint16_t> free_ids_;            // ids released, taken back first
  core::HugeArray<uint16_t> index_;               // slots_: id + 1, 0 = empty
};

}  // namespace xvs::lb
