// native/lb/conn_table.cc — see conn_table.h. Runs on the owning worker thread only, except the
// constructor, which the control thread runs before the worker starts.
#include "lb/conn_table.h"

#include <stdexcept>

#include "core/siphash_batch.h"

namespace xvs::lb {

namespace {
uint32_t node_of(uint32_t conn_index, Direction d) { return conn_index * 2 + d; }
}  // namespace

namespace {
uint32_t checked_capacity(uint32_t capacity) {
  if (capacity > ConnTable::kMaxCapacity) throw std::length_error("connection table capacity above ConnTable::kMaxCapacity");
  return capacity;
}
}  // namespace

ConnTable::ConnTable(uint32_t capacity, uint64_t hash_seed, uint32_t bucket_count, uint32_t address_ids)
    : capacity_(checked_capacity(capacity)),
      bucket_count_(bucket_count != 0 ? bucket_count : buckets_for(capacity)),
      key_(core::table_key(hash_seed)),
      key6_(core::flow_key6(key_)),
      lines_(lines_for(capacity)),
      free_lines_(lines_for(capacity)),
      ids_(address_ids),
      interned_links_(lines_for(capacity)),
      buckets_(bucket_count_),
      chain_(static_cast<size_t>(lines_for(capacity)) * 2) {
  // Zero-filled memory is already all-empty slots; only the overflow heads need setting.
  for (uint32_t i = 0; i < bucket_count_; ++i) buckets_[i].overflow = kNone;
  for (uint32_t c = 0; c < kConnStates; ++c) timer_head_[c] = timer_tail_[c] = kNone;
}

size_t ConnTable::bytes_per_connection(uint32_t capacity) {
  // The overflow links (one per node: two per line) are written only for the tuples that
  // overflow, but those are spread over the whole array, which is in huge pages: counted whole.
  // The free-line bits are a quarter of a byte per connection.
  const size_t bytes = static_cast<size_t>(capacity) * (sizeof(Conn) + 4 * sizeof(uint32_t) /* overflow links */) +
                       static_cast<size_t>(capacity) / 4 + static_cast<size_t>(buckets_for(capacity)) * sizeof(Bucket);
  return (bytes + capacity - 1) / capacity;
}

void ConnTable::probe_burst(const uint64_t* first, const uint64_t* second, Probe* out, uint32_t n) const {
  constexpr uint32_t kStep = 64;
  uint64_t hashes[kStep];
  for (uint32_t start = 0; start < n; start += kStep) {
    const uint32_t count = n - start < kStep ? n - start : kStep;
    core::siphash13_batch(key_, first + start, second + start, hashes, count);
    for (uint32_t i = 0; i < count; ++i) out[start + i] = probe_of_hash(hashes[i]);
  }
}

void ConnTable::link_tuple(uint32_t conn_index, Direction d, const Probe* known) {
  const uint32_t node = node_of(conn_index, d);
  const Probe p = known != nullptr ? *known : probe_of(node);
  Bucket& b = buckets_[p.bucket];
  if (const uint32_t empty = tag_matches(b, 0); empty != 0) {
    const uint32_t i = __builtin_ctz(empty);
    b.tag[i] = p.tag;
    b.node[i] = node;
    return;
  }
  chain_[node] = b.overflow;
  b.overflow = node;
  ++overflowed_;
}

void ConnTable::unlink_tuple(uint32_t conn_index, Direction d) {
  const uint32_t node = node_of(conn_index, d);
  Bucket& b = buckets_[probe_of(node).bucket];
  for (uint32_t i = 0; i < kSlots; ++i) {
    if (b.tag[i] == 0 || b.node[i] != node) continue;
    if (b.overflow == kNone) {
      b.tag[i] = 0;
    } else {
      // Keep the slots full while the bucket has overflow: its first chained tuple moves in.
      const uint32_t moved = b.overflow;
      b.overflow = chain_[moved];
      b.tag[i] = probe_of(moved).tag;
      b.node[i] = moved;
      --overflowed_;
    }
    return;
  }
  for (uint32_t* link = &b.overflow; *link != kNone; link = &chain_[*link]) {
    if (*link == node) {
      *link = chain_[node];
      --overflowed_;
      return;
    }
  }
}

Conn* ConnTable::take_free(uint8_t protocol, uint8_t links, bool ipv6, bool interned) {
  if (size_ == capacity_) return nullptr;
  // Never kNone below capacity: each connection takes or splits at most one of the capacity_
  // pairs (lb/line_pool.h).
  const bool pair = ipv6 && !interned;
  const uint32_t index = pair ? free_lines_.take_pair() : free_lines_.take_line();
  if (index == LinePool::kNone) return nullptr;
  Conn& c = lines_[index].conn;
  c = Conn{};
  c.ipv6 = ipv6;
  c.interned = interned;
  c.protocol = protocol;
  timer_links(index) = {kNone, kNone};
  c.state = ConnState::unarmed;  // on no list until touch()
  c.flags = links & (kLinkClient | kLinkServer);
  return &c;
}

Interned6 ConnTable::intern(const ConnTuple6& from_client, const ConnTuple6& from_server, const KnownIds& known) {
  // Returned by value (one register): built in memory by 16-bit stores, the entry's 64-bit copy
  // of it would wait for them (no store forwarding from narrower stores).
  constexpr Interned6 kMissing{0, AddressIds::kNone, AddressIds::kNone, AddressIds::kNone};
  const uint16_t vip = ids_.acquire(from_client.daddr, known.vip);
  if (vip == AddressIds::kNone) return kMissing;
  const uint16_t server = ids_.acquire(from_server.saddr, known.server);
  if (server == AddressIds::kNone) {
    ids_.release(vip);
    return kMissing;
  }
  if (from_server.daddr == from_client.saddr) return {0, vip, server, Interned6::kClient};
  const uint16_t local = ids_.acquire(from_server.daddr, known.local);
  if (local != AddressIds::kNone) return {0, vip, server, local};
  ids_.release(vip);
  ids_.release(server);
  return kMissing;
}

void ConnTable::release_interned(const Interned6& n) {
  ids_.release(n.client_daddr);
  ids_.release(n.server_saddr);
  if (n.server_daddr != Interned6::kClient) ids_.release(n.server_daddr);
}

// Once the tuples are in place: probe_of() reads them.
void ConnTable::link_new(uint32_t index, KnownProbes known) {
  const Conn& c = lines_[index].conn;
  if (c.flags & kLinkClient) link_tuple(index, kFromClient, known.from_client);
  if (c.flags & kLinkServer) link_tuple(index, kFromServer, known.from_server);
  ++size_;
  ++edits_;
}

Conn* ConnTable::insert(uint8_t protocol, const ConnTuple& from_client, const ConnTuple& from_server, uint8_t links,
                        KnownProbes known) {
  Conn* c = take_free(protocol, links, false, false);
  if (c == nullptr) return nullptr;
  c->tuple[kFromClient] = from_client;
  c->tuple[kFromServer] = from_server;
  link_new(index_of(c), known);
  return c;
}

Conn* ConnTable::insert(uint8_t protocol, const ConnTuple6& from_client, const ConnTuple6& from_server, uint8_t links,
                        KnownProbes known, const KnownIds& ids) {
  if (size_ == capacity_) return nullptr;
  // A template keeps its settings where an interned entry's client address goes: paired.
  const Interned6 n = protocol & kTemplateProtocol ? Interned6{0, AddressIds::kNone, 0, 0} : intern(from_client, from_server, ids);
  const bool interned = n.client_daddr != AddressIds::kNone;
  Conn* taken = take_free(protocol, links, true, interned);
  if (taken == nullptr) {
    if (interned) release_interned(n);
    return nullptr;
  }
  Conn& c = *taken;
  const ConnTuple6 to_server{from_server.daddr, from_server.saddr, from_server.dport, from_server.sport};
  c.tuple[kFromClient].sport = from_client.sport;
  c.tuple[kFromClient].dport = from_client.dport;
  c.tuple[kFromServer].sport = from_server.sport;
  c.tuple[kFromServer].dport = from_server.dport;
  if (interned) {
    c.interned6 = n;
    c.interned6.rewrite_delta = routed_rewrite_delta(from_client, to_server);
    set_client6(c, from_client.saddr);
  } else {
    const ConnTuple6 to_client{from_client.daddr, from_client.saddr, from_client.dport, from_client.sport};
    c.tuple[kFromClient].saddr = routed_rewrite_delta(from_client, to_server);
    c.tuple[kFromServer].saddr = routed_rewrite_delta(from_server, to_client);
    Conn6Addresses& a = paired_addresses(c);
    a.tuple[kFromClient] = {from_client.saddr, from_client.daddr};
    a.tuple[kFromServer] = {from_server.saddr, from_server.daddr};
    if (!(protocol & kTemplateProtocol)) ++paired_entries_;
  }
  link_new(index_of(&c), known);
  return &c;
}

Conn* ConnTable::insert(uint8_t protocol, const ConnTuple6& from_client, const ConnTuple& from_server, uint8_t links,
                        KnownProbes known) {
  Conn* taken = take_free(protocol, links, true, false);
  if (taken == nullptr) return nullptr;
  Conn& c = *taken;
  c.nat64 = 1;
  ++paired_entries_;
  c.tuple[kFromClient] = {0, 0, from_client.sport, from_client.dport};
  c.tuple[kFromServer] = from_server;
  Conn6Addresses& a = paired_addresses(c);
  a.tuple[kFromClient] = {from_client.saddr, from_client.daddr};
  a.tuple[kFromServer] = {};
  link_new(index_of(&c), known);
  return &c;
}

void ConnTable::timer_unlink(uint32_t index) {
  const Conn& c = lines_[index].conn;
  if (c.state == ConnState::unarmed) return;
  const auto cls = static_cast<uint32_t>(c.state);
  TimerLinks& t = timer_links(index);
  if (t.prev == kNone) timer_head_[cls] = t.next;
  else timer_links(t.prev).next = t.next;
  if (t.next == kNone) timer_tail_[cls] = t.prev;
  else timer_links(t.next).prev = t.prev;
  t = {kNone, kNone};
}

void ConnTable::timer_append(uint32_t index, ConnState state) {
  const auto cls = static_cast<uint32_t>(state);
  lines_[index].conn.state = state;
  timer_links(index) = {timer_tail_[cls], kNone};
  if (timer_tail_[cls] == kNone) timer_head_[cls] = index;
  else timer_links(timer_tail_[cls]).next = index;
  timer_tail_[cls] = index;
}

void ConnTable::relink(Conn* c, ConnState state, uint32_t expires) {
  const uint32_t index = index_of(c);
  timer_unlink(index);
  c->expires = expires;
  timer_append(index, state);
}

void ConnTable::unlink_client_tuple(Conn* c) {
  if (!(c->flags & kLinkClient)) return;
  unlink_tuple(index_of(c), kFromClient);
  c->flags &= static_cast<uint8_t>(~kLinkClient);
  ++edits_;
}

void ConnTable::remove(Conn* c) {
  const uint32_t index = index_of(c);
  timer_unlink(index);
  if (c->flags & kLinkClient) unlink_tuple(index, kFromClient);
  if (c->flags & kLinkServer) unlink_tuple(index, kFromServer);
  c->state = ConnState::unarmed;
  if (c->interned) release_interned(c->interned6);
  else if (c->ipv6 && (c->nat64 || !(c->protocol & kTemplateProtocol))) --paired_entries_;
  if (c->ipv6 && !c->interned) free_lines_.give_pair(index);
  else free_lines_.give_line(index);
  --size_;
  ++edits_;
}

}  // namespace xvs::lb
