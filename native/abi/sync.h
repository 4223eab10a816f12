// native/abi/sync.h — one connection (or persistence template) as the nodes of a cluster sync it
// (issue 15, IPVS sync-daemon semantics): what another node needs to take the connection over —
// both tuples (the Full-NAT local address and port in the server-side one), the bound server, the
// state and the time it has left, where its client-side packets leave. Fixed size, integers
// little-endian, addresses and ports in network order as in packets: the record is the wire
// format, sent as is by the control thread (src/cluster/sync/) between nodes, so that a record
// crosses from the owning worker (lb/sync.h sync_export) to a peer's worker (sync_install)
// without being re-encoded. IPv4 and IPv6 connections have their own records (the IPv4 one stays
// small), each starting with its family: a stream of records reads without a separate index.
// Their sizes cross to TypeScript through layout().
#pragma once
#include <cstdint>

#include "abi/records.h"

namespace xvs::abi {

// SyncRecord::flags
inline constexpr uint8_t kSyncTemplate = 1u << 0;    // a persistence template, not a connection
inline constexpr uint8_t kSyncPersistent = 1u << 1;  // bound by its client's template
inline constexpr uint8_t kSyncServerSeen = 1u << 2;  // a packet came from the server

// SyncRecord::family, SyncRecord6::family: the first byte of either record, which tells a reader
// of a stream of records (a datagram's, the engine's drain) which one it holds.
inline constexpr uint8_t kSyncFamily4 = 4;
inline constexpr uint8_t kSyncFamily6 = 6;

// F(name, type), laid out end to end. An IPv4 connection or template.
#define XVS_SYNC_RECORD(F)                                                                    \
  F(family, u8)           /* kSyncFamily4 */                                                 \
  F(protocol, u8)         /* IPPROTO_TCP or IPPROTO_UDP */                                    \
  F(forwarding, u8)       /* abi::Forwarding */                                              \
  F(state, u8)            /* lb::ConnState */                                                \
  F(client_saddr, be32)   /* the client-side tuple (templates: their key, lb/persistence.h) */ \
  F(client_daddr, be32)                                                                      \
  F(client_sport, be16)                                                                      \
  F(client_dport, be16)                                                                      \
  F(server_saddr, be32)   /* the server-side tuple (templates: netmask and timeout) */        \
  F(server_daddr, be32)                                                                      \
  F(server_sport, be16)                                                                      \
  F(server_dport, be16)                                                                      \
  F(backend_address, be32) /* the bound server */                                            \
  F(backend_port, be16)                                                                      \
  F(flags, u8)            /* kSync* */                                                       \
  F(client_port, u8)      /* the I/O port towards the client (the same interfaces on every node) */ \
  F(owner, u8)            /* the owning worker: the one that owns it on a node with as many workers */ \
  F(reserved0, u8)                                                                           \
  F(client_mac, mac48)    /* the client side's next hop, until a client packet arrives at the new node */ \
  F(timeout_left, u32)    /* seconds until it expires at the sender */

// An IPv6 connection or template, or a NAT64 connection (an IPv6 client, an IPv4 server side:
// server_family 4, its addresses in the be32 fields, the in6 ones zero; as the snapshot's records).
#define XVS_SYNC_RECORD6(F)                                                                   \
  F(family, u8)           /* kSyncFamily6 */                                                 \
  F(protocol, u8)                                                                            \
  F(forwarding, u8)                                                                          \
  F(state, u8)                                                                               \
  F(client_saddr, in6)                                                                       \
  F(client_daddr, in6)                                                                       \
  F(server_saddr, in6)    /* server_family 6 */                                              \
  F(server_daddr, in6)                                                                       \
  F(backend_address, in6)                                                                    \
  F(server_saddr4, be32)  /* server_family 4 (NAT64); templates: the prefix length and timeout */ \
  F(server_daddr4, be32)                                                                     \
  F(backend_address4, be32)                                                                  \
  F(client_sport, be16)                                                                      \
  F(client_dport, be16)                                                                      \
  F(server_sport, be16)                                                                      \
  F(server_dport, be16)                                                                      \
  F(backend_port, be16)                                                                      \
  F(flags, u8)                                                                               \
  F(client_port, u8)                                                                         \
  F(owner, u8)                                                                               \
  F(server_family, u8)    /* 6, or 4 for NAT64 */                                            \
  F(client_mac, mac48)                                                                       \
  F(timeout_left, u32)

#define XVS_DECLARE_FIELD(name, type) type name;
struct SyncRecord {
  XVS_SYNC_RECORD(XVS_DECLARE_FIELD)
};
struct SyncRecord6 {
  XVS_SYNC_RECORD6(XVS_DECLARE_FIELD)
};
#undef XVS_DECLARE_FIELD
static_assert(sizeof(SyncRecord) == 48, "the wire format");
static_assert(sizeof(SyncRecord6) == 120, "the wire format");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the wire format's integers are the host's: little-endian");

// The size of the record whose first byte is `family`, 0 for none.
inline constexpr uint32_t sync_record_size(uint8_t family) {
  return family == kSyncFamily4 ? sizeof(SyncRecord) : family == kSyncFamily6 ? sizeof(SyncRecord6) : 0;
}

// One record of either family as the rings between a worker and the control thread carry it
// (lb/sync.h, worker/worker.h): the record's bytes, its family first.
struct SyncItem {
  SyncItem() = default;
  SyncItem(const SyncRecord& r) { set(r); }   // NOLINT: a record is an item
  SyncItem(const SyncRecord6& r) { set(r); }  // NOLINT
  alignas(4) uint8_t bytes[sizeof(SyncRecord6)];
  uint8_t family() const { return bytes[0]; }
  uint32_t size() const { return sync_record_size(bytes[0]); }
  void set(const SyncRecord& r) { __builtin_memcpy(bytes, &r, sizeof r); }
  void set(const SyncRecord6& r) { __builtin_memcpy(bytes, &r, sizeof r); }
  template <typename Record>
  Record as() const {
    Record r;
    __builtin_memcpy(&r, bytes, sizeof r);
    return r;
  }
};

}  // namespace xvs::abi
