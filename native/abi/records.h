// native/abi/records.h — the snapshot wire format: one X-macro per record, read by the C++
// decoder (control/snapshot_build.cc) and described to TypeScript by layout() (abi/layout.cc),
// which src/native/abi.ts checks field by field at load time. Edit a record here and the
// mirror check fails until src/native/abi.ts agrees: that is the point.
//
// Byte order: fields typed be16/be32/in6 hold addresses and ports in network order, exactly as
// they appear in packets; every other integer is little-endian. Records that hold an address
// carry a `family` (AddressFamily): IPv4 in the be32 field, IPv6 in the in6 one, the other zero. Records are packed by hand with
// explicit reserved fields so that C++ and TypeScript agree without compiler-specific padding.
#pragma once
#include <cstdint>

namespace xvs::abi {

inline constexpr uint32_t kSnapshotMagic = 0x53535658;  // "XVSS" little-endian
inline constexpr uint32_t kAbiVersion = 5;

// Limits a snapshot must respect; the decoder rejects anything larger with a coded error.
inline constexpr uint32_t kMaxWorkers = 64;
inline constexpr uint32_t kMaxPorts = 8;
inline constexpr uint32_t kMaxServices = 16384;
inline constexpr uint32_t kMaxBackends = 1u << 20;
inline constexpr uint32_t kMaxPools = 1024;
inline constexpr uint32_t kMaxLips = 1024;
inline constexpr uint32_t kMaxSchedEntries = 1u << 24;
inline constexpr uint16_t kNoPool = 0xffff;

// Field types. Each maps to one C++ type; the names travel to TypeScript as strings.
using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using be16 = uint16_t;  // network byte order
using be32 = uint32_t;  // network byte order
struct mac48 {
  uint8_t bytes[6];
};
struct in6 {  // an IPv6 address, network byte order
  uint8_t bytes[16];
};

// F(name, type)
#define XVS_SNAPSHOT_HEADER(F) \
  F(magic, u32)                \
  F(abi_version, u32)          \
  F(generation, u64)           \
  F(total_size, u32)           \
  F(workers, u32)              \
  F(timeout_tcp, u32)          \
  F(timeout_tcp_fin, u32)      \
  F(timeout_tcp_syn, u32)      \
  F(timeout_udp, u32)          \
  F(timeout_server_time_wait, u32) \
  F(port_offset, u32)          \
  F(port_count, u32)           \
  F(service_offset, u32)       \
  F(service_count, u32)        \
  F(backend_offset, u32)       \
  F(backend_count, u32)        \
  F(pool_offset, u32)          \
  F(pool_count, u32)           \
  F(lip_offset, u32)           \
  F(lip_count, u32)            \
  F(sched_offset, u32)         \
  F(sched_count, u32)          \
  F(syn_proxy_above, u32)      \
  F(half_open_limit, u32)      \
  F(reserved0, u32)

// One per data-plane interface, in config order. address (address6) is the balancer's own IPv4
// (IPv6) address there, used as the outer source of tunnel mode and of the ICMP errors xvs
// sends (0: none).
#define XVS_PORT_RECORD(F) \
  F(mac, mac48)            \
  F(reserved0, u16)        \
  F(mtu, u32)              \
  F(address, be32)         \
  F(address6, in6)

// One per virtual service (persist_netmask: IPv4; persist_prefix6: the prefix length, 0..128,
// by which IPv6 clients share a template). backend_first/count index the backend section; sched_first/count
// index the scheduler-table section (the service's servers in scheduling order, built in
// TypeScript, each entry counted from backend_first: a service's records do not depend on
// where it lands; ranges of different services must not overlap).
#define XVS_SERVICE_RECORD(F) \
  F(vip, be32)                \
  F(port, be16)               \
  F(protocol, u8)             \
  F(forwarding, u8)           \
  F(scheduler, u8)            \
  F(flags, u8)                \
  F(pool, u16)                \
  F(service_id, u32)          \
  F(backend_first, u32)       \
  F(backend_count, u32)       \
  F(sched_first, u32)         \
  F(sched_count, u32)         \
  F(persist_timeout, u32)     \
  F(persist_netmask, be32)    \
  F(family, u8)               \
  F(persist_prefix6, u8)      \
  F(reserved0, u16)           \
  F(vip6, in6)

// One per real server of a service. backend_id is stable across reloads (assigned by the
// control thread) so that connections outlive snapshot re-indexing. mac is the next hop
// towards the server on port `port_index`; all-zero means unresolved (packets are dropped and
// counted, never sent to a wrong MAC).
#define XVS_BACKEND_RECORD(F) \
  F(address, be32)            \
  F(port, be16)               \
  F(port_index, u8)           \
  F(flags, u8)                \
  F(weight, u32)              \
  F(backend_id, u32)          \
  F(upper_threshold, u32)     \
  F(lower_threshold, u32)     \
  F(mac, mac48)               \
  F(family, u8)               \
  F(reserved0, u8)            \
  F(address6, in6)

// A local-address pool: a range of the lip section.
#define XVS_POOL_RECORD(F) \
  F(lip_first, u32)        \
  F(lip_count, u32)

#define XVS_LIP_RECORD(F) \
  F(address, be32)        \
  F(family, u8)           \
  F(reserved0, u8)        \
  F(reserved1, u16)       \
  F(address6, in6)

// The scheduler-table section is a flat array of u32 server indices, each relative to its
// service's backend_first (no record macro).

#define XVS_DECLARE_FIELD(name, type) type name;
struct SnapshotHeader {
  XVS_SNAPSHOT_HEADER(XVS_DECLARE_FIELD)
};
struct PortRecord {
  XVS_PORT_RECORD(XVS_DECLARE_FIELD)
};
struct ServiceRecord {
  XVS_SERVICE_RECORD(XVS_DECLARE_FIELD)
};
struct BackendRecord {
  XVS_BACKEND_RECORD(XVS_DECLARE_FIELD)
};
struct PoolRecord {
  XVS_POOL_RECORD(XVS_DECLARE_FIELD)
};
struct LipRecord {
  XVS_LIP_RECORD(XVS_DECLARE_FIELD)
};
#undef XVS_DECLARE_FIELD

static_assert(sizeof(SnapshotHeader) == 104);
static_assert(sizeof(PortRecord) == 32);
static_assert(sizeof(ServiceRecord) == 60);
static_assert(sizeof(BackendRecord) == 48);
static_assert(sizeof(PoolRecord) == 8);
static_assert(sizeof(LipRecord) == 24);

// Enumerations carried in records, E(name, value). Values are part of the format.
#define XVS_FORWARDING_MODES(E) E(dr, 0) E(nat, 1) E(tunnel, 2) E(fullnat, 3)
#define XVS_SCHEDULERS(E)                                                              \
  E(rr, 0) E(wrr, 1) E(lc, 2) E(wlc, 3) E(sed, 4) E(nq, 5) E(lblc, 6) E(lblcr, 7) E(dh, 8) \
  E(sh, 9) E(mh, 10) E(fo, 11)
#define XVS_PROTOCOLS(E) E(tcp, 6) E(udp, 17)
#define XVS_ADDRESS_FAMILIES(E) E(ipv4, 0) E(ipv6, 1)
// syn_proxy_on: every SYN is answered with a cookie; syn_proxy_auto: once the service's half-open
// connections on a worker reach the header's syn_proxy_above (lb/syn_proxy.cc). client_address_*:
// a Full-NAT TCP service tells its servers the client's address (lb/client_address.h), at most one.
#define XVS_SERVICE_FLAGS(E)                                                                  \
  E(one_packet, 1) E(persistent, 2) E(syn_proxy_on, 4) E(syn_proxy_auto, 8) E(client_address_toa, 16) \
  E(client_address_proxy_v2, 32)

#define XVS_ENUM_VALUE(name, value) name = value,
enum class Forwarding : uint8_t { XVS_FORWARDING_MODES(XVS_ENUM_VALUE) };
enum class Scheduler : uint8_t { XVS_SCHEDULERS(XVS_ENUM_VALUE) };
enum class Protocol : uint8_t { XVS_PROTOCOLS(XVS_ENUM_VALUE) };
enum class AddressFamily : uint8_t { XVS_ADDRESS_FAMILIES(XVS_ENUM_VALUE) };
enum ServiceFlag : uint8_t { XVS_SERVICE_FLAGS(XVS_ENUM_VALUE) };
#undef XVS_ENUM_VALUE


}  // namespace xvs::abi
