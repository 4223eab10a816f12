// native/lb/conn_table.h — one worker's connection table: a fixed pool of connections
// allocated at engine start, each reachable through up to two hashed tuples (client side and
// server side), and one FIFO expiry list per state (every connection in a state shares its
// timeout, so list order is expiry order and expiry pops heads instead of scanning). Written
// and read only by its worker (DESIGN §4); never shared.
#pragma once
#include <cstdint>
#include <memory>
#include <type_traits>

#include "core/huge_array.h"
#include "lb/conn.h"

namespace xvs::lb {

struct ConnLookup {
  Conn* conn;
  Direction direction;
};

class ConnTable {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;
  // Two tuples per connection in at least four buckets per connection: chains stay short, and
  // every extra chain node is one more cache miss on a large table.
  static constexpr uint32_t kBucketsPerConnection = 4;

  ConnTable(uint32_t capacity, uint64_t hash_seed);

  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return size_; }
  static size_t bytes_per_connection(uint32_t capacity);

  ConnLookup lookup(uint8_t protocol, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport) const;

  // Burst-wise lookups hide memory latency in two stages before the real lookups: prefetch the
  // bucket of every packet of a burst, then load the first connection each bucket names (an
  // ordinary load: on VMs a prefetch of a line whose page misses the TLB overlaps nothing).
  uint32_t bucket_for(uint8_t protocol, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport) const;
  void prefetch_bucket(uint32_t bucket) const { __builtin_prefetch(&buckets_[bucket]); }
  // Returns a value derived from the loaded lines so that the compiler keeps the loads.
  uint32_t load_bucket_head(uint32_t bucket) const {
    const uint32_t node = buckets_[bucket];
    if (node == kNone) return 0;
    const auto* bytes = reinterpret_cast<const volatile uint8_t*>(&conns_[node >> 1]);
    return bytes[0] + bytes[sizeof(Conn) - 1];
  }

  // Takes a free connection, fills in both tuples and links those named in `links` (kLinkClient,
  // kLinkServer); nullptr when full. The caller fills in the rest and arms the timer (touch()).
  Conn* insert(uint8_t protocol, const ConnTuple& from_client, const ConnTuple& from_server, uint8_t links);

  // Sets the state and (re)arms the expiry timer: the connection moves to the tail of its
  // state's list. Lists stay sorted because a state's timeout is the same for all its members;
  // templates (persistence timeouts differ per service) may expire a little late, and their
  // users check `expires` themselves.
  void touch(Conn* c, ConnState state, uint32_t now, uint32_t timeout);

  // Visits up to `budget` expired connections and calls on_expire(conn) on each. A callback that
  // returns void, or true, has the connection freed; one that returns false keeps it (it must
  // have re-armed its timer with touch()). Returns how many were freed.
  template <typename OnExpire>
  uint32_t expire(uint32_t now, uint32_t budget, OnExpire&& on_expire) {
    uint32_t visited = 0, removed = 0;
    for (uint32_t cls = 0; cls < kConnStates && visited < budget; ++cls) {
      while (visited < budget) {
        const uint32_t head = timer_head_[cls];
        if (head == kNone) break;
        Conn* c = &conns_[head];
        if (static_cast<int32_t>(c->expires - now) > 0) break;
        ++visited;
        bool free_it = true;
        if constexpr (std::is_void_v<std::invoke_result_t<OnExpire&, Conn&>>) on_expire(*c);
        else free_it = on_expire(*c);
        if (free_it) {
          remove(c);
          ++removed;
        }
      }
    }
    return removed;
  }

  Conn* at(uint32_t index) { return index < capacity_ ? &conns_[index] : nullptr; }
  uint32_t index_of(const Conn* c) const { return static_cast<uint32_t>(c - conns_.get()); }

  void remove(Conn* c);

 private:
  uint32_t bucket_of(uint8_t protocol, const ConnTuple& t) const;
  void link_tuple(uint32_t conn_index, Direction d);
  void unlink_tuple(uint32_t conn_index, Direction d);
  void timer_unlink(uint32_t conn_index);
  void timer_append(uint32_t conn_index, ConnState state);

  uint32_t capacity_;
  uint32_t size_ = 0;
  uint32_t bucket_mask_;
  uint64_t seed_;
  core::HugeArray<Conn> conns_;
  core::HugeArray<uint32_t> buckets_;  // head node per bucket
  core::HugeArray<uint32_t> free_;     // stack of free connection indices
  uint32_t free_top_;
  uint32_t timer_head_[kConnStates];
  uint32_t timer_tail_[kConnStates];
};

}  // namespace xvs::lb
