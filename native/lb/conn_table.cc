// native/lb/conn_table.cc — see conn_table.h. Runs on the owning worker thread only, except the
// constructor, which the control thread runs before the worker starts.
#include "lb/conn_table.h"

#include "core/hash.h"

namespace xvs::lb {

namespace {
uint32_t round_up_pow2(uint32_t v) {
  uint32_t n = 1;
  while (n < v) n <<= 1;
  return n;
}
uint32_t node_of(uint32_t conn_index, Direction d) { return conn_index * 2 + d; }
}  // namespace

ConnTable::ConnTable(uint32_t capacity, uint64_t hash_seed)
    : capacity_(capacity),
      bucket_mask_(round_up_pow2(capacity * kBucketsPerConnection) - 1),
      seed_(hash_seed),
      conns_(capacity),
      buckets_(bucket_mask_ + 1),
      free_(capacity),
      free_top_(capacity) {
  for (uint32_t i = 0; i <= bucket_mask_; ++i) buckets_[i] = kNone;
  // Hand out low indices first: they share pages, which keeps a small table's footprint small.
  for (uint32_t i = 0; i < capacity; ++i) free_[i] = capacity - 1 - i;
  for (uint32_t c = 0; c < kConnStates; ++c) timer_head_[c] = timer_tail_[c] = kNone;
}

size_t ConnTable::bytes_per_connection(uint32_t capacity) {
  const size_t buckets = round_up_pow2(capacity * kBucketsPerConnection);
  return sizeof(Conn) + sizeof(uint32_t) /* free stack */ + buckets * sizeof(uint32_t) / capacity;
}

uint32_t ConnTable::bucket_of(uint8_t protocol, const ConnTuple& t) const {
  return static_cast<uint32_t>(core::hash_flow(seed_, t.saddr, t.daddr, t.sport, t.dport, protocol)) & bucket_mask_;
}

uint32_t ConnTable::bucket_for(uint8_t protocol, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport) const {
  return static_cast<uint32_t>(core::hash_flow(seed_, saddr, daddr, sport, dport, protocol)) & bucket_mask_;
}

ConnLookup ConnTable::lookup(uint8_t protocol, uint32_t saddr, uint32_t daddr, uint16_t sport,
                             uint16_t dport) const {
  const uint32_t bucket =
      static_cast<uint32_t>(core::hash_flow(seed_, saddr, daddr, sport, dport, protocol)) & bucket_mask_;
  for (uint32_t node = buckets_[bucket]; node != kNone;) {
    Conn* c = conns_.get() + (node >> 1);
    const auto d = static_cast<Direction>(node & 1);
    const ConnTuple& t = c->tuple[d];
    if (t.saddr == saddr && t.daddr == daddr && t.sport == sport && t.dport == dport && c->protocol == protocol)
      return {c, d};
    node = t.next;
  }
  return {nullptr, kFromClient};
}

void ConnTable::link_tuple(uint32_t conn_index, Direction d) {
  Conn& c = conns_[conn_index];
  const uint32_t bucket = bucket_of(c.protocol, c.tuple[d]);
  c.tuple[d].next = buckets_[bucket];
  buckets_[bucket] = node_of(conn_index, d);
}

void ConnTable::unlink_tuple(uint32_t conn_index, Direction d) {
  Conn& c = conns_[conn_index];
  const uint32_t target = node_of(conn_index, d);
  uint32_t* link = &buckets_[bucket_of(c.protocol, c.tuple[d])];
  while (*link != kNone) {
    if (*link == target) {
      *link = c.tuple[d].next;
      return;
    }
    link = &conns_[*link >> 1].tuple[*link & 1].next;
  }
}

Conn* ConnTable::insert(uint8_t protocol, const ConnTuple& from_client, const ConnTuple& from_server, uint8_t links) {
  if (free_top_ == 0) return nullptr;
  const uint32_t index = free_[--free_top_];
  Conn& c = conns_[index];
  c = Conn{};
  c.protocol = protocol;
  c.tuple[kFromClient] = from_client;
  c.tuple[kFromServer] = from_server;
  c.timer_prev = c.timer_next = kNone;
  c.state = ConnState::count_;  // on no list until touch()
  c.flags = links & (kLinkClient | kLinkServer);
  if (c.flags & kLinkClient) link_tuple(index, kFromClient);
  if (c.flags & kLinkServer) link_tuple(index, kFromServer);
  ++size_;
  return &c;
}

void ConnTable::timer_unlink(uint32_t index) {
  Conn& c = conns_[index];
  if (c.state == ConnState::count_) return;
  const auto cls = static_cast<uint32_t>(c.state);
  if (c.timer_prev == kNone) timer_head_[cls] = c.timer_next;
  else conns_[c.timer_prev].timer_next = c.timer_next;
  if (c.timer_next == kNone) timer_tail_[cls] = c.timer_prev;
  else conns_[c.timer_next].timer_prev = c.timer_prev;
  c.timer_prev = c.timer_next = kNone;
}

void ConnTable::timer_append(uint32_t index, ConnState state) {
  Conn& c = conns_[index];
  const auto cls = static_cast<uint32_t>(state);
  c.state = state;
  c.timer_next = kNone;
  c.timer_prev = timer_tail_[cls];
  if (timer_tail_[cls] == kNone) timer_head_[cls] = index;
  else conns_[timer_tail_[cls]].timer_next = index;
  timer_tail_[cls] = index;
}

void ConnTable::touch(Conn* c, ConnState state, uint32_t now, uint32_t timeout) {
  const uint32_t index = index_of(c);
  const uint32_t expires = now + timeout;
  // Packets of a busy flow arrive many times per second: skip the relink when nothing changes.
  if (c->state == state && c->expires == expires) return;
  timer_unlink(index);
  c->expires = expires;
  timer_append(index, state);
}

void ConnTable::remove(Conn* c) {
  const uint32_t index = index_of(c);
  timer_unlink(index);
  if (c->flags & kLinkClient) unlink_tuple(index, kFromClient);
  if (c->flags & kLinkServer) unlink_tuple(index, kFromServer);
  c->state = ConnState::count_;
  free_[free_top_++] = index;
  --size_;
}

}  // namespace xvs::lb
