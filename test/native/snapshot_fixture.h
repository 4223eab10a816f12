// test/native/snapshot_fixture.h — lays out snapshot bytes by hand (as snapshot-encoder.ts does) and defines the standard topology for every forwarding mode.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "abi/records.h"
#include "control/server_slots.h"
#include "control/snapshot_build.h"
#include "core/net.h"
#include "lb/core_state.h"
#include "lb/snapshot.h"
#include "packet_builder.h"
#include "packet_builder6.h"

namespace xvs::test {

inline abi::mac48 mac48(const Mac& m) {
  abi::mac48 out;
  std::memcpy(out.bytes, m.data(), 6);
  return out;
}

struct BackendSpec {
  uint32_t address;  // network order
  uint16_t port;     // host order
  Mac mac;
  uint8_t port_index = 1;
  uint32_t weight = 1;
  uint32_t upper_threshold = 0, lower_threshold = 0;
};

// An IPv6 server.
struct BackendSpec6 {
  core::Ipv6Address address;
  uint16_t port;  // host order
  Mac mac;
  uint8_t port_index = 1;
  uint32_t weight = 1;
};

inline abi::in6 in6(const core::Ipv6Address& a) {
  abi::in6 out;
  std::memcpy(out.bytes, a.bytes, 16);
  return out;
}

// Everything of a service besides its address and servers.
struct ServiceOptions {
  abi::Forwarding forwarding = abi::Forwarding::fullnat;
  abi::Scheduler scheduler = abi::Scheduler::rr;
  uint8_t flags = 0;  // abi::one_packet, abi::persistent
  uint32_t persist_timeout = 0;
  uint32_t persist_netmask = 0xffffffffu;  // network order
  uint8_t persist_prefix6 = 128;           // IPv6 services
  std::vector<uint32_t> table;  // scheduling table as indices into the service's servers; empty: each once, in order
};

class SnapshotBuilder {
 public:
  SnapshotBuilder(uint32_t workers, uint32_t port_count, uint64_t generation = 1) {
    header.magic = abi::kSnapshotMagic;
    header.abi_version = abi::kAbiVersion;
    header.generation = generation;
    header.workers = workers;
    header.timeout_tcp = 900;
    header.timeout_tcp_fin = 120;
    header.timeout_tcp_syn = 60;
    header.timeout_udp = 300;
    header.timeout_server_time_wait = 60;
    header.syn_proxy_above = 1024;
    header.half_open_limit = 1u << 30;  // tests of the bound set their own
    for (uint32_t p = 0; p < port_count; ++p) {
      abi::PortRecord r{};
      r.mac = mac48(mac_of(2, 0, 0, 0, 0, static_cast<uint8_t>(p + 1)));
      r.mtu = 1500;
      ports.push_back(r);
    }
  }

  // A pool of local addresses; returns its index for add_service.
  uint16_t add_pool(const std::vector<uint32_t>& addresses) {
    abi::PoolRecord p{static_cast<uint32_t>(lips.size()), static_cast<uint32_t>(addresses.size())};
    for (uint32_t a : addresses) {
      abi::LipRecord r{};
      r.address = a;
      lips.push_back(r);
    }
    pools.push_back(p);
    return static_cast<uint16_t>(pools.size() - 1);
  }

  uint16_t add_pool6(const std::vector<core::Ipv6Address>& addresses) {
    abi::PoolRecord p{static_cast<uint32_t>(lips.size()), static_cast<uint32_t>(addresses.size())};
    for (const core::Ipv6Address& a : addresses) {
      abi::LipRecord r{};
      r.family = static_cast<uint8_t>(abi::AddressFamily::ipv6);
      r.address6 = in6(a);
      lips.push_back(r);
    }
    pools.push_back(p);
    return static_cast<uint16_t>(pools.size() - 1);
  }

  // An IPv6 service: add_service's records with the IPv6 fields in place of the IPv4 ones.
  size_t add_service6(const core::Ipv6Address& vip, uint16_t port, uint8_t protocol, const std::vector<BackendSpec6>& servers,
                      uint16_t pool, ServiceOptions o = {}) {
    std::vector<BackendSpec> placeholders;
    for (const BackendSpec6& b : servers) placeholders.push_back({0, b.port, b.mac, b.port_index, b.weight});
    o.persist_netmask = 0;
    const size_t index = add_service(0, port, protocol, placeholders, pool, o);
    abi::ServiceRecord& svc = services[index];
    svc.family = static_cast<uint8_t>(abi::AddressFamily::ipv6);
    svc.vip6 = in6(vip);
    svc.persist_prefix6 = o.persist_prefix6;
    for (size_t k = 0; k < servers.size(); ++k) {
      abi::BackendRecord& r = backends[svc.backend_first + k];
      r.family = static_cast<uint8_t>(abi::AddressFamily::ipv6);
      r.address6 = in6(servers[k].address);
    }
    return index;
  }

  // An IPv6 service over IPv4 servers (NAT64: fullnat through an IPv4 pool).
  size_t add_service64(const core::Ipv6Address& vip, uint16_t port, uint8_t protocol, const std::vector<BackendSpec>& servers,
                       uint16_t pool, ServiceOptions o = {}) {
    o.persist_netmask = 0;
    const size_t index = add_service(0, port, protocol, servers, pool, o);
    abi::ServiceRecord& svc = services[index];
    svc.family = static_cast<uint8_t>(abi::AddressFamily::ipv6);
    svc.vip6 = in6(vip);
    svc.persist_prefix6 = o.persist_prefix6;
    return index;
  }

  // A service with its backends; the scheduling table lists them once each, in order (rr).
  // Returns the service index.
  size_t add_service(uint32_t vip, uint16_t port, uint8_t protocol, const std::vector<BackendSpec>& servers,
                     uint16_t pool, abi::Scheduler scheduler = abi::Scheduler::rr) {
    ServiceOptions o;
    o.scheduler = scheduler;
    return add_service(vip, port, protocol, servers, pool, o);
  }
  // Backend ids are 1000 + the backend's index at the time it is added.
  size_t add_service(uint32_t vip, uint16_t port, uint8_t protocol, const std::vector<BackendSpec>& servers,
                     uint16_t pool, const ServiceOptions& o) {
    abi::ServiceRecord s{};
    s.vip = vip;
    s.port = core::htons(port);
    s.protocol = protocol;
    s.forwarding = static_cast<uint8_t>(o.forwarding);
    s.scheduler = static_cast<uint8_t>(o.scheduler);
    s.flags = o.flags;
    s.pool = pool;
    s.service_id = static_cast<uint32_t>(services.size() + 100);
    s.backend_first = static_cast<uint32_t>(backends.size());
    s.backend_count = static_cast<uint32_t>(servers.size());
    s.sched_first = static_cast<uint32_t>(sched.size());
    s.persist_timeout = o.persist_timeout;
    s.persist_netmask = o.persist_netmask;
    std::vector<uint32_t> table = o.table;
    if (table.empty())
      for (uint32_t i = 0; i < servers.size(); ++i) table.push_back(i);
    s.sched_count = static_cast<uint32_t>(table.size());
    for (uint32_t i : table) sched.push_back(i);  // relative to backend_first, as on the wire
    for (const BackendSpec& b : servers) {
      abi::BackendRecord r{};
      r.address = b.address;
      r.port = core::htons(b.port);
      r.port_index = b.port_index;
      r.weight = b.weight;
      r.upper_threshold = b.upper_threshold;
      r.lower_threshold = b.lower_threshold;
      r.backend_id = static_cast<uint32_t>(backends.size() + 1000);
      r.mac = mac48(b.mac);
      backends.push_back(r);
    }
    services.push_back(s);
    return services.size() - 1;
  }

  // The header, then the port, service, backend, pool, lip and scheduler sections, each 8-aligned.
  std::vector<uint8_t> bytes() const {
    abi::SnapshotHeader h = header;
    uint32_t size = align8(sizeof h);
    auto place = [&size](uint32_t& offset, uint32_t& count, size_t n, size_t record) {
      offset = size;
      count = static_cast<uint32_t>(n);
      size = align8(size + static_cast<uint32_t>(n * record));
    };
    place(h.port_offset, h.port_count, ports.size(), sizeof(abi::PortRecord));
    place(h.service_offset, h.service_count, services.size(), sizeof(abi::ServiceRecord));
    place(h.backend_offset, h.backend_count, backends.size(), sizeof(abi::BackendRecord));
    place(h.pool_offset, h.pool_count, pools.size(), sizeof(abi::PoolRecord));
    place(h.lip_offset, h.lip_count, lips.size(), sizeof(abi::LipRecord));
    place(h.sched_offset, h.sched_count, sched.size(), sizeof(uint32_t));
    h.total_size = size;
    std::vector<uint8_t> out(size, 0);
    std::memcpy(out.data(), &h, sizeof h);
    copy(out, h.port_offset, ports);
    copy(out, h.service_offset, services);
    copy(out, h.backend_offset, backends);
    copy(out, h.pool_offset, pools);
    copy(out, h.lip_offset, lips);
    copy(out, h.sched_offset, sched);
    return out;
  }

  abi::SnapshotHeader header{};  // offsets, counts and total_size are filled in by bytes()
  std::vector<abi::PortRecord> ports;
  std::vector<abi::ServiceRecord> services;
  std::vector<abi::BackendRecord> backends;
  std::vector<abi::PoolRecord> pools;
  std::vector<abi::LipRecord> lips;
  std::vector<uint32_t> sched;

 private:
  static uint32_t align8(size_t n) { return static_cast<uint32_t>((n + 7) & ~size_t{7}); }
  template <typename T>
  static void copy(std::vector<uint8_t>& out, uint32_t offset, const std::vector<T>& records) {
    if (!records.empty()) std::memcpy(out.data() + offset, records.data(), records.size() * sizeof(T));
  }
};

// Rewrites header fields of laid-out bytes (for tests of a corrupt header).
template <typename Edit>
void edit_header(std::vector<uint8_t>& bytes, Edit edit) {
  abi::SnapshotHeader h;
  std::memcpy(&h, bytes.data(), sizeof h);
  edit(h);
  std::memcpy(bytes.data(), &h, sizeof h);
}

// What an engine keeps beside its snapshots: the per-server counter blocks, and each worker's
// row of them.
struct EngineTables {
  explicit EngineTables(uint32_t workers) : servers(workers) {}
  lb::CoreTables row(uint32_t worker) { return {servers.counters(worker), servers.peer_loads(worker), cookie_clocks.get()}; }
  control::ServerSlots servers;
  std::unique_ptr<lb::CookieClock[]> cookie_clocks = std::make_unique<lb::CookieClock[]>(abi::kMaxWorkers);
};

// The Full-NAT local port key of the tests' engines (a restart keeps it, as the real one does).
inline constexpr core::SipKey kPortKey{0x0123456789abcdefull, 0xfedcba9876543210ull};

// `running`: the snapshot the new one follows (its generation must be older; its servers keep
// their counter slots). Built snapshots are never released here: tests keep them alive.
inline control::Status build(const std::vector<uint8_t>& bytes, uint32_t workers, uint32_t ports, EngineTables& tables,
                             std::unique_ptr<lb::Snapshot>& out, uint64_t seed = 0x5eed, const lb::Snapshot* running = nullptr) {
  return control::build_snapshot(bytes.data(), bytes.size(),
                                 control::BuildContext{workers, ports, seed, running, tables.servers}, out);
}

// The standard topology: port 0 faces the clients (next hop kRouterMac), port 1 the servers.
namespace topo {
inline constexpr uint32_t kPorts = 2;
inline constexpr Mac kPortMac[2] = {mac_of(2, 0, 0, 0, 0, 1), mac_of(2, 0, 0, 0, 0, 2)};
inline constexpr Mac kRouterMac = mac_of(2, 0xcc, 0, 0, 0, 1);
inline constexpr uint32_t kCip = ipv4(198, 51, 100, 7);
inline constexpr uint32_t kVip = ipv4(203, 0, 113, 10);
inline constexpr uint32_t kLip = ipv4(10, 0, 2, 100);
inline constexpr uint32_t kOther = ipv4(192, 0, 2, 99);  // neither VIP nor LIP
inline constexpr uint32_t kPortAddress[2] = {ipv4(203, 0, 113, 1), ipv4(10, 0, 2, 1)};  // tunnel outer sources
inline constexpr uint16_t kHttp = 80, kDns = 53;
inline const BackendSpec kWeb[3] = {{ipv4(10, 0, 2, 11), 8080, mac_of(2, 0xbb, 0, 0, 0, 1)},
                                    {ipv4(10, 0, 2, 12), 8081, mac_of(2, 0xbb, 0, 0, 0, 2)},
                                    {ipv4(10, 0, 2, 13), 8082, mac_of(2, 0xbb, 0, 0, 0, 3)}};
inline const BackendSpec kDnsServer = {ipv4(10, 0, 2, 21), 5353, mac_of(2, 0xbb, 0, 0, 0, 0x21)};

// VIP:80/tcp over the three web servers (rr) and VIP:53/udp over one, both through pool [kLip].
inline SnapshotBuilder standard(uint32_t workers, uint64_t generation = 1) {
  SnapshotBuilder b(workers, kPorts, generation);
  const uint16_t pool = b.add_pool({kLip});
  b.add_service(kVip, kHttp, core::kIpProtoTcp, {kWeb[0], kWeb[1], kWeb[2]}, pool);
  b.add_service(kVip, kDns, core::kIpProtoUdp, {kDnsServer}, pool);
  return b;
}

// standard() after the first web server (backend id 1000) left: the other two move to indices 0
// and 1 of the web service, keeping their ids; the record at index 0 (id 999) no service names.
inline SnapshotBuilder standard_without_first_web(uint32_t workers, uint64_t generation) {
  SnapshotBuilder b = standard(workers, generation);
  b.services[0].backend_first = 1;
  b.services[0].backend_count = 2;
  b.sched = {0, 1, 0};
  b.services[0].sched_count = 2;
  b.services[1].sched_first = 2;
  b.backends[0].backend_id = 999;
  return b;
}

// The IPv6 counterparts: clients in 2001:db8:c::/64, the VIP in 2001:db8:100::/64, servers and
// LIPs in fd00:2::/64; the ports' own addresses for tunnel outer sources and ICMPv6 errors.
inline const core::Ipv6Address kCip6 = ipv6({0x2001, 0xdb8, 0xc, 0, 0, 0, 0, 7});
inline const core::Ipv6Address kVip6 = ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 10});
inline const core::Ipv6Address kLip6 = ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 100});
inline const core::Ipv6Address kPortAddress6[2] = {ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 1}), ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 1})};
inline const BackendSpec6 kWeb6[3] = {{ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 11}), 8080, mac_of(2, 0xbb, 0, 0, 6, 1)},
                                      {ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 12}), 8081, mac_of(2, 0xbb, 0, 0, 6, 2)},
                                      {ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 13}), 8082, mac_of(2, 0xbb, 0, 0, 6, 3)}};
inline const BackendSpec6 kDnsServer6 = {ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 21}), 5353, mac_of(2, 0xbb, 0, 0, 6, 0x21)};

// The standard services over IPv6 beside the IPv4 ones of standard_mode(): [kVip6]:80/tcp over
// the three IPv6 web servers, [kVip6]:53/udp over one, fullnat through pool [kLip6].
inline void add_standard6(SnapshotBuilder& b, abi::Forwarding mode, ServiceOptions o = {}) {
  for (uint32_t p = 0; p < kPorts; ++p) b.ports[p].address6 = in6(kPortAddress6[p]);
  const bool nat = mode == abi::Forwarding::nat || mode == abi::Forwarding::fullnat;
  const uint16_t pool = mode == abi::Forwarding::fullnat ? b.add_pool6({kLip6}) : abi::kNoPool;
  o.forwarding = mode;
  std::vector<BackendSpec6> web(std::begin(kWeb6), std::end(kWeb6));
  BackendSpec6 dns = kDnsServer6;
  if (!nat) {
    for (BackendSpec6& w : web) w.port = kHttp;
    dns.port = kDns;
  }
  b.add_service6(kVip6, kHttp, core::kIpProtoTcp, web, pool, o);
  b.add_service6(kVip6, kDns, core::kIpProtoUdp, {dns}, pool, o);
}

// dr and tunnel servers listen on the VIP's own port.
inline BackendSpec same_port(BackendSpec b, uint16_t port) {
  b.port = port;
  return b;
}

// The standard services (VIP:80/tcp over the three web servers, VIP:53/udp over one) in any
// forwarding mode. dr and tunnel servers use the VIP's ports; the ports get addresses (tunnel).
inline SnapshotBuilder standard_mode(abi::Forwarding mode, uint32_t workers = 1, ServiceOptions o = {},
                                     uint64_t generation = 1) {
  SnapshotBuilder b(workers, kPorts, generation);
  for (uint32_t p = 0; p < kPorts; ++p) b.ports[p].address = kPortAddress[p];
  const bool nat = mode == abi::Forwarding::nat || mode == abi::Forwarding::fullnat;
  const uint16_t pool = mode == abi::Forwarding::fullnat ? b.add_pool({kLip}) : abi::kNoPool;
  o.forwarding = mode;
  std::vector<BackendSpec> web(std::begin(kWeb), std::end(kWeb));
  if (!nat)
    for (BackendSpec& w : web) w.port = kHttp;
  b.add_service(kVip, kHttp, core::kIpProtoTcp, web, pool, o);
  b.add_service(kVip, kDns, core::kIpProtoUdp, {nat ? kDnsServer : same_port(kDnsServer, kDns)}, pool, o);
  return b;
}

// A client packet towards VIP:port, as it arrives on port 0.
inline PacketSpec from_client(uint16_t cport, uint8_t flags = core::kTcpSyn, uint16_t vport = kHttp) {
  PacketSpec s;
  s.src_mac = kRouterMac;
  s.dst_mac = kPortMac[0];
  s.saddr = kCip;
  s.daddr = kVip;
  s.sport = cport;
  s.dport = vport;
  s.tcp_flags = flags;
  return s;
}

// standard_mode(mode) with add_standard6(mode) beside it: the standard services in both families.
inline SnapshotBuilder both_families(abi::Forwarding mode, ServiceOptions o = {}) {
  SnapshotBuilder b = standard_mode(mode, 1, o);
  add_standard6(b, mode, o);
  return b;
}

// An IPv6 client's packet towards [VIP6]:port, as it arrives on port 0.
inline Packet6Spec from_client6(uint16_t cport, uint8_t flags = core::kTcpSyn, uint16_t vport = kHttp) {
  Packet6Spec s;
  s.src_mac = kRouterMac;
  s.dst_mac = kPortMac[0];
  s.saddr = kCip6;
  s.daddr = kVip6;
  s.sport = cport;
  s.dport = vport;
  s.tcp_flags = flags;
  return s;
}

// A server packet towards LIP:lport, as it arrives on port 1.
inline PacketSpec from_server(const BackendSpec& b, uint16_t lport, uint8_t flags = core::kTcpSyn | core::kTcpAck) {
  PacketSpec s;
  s.src_mac = b.mac;
  s.dst_mac = kPortMac[1];
  s.saddr = b.address;
  s.daddr = kLip;
  s.sport = b.port;
  s.dport = lport;
  s.tcp_flags = flags;
  return s;
}
// The client's packet after Full-NAT towards backend `b` from local port `lport`.
inline PacketSpec to_server(PacketSpec s, const BackendSpec& b, uint16_t lport, uint32_t lip = kLip) {
  s.src_mac = kPortMac[b.port_index];
  s.dst_mac = b.mac;
  s.saddr = lip;
  s.daddr = b.address;
  s.sport = lport;
  s.dport = b.port;
  --s.ttl;
  return s;
}
// The server's packet after Full-NAT back to the client at cport.
inline PacketSpec to_client(PacketSpec s, uint16_t cport, uint16_t vport = kHttp) {
  s.src_mac = kPortMac[0];
  s.dst_mac = kRouterMac;
  s.saddr = kVip;
  s.daddr = kCip;
  s.sport = vport;
  s.dport = cport;
  --s.ttl;
  return s;
}

// nat: a server's reply RIP:rport -> CIP:cport, as it arrives on port 1.
inline PacketSpec nat_from_server(const BackendSpec& b, uint16_t cport, uint8_t flags = core::kTcpSyn | core::kTcpAck) {
  PacketSpec s = from_server(b, cport, flags);
  s.daddr = kCip;
  return s;
}
// nat: the client's packet after DNAT towards backend `b` (source kept, TTL - 1).
inline PacketSpec nat_to_server(PacketSpec s, const BackendSpec& b) {
  s.src_mac = kPortMac[b.port_index];
  s.dst_mac = b.mac;
  s.daddr = b.address;
  s.dport = b.port;
  --s.ttl;
  return s;
}
// dr: the client's packet with only the MACs changed.
inline PacketSpec dr_to_server(PacketSpec s, const BackendSpec& b) {
  s.src_mac = kPortMac[b.port_index];
  s.dst_mac = b.mac;
  return s;
}
// tunnel: the client's frame inside IPIP from port `b.port_index`'s address to the server.
inline std::vector<uint8_t> tunnel_to_server(const PacketSpec& s, const BackendSpec& b) {
  return ipip_frame(build_frame(s), kPortAddress[b.port_index], b.address, kPortMac[b.port_index], b.mac);
}
}  // namespace topo

}  // namespace xvs::test
