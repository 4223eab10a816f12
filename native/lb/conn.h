// native/lb/conn.h — one tracked connection (or persistence template) as a worker's connection
// table stores it: both directions' tuples, the translation they imply, the IPVS state, the
// server it is bound to and where its packets leave. Written and read only by the owning worker.
#pragma once
#include <cstdint>

namespace xvs::lb {

// Tuple as it appears in packets of one direction (network order), plus the hash chain link.
struct ConnTuple {
  uint32_t saddr;
  uint32_t daddr;
  uint16_t sport;
  uint16_t dport;
  uint32_t next;  // next node in the bucket chain (node = conn index * 2 + direction)
};

enum Direction : uint8_t { kFromClient = 0, kFromServer = 1 };

// IPVS connection states (TCP as in ip_vs_proto_tcp.c), plus UDP, ICMP and templates. Each
// state is also an expiry list: every connection in one state shares one timeout.
#define XVS_CONN_STATES(S) \
  S(tcp_none)              \
  S(tcp_established)       \
  S(tcp_syn_sent)          \
  S(tcp_syn_recv)          \
  S(tcp_fin_wait)          \
  S(tcp_time_wait)         \
  S(tcp_close)             \
  S(tcp_close_wait)        \
  S(tcp_last_ack)          \
  S(tcp_listen)            \
  S(tcp_synack)            \
  S(udp)                   \
  S(persist_template)

enum class ConnState : uint8_t {
#define XVS_STATE_ENUM(name) name,
  XVS_CONN_STATES(XVS_STATE_ENUM)
#undef XVS_STATE_ENUM
  count_
};
inline constexpr uint32_t kConnStates = static_cast<uint32_t>(ConnState::count_);

// Conn::flags
inline constexpr uint8_t kLinkClient = 1u << 0;   // tuple[kFromClient] is in the hash table
inline constexpr uint8_t kLinkServer = 1u << 1;   // tuple[kFromServer] is in the hash table
inline constexpr uint8_t kTemplate = 1u << 2;     // persistence template, not a connection
inline constexpr uint8_t kCountedActive = 1u << 3;  // counted in the server's active (else inactive) connections
inline constexpr uint8_t kOnePacket = 1u << 4;    // UDP one-packet scheduling: gone after one reply
inline constexpr uint8_t kPersistent = 1u << 5;   // bound by the template at template_index

struct Conn {
  ConnTuple tuple[2];  // [kFromClient]: CIP:cport -> VIP:vport; [kFromServer]: RIP:rport -> LIP:lport (or CIP:cport)
  uint32_t timer_prev;
  uint32_t timer_next;
  uint32_t expires;            // engine clock, seconds
  uint32_t backend_id;         // stable across snapshots
  uint32_t backend_index;      // index of backend_id in the snapshot of generation cached_generation
  uint32_t cached_generation;  // low 32 bits of that generation
  uint16_t lip_slot;           // whose port pool gets tuple[1].dport back (fullnat)
  uint8_t protocol;
  uint8_t forwarding;
  ConnState state;
  uint8_t flags;
  uint8_t client_port;  // I/O port towards the client, and the MAC the client side came from
  uint8_t server_port;
  uint32_t template_index;  // kPersistent connections: their template's index in the table
  union {
    struct {  // connections
      uint8_t client_mac[6];
      uint8_t server_mac[6];
    };
    uint32_t controlled;  // templates: how many connections they bind now (IPVS n_control)
  };
};
// Templates keep their key in tuple[kFromClient] = (client address & netmask, VIP, 0, port) and
// their netmask and timeout in tuple[kFromServer].saddr / .daddr (that tuple is never linked).

}  // namespace xvs::lb
