// native/io/afxdp/steering_program.cc — see steering_program.h. Control thread only.
#include "io/afxdp/steering_program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "abi/fast_path.h"

namespace xvs::io::afxdp {

namespace {

std::string key_bytes(const void* key, size_t size) { return std::string(static_cast<const char*>(key), size); }

// Mirrors the key structs of native/bpf/steer.bpf.c (network byte order, pad zero).
struct ServiceKey {
  uint32_t daddr;
  uint16_t dport;
  uint8_t proto;
  uint8_t pad;
};
struct NatKey {
  uint32_t saddr;
  uint16_t sport;
  uint8_t proto;
  uint8_t pad;
};
struct Service6Key {
  uint8_t daddr[16];
  uint16_t dport;
  uint8_t proto;
  uint8_t pad;
};
struct Nat6Key {
  uint8_t saddr[16];
  uint16_t sport;
  uint8_t proto;
  uint8_t pad;
};
struct PortRange {  // host order
  uint16_t first;
  uint16_t last;
};
static_assert(sizeof(ServiceKey) == 8 && sizeof(NatKey) == 8 && sizeof(PortRange) == 4);
static_assert(sizeof(Service6Key) == 20 && sizeof(Nat6Key) == 20);

}  // namespace

std::string SteeringProgram::attach(const std::string& object_path, const std::string& ifname, int ifindex,
                                    Attached& out, const SteeringProgram* share_fast_path_of) {
  std::unique_ptr<SteeringProgram> sp(new SteeringProgram());
  sp->ifname_ = ifname;
  sp->ifindex_ = ifindex;
  kernel::XdpProgramSpec spec{object_path, kSteerProgramName, "steering program", {}};
  if (share_fast_path_of != nullptr)
    spec.shared_maps = {{XVS_FAST_MAP, share_fast_path_of->fast_fd_},
                        {XVS_FAST6_MAP, share_fast_path_of->fast6_fd_},
                        {XVS_FAST_GENERATION_MAP, share_fast_path_of->fast_generation_fd_},
                        {XVS_FAST_COUNTERS_MAP, share_fast_path_of->fast_counters_fd_},
                        {XVS_FAST_PORTS_MAP, share_fast_path_of->fast_ports_fd_},
                        {XVS_FAST_TRAFFIC_MAP, share_fast_path_of->fast_traffic_fd_}};
  if (std::string e = kernel::attach_xdp(spec, ifname, ifindex, sp->attachment_); !e.empty()) return e;
  out.native_error = sp->attachment_.native_error;
  out.replaced_stale = sp->attachment_.replaced_stale;
  if (std::string e = sp->find_maps(); !e.empty()) return e;  // the destructor detaches
  out.program = std::move(sp);
  return "";
}

SteeringProgram::~SteeringProgram() { kernel::detach_xdp(attachment_, ifindex_); }

uint32_t SteeringProgram::id() const {
  return attachment_.program != nullptr ? xdp_program__id(attachment_.program) : 0;
}

std::string SteeringProgram::find_maps() {
  bpf_object* obj = xdp_program__bpf_obj(attachment_.program);
  const struct {
    const char* name;
    Map* map;
    uint32_t key_size;
  } wanted[] = {{"xvs_services", &services_, 8}, {"xvs_vips", &vips_, 4}, {"xvs_lips", &lips_, 4},
                {"xvs_nat_backends", &nat_servers_, 8}, {"xvs_own_addresses", &own_addresses_, 4},
                {"xvs_services6", &services6_, 20}, {"xvs_vips6", &vips6_, 16}, {"xvs_lips6", &lips6_, 16},
                {"xvs_nat_backends6", &nat_servers6_, 20}, {"xvs_own_addresses6", &own_addresses6_, 16}};
  for (const auto& w : wanted) {
    w.map->fd = obj != nullptr ? bpf_object__find_map_fd_by_name(obj, w.name) : -1;
    w.map->key_size = w.key_size;
    if (w.map->fd < 0) return std::string("the steering program has no map ") + w.name + ": rebuild it (npm run build)";
  }
  xsks_map_fd_ = bpf_object__find_map_fd_by_name(obj, "xsks_map");
  if (xsks_map_fd_ < 0) return "the steering program has no map xsks_map: rebuild it (npm run build)";
  lip_ports_fd_ = bpf_object__find_map_fd_by_name(obj, "xvs_lip_ports");
  if (lip_ports_fd_ < 0) return "the steering program has no map xvs_lip_ports: rebuild it (npm run build)";
  fast_fd_ = bpf_object__find_map_fd_by_name(obj, XVS_FAST_MAP);
  fast6_fd_ = bpf_object__find_map_fd_by_name(obj, XVS_FAST6_MAP);
  fast_generation_fd_ = bpf_object__find_map_fd_by_name(obj, XVS_FAST_GENERATION_MAP);
  fast_counters_fd_ = bpf_object__find_map_fd_by_name(obj, XVS_FAST_COUNTERS_MAP);
  fast_ports_fd_ = bpf_object__find_map_fd_by_name(obj, XVS_FAST_PORTS_MAP);
  fast_traffic_fd_ = bpf_object__find_map_fd_by_name(obj, XVS_FAST_TRAFFIC_MAP);
  if (fast_fd_ < 0 || fast6_fd_ < 0 || fast_generation_fd_ < 0 || fast_counters_fd_ < 0 || fast_ports_fd_ < 0 || fast_traffic_fd_ < 0)
    return "the steering program has no fast-path maps: rebuild it (npm run build)";
  return "";
}

std::string SteeringProgram::update_map(Map& m, const std::unordered_set<std::string>& want, const char* what) {
  const uint8_t one = 1;
  std::vector<std::string> added;
  for (const std::string& k : want) {
    if (m.keys.count(k) != 0) continue;
    if (bpf_map_update_elem(m.fd, k.data(), &one, BPF_ANY) != 0) {
      const int err = errno;
      for (const std::string& a : added) bpf_map_delete_elem(m.fd, a.data());
      return std::string("cannot add to the steering map of ") + what + ": " + std::strerror(err) +
             (err == E2BIG || err == ENOMEM ? " (too many entries)" : "");
    }
    added.push_back(k);
  }
  for (const std::string& k : m.keys)
    if (want.count(k) == 0) bpf_map_delete_elem(m.fd, k.data());
  m.keys = want;
  return "";
}

std::string SteeringProgram::update(const SteeringSets& sets) {
  // The range first: it only changes at start, before any LIP is in the map.
  const uint32_t zero = 0;
  const PortRange range{sets.lip_port_first, sets.lip_port_last};
  if (bpf_map_update_elem(lip_ports_fd_, &zero, &range, BPF_ANY) != 0)
    return ifname_ + ": cannot set the steering program's local port range: " + std::strerror(errno);
  std::unordered_set<std::string> services, vips, lips, nat, own, services6, vips6, lips6, nat6, own6;
  for (const auto& s : sets.services) {
    const ServiceKey k{s.vip, s.port, s.protocol, 0};
    services.insert(key_bytes(&k, sizeof k));
  }
  for (uint32_t a : sets.vips) vips.insert(key_bytes(&a, sizeof a));
  for (uint32_t a : sets.lips) lips.insert(key_bytes(&a, sizeof a));
  for (uint32_t a : sets.own_addresses) own.insert(key_bytes(&a, sizeof a));
  for (const auto& n : sets.nat_servers) {
    const NatKey k{n.address, n.port, n.protocol, 0};
    nat.insert(key_bytes(&k, sizeof k));
  }
  for (const auto& s : sets.services6) {
    Service6Key k{};
    s.vip.store(k.daddr);
    k.dport = s.port;
    k.proto = s.protocol;
    services6.insert(key_bytes(&k, sizeof k));
  }
  for (const auto& n : sets.nat_servers6) {
    Nat6Key k{};
    n.address.store(k.saddr);
    k.sport = n.port;
    k.proto = n.protocol;
    nat6.insert(key_bytes(&k, sizeof k));
  }
  for (const auto& a : sets.vips6) vips6.insert(key_bytes(a.bytes, 16));
  for (const auto& a : sets.lips6) lips6.insert(key_bytes(a.bytes, 16));
  for (const auto& a : sets.own_addresses6) own6.insert(key_bytes(a.bytes, 16));
  const struct {
    Map* map;
    const std::unordered_set<std::string>* want;
    const char* what;
  } steps[] = {{&services_, &services, "services"}, {&vips_, &vips, "VIPs"}, {&lips_, &lips, "local addresses"},
               {&nat_servers_, &nat, "nat servers"}, {&own_addresses_, &own, "the balancer's own addresses"},
               {&services6_, &services6, "IPv6 services"}, {&vips6_, &vips6, "IPv6 VIPs"}, {&lips6_, &lips6, "IPv6 local addresses"},
               {&nat_servers6_, &nat6, "IPv6 nat servers"}, {&own_addresses6_, &own6, "the balancer's own IPv6 addresses"}};
  std::vector<std::unordered_set<std::string>> before;
  for (const auto& s : steps) before.push_back(s.map->keys);
  for (size_t i = 0; i < std::size(steps); ++i) {
    std::string err = update_map(*steps[i].map, *steps[i].want, steps[i].what);
    if (err.empty()) continue;
    for (size_t j = 0; j < i; ++j) update_map(*steps[j].map, before[j], steps[j].what);
    return ifname_ + ": " + err;
  }
  return "";
}

}  // namespace xvs::io::afxdp
