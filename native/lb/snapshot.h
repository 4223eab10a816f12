// native/lb/snapshot.h — the configuration a worker forwards with: the decoded records plus
// lookup tables built off the fast path (control/snapshot_build.cc). Written once by the control
// thread before publication, then only read by workers until every worker has passed a newer
// generation and the engine frees it. Immutable: what workers count per server lives in their
// own blocks (lb/server_counters.h), found through server_slot.
#pragma once
#include <cstdint>
#include <vector>

#include "abi/records.h"
#include "lb/flat_map.h"

namespace xvs::lb {

struct Timeouts {
  uint32_t tcp, tcp_fin, tcp_syn, udp;  // seconds
  uint32_t server_time_wait;            // how long an ended Full-NAT connection's server tuple is held
};

// Half-open connections (lb/load.h), per service on each worker.
struct HalfOpenLimits {
  uint32_t proxy_above;  // syn_proxy auto answers SYNs with cookies from this many on
  uint32_t limit;        // beyond this many, a SYN the proxy does not answer is refused
};

struct Snapshot {
  static constexpr uint32_t kNoService = UINT32_MAX;

  uint64_t generation = 0;
  uint32_t workers = 0;
  Timeouts timeouts{};
  HalfOpenLimits half_open{};
  uint32_t proxy_mss = 0;  // the MSS the SYN proxy offers clients: every port's MTU fits it
  std::vector<abi::PortRecord> ports;
  std::vector<abi::ServiceRecord> services;
  std::vector<abi::BackendRecord> backends;
  std::vector<abi::PoolRecord> pools;
  std::vector<uint32_t> lips;   // local addresses (network order), pools index ranges of them
  std::vector<core::Ipv6Address> lips6;  // the same indices: an IPv6 LIP's address (IPv4 ones: zero)
  std::vector<uint32_t> sched;  // backend indices in scheduling order, per-service ranges
  FlatMap service_index;        // service_key() -> index into services
  FlatMap lip_index;            // LIP address -> index into lips
  FlatMap vip_index;            // VIP address -> 1, for packets that carry no ports (fragments)
  FlatMap backend_index;        // backend_id -> index into backends
  FlatMap nat_backend_index;    // nat_backend_key() of every nat server -> 1 (replies to find their owner)
  // The same for IPv6: service6_key() -> service, LIP -> index into lips6, VIP -> 1, nat server -> 1.
  FlatMap6 service6_index;
  FlatMap6 lip6_index;
  FlatMap6 vip6_index;
  FlatMap6 nat_backend6_index;
  // [backend index] -> the server's slot in every worker's counter blocks (control/server_slots.h):
  // the same slot in consecutive snapshots for as long as the server stays.
  std::vector<uint32_t> server_slot;
  // [backend index] -> the index of its service (kNoService: in no service's range).
  std::vector<uint32_t> backend_service;

  static uint64_t service_key(uint32_t vip, uint16_t port, uint8_t protocol) {
    return (static_cast<uint64_t>(vip) << 32) | (static_cast<uint64_t>(port) << 8) | protocol;
  }
  const abi::ServiceRecord* find_service(uint32_t vip, uint16_t port, uint8_t protocol) const {
    const uint32_t i = service_index.find(service_key(vip, port, protocol));
    return i == FlatMap::kMissing ? nullptr : &services[i];
  }
  static uint64_t nat_backend_key(uint32_t address, uint16_t port, uint8_t protocol) {
    return service_key(address, port, protocol);
  }
  bool is_lip(uint32_t address) const { return lip_index.find(address) != FlatMap::kMissing; }
  bool is_vip(uint32_t address) const { return vip_index.find(address) != FlatMap::kMissing; }
  bool is_nat_backend(uint32_t address, uint16_t port, uint8_t protocol) const {
    return nat_backend_index.find(nat_backend_key(address, port, protocol)) != FlatMap::kMissing;
  }

  static Key6 service6_key(const core::Ipv6Address& vip, uint16_t port, uint8_t protocol) {
    return {vip, (static_cast<uint64_t>(port) << 8) | protocol};
  }
  const abi::ServiceRecord* find_service(const core::Ipv6Address& vip, uint16_t port, uint8_t protocol) const {
    const uint32_t i = service6_index.find(service6_key(vip, port, protocol));
    return i == FlatMap6::kMissing ? nullptr : &services[i];
  }
  static Key6 nat_backend_key(const core::Ipv6Address& address, uint16_t port, uint8_t protocol) {
    return service6_key(address, port, protocol);
  }
  bool is_lip(const core::Ipv6Address& address) const { return lip6_index.find({address}) != FlatMap6::kMissing; }
  bool is_vip(const core::Ipv6Address& address) const { return vip6_index.find({address}) != FlatMap6::kMissing; }
  bool is_nat_backend(const core::Ipv6Address& address, uint16_t port, uint8_t protocol) const {
    return nat_backend6_index.find(nat_backend_key(address, port, protocol)) != FlatMap6::kMissing;
  }
};

}  // namespace xvs::lb
