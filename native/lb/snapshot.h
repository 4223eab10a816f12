// native/lb/snapshot.h — the configuration a worker forwards with: the decoded records plus
// lookup tables built off the fast path (control/snapshot_build.cc). Written once by the control
// thread before publication, then only read by workers until every worker has passed a newer
// generation and the engine frees it. The mutable parts are `load` and `traffic`: one block per
// worker of per-server connection counts and traffic, each written only by its worker (it
// carries them over from the previous snapshot when it installs this one), and `peer_load`.
#pragma once
#include <cstdint>
#include <vector>

#include "abi/records.h"
#include "lb/flat_map.h"

namespace xvs::lb {

struct Timeouts {
  uint32_t tcp, tcp_fin, tcp_syn, udp;  // seconds
};

// One worker's view of one server's load (IPVS activeconns / inactconns / overload flag).
struct BackendLoad {
  uint32_t active = 0;
  uint32_t inactive = 0;
  bool overloaded = false;
};

// The other workers' load of one server, summed, as of the control thread's last aggregation
// (Engine::publish_peer_loads, every ~100 ms): what the dynamic schedulers add to their own
// row to decide cluster-wide. Written by the control thread, read by one worker; both through
// relaxed atomics.
struct PeerLoad {
  uint32_t active = 0;
  uint32_t inactive = 0;
};

// One worker's traffic to and from one server since it was configured (lb/traffic.h). Written by
// that worker through relaxed atomic stores, read by the control thread.
struct BackendTraffic {
  uint64_t conns = 0;
  uint64_t in_packets = 0;
  uint64_t out_packets = 0;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
};

struct Lip {
  uint32_t address;  // network order
  uint32_t slot;     // stable index of this address's port pools (control/lip_registry.h)
};

struct Snapshot {
  uint64_t generation = 0;
  uint32_t workers = 0;
  Timeouts timeouts{};
  std::vector<abi::PortRecord> ports;
  std::vector<abi::ServiceRecord> services;
  std::vector<abi::BackendRecord> backends;
  std::vector<abi::PoolRecord> pools;
  std::vector<Lip> lips;
  std::vector<uint32_t> sched;  // backend indices in scheduling order, per-service ranges
  FlatMap service_index;        // service_key() -> index into services
  FlatMap lip_index;            // LIP address -> index into lips
  FlatMap vip_index;            // VIP address -> 1, for packets that carry no ports (fragments)
  FlatMap backend_index;        // backend_id -> index into backends
  FlatMap nat_backend_index;    // nat_backend_key() of every nat server -> 1 (replies to find their owner)
  // [worker][backend index]; see above. mutable: the one part workers write, each its own row.
  mutable std::vector<std::vector<BackendLoad>> load;
  // [worker][backend index]: see BackendTraffic. mutable: each worker writes its own row.
  mutable std::vector<std::vector<BackendTraffic>> traffic;
  // [worker][backend index]: see PeerLoad. mutable: the control thread writes it after commit.
  mutable std::vector<std::vector<PeerLoad>> peer_load;

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
};

}  // namespace xvs::lb
