// native/control/snapshot_build.cc — see snapshot_build.h. Every problem is reported with the
// record and field that caused it; a rejected snapshot changes nothing.
#include "control/snapshot_build.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "abi/records.h"
#include "core/ipv4_text.h"
#include "core/ipv6_text.h"
#include "core/net.h"

namespace xvs::control {
namespace {

constexpr auto kIpv4 = static_cast<uint8_t>(abi::AddressFamily::ipv4);
constexpr auto kIpv6 = static_cast<uint8_t>(abi::AddressFamily::ipv6);

core::Ipv6Address ipv6_of(const abi::in6& field) { return core::Ipv6Address::load(field.bytes); }

// The address of a record that holds one of either family, as text.
template <typename Record>
std::string address_text(const Record& r, uint32_t Record::*v4, abi::in6 Record::*v6) {
  return r.family == kIpv6 ? core::ipv6_text(ipv6_of(r.*v6)) : core::ipv4_text(r.*v4);
}

std::string service_text(size_t index, const abi::ServiceRecord& s) {
  const std::string vip = address_text(s, &abi::ServiceRecord::vip, &abi::ServiceRecord::vip6);
  return "service #" + std::to_string(index) + " (" + (s.family == kIpv6 ? "[" + vip + "]" : vip) + ":" +
         std::to_string(core::ntohs(s.port)) + (s.protocol == static_cast<uint8_t>(abi::Protocol::udp) ? "/udp" : "/tcp") + ")";
}

// A record's family field and address fields agree: a known family, its own address field set
// (`allow_unset`: may be all zero), the other family's zero.
template <typename Record>
const char* family_problem(const Record& r, uint32_t Record::*v4, abi::in6 Record::*v6, bool allow_unset) {
  if (r.family != kIpv4 && r.family != kIpv6) return "unknown address family";
  const bool has4 = r.*v4 != 0, has6 = !ipv6_of(r.*v6).is_zero();
  if (r.family == kIpv4 ? has6 : has4) return "holds an address of the other family";
  if (!allow_unset && !(r.family == kIpv4 ? has4 : has6)) return "has no address";
  return nullptr;
}

constexpr uint32_t kIpTcpHeaders = 40;  // IPv4 and TCP headers without options: MTU - MSS
constexpr uint32_t kNoService = lb::Snapshot::kNoService;
constexpr uint32_t kMinMtu = 576;  // the IPv4 minimum every host must accept
constexpr uint32_t kMinIpv6Mtu = 1280;
constexpr uint32_t kIp6ip6Header = 40;
constexpr uint32_t kMaxMtu = 9216;
constexpr uint32_t kMaxWeight = 65535;  // as IPVS and the config allow
// The engine clock compares times by their 32-bit signed difference: a timeout must stay well
// below 2^31 s, or an entry expires at once or never. The config allows up to 2^30 - 1.
constexpr uint32_t kMaxTimeout = (1u << 30) - 1;

Status bad(std::string message) { return Status::error(kErrSnapshot, std::move(message)); }

// Copies `count` records of type T from the section at `offset`, after checking it lies inside.
template <typename T>
Status read_section(const uint8_t* data, size_t len, uint32_t offset, uint32_t count, uint32_t limit,
                    const char* what, std::vector<T>& out) {
  if (count > limit)
    return Status::error(kErrLimit, std::string(what) + ": " + std::to_string(count) + " exceeds the limit of " +
                                        std::to_string(limit));
  const uint64_t end = static_cast<uint64_t>(offset) + static_cast<uint64_t>(count) * sizeof(T);
  if (offset % alignof(T) != 0 || end > len)
    return bad(std::string(what) + " section (offset " + std::to_string(offset) + ", " + std::to_string(count) +
               " records) lies outside the " + std::to_string(len) + "-byte snapshot");
  out.resize(count);
  if (count) std::memcpy(out.data(), data + offset, static_cast<size_t>(count) * sizeof(T));
  return Status::ok();
}

const char* forwarding_name(uint8_t f) {
  switch (static_cast<abi::Forwarding>(f)) {
#define XVS_CASE(name, value) case abi::Forwarding::name: return #name;
    XVS_FORWARDING_MODES(XVS_CASE)
#undef XVS_CASE
  }
  return nullptr;
}
const char* scheduler_name(uint8_t s) {
  switch (static_cast<abi::Scheduler>(s)) {
#define XVS_CASE(name, value) case abi::Scheduler::name: return #name;
    XVS_SCHEDULERS(XVS_CASE)
#undef XVS_CASE
  }
  return nullptr;
}

Status check_service(const lb::Snapshot& snap, size_t index) {
  const abi::ServiceRecord& s = snap.services[index];
  const std::string who = service_text(index, s);
  if (s.protocol != static_cast<uint8_t>(abi::Protocol::tcp) && s.protocol != static_cast<uint8_t>(abi::Protocol::udp))
    return bad(who + ": protocol " + std::to_string(s.protocol) + " is neither tcp (6) nor udp (17)");
  const char* mode = forwarding_name(s.forwarding);
  if (mode == nullptr) return bad(who + ": unknown forwarding mode " + std::to_string(s.forwarding));
  constexpr uint8_t kClientAddress = abi::client_address_toa | abi::client_address_proxy_v2;
  if (s.flags & ~(abi::one_packet | abi::persistent | abi::syn_proxy_on | abi::syn_proxy_auto | kClientAddress))
    return bad(who + ": unknown flag bits " + std::to_string(s.flags));
  // The client's address rides on a TCP stream the balancer sends on itself (lb/client_address.h),
  // in one form, and is not combined with the SYN proxy's own sequence translation.
  if (s.flags & kClientAddress) {
    if ((s.flags & kClientAddress) == kClientAddress) return bad(who + ": both client address forms (toa and proxy_v2) set");
    if (s.protocol != static_cast<uint8_t>(abi::Protocol::tcp) || static_cast<abi::Forwarding>(s.forwarding) != abi::Forwarding::fullnat)
      return bad(who + ": a client address (toa, proxy_v2) needs a TCP service in fullnat mode");
    if (s.flags & (abi::syn_proxy_on | abi::syn_proxy_auto))
      return bad(who + ": a client address (toa, proxy_v2) cannot be combined with a SYN proxy");
  }
  // The proxy answers SYNs itself and translates sequence numbers both ways: TCP, and a mode
  // whose replies come back through the balancer.
  if ((s.flags & (abi::syn_proxy_on | abi::syn_proxy_auto)) &&
      (s.protocol != static_cast<uint8_t>(abi::Protocol::tcp) ||
       (static_cast<abi::Forwarding>(s.forwarding) != abi::Forwarding::nat &&
        static_cast<abi::Forwarding>(s.forwarding) != abi::Forwarding::fullnat)))
    return bad(who + ": a SYN proxy needs a TCP service in nat or fullnat mode");
  if ((s.flags & abi::persistent) && s.persist_timeout == 0)
    return bad(who + ": persistence needs a timeout of at least 1 second");
  if ((s.flags & abi::persistent) && s.persist_timeout > kMaxTimeout)
    return bad(who + ": persistence timeout " + std::to_string(s.persist_timeout) + " exceeds " + std::to_string(kMaxTimeout) + " seconds");
  if ((s.flags & abi::one_packet) && s.protocol != static_cast<uint8_t>(abi::Protocol::udp))
    return bad(who + ": one-packet scheduling applies to udp services only");
  if (scheduler_name(s.scheduler) == nullptr) return bad(who + ": unknown scheduler " + std::to_string(s.scheduler));
  if (const char* p = family_problem(s, &abi::ServiceRecord::vip, &abi::ServiceRecord::vip6, s.family == kIpv4))
    return bad(who + ": " + p);
  if (s.family == kIpv4 ? s.persist_prefix6 != 0 : s.persist_netmask != 0)
    return bad(who + ": persistence mask of the other address family set");
  if (s.persist_prefix6 > 128) return bad(who + ": persistence prefix length " + std::to_string(s.persist_prefix6) + " exceeds 128");
  if (static_cast<uint64_t>(s.backend_first) + s.backend_count > snap.backends.size())
    return bad(who + ": backend range [" + std::to_string(s.backend_first) + ", +" + std::to_string(s.backend_count) +
               ") exceeds the " + std::to_string(snap.backends.size()) + " backends");
  if (static_cast<uint64_t>(s.sched_first) + s.sched_count > snap.sched.size())
    return bad(who + ": scheduler-table range exceeds the table");
  for (uint32_t i = 0; i < s.sched_count; ++i) {
    const uint32_t b = snap.sched[s.sched_first + i];
    if (b >= s.backend_count)
      return bad(who + ": scheduler-table entry " + std::to_string(i) + " names server " + std::to_string(b) +
                 " of a service that has " + std::to_string(s.backend_count));
  }
  if (s.family == kIpv6) {
    for (size_t p = 0; p < snap.ports.size(); ++p)
      if (snap.ports[p].mtu < kMinIpv6Mtu)
        return bad(who + ": port #" + std::to_string(p) + " has an MTU of " + std::to_string(snap.ports[p].mtu) +
                   ", below IPv6's minimum of 1280 (RFC 8200 5)");
  }
  // A service's servers are of one family: its own, or IPv4 under an IPv6 fullnat service (NAT64,
  // lb/nat64.h), whose local addresses are then IPv4 too.
  // Without servers (all down, say), an IPv6 fullnat service's pool says which.
  uint8_t server_family = s.family;
  if (s.backend_count != 0) {
    server_family = snap.backends[s.backend_first].family;
  } else if (s.family == kIpv6 && static_cast<abi::Forwarding>(s.forwarding) == abi::Forwarding::fullnat && s.pool < snap.pools.size() &&
             snap.pools[s.pool].lip_count != 0 && snap.pools[s.pool].lip_first < snap.lips6.size()) {
    server_family = snap.lips6[snap.pools[s.pool].lip_first].is_zero() ? kIpv4 : kIpv6;
  }
  for (uint32_t i = s.backend_first; i < s.backend_first + s.backend_count; ++i)
    if (snap.backends[i].family != server_family)
      return bad(who + ": server #" + std::to_string(i - s.backend_first) + " is of another address family than server #0");
  const bool nat64 = server_family != s.family;
  if (nat64 && (s.family != kIpv6 || static_cast<abi::Forwarding>(s.forwarding) != abi::Forwarding::fullnat))
    return bad(who + ": servers of the other address family need an IPv6 service in fullnat mode (NAT64)");
  if (static_cast<abi::Forwarding>(s.forwarding) == abi::Forwarding::tunnel) {
    for (uint32_t i = s.backend_first; i < s.backend_first + s.backend_count; ++i) {
      const abi::PortRecord& port = snap.ports[snap.backends[i].port_index];
      if (s.family == kIpv4 ? port.address == 0 : ipv6_of(port.address6).is_zero())
        return bad(who + ": tunnel mode needs an " + (s.family == kIpv4 ? "IPv4" : "IPv6") + " address on port " +
                   std::to_string(snap.backends[i].port_index) + " for the outer source (dataplane.tunnel_source)");
      // "Packet too big" may not announce less than IPv6's minimum (RFC 8201 4: hosts ignore it).
      if (s.family == kIpv6 && port.mtu < kMinIpv6Mtu + kIp6ip6Header)
        return bad(who + ": tunnel mode over IPv6 needs an MTU of at least " + std::to_string(kMinIpv6Mtu + kIp6ip6Header) + " on port " +
                   std::to_string(snap.backends[i].port_index) + " (1280 inside the 40-byte outer header); it has " + std::to_string(port.mtu));
    }
  }
  if (static_cast<abi::Forwarding>(s.forwarding) == abi::Forwarding::fullnat) {
    if (s.pool >= snap.pools.size()) return bad(who + ": fullnat needs a local address pool; pool index " +
                                                std::to_string(s.pool) + " does not exist");
    const abi::PoolRecord& pool = snap.pools[s.pool];
    if (pool.lip_count == 0) return bad(who + ": its local address pool is empty");
    for (uint32_t i = pool.lip_first; i < pool.lip_first + pool.lip_count; ++i)
      if ((server_family == kIpv6) != !snap.lips6[i].is_zero())
        return bad(who + ": its local address pool holds addresses of another family than its servers");
  }
  return Status::ok();
}

// On the wire a service's scheduler-table entries count from its own first backend, so the
// encoder can reuse a service's bytes wherever the service lands; the data plane reads
// snapshot-wide backend indices. Ranges must not overlap: an entry rebased twice would name
// another service's backend.
Status absolute_sched_entries(lb::Snapshot& snap) {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;  // (sched_first, service index)
  for (size_t i = 0; i < snap.services.size(); ++i)
    if (snap.services[i].sched_count > 0) ranges.emplace_back(snap.services[i].sched_first, static_cast<uint32_t>(i));
  std::sort(ranges.begin(), ranges.end());
  for (size_t k = 1; k < ranges.size(); ++k) {
    const abi::ServiceRecord& before = snap.services[ranges[k - 1].second];
    if (static_cast<uint64_t>(before.sched_first) + before.sched_count > ranges[k].first)
      return bad(service_text(ranges[k].second, snap.services[ranges[k].second]) +
                 ": scheduler-table range overlaps that of " + service_text(ranges[k - 1].second, before));
  }
  for (const abi::ServiceRecord& s : snap.services)
    for (uint32_t i = s.sched_first; i < s.sched_first + s.sched_count; ++i) snap.sched[i] += s.backend_first;
  return Status::ok();
}

}  // namespace

Status build_snapshot(const uint8_t* data, size_t len, const BuildContext& ctx, std::unique_ptr<lb::Snapshot>& out) {
  abi::SnapshotHeader h;
  if (len < sizeof h) return bad("snapshot of " + std::to_string(len) + " bytes is shorter than its header");
  std::memcpy(&h, data, sizeof h);
  if (h.magic != abi::kSnapshotMagic) return bad("not a snapshot: bad magic number");
  if (h.abi_version != abi::kAbiVersion)
    return bad("snapshot ABI version " + std::to_string(h.abi_version) + " but the addon speaks version " +
               std::to_string(abi::kAbiVersion) + ": rebuild the addon and the TypeScript together");
  if (h.total_size != len) return bad("header says " + std::to_string(h.total_size) + " bytes, got " + std::to_string(len));
  const uint64_t running_generation = ctx.running != nullptr ? ctx.running->generation : 0;
  if (h.generation <= running_generation)
    return bad("generation " + std::to_string(h.generation) + " is not newer than the running " +
               std::to_string(running_generation));
  if (h.workers != ctx.workers)
    return bad("snapshot built for " + std::to_string(h.workers) + " workers, engine runs " + std::to_string(ctx.workers));
  if (h.port_count != ctx.ports)
    return bad("snapshot describes " + std::to_string(h.port_count) + " ports, engine has " + std::to_string(ctx.ports));
  if (h.timeout_tcp == 0 || h.timeout_tcp_fin == 0 || h.timeout_tcp_syn == 0 || h.timeout_udp == 0)
    return bad("every timeout must be at least 1 second");  // server_time_wait 0: no hold
  for (const uint32_t t : {h.timeout_tcp, h.timeout_tcp_fin, h.timeout_tcp_syn, h.timeout_udp, h.timeout_server_time_wait})
    if (t > kMaxTimeout) return bad("timeout " + std::to_string(t) + " exceeds " + std::to_string(kMaxTimeout) + " seconds");

  auto snap = std::make_unique<lb::Snapshot>();
  snap->generation = h.generation;
  snap->workers = h.workers;
  snap->timeouts = {h.timeout_tcp, h.timeout_tcp_fin, h.timeout_tcp_syn, h.timeout_udp, h.timeout_server_time_wait};
  if (h.half_open_limit == 0) return bad("half_open_limit must be at least 1");
  snap->half_open = {h.syn_proxy_above, h.half_open_limit};
  std::vector<abi::LipRecord> lip_records;
  Status st;
  if (!(st = read_section(data, len, h.port_offset, h.port_count, abi::kMaxPorts, "ports", snap->ports)).is_ok()) return st;
  if (!(st = read_section(data, len, h.service_offset, h.service_count, abi::kMaxServices, "services", snap->services)).is_ok()) return st;
  if (!(st = read_section(data, len, h.backend_offset, h.backend_count, abi::kMaxBackends, "backends", snap->backends)).is_ok()) return st;
  if (!(st = read_section(data, len, h.pool_offset, h.pool_count, abi::kMaxPools, "pools", snap->pools)).is_ok()) return st;
  if (!(st = read_section(data, len, h.lip_offset, h.lip_count, abi::kMaxLips, "lips", lip_records)).is_ok()) return st;
  if (!(st = read_section(data, len, h.sched_offset, h.sched_count, abi::kMaxSchedEntries, "scheduler table", snap->sched)).is_ok()) return st;

  for (size_t i = 0; i < snap->ports.size(); ++i)
    if (snap->ports[i].mtu < kMinMtu || snap->ports[i].mtu > kMaxMtu)
      return bad("port #" + std::to_string(i) + ": MTU " + std::to_string(snap->ports[i].mtu) + " is outside " +
                 std::to_string(kMinMtu) + ".." + std::to_string(kMaxMtu));
  for (size_t i = 0; i < snap->backends.size(); ++i) {
    const abi::BackendRecord& b = snap->backends[i];
    // Named only when refused: a snapshot has up to kMaxBackends of them.
    const auto who = [&] {
      return "backend #" + std::to_string(i) + " (" + address_text(b, &abi::BackendRecord::address, &abi::BackendRecord::address6) + ")";
    };
    if (const char* p = family_problem(b, &abi::BackendRecord::address, &abi::BackendRecord::address6, b.family == kIpv4))
      return bad(who() + ": " + p);
    if (b.port_index >= snap->ports.size())
      return bad(who() + ": port index " + std::to_string(b.port_index) + " does not exist");
    // Bounded so that the least-connection comparisons (load x weight) cannot overflow.
    if (b.weight > kMaxWeight) return bad(who() + ": weight " + std::to_string(b.weight) + " exceeds " + std::to_string(kMaxWeight));
  }
  for (size_t i = 0; i < snap->pools.size(); ++i) {
    const abi::PoolRecord& p = snap->pools[i];
    if (static_cast<uint64_t>(p.lip_first) + p.lip_count > lip_records.size())
      return bad("pool #" + std::to_string(i) + ": address range exceeds the " + std::to_string(lip_records.size()) + " LIPs");
  }

  // What the SYN proxy offers clients: segments that fit every port's MTU.
  snap->proxy_mss = 0xffff;
  for (const abi::PortRecord& p : snap->ports)
    snap->proxy_mss = std::min<uint32_t>(snap->proxy_mss, p.mtu - kIpTcpHeaders);

  std::vector<std::pair<uint64_t, uint32_t>> service_keys, vip_keys, lip_keys;
  std::vector<std::pair<lb::Key6, uint32_t>> service6_keys, vip6_keys, lip6_keys;
  std::unordered_set<std::string> seen_lips;  // the address bytes, either family
  for (size_t i = 0; i < lip_records.size(); ++i) {
    const abi::LipRecord& r = lip_records[i];
    const std::string text = address_text(r, &abi::LipRecord::address, &abi::LipRecord::address6);
    if (const char* p = family_problem(r, &abi::LipRecord::address, &abi::LipRecord::address6, false))
      return bad("LIP #" + std::to_string(i) + " (" + text + "): " + p);
    if (!seen_lips.insert(text).second) return bad("LIP " + text + " appears twice");
    snap->lips.push_back(r.address);
    snap->lips6.push_back(ipv6_of(r.address6));
    if (r.family == kIpv6) lip6_keys.push_back({{ipv6_of(r.address6)}, static_cast<uint32_t>(i)});
    else lip_keys.emplace_back(r.address, static_cast<uint32_t>(i));
  }

  std::unordered_set<uint64_t> seen_services;
  std::unordered_set<uint32_t> vips;
  std::unordered_set<std::string> seen_services6, vips6;
  for (size_t i = 0; i < snap->services.size(); ++i) {
    if (!(st = check_service(*snap, i)).is_ok()) return st;
    const abi::ServiceRecord& s = snap->services[i];
    const std::string vip = address_text(s, &abi::ServiceRecord::vip, &abi::ServiceRecord::vip6);
    if (seen_lips.count(vip)) return bad("LIP " + vip + " is also a VIP");
    if (s.family == kIpv6) {
      const core::Ipv6Address vip6 = ipv6_of(s.vip6);
      if (!seen_services6.insert(vip + "/" + std::to_string(s.port) + "/" + std::to_string(s.protocol)).second)
        return bad(service_text(i, s) + ": duplicate of an earlier service");
      service6_keys.emplace_back(lb::Snapshot::service6_key(vip6, s.port, s.protocol), static_cast<uint32_t>(i));
      if (vips6.insert(vip).second) vip6_keys.push_back({{vip6}, 1});
      continue;
    }
    const uint64_t key = lb::Snapshot::service_key(s.vip, s.port, s.protocol);
    if (!seen_services.insert(key).second) return bad(service_text(i, s) + ": duplicate of an earlier service");
    service_keys.emplace_back(key, static_cast<uint32_t>(i));
    if (vips.insert(s.vip).second) vip_keys.emplace_back(s.vip, 1);
  }
  if (!(st = absolute_sched_entries(*snap)).is_ok()) return st;
  snap->backend_service.assign(snap->backends.size(), kNoService);
  for (size_t i = 0; i < snap->services.size(); ++i) {
    const abi::ServiceRecord& s = snap->services[i];
    for (uint32_t b = s.backend_first; b < s.backend_first + s.backend_count; ++b) {
      if (snap->backend_service[b] != kNoService) return bad(service_text(i, s) + ": backend #" + std::to_string(b) + " also belongs to another service");
      snap->backend_service[b] = static_cast<uint32_t>(i);
    }
  }

  std::vector<std::pair<uint64_t, uint32_t>> backend_keys, nat_keys;
  std::vector<std::pair<lb::Key6, uint32_t>> nat6_keys;
  std::unordered_set<uint32_t> backend_ids;
  for (size_t i = 0; i < snap->backends.size(); ++i) {
    const uint32_t id = snap->backends[i].backend_id;
    if (!backend_ids.insert(id).second) return bad("backend #" + std::to_string(i) + ": backend_id " + std::to_string(id) + " appears twice");
    backend_keys.emplace_back(id, static_cast<uint32_t>(i));
  }


  for (const abi::ServiceRecord& s : snap->services) {
    if (static_cast<abi::Forwarding>(s.forwarding) != abi::Forwarding::nat) continue;
    for (uint32_t i = s.backend_first; i < s.backend_first + s.backend_count; ++i) {
      const abi::BackendRecord& b = snap->backends[i];
      if (b.family == kIpv6) nat6_keys.emplace_back(lb::Snapshot::nat_backend_key(ipv6_of(b.address6), b.port, s.protocol), 1);
      else nat_keys.emplace_back(lb::Snapshot::nat_backend_key(b.address, b.port, s.protocol), 1);
    }
  }
  snap->backend_index.build(backend_keys, ctx.hash_seed);
  snap->nat_backend_index.build(nat_keys, ctx.hash_seed);
  snap->service_index.build(service_keys, ctx.hash_seed);
  snap->vip_index.build(vip_keys, ctx.hash_seed);
  snap->lip_index.build(lip_keys, ctx.hash_seed);
  snap->nat_backend6_index.build(nat6_keys, ctx.hash_seed);
  snap->service6_index.build(service6_keys, ctx.hash_seed);
  snap->vip6_index.build(vip6_keys, ctx.hash_seed);
  snap->lip6_index.build(lip6_keys, ctx.hash_seed);

  // Counter slots last: nothing can refuse the snapshot after it holds them. A server of the
  // running snapshot keeps its slot, and with it its counts.
  std::vector<uint32_t> keep(snap->backends.size(), ServerSlots::kNone);
  if (ctx.running != nullptr)
    for (size_t i = 0; i < snap->backends.size(); ++i)
      if (const uint32_t j = ctx.running->backend_index.find(snap->backends[i].backend_id); j != lb::FlatMap::kMissing)
        keep[i] = ctx.running->server_slot[j];
  if (!ctx.servers.acquire(keep, snap->server_slot))
    return Status::error(kErrBusy, std::to_string(snap->backends.size()) + " servers do not fit beside those of snapshots " +
                                       "a worker still holds (" + std::to_string(ServerSlots::kCapacity) +
                                       " counter slots in all); retry once the workers have installed the running one");
  out = std::move(snap);
  return Status::ok();
}

}  // namespace xvs::control
