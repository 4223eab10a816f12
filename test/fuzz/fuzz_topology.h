// test/fuzz/fuzz_topology.h — the configuration the packet-path fuzz targets forward with: every
// forwarding mode over TCP and UDP, for IPv4 and IPv6 services side by side, persistence, one-packet scheduling, a SYN proxy always on
// and one on auto, Full-NAT through a one-LIP and a two-LIP pool, thresholds, most schedulers;
// and the variants a reload installs (weights, servers or services removed, next hops lost, a
// small MTU, other schedulers, short timeouts, another LIP), composed from bits so that
// consecutive reloads move between any two. Servers keep their backend_id in every variant (a
// reload re-indexes them; the id is what connections hold), as the control plane's ids do.
#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>

#include "abi/records.h"
#include "snapshot_fixture.h"

namespace xvs::fuzz {

using test::BackendSpec;
using test::ipv4;
using test::mac_of;

inline constexpr uint32_t kPorts = 2;  // 0: towards the clients, 1: towards the servers
inline constexpr uint32_t kClients[4] = {ipv4(198, 51, 100, 7), ipv4(198, 51, 100, 8), ipv4(192, 0, 2, 50),
                                         ipv4(100, 64, 0, 1)};
inline constexpr uint32_t kRouters[2] = {ipv4(203, 0, 113, 254), ipv4(10, 0, 2, 254)};  // ICMP error senders, by port
inline constexpr uint32_t kLips[4] = {ipv4(10, 0, 2, 100), ipv4(10, 0, 2, 101), ipv4(10, 0, 2, 102), ipv4(10, 0, 2, 103)};
inline constexpr test::Mac kRouterMac = mac_of(2, 0xcc, 0, 0, 0, 1);
inline const test::Mac& port_mac(uint32_t port) { return test::topo::kPortMac[port]; }

// Variant bits of a reload.
inline constexpr uint8_t kWeights = 1;          // some servers quiescent (weight 0), others reweighted
inline constexpr uint8_t kFirstServerGone = 2;  // the first server of every TCP service removed
inline constexpr uint8_t kServicesGone = 4;     // the nat TCP service and the dr UDP service removed
inline constexpr uint8_t kUnresolved = 8;       // two servers' next hops unresolved (all-zero MAC)
inline constexpr uint8_t kSmallMtu = 16;        // port 1 at 1320, the least an IPv6 tunnel takes (tunnel packets need frag-needed / too big)
inline constexpr uint8_t kOtherSchedulers = 32; // every service's scheduler moved along the list
inline constexpr uint8_t kShortTimeouts = 64;   // timeouts of a few seconds
inline constexpr uint8_t kOtherLip = 128;       // the one-LIP pool's address replaced

struct ServiceSpec {
  uint32_t vip;
  uint16_t port;
  uint8_t protocol;
  abi::Forwarding mode;
  abi::Scheduler scheduler;
  uint8_t flags;
  uint32_t persist_timeout;
  uint32_t persist_netmask;  // network order
  uint16_t pool;             // fullnat: index into the pools
  std::vector<BackendSpec> servers;
};

inline BackendSpec server(uint8_t host, uint16_t port, uint32_t upper_threshold = 0) {
  return BackendSpec{ipv4(10, 0, 2, host), port, mac_of(2, 0xbb, 0, 0, 0, host), 1, 1, upper_threshold, 0};
}

inline const std::vector<ServiceSpec>& services() {
  using abi::Forwarding;
  using abi::Scheduler;
  constexpr uint8_t tcp = core::kIpProtoTcp, udp = core::kIpProtoUdp;
  const uint32_t v1 = ipv4(203, 0, 113, 10), v2 = ipv4(203, 0, 113, 20), v3 = ipv4(203, 0, 113, 30), v4 = ipv4(203, 0, 113, 40);
  const uint32_t slash24 = ipv4(255, 255, 255, 0);
  static const std::vector<ServiceSpec> all = {
      {v1, 80, tcp, Forwarding::fullnat, Scheduler::wrr, abi::syn_proxy_on, 0, ~0u, 0, {server(11, 8080), server(12, 8081), server(13, 8082)}},
      {v1, 53, udp, Forwarding::fullnat, Scheduler::rr, 0, 0, ~0u, 0, {server(21, 5353)}},
      {v1, 443, tcp, Forwarding::fullnat, Scheduler::lblc, abi::persistent, 120, ~0u, 1, {server(14, 8443), server(15, 8443)}},
      {v2, 80, tcp, Forwarding::nat, Scheduler::wlc, abi::persistent | abi::syn_proxy_auto, 300, slash24, 0,
       {server(31, 8080, 2), server(32, 8080)}},
      {v2, 53, udp, Forwarding::nat, Scheduler::sh, abi::one_packet, 0, ~0u, 0, {server(41, 53), server(42, 53)}},
      {v3, 80, tcp, Forwarding::dr, Scheduler::lc, 0, 0, ~0u, 0, {server(51, 80, 3), server(52, 80)}},
      {v3, 53, udp, Forwarding::dr, Scheduler::rr, abi::one_packet | abi::persistent, 60, ~0u, 0, {server(61, 53)}},
      {v4, 80, tcp, Forwarding::tunnel, Scheduler::lblcr, 0, 0, ~0u, 0, {server(71, 80), server(72, 80)}},
      {v4, 53, udp, Forwarding::tunnel, Scheduler::mh, 0, 0, ~0u, 0, {server(81, 53)}},
      {v1, 81, tcp, Forwarding::fullnat, Scheduler::rr, abi::client_address_proxy_v2, 0, ~0u, 0, {server(16, 9090)}},
      {v1, 82, tcp, Forwarding::fullnat, Scheduler::rr, abi::client_address_toa, 0, ~0u, 1, {server(17, 9091), server(18, 9091)}},
  };
  return all;
}

// Every server of every service, in order (a server's stable id is 1000 + its place here).
inline std::vector<BackendSpec> all_servers() {
  std::vector<BackendSpec> out;
  for (const ServiceSpec& s : services()) out.insert(out.end(), s.servers.begin(), s.servers.end());
  return out;
}

// The IPv6 side: clients, routers and LIPs, and services in every mode over IPv6 LIP pools (pool
// indices 2 and 3 of the snapshot); their servers' ids follow the IPv4 ones.
inline const core::Ipv6Address kClients6[4] = {test::ipv6({0x2001, 0xdb8, 0xc, 0, 0, 0, 0, 7}), test::ipv6({0x2001, 0xdb8, 0xc, 0, 0, 0, 0, 8}),
                                               test::ipv6({0x2001, 0xdb8, 0xd, 0, 0, 0, 0, 50}), test::ipv6({0x2001, 0xdb8, 0xc, 0, 0, 0, 1, 7})};
inline const core::Ipv6Address kRouters6[2] = {test::ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0xfe}), test::ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 0xfe})};
inline const core::Ipv6Address kLips6[4] = {test::ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 0x100}), test::ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 0x101}),
                                            test::ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 0x102}), test::ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 0x103})};

// An IPv6 service over servers of type Server: IPv6 ones, or IPv4 ones (NAT64, below).
template <typename Server>
struct Ipv6ServiceSpec {
  core::Ipv6Address vip;
  uint16_t port;
  uint8_t protocol;
  abi::Forwarding mode;
  abi::Scheduler scheduler;
  uint8_t flags;
  uint32_t persist_timeout;
  uint8_t persist_prefix6;
  uint16_t pool;  // fullnat: 2 (one LIP) or 3 (two); NAT64: 0 or 1 (IPv4)
  std::vector<Server> servers;
};
using Service6Spec = Ipv6ServiceSpec<test::BackendSpec6>;

inline test::BackendSpec6 server6(uint8_t host, uint16_t port) {
  return test::BackendSpec6{test::ipv6({0xfd00, 2, 0, 0, 0, 0, 0, host}), port, mac_of(2, 0xbb, 0, 0, 6, host), 1, 1};
}

inline const std::vector<Service6Spec>& services6() {
  using abi::Forwarding;
  using abi::Scheduler;
  constexpr uint8_t tcp = core::kIpProtoTcp, udp = core::kIpProtoUdp;
  const core::Ipv6Address v1 = test::ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0x10}), v2 = test::ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0x20}),
                          v3 = test::ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0x30}), v4 = test::ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0x40});
  static const std::vector<Service6Spec> all = {
      {v1, 80, tcp, Forwarding::fullnat, Scheduler::wrr, abi::syn_proxy_on, 0, 128, 2, {server6(11, 8080), server6(12, 8081), server6(13, 8082)}},
      {v1, 53, udp, Forwarding::fullnat, Scheduler::rr, 0, 0, 128, 2, {server6(21, 5353)}},
      {v1, 443, tcp, Forwarding::fullnat, Scheduler::lblc, abi::persistent, 120, 128, 3, {server6(14, 8443), server6(15, 8443)}},
      {v2, 80, tcp, Forwarding::nat, Scheduler::wlc, abi::persistent | abi::syn_proxy_auto, 300, 64, 0, {server6(31, 8080), server6(32, 8080)}},
      {v2, 53, udp, Forwarding::nat, Scheduler::sh, abi::one_packet, 0, 128, 0, {server6(41, 53), server6(42, 53)}},
      {v3, 80, tcp, Forwarding::dr, Scheduler::lc, 0, 0, 128, 0, {server6(51, 80), server6(52, 80)}},
      {v3, 53, udp, Forwarding::dr, Scheduler::rr, abi::one_packet | abi::persistent, 60, 48, 0, {server6(61, 53)}},
      {v4, 80, tcp, Forwarding::tunnel, Scheduler::lblcr, 0, 0, 128, 0, {server6(71, 80), server6(72, 80)}},
      {v4, 53, udp, Forwarding::tunnel, Scheduler::mh, 0, 0, 128, 0, {server6(81, 53)}},
      {v1, 81, tcp, Forwarding::fullnat, Scheduler::rr, abi::client_address_proxy_v2, 0, 128, 2, {server6(16, 9090)}},
      {v1, 82, tcp, Forwarding::fullnat, Scheduler::rr, abi::client_address_toa, 0, 128, 3, {server6(17, 9091), server6(18, 9091)}},
  };
  return all;
}

// NAT64: IPv6 fullnat VIPs over IPv4 servers through the IPv4 pools (indices 0 and 1); their
// servers' ids follow the IPv6 services' ones.
using Service64Spec = Ipv6ServiceSpec<test::BackendSpec>;

inline const std::vector<Service64Spec>& services64() {
  using abi::Forwarding;
  using abi::Scheduler;
  const core::Ipv6Address v5 = test::ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0x50});
  static const std::vector<Service64Spec> all = {
      {v5, 80, core::kIpProtoTcp, Forwarding::fullnat, Scheduler::rr, abi::client_address_proxy_v2, 0, 128, 0, {server(91, 8080), server(92, 8080)}},
      {v5, 53, core::kIpProtoUdp, Forwarding::fullnat, Scheduler::sh, abi::persistent, 60, 64, 1, {server(93, 5353)}},
      {v5, 81, core::kIpProtoTcp, Forwarding::fullnat, Scheduler::wrr, abi::syn_proxy_on, 0, 128, 1, {server(94, 8080), server(95, 8081)}},
  };
  return all;
}

inline std::vector<test::BackendSpec6> all_servers6() {
  std::vector<test::BackendSpec6> out;
  for (const Service6Spec& s : services6()) out.insert(out.end(), s.servers.begin(), s.servers.end());
  return out;
}

// What an input fixes for its whole run besides the variants (packet_script.h).
struct HeaderKnobs {
  uint32_t syn_proxy_above = 1024;
  uint32_t half_open_limit = 1u << 30;
  uint32_t server_time_wait = 60;
};

// Adds `specs` (ServiceSpec or Service6Spec) as `variant` changes them: services gone, the first
// server of a TCP service gone, weights, next hops lost (`lost_next_hop` of a server's id), other
// schedulers. Server ids count on from `stable_id`, the same in every variant.
template <typename Spec>
void add_variant_services(test::SnapshotBuilder& b, const std::vector<Spec>& specs, uint8_t variant, uint32_t& stable_id,
                          bool (*lost_next_hop)(uint32_t id)) {
  for (size_t i = 0; i < specs.size(); ++i) {
    const Spec& s = specs[i];
    const uint32_t first_id = stable_id;
    stable_id += static_cast<uint32_t>(s.servers.size());
    if ((variant & kServicesGone) && (i == 3 || i == 6)) continue;
    auto servers = s.servers;
    uint32_t skipped = 0;
    if ((variant & kFirstServerGone) && s.protocol == core::kIpProtoTcp && servers.size() > 1) {
      servers.erase(servers.begin());
      skipped = 1;
    }
    for (size_t k = 0; k < servers.size(); ++k) {
      const uint32_t id = first_id + skipped + static_cast<uint32_t>(k);
      if (variant & kWeights) servers[k].weight = id % 3 == 0 ? 0 : id % 5;
      if ((variant & kUnresolved) && lost_next_hop(id)) servers[k].mac = test::Mac{};
    }
    test::ServiceOptions o;
    o.forwarding = s.mode;
    o.scheduler = variant & kOtherSchedulers ? static_cast<abi::Scheduler>((static_cast<uint32_t>(s.scheduler) + 5) % 12) : s.scheduler;
    o.flags = s.flags;
    o.persist_timeout = s.persist_timeout;
    // A weighted sequence (as src/scheduler lays out wrr and mh), each server at least once.
    for (uint32_t k = 0; k < servers.size() * 2 + 1; ++k) o.table.push_back(k * 7 % static_cast<uint32_t>(servers.size()));
    const uint16_t pool = s.mode == abi::Forwarding::fullnat ? s.pool : abi::kNoPool;
    const size_t first_backend = b.backends.size();
    if constexpr (std::is_same_v<Spec, ServiceSpec>) {
      o.persist_netmask = s.persist_netmask;
      b.add_service(s.vip, s.port, s.protocol, servers, pool, o);
    } else if constexpr (std::is_same_v<Spec, Service64Spec>) {
      o.persist_prefix6 = s.persist_prefix6;
      b.add_service64(s.vip, s.port, s.protocol, servers, pool, o);
    } else {
      o.persist_prefix6 = s.persist_prefix6;
      b.add_service6(s.vip, s.port, s.protocol, servers, pool, o);
    }
    for (size_t k = 0; k < servers.size(); ++k) b.backends[first_backend + k].backend_id = first_id + skipped + static_cast<uint32_t>(k);
  }
}

inline test::SnapshotBuilder build_variant(uint32_t workers, uint64_t generation, uint8_t variant, const HeaderKnobs& knobs) {
  test::SnapshotBuilder b(workers, kPorts, generation);
  for (uint32_t p = 0; p < kPorts; ++p) {
    b.ports[p].address = test::topo::kPortAddress[p];
    b.ports[p].address6 = test::in6(test::topo::kPortAddress6[p]);
  }
  if (variant & kSmallMtu) b.ports[1].mtu = 1320;
  b.header.syn_proxy_above = knobs.syn_proxy_above;
  b.header.half_open_limit = knobs.half_open_limit;
  b.header.timeout_server_time_wait = knobs.server_time_wait;
  if (variant & kShortTimeouts) {
    b.header.timeout_tcp = 5;
    b.header.timeout_tcp_fin = 3;
    b.header.timeout_tcp_syn = 2;
    b.header.timeout_udp = 3;
  }
  b.add_pool({variant & kOtherLip ? kLips[3] : kLips[0]});
  b.add_pool({kLips[1], kLips[2]});
  uint32_t stable_id = 1000;
  add_variant_services(b, services(), variant, stable_id, [](uint32_t id) { return id == 1001 || id == 1011; });
  b.add_pool6({variant & kOtherLip ? kLips6[3] : kLips6[0]});
  b.add_pool6({kLips6[1], kLips6[2]});
  add_variant_services(b, services6(), variant, stable_id, [](uint32_t id) { return id % 7 == 3; });
  add_variant_services(b, services64(), variant, stable_id, [](uint32_t id) { return id % 5 == 2; });
  return b;
}

}  // namespace xvs::fuzz
