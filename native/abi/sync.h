// native/abi/sync.h — one connection (or persistence template) as the nodes of a cluster sync it
// (issue 15, IPVS sync-daemon semantics): what another node needs to take the connection over —
// both tuples (the Full-NAT local address and port in the server-side one), the bound server, the
// state and the time it has left, where its client-side packets leave. Fixed size, integers
// little-endian, addresses and ports in network order as in packets: the record is the wire
// format, sent as is by the control thread (src/cluster/sync/) between nodes, so that a record
// crosses from the owning worker (lb/sync.h sync_export) to a peer's worker (sync_install)
// without being re-encoded. Its size crosses to TypeScript through layout().
#pragma once
#include <cstdint>

#include "abi/records.h"

namespace xvs::abi {

// SyncRecord::flags
inline constexpr uint8_t kSyncTemplate = 1u << 0;    // a persistence template, not a connection
inline constexpr uint8_t kSyncPersistent = 1u << 1;  // bound by its client's template
inline constexpr uint8_t kSyncServerSeen = 1u << 2;  // a packet came from the server

// F(name, type), laid out end to end.
#define XVS_SYNC_RECORD(F)                                                                    \
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
  F(protocol, u8)         /* IPPROTO_TCP or IPPROTO_UDP */                                    \
  F(forwarding, u8)       /* abi::Forwarding */                                              \
  F(state, u8)            /* lb::ConnState */                                                \
  F(flags, u8)            /* kSync* */                                                       \
  F(client_port, u8)      /* the I/O port towards the client (the same interfaces on every node) */ \
  F(owner, u8)            /* the owning worker: the one that owns it on a node with as many workers */ \
  F(client_mac, mac48)    /* the client side's next hop, until a client packet arrives at the new node */ \
  F(reserved0, u16)                                                                          \
  F(timeout_left, u32)    /* seconds until it expires at the sender */

#define XVS_DECLARE_FIELD(name, type) type name;
struct SyncRecord {
  XVS_SYNC_RECORD(XVS_DECLARE_FIELD)
};
#undef XVS_DECLARE_FIELD
static_assert(sizeof(SyncRecord) == 48, "the wire format");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the wire format's integers are the host's: little-endian");

}  // namespace xvs::abi
