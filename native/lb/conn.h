// native/lb/conn.h — one tracked connection (or persistence template) as a worker's connection
// table stores it: both directions' tuples, the translation they imply, the IPVS state, the
// server it is bound to and where its client-side packets leave. One cache line, so that a
// lookup's hit costs one line. An IPv6 connection is one line too when its VIP, local and server
// addresses are interned (`interned`: the table's lb/address_ids.h): the client's address takes
// the room of IPv4's four, ids and the rewrite delta that of the timer links (then kept beside
// the table). Other IPv6 entries (templates, NAT64, and connections when every id is taken) have
// a second line for their addresses (Conn6Addresses, the line after theirs). A NAT64 entry (an
// IPv6 client, an IPv4 server) keeps its client side's addresses there and its IPv4 server side
// in its own line.
// Written and read only by the owning worker.
#pragma once
#include <cstddef>
#include <cstdint>

#include "abi/records.h"
#include "core/checksum.h"
#include "core/ipv6_address.h"

namespace xvs::lb {

// Tuple as it appears in packets of one direction (network order). The table's buckets name
// tuples as nodes: conn index * 2 + direction.
struct ConnTuple {
  uint32_t saddr;
  uint32_t daddr;
  uint16_t sport;
  uint16_t dport;
};
static_assert(offsetof(ConnTuple, daddr) == 4 && offsetof(ConnTuple, sport) == 8 && offsetof(ConnTuple, dport) == 10,
              "ConnTable::matches() reads a tuple as two words");

// The same for an IPv6 connection, as callers pass it: in the table, the ports sit in the
// connection's own line (Conn::tuple[d].sport/dport, where IPv4 has them too) and the addresses
// in its Conn6Addresses line.
struct ConnTuple6 {
  core::Ipv6Address saddr;
  core::Ipv6Address daddr;
  uint16_t sport;
  uint16_t dport;
};

// An IPv6 connection's addresses, [direction]: its second line.
struct alignas(64) Conn6Addresses {
  struct {
    core::Ipv6Address saddr, daddr;
  } tuple[2];
};
static_assert(sizeof(Conn6Addresses) == 64);

enum Direction : uint8_t { kFromClient = 0, kFromServer = 1 };

// IPVS connection states (TCP as in ip_vs_proto_tcp.c), plus UDP and persistence templates. Each
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
  S(persist_template)      \
  S(tcp_port_hold)

enum class ConnState : uint8_t {
#define XVS_STATE_ENUM(name) name,
  XVS_CONN_STATES(XVS_STATE_ENUM)
#undef XVS_STATE_ENUM
  // Not a state: an entry just inserted, on no expiry list until ConnTable::touch() gives it one.
  unarmed
};
inline constexpr uint32_t kConnStates = static_cast<uint32_t>(ConnState::unarmed);

// Conn::flags
inline constexpr uint8_t kLinkClient = 1u << 0;   // tuple[kFromClient] is in the hash table
inline constexpr uint8_t kLinkServer = 1u << 1;   // tuple[kFromServer] is in the hash table
inline constexpr uint8_t kTemplate = 1u << 2;     // persistence template, not a connection
inline constexpr uint8_t kCountedActive = 1u << 3;  // counted in the server's active (else inactive) connections
inline constexpr uint8_t kOnePacket = 1u << 4;    // UDP one-packet scheduling: gone after one reply
inline constexpr uint8_t kPersistent = 1u << 5;   // bound by the template at template_index
inline constexpr uint8_t kServerSeen = 1u << 6;   // a packet came from the server: it may hold a TCB
inline constexpr uint8_t kSynProxied = 1u << 7;   // opened by the SYN proxy: translated by lb/syn_proxy.cc

// Conn::client_port_index: the port in the low bits; kSyncedAwaiting marks a connection another
// node synced here (lb/sync.h) that no packet has reached yet: not counted in its server's load.
inline constexpr uint8_t kClientPortMask = 0x7f;
inline constexpr uint8_t kSyncedAwaiting = 0x80;

// A persistence template's protocol: its service's, with this bit (never a real IP protocol's).
inline constexpr uint8_t kTemplateProtocol = 0x80;

// An entry's links in its state's expiry list (ConnTable).
struct TimerLinks {
  uint32_t prev;
  uint32_t next;
};

// An interned IPv6 connection's ids (ConnTable's AddressIds) of the addresses it does not hold,
// and its rewrite delta, in the room the timer links take in other entries.
struct Interned6 {
  static constexpr uint16_t kClient = 0xffff;  // not an id: the entry's client address
  uint16_t rewrite_delta;  // routed_rewrite_delta of its client side's packets (the server side's: its complement)
  uint16_t client_daddr;   // tuple[kFromClient].daddr: the VIP
  uint16_t server_saddr;   // tuple[kFromServer].saddr: the server
  uint16_t server_daddr;   // tuple[kFromServer].daddr: the local address (fullnat) or kClient
};
static_assert(sizeof(Interned6) == sizeof(TimerLinks));

// The server side's egress (port and next-hop MAC) is not stored: it is the bound server's
// backend record in the current snapshot (lb/load.h backend_of), so it follows reloads, and a
// connection whose server has left the configuration is removed at its next packet anyway.
struct alignas(64) Conn {
  // [kFromClient]: CIP:cport -> VIP:vport; [kFromServer]: RIP:rport -> LIP:lport (or CIP:cport).
  // An interned IPv6 connection keeps the ports here and its client address in the address
  // fields (bytes 0-7 and 12-19, in order: ConnTable::client6).
  ConnTuple tuple[2];
  union {
    TimerLinks timer;      // every entry but an interned IPv6 connection
    Interned6 interned6;   // an interned IPv6 connection (its timer links: ConnTable's side array)
  };
  uint32_t expires;            // engine clock, seconds
  uint32_t backend_id;         // stable across snapshots
  uint32_t backend_index;      // index of backend_id in the snapshot of generation cached_generation
  uint32_t cached_generation;  // low 32 bits of that generation
  union {
    uint32_t template_index;  // kPersistent connections: their template's index in the table
    uint32_t controlled;      // templates: how many connections they bind now (IPVS n_control)
  };
  uint8_t client_mac[6];         // connections: the MAC the client side came from (its next hop back)
  uint8_t client_port_index;     // the I/O port (interface) towards the client, | kSyncedAwaiting
  uint8_t fast_path;             // kFastPathInstalled | generation bits (lb/fast_path.h); 0: not in the fast path
  uint8_t protocol;
  uint8_t forwarding : 2;      // abi::Forwarding
  uint8_t client_address : 2;  // ClientAddress (lb/client_address.h): Full-NAT TCP only
  uint8_t ipv6 : 1;            // an IPv6 entry: tuple[d] holds its ports (and see Interned6, Conn6Addresses)
  uint8_t nat64 : 1;           // with ipv6: the server side is IPv4, whole in tuple[kFromServer] (lb/nat64.h)
  uint8_t interned : 1;        // with ipv6: one line, the other addresses interned (Interned6)
  uint8_t : 1;
  ConnState state;
  uint8_t flags;
};
static_assert(sizeof(Conn) == 64, "one connection is one cache line");

// What nat and fullnat do to the upper-layer checksum of an IPv6 packet of tuple `from` that they
// rewrite into `to` (addresses and ports: RFC 1624's sum of ~old + new, folded). Constant for a
// connection's direction, so an IPv6 entry keeps it (rewrite_delta6) instead of each packet
// summing 36 bytes' worth of differences: IPv6 has no header checksum, but its pseudo-header
// covers both 128-bit addresses. Each port read alone: the caller has just stored one of them by
// itself, and a 32-bit load of both would wait for that store to retire (no forwarding).
inline uint16_t routed_rewrite_delta(const ConnTuple6& from, const ConnTuple6& to) {
  return core::checksum_fold(core::checksum_delta128(from.saddr.bytes, to.saddr.bytes) +
                             core::checksum_delta128(from.daddr.bytes, to.daddr.bytes) +
                             core::checksum_delta16(from.sport, to.sport) + core::checksum_delta16(from.dport, to.dport));
}

// An IPv6 (not NAT64) connection's routed_rewrite_delta for packets of direction `d` (into the
// reverse of the other direction's tuple), set by ConnTable::insert: in Interned6 for an interned
// one, where the server side's is the client side's complement (the two rewrites are inverse:
// the same sums with old and new swapped; they can differ only in which of one's complement's
// two zeros they fold to, and then only a packet whose checksum field is 0xffff comes out with
// the other encoding of the same sum, which receivers accept alike: ConnTable6 tests check the
// rewrite against checksums computed afresh); else in tuple[d].saddr, which such an entry
// has no other use for (its addresses are in Conn6Addresses; a template overwrites the server
// side's with its settings, and no packet is translated by a template).
inline uint16_t rewrite_delta6(const Conn& c, Direction d) {
  if (c.interned) return d == kFromClient ? c.interned6.rewrite_delta : static_cast<uint16_t>(~c.interned6.rewrite_delta);
  return static_cast<uint16_t>(c.tuple[d].saddr);
}

// Whether direction `d` of `c` is IPv6: both of an IPv6 entry's, but a NAT64 entry's server side.
inline bool side_is_ipv6(const Conn& c, Direction d) { return c.ipv6 && !(c.nat64 && d == kFromServer); }
// Templates keep their key in tuple[kFromClient] = (client address & netmask, VIP, 0, port) and
// their netmask (IPv6: prefix length) and timeout in tuple[kFromServer].saddr / .daddr (that
// tuple is never linked).
// A tcp_port_hold entry is what is left of an ended Full-NAT connection whose server may still
// hold its tuple in TIME_WAIT (lb/local_port.h): only tuple[kFromServer] is linked, it is bound
// to no server, and no packet ever matches it; tuple[kFromClient] names the client that may
// take the tuple back.

}  // namespace xvs::lb
