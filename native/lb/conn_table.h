// native/lb/conn_table.h — one worker's connection table: a fixed pool of one-line connections
// allocated at engine start, each reachable through up to two hashed tuples (client side and
// server side), and one FIFO expiry list per state (every connection in a state shares its
// timeout, so list order is expiry order and expiry pops heads instead of scanning). Written
// and read only by its worker (DESIGN §4); never shared.
//
// Entries live in a pool of twice as many 64-byte lines as connections (lb/line_pool.h): an IPv4
// entry is one line, and so is an IPv6 connection whose VIP, local and server addresses are
// interned (AddressIds, lb/address_ids.h: its client address in its line, the others as ids; its
// timer links in an array beside the pool). Other IPv6 entries (templates, NAT64, a connection
// when every id is taken) are an aligned pair, their addresses (Conn6Addresses) in the line
// after the connection line, so that both share a page. An entry's index is its line's; only
// the lines in use cost memory. One line instead of a pair matters at scale: 1 M IPv6
// connections in pairs cost 1.6 ns a packet more than in one line each (bench/README.md).
//
// Buckets are 64-byte lines of 10 {16-bit tag, node} slots (node = conn index * 2 + direction;
// tag: 16 hash bits other than the bucket's, never 0 = empty slot). A lookup reads one bucket
// line, compares tags and reads only the connections whose tag matches: a hit costs one bucket
// line and one connection line. There are capacity / 2 + 1 buckets (4 tuples per bucket when
// full); a tuple that finds its bucket's 10 slots taken goes on the bucket's overflow chain,
// linked through a per-node array (under 0.1 % of the tuples of a full table), so an insert
// never fails while a connection is free, whatever the hashes. Both address families share the
// pool, the buckets and the expiry lists, and a lookup of one family never matches a tuple of
// the other (a NAT64 entry has one of each: side_is_ipv6).
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/hash.h"
#include "core/huge_array.h"
#include "lb/address_ids.h"
#include "lb/conn.h"
#include "lb/line_pool.h"

namespace xvs::lb {

// One line of the pool: a connection, or the addresses of the IPv6 connection in the line before.
union alignas(64) ConnLine {
  Conn conn;
  Conn6Addresses addresses;
};
static_assert(sizeof(ConnLine) == 64);

struct ConnLookup {
  Conn* conn;
  Direction direction;
};

// Ids a caller of ConnTable::insert holds already for a new IPv6 entry's VIP
// (from_client.daddr), server (from_server.saddr) and local address (from_server.daddr):
// lb/snapshot_ids.h. AddressIds::kNone where not known: the insert looks the address up.
struct KnownIds {
  uint16_t vip = AddressIds::kNone;
  uint16_t server = AddressIds::kNone;
  uint16_t local = AddressIds::kNone;
};

class ConnTable {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;
  static constexpr uint32_t kSlots = 10;
  // dataplane.conn_table_size's bound: nodes (line * 2 + direction, lines = 2 x capacity) stay
  // below kNone with room to spare.
  static constexpr uint32_t kMaxCapacity = 1u << 27;

  struct alignas(64) Bucket {
    uint16_t tag[kSlots];   // 0: slot empty
    uint32_t node[kSlots];  // valid where tag != 0
    uint32_t overflow;      // first node of this bucket's overflow chain, kNone if none
  };
  static_assert(sizeof(Bucket) == 64);

  // Where a tuple hashes to: its bucket and its tag there.
  struct Probe {
    uint32_t bucket;
    uint16_t tag;
  };

  // bucket_count 0: capacity / 2 + 1 (what the engine uses); tests pass fewer buckets to force
  // tag collisions and overflow chains, and fewer address ids to run out of them. capacity ≤
  // kMaxCapacity (std::length_error beyond).
  ConnTable(uint32_t capacity, uint64_t hash_seed, uint32_t bucket_count = 0,
            uint32_t address_ids = AddressIds::kMaxIds);

  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return size_; }
  // Entry indices are below lines() (= lines_for(capacity)): what arrays kept beside the table
  // by index (lb/core_state.h) are sized to.
  static uint32_t lines_for(uint32_t capacity) { return capacity * 2; }
  uint32_t lines() const { return lines_for(capacity_); }
  // Memory per IPv4 connection of a full table. Beside it, for IPv6: the timer links of interned
  // entries (sizeof(TimerLinks) per line, 2 per connection, touched where such entries have
  // been), the addresses line of paired ones (sizeof(Conn6Addresses)), and the interned
  // addresses (AddressIds::bytes(), at most).
  static size_t bytes_per_connection(uint32_t capacity);

  Probe probe(uint8_t protocol, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport) const {
    return probe_of_hash(core::hash_flow(key_, saddr, daddr, sport, dport, protocol));
  }
  Probe probe(uint8_t protocol, const core::Ipv6Address& saddr, const core::Ipv6Address& daddr, uint16_t sport,
              uint16_t dport) const {
    return probe_of_hash(core::hash_flow6(key_, key6_, saddr, daddr, sport, dport, protocol));
  }
  // An IPv6 flow as the two words probe_burst takes (core::flow_words6 under this table's key).
  core::FlowWords flow_words6(uint8_t protocol, const core::Ipv6Address& saddr, const core::Ipv6Address& daddr,
                              uint16_t sport, uint16_t dport) const {
    return core::flow_words6(key6_, saddr, daddr, sport, dport, protocol);
  }
  // probe() of n flows of either family given as their two words (core::flow_words, flow_words6
  // above), their hashes computed side by side (core/siphash_batch.h): what a burst costs is a
  // fraction of n probe() calls.
  void probe_burst(const uint64_t* first, const uint64_t* second, Probe* out, uint32_t n) const;
  Probe probe_of_hash(uint64_t h) const {
    // Bucket: the low 32 bits scaled to the bucket count (no power-of-two rounding); tag: the
    // top 16 bits, 0 reserved for empty slots.
    const auto bucket = static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(h)) * bucket_count_) >> 32);
    const auto tag = static_cast<uint16_t>(h >> 48);
    return {bucket, static_cast<uint16_t>(tag + (tag == 0))};
  }
  // Lookups of either family: Addr is uint32_t (IPv4, network order) or core::Ipv6Address. An
  // entry of the other family never matches, whatever its tag.
  template <typename Addr>
  ConnLookup lookup(uint8_t protocol, const Addr& saddr, const Addr& daddr, uint16_t sport, uint16_t dport) const {
    return lookup(probe(protocol, saddr, daddr, sport, dport), protocol, saddr, daddr, sport, dport);
  }
  template <typename Addr>
  ConnLookup lookup(Probe p, uint8_t protocol, const Addr& saddr, const Addr& daddr, uint16_t sport, uint16_t dport) const {
    const Bucket& b = buckets_[p.bucket];
    for (uint32_t match = tag_matches(b, p.tag); match != 0; match &= match - 1) {
      const uint32_t node = b.node[__builtin_ctz(match)];
      if (matches(node, protocol, saddr, daddr, sport, dport)) return found(node);
    }
    if (b.overflow != kNone) return lookup_overflow(b, protocol, saddr, daddr, sport, dport);
    return {nullptr, kFromClient};
  }

  // Burst-wise lookups (lb::process_burst) hide memory latency: prefetch the bucket of every
  // packet of a burst, then take the node whose tag matches in each, then prefetch those
  // connections a few packets ahead of the real lookups, which get the node as a hint.
  void prefetch_bucket(Probe p) const { __builtin_prefetch(&buckets_[p.bucket]); }
  // The node whose tag matches first in the probe's bucket; kNone if none does.
  uint32_t candidate(Probe p) const {
    const uint32_t match = tag_matches(buckets_[p.bucket], p.tag);
    return match == 0 ? kNone : buckets_[p.bucket].node[__builtin_ctz(match)];
  }
  void prefetch_conn(uint32_t node) const { __builtin_prefetch(lines_.get() + (node >> 1)); }
  // A candidate may be a paired entry (a NAT64 one, on either side, or an IPv6 connection that
  // found no free address id), whose lookup and translation read its addresses line too. Known
  // only once the connection's own line is in (the flags are there), so a burst asks it a few
  // packets ahead of the lookup, and only while the table holds any.
  uint32_t paired_entries() const { return paired_entries_; }
  void prefetch_addresses_if_paired(uint32_t node) const {
    const Conn& c = lines_[node >> 1].conn;
    if (c.ipv6 && !c.interned) prefetch_kept(lines_.get() + (node >> 1) + 1);
  }
  // Counts inserts and removals: a candidate() taken while it had some value is still the
  // bucket's first tag match while it keeps it.
  uint32_t edits() const { return edits_; }
  // lookup() that first tries `hint`, a candidate() of this probe taken while edits() was what
  // it is now (kNone: no hint).
  template <typename Addr>
  ConnLookup lookup(Probe p, uint32_t hint, uint8_t protocol, const Addr& saddr, const Addr& daddr, uint16_t sport,
                    uint16_t dport) const {
    if (hint != kNone && matches(hint, protocol, saddr, daddr, sport, dport)) return found(hint);
    return lookup(p, protocol, saddr, daddr, sport, dport);
  }
  // The same for IPv6, inlined by order: GCC 12 otherwise calls it out of line for every IPv6
  // packet (~2 ns at 1 000 flows), while forcing the template inlined costs IPv4 instructions.
  [[gnu::always_inline]] ConnLookup lookup(Probe p, uint32_t hint, uint8_t protocol, const core::Ipv6Address& saddr,
                                           const core::Ipv6Address& daddr, uint16_t sport, uint16_t dport) const {
    if (hint != kNone && matches(hint, protocol, saddr, daddr, sport, dport)) return found(hint);
    return lookup(p, protocol, saddr, daddr, sport, dport);
  }

  // Overflow chains (tests and diagnostics): how many tuples sit outside their bucket's slots.
  uint32_t overflowed() const { return overflowed_; }
  uint32_t bucket_count() const { return bucket_count_; }

  // Takes a free connection, fills in both tuples and links those named in `links` (kLinkClient,
  // kLinkServer); nullptr when full. The caller fills in the rest and arms the timer (touch()).
  // `known`: the tuples' probes where the caller has them already (nullptr: computed here), each
  // a SipHash saved: a new Full-NAT connection has probed both of its tuples before it exists.
  struct KnownProbes {
    const Probe* from_client;
    const Probe* from_server;
  };
  Conn* insert(uint8_t protocol, const ConnTuple& from_client, const ConnTuple& from_server, uint8_t links,
               KnownProbes known = {nullptr, nullptr});
  // The same for an IPv6 entry: `ipv6` set, the ports in tuple[]; `interned` (one line: the
  // client address in the tuples' address fields, the others' ids and the rewrite delta in
  // Interned6) unless it is a template or an id was missing, then paired (in tuple[d].saddr the
  // rewrite delta, lb/conn.h rewrite_delta6; the addresses in its Conn6Addresses line).
  // `ids`: the ids the caller holds already for the addresses (KnownIds).
  Conn* insert(uint8_t protocol, const ConnTuple6& from_client, const ConnTuple6& from_server, uint8_t links,
               KnownProbes known = {nullptr, nullptr}, const KnownIds& ids = KnownIds{});
  // The same for a NAT64 connection: `ipv6` and `nat64` set, the client side as an IPv6 entry's,
  // the server side whole in tuple[kFromServer]. Each side is found by a lookup of its family.
  Conn* insert(uint8_t protocol, const ConnTuple6& from_client, const ConnTuple& from_server, uint8_t links,
               KnownProbes known = {nullptr, nullptr});

  // Sets the state and (re)arms the expiry timer: the connection moves to the tail of its
  // state's list. Lists stay sorted because a state's timeout is the same for all its members;
  // templates (persistence timeouts differ per service) may expire a little late, and their
  // users check `expires` themselves.
  void touch(Conn* c, ConnState state, uint32_t now, uint32_t timeout) {
    // Packets of a busy flow arrive many times per second: nothing changes for most of them,
    // and the entry's line stays clean.
    if (c->state != state || c->expires != now + timeout) relink(c, state, now + timeout);
  }

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
        Conn* c = &lines_[head].conn;
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

  // The entry in `state` whose timer runs out first (the longest there): nullptr if none.
  Conn* oldest(ConnState state) {
    const uint32_t head = timer_head_[static_cast<uint32_t>(state)];
    return head == kNone ? nullptr : &lines_[head].conn;
  }

  // Whether some entry's timer has run out at `now` (expire() has work).
  bool due(uint32_t now) const {
    for (uint32_t cls = 0; cls < kConnStates; ++cls)
      if (timer_head_[cls] != kNone && static_cast<int32_t>(lines_[timer_head_[cls]].conn.expires - now) <= 0) return true;
    return false;
  }

  // Visits up to `budget` live entries (connections and templates), by state then expiry, and
  // calls visit(const Conn&) on each; returns how many. Read-only: for diagnostics (xvs list -c).
  template <typename Visit>
  uint32_t for_each(uint32_t budget, Visit&& visit) const {
    uint32_t visited = 0;
    for (uint32_t cls = 0; cls < kConnStates; ++cls)
      for (uint32_t i = timer_head_[cls]; i != kNone && visited < budget; i = timer_next(i), ++visited)
        visit(lines_[i].conn);
    return visited;
  }


  // The entry at `index`, armed or just inserted; nullptr where there is none (a free line, a
  // paired entry's addresses line, beyond lines()).
  Conn* at(uint32_t index) { return holds_entry(index) ? &lines_[index].conn : nullptr; }
  const Conn* at(uint32_t index) const { return holds_entry(index) ? &lines_[index].conn : nullptr; }
  // Whether line `index` holds a connection or template (at a safe point every held entry is
  // armed). A retired template may have no tuple linked: still listed, as in IPVS.
  bool live(uint32_t index) const { return holds_entry(index) && lines_[index].conn.state != ConnState::unarmed; }
  uint32_t index_of(const Conn* c) const {
    return static_cast<uint32_t>(reinterpret_cast<const ConnLine*>(c) - lines_.get());
  }
  // An IPv6 entry's addresses (c.ipv6 set), wherever it keeps them: both sides' (a NAT64
  // entry's server side is zeros here: it is IPv4, in the entry's own line).
  Conn6Addresses addresses6(const Conn& c) const {
    if (!c.interned) return paired_addresses(c);
    Conn6Addresses a;
    a.tuple[kFromClient] = {client6(c), ids_[c.interned6.client_daddr]};
    a.tuple[kFromServer] = {ids_[c.interned6.server_saddr], interned_or_client(c, c.interned6.server_daddr)};
    return a;
  }
  // Direction `d` of an IPv6 connection (side_is_ipv6(c, d)). Inlined: every IPv6 packet's
  // translation reads the other side's.
  [[gnu::always_inline]] ConnTuple6 tuple6(const Conn& c, Direction d) const {
    if (!c.interned) [[unlikely]] return paired_tuple6(c, d);
    const uint16_t sport = c.tuple[d].sport, dport = c.tuple[d].dport;
    const Interned6& n = c.interned6;
    if (d == kFromClient) return {client6(c), ids_[n.client_daddr], sport, dport};
    return {ids_[n.server_saddr], interned_or_client(c, n.server_daddr), sport, dport};
  }
  // IPv6 addresses interned now (tests and diagnostics).
  const AddressIds& address_ids() const { return ids_; }
  // For the core's SnapshotIds, which holds references of its own (lb/snapshot_ids.h).
  AddressIds& address_ids() { return ids_; }

  void remove(Conn* c);
  // Takes the client-side tuple out of the hash table (a held Full-NAT tuple keeps only its
  // server side, lb/local_port.h); the connection stays, reachable by its other tuple.
  void unlink_client_tuple(Conn* c);

 private:
  static uint32_t buckets_for(uint32_t capacity) { return capacity / 2 + 1; }
  bool holds_entry(uint32_t index) const {
    if (index >= lines() || free_lines_.is_free(index)) return false;
    // An odd line in use after a paired IPv6 entry's line is that entry's addresses.
    if (!(index & 1) || free_lines_.is_free(index - 1)) return true;
    const Conn& before = lines_[index - 1].conn;
    return !(before.ipv6 && !before.interned);
  }
  const Conn6Addresses& paired_addresses(const Conn& c) const { return lines_[index_of(&c) + 1].addresses; }
  [[gnu::noinline]] ConnTuple6 paired_tuple6(const Conn& c, Direction d) const {
    const auto& a = paired_addresses(c).tuple[d];
    return {a.saddr, a.daddr, c.tuple[d].sport, c.tuple[d].dport};
  }
  Conn6Addresses& paired_addresses(const Conn& c) { return lines_[index_of(&c) + 1].addresses; }
  // An interned connection's client address, in its tuples' address fields (lb/conn.h).
  static core::Ipv6Address client6(const Conn& c) {
    core::Ipv6Address a;
    std::memcpy(a.bytes, &c.tuple[kFromClient].saddr, 8);
    std::memcpy(a.bytes + 8, &c.tuple[kFromServer].saddr, 8);
    return a;
  }
  static void set_client6(Conn& c, const core::Ipv6Address& a) {
    std::memcpy(&c.tuple[kFromClient].saddr, a.bytes, 8);
    std::memcpy(&c.tuple[kFromServer].saddr, a.bytes + 8, 8);
  }
  core::Ipv6Address interned_or_client(const Conn& c, uint16_t id) const {
    return id == Interned6::kClient ? client6(c) : ids_[id];
  }
  // The ids of a new entry's VIP, server and local address (kClient where the server side's
  // destination is the client's address), each one reference more, rewrite_delta 0;
  // client_daddr AddressIds::kNone, and nothing held, when one has no id.
  Interned6 intern(const ConnTuple6& from_client, const ConnTuple6& from_server, const KnownIds& known);
  void release_interned(const Interned6& n);
  TimerLinks& timer_links(uint32_t index) {
    Conn& c = lines_[index].conn;
    return c.interned ? interned_links_[index] : c.timer;
  }
  uint32_t timer_next(uint32_t index) const {
    const Conn& c = lines_[index].conn;
    return c.interned ? interned_links_[index].next : c.timer.next;
  }
  // Bit i set: slot i holds `tag`.
  static uint32_t tag_matches(const Bucket& b, uint16_t tag) {
#if defined(__SSE2__)
    // Tags 0-7 and 2-9 (two overlapping 16-byte loads inside the tag array), one byte per tag.
    const __m128i want = _mm_set1_epi16(static_cast<short>(tag));
    const __m128i lo = _mm_cmpeq_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(b.tag)), want);
    const __m128i hi = _mm_cmpeq_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.tag + 2)), want);
    const auto m = static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(lo, hi)));
    return (m & 0xffu) | ((m >> 6) & 0x3fcu);
#else
    uint32_t mask = 0;
    for (uint32_t i = 0; i < kSlots; ++i) mask |= static_cast<uint32_t>(b.tag[i] == tag) << i;
    return mask;
#endif
  }
  Probe probe_of(uint32_t node) const {
    const Conn& c = lines_[node >> 1].conn;
    const ConnTuple& t = c.tuple[node & 1];
    if (side_is_ipv6(c, static_cast<Direction>(node & 1))) {
      const ConnTuple6 t6 = tuple6(c, static_cast<Direction>(node & 1));
      return probe(c.protocol, t6.saddr, t6.daddr, t.sport, t.dport);
    }
    return probe(c.protocol, t.saddr, t.daddr, t.sport, t.dport);
  }
  template <typename Addr>
  ConnLookup lookup_overflow(const Bucket& b, uint8_t protocol, const Addr& saddr, const Addr& daddr, uint16_t sport,
                             uint16_t dport) const {
    for (uint32_t node = b.overflow; node != kNone; node = chain_[node])
      if (matches(node, protocol, saddr, daddr, sport, dport)) return found(node);
    return {nullptr, kFromClient};
  }
  // A free entry (a pair of lines for a paired IPv6 one), cleared, on no expiry list; nullptr
  // when the table is full.
  Conn* take_free(uint8_t protocol, uint8_t links, bool ipv6, bool interned);
  void link_new(uint32_t index, KnownProbes known);
  ConnLookup found(uint32_t node) const { return {&lines_.get()[node >> 1].conn, static_cast<Direction>(node & 1)}; }
  // A prefetch the compiler keeps: GCC 12 at -O1 and above deletes `if (load & bit)
  // __builtin_prefetch(p)` whole (prefetch_addresses_if_nat64 compiled to nothing), so there it is
  // the instruction itself.
  static void prefetch_kept(const void* p) {
#if defined(__x86_64__)
    __asm__ volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
    __builtin_prefetch(p);
#endif
  }
  bool matches(uint32_t node, uint8_t protocol, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport) const {
    const Conn& c = lines_[node >> 1].conn;
    const ConnTuple& t = c.tuple[node & 1];
    // Addresses and ports as two words (a tuple is laid out saddr, daddr, sport, dport).
    uint64_t addresses;
    uint32_t ports;
    std::memcpy(&addresses, &t.saddr, sizeof addresses);
    std::memcpy(&ports, &t.sport, sizeof ports);
    return addresses == (static_cast<uint64_t>(daddr) << 32 | saddr) &&
           ports == (static_cast<uint32_t>(dport) << 16 | sport) && c.protocol == protocol &&
           !side_is_ipv6(c, static_cast<Direction>(node & 1));
  }
  [[gnu::always_inline]] bool matches(uint32_t node, uint8_t protocol, const core::Ipv6Address& saddr,
                                      const core::Ipv6Address& daddr, uint16_t sport, uint16_t dport) const {
    const Conn& c = lines_[node >> 1].conn;
    const ConnTuple& t = c.tuple[node & 1];
    uint32_t ports;
    std::memcpy(&ports, &t.sport, sizeof ports);
    if (ports != (static_cast<uint32_t>(dport) << 16 | sport) || c.protocol != protocol ||
        !side_is_ipv6(c, static_cast<Direction>(node & 1)))
      return false;
    if (!c.interned) [[unlikely]] return paired_matches(node, saddr, daddr);
    // The client address in the line, the others in the ids' table (a few lines, cached).
    const Interned6& n = c.interned6;
    if (node & 1) return ids_[n.server_saddr] == saddr && interned_or_client(c, n.server_daddr) == daddr;
    return client6(c) == saddr && ids_[n.client_daddr] == daddr;
  }
  [[gnu::noinline]] bool paired_matches(uint32_t node, const core::Ipv6Address& saddr, const core::Ipv6Address& daddr) const {
    const auto& a = lines_[(node >> 1) + 1].addresses.tuple[node & 1];
    return a.saddr == saddr && a.daddr == daddr;
  }
  void link_tuple(uint32_t conn_index, Direction d, const Probe* known);
  void unlink_tuple(uint32_t conn_index, Direction d);
  void relink(Conn* c, ConnState state, uint32_t expires);
  void timer_unlink(uint32_t conn_index);
  void timer_append(uint32_t conn_index, ConnState state);

  uint32_t capacity_;
  uint32_t size_ = 0;
  uint32_t bucket_count_;
  uint32_t overflowed_ = 0;
  uint32_t edits_ = 0;
  uint32_t paired_entries_ = 0;  // live paired entries packets can match (NAT64, IPv6 connections not interned)
  core::SipKey key_;      // core::table_key of the engine's random seed
  core::FlowKey6 key6_;  // core::flow_key6 of key_: IPv6 flows' compression
  core::HugeArray<ConnLine> lines_;  // lines() of them: untouched pages cost no memory
  LinePool free_lines_;
  AddressIds ids_;
  // By index: interned IPv6 connections' timer links. In huge pages like the lines: in small ones
  // 1 M new IPv6 connections paid ~80 ns each for first touches (4 096 page faults, this guest's
  // are slow), though a fresh table's first 1 000 pay one huge page's zeroing instead.
  core::HugeArray<TimerLinks> interned_links_;
  core::HugeArray<Bucket> buckets_;
  core::HugeArray<uint32_t> chain_;  // per node: next node of its bucket's overflow chain
  uint32_t timer_head_[kConnStates];
  uint32_t timer_tail_[kConnStates];
};

}  // namespace xvs::lb
