// native/lb/conn_table.h — one worker's connection table: a fixed pool of connections
// allocated at engine start, each reachable through two hashed tuples (client side and server
// side), and one FIFO expiry list per timeout class so that expiry pops from list heads instead
// of scanning. Written and read only by its worker (DESIGN §4); never shared.
#pragma once
#include <cstdint>
#include <memory>

namespace xvs::lb {

// Tuple as it appears in packets of one direction (network order), plus the hash chain link.
struct ConnTuple {
  uint32_t saddr;
  uint32_t daddr;
  uint16_t sport;
  uint16_t dport;
  uint32_t next;  // next node in the bucket chain (node = conn index * 2 + direction)
};

enum class TimerClass : uint8_t { tcp_syn, tcp_established, tcp_fin, udp, count_ };
inline constexpr uint32_t kTimerClasses = static_cast<uint32_t>(TimerClass::count_);

enum Direction : uint8_t { kFromClient = 0, kFromServer = 1 };

struct Conn {
  ConnTuple tuple[2];  // [kFromClient]: CIP:cport -> VIP:vport; [kFromServer]: RIP:rport -> LIP:lport
  uint32_t timer_prev;
  uint32_t timer_next;
  uint32_t expires;     // engine clock, seconds
  uint32_t backend_id;  // stable across snapshots
  uint16_t lip_slot;    // whose port pool gets tuple[1].dport back (fullnat)
  uint8_t protocol;
  uint8_t forwarding;
  TimerClass timer_class;
  uint8_t client_port;  // I/O port towards the client, and the MAC the client side came from
  uint8_t server_port;
  uint8_t flags;
  uint8_t client_mac[6];
  uint8_t server_mac[6];
};

struct ConnLookup {
  Conn* conn;
  Direction direction;
};

class ConnTable {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  ConnTable(uint32_t capacity, uint64_t hash_seed);

  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return size_; }
  static size_t bytes_per_connection(uint32_t capacity);

  ConnLookup lookup(uint8_t protocol, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport) const;

  // Takes a free connection, fills in both tuples and links them; nullptr when full. The caller
  // fills in the rest and then arms the timer with touch().
  Conn* insert(uint8_t protocol, const ConnTuple& from_client, const ConnTuple& from_server);

  // (Re)arms the expiry timer: moves the connection to the tail of its class list.
  void touch(Conn* c, TimerClass cls, uint32_t now, uint32_t timeout);

  // Removes up to `budget` expired connections, calling on_expire(conn) before each is freed.
  template <typename OnExpire>
  uint32_t expire(uint32_t now, uint32_t budget, OnExpire&& on_expire) {
    uint32_t removed = 0;
    for (uint32_t cls = 0; cls < kTimerClasses && removed < budget; ++cls) {
      while (removed < budget) {
        const uint32_t head = timer_head_[cls];
        if (head == kNone) break;
        Conn* c = &conns_[head];
        if (static_cast<int32_t>(c->expires - now) > 0) break;
        on_expire(*c);
        remove(c);
        ++removed;
      }
    }
    return removed;
  }

  void remove(Conn* c);

 private:
  uint32_t index_of(const Conn* c) const { return static_cast<uint32_t>(c - conns_.get()); }
  uint32_t bucket_of(uint8_t protocol, const ConnTuple& t) const;
  void link_tuple(uint32_t conn_index, Direction d);
  void unlink_tuple(uint32_t conn_index, Direction d);
  void timer_unlink(uint32_t conn_index);
  void timer_append(uint32_t conn_index, TimerClass cls);

  uint32_t capacity_;
  uint32_t size_ = 0;
  uint32_t bucket_mask_;
  uint64_t seed_;
  std::unique_ptr<Conn[]> conns_;
  std::unique_ptr<uint32_t[]> buckets_;  // head node per bucket
  std::unique_ptr<uint32_t[]> free_;     // stack of free connection indices
  uint32_t free_top_;
  uint32_t timer_head_[kTimerClasses];
  uint32_t timer_tail_[kTimerClasses];
};

}  // namespace xvs::lb
