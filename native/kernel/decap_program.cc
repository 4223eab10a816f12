// native/kernel/decap_program.cc — see decap_program.h. The calling thread only.
#include "kernel/decap_program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "kernel/netlink.h"
#include "kernel/xdp_attachment.h"

namespace xvs::kernel {

namespace {

// Mirrors struct xvs_lpm_v4 of decap.bpf.c (the LPM trie key: prefix length, then the address).
struct LpmKey {
  uint32_t prefixlen;
  uint32_t addr;  // network byte order
  bool operator<(const LpmKey& o) const { return std::pair(prefixlen, addr) < std::pair(o.prefixlen, o.addr); }
};
static_assert(sizeof(LpmKey) == 8);
// Mirrors struct xvs_lpm_v6.
struct LpmKey6 {
  uint32_t prefixlen;
  uint8_t addr[16];
  bool operator<(const LpmKey6& o) const {
    return prefixlen != o.prefixlen ? prefixlen < o.prefixlen : std::memcmp(addr, o.addr, 16) < 0;
  }
};
static_assert(sizeof(LpmKey6) == 20);

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

std::string describe(const XdpOccupant& o) {
  return o.present && !o.name.empty() ? "'" + o.name + "' (id " + std::to_string(o.id) + ")" : "";
}

template <typename Key>
std::set<Key> map_keys(int map_fd) {
  std::set<Key> keys;
  Key key{}, next{};
  const void* prev = nullptr;
  while (keys.size() < 1'000'000 && bpf_map_get_next_key(map_fd, prev, &next) == 0) {
    keys.insert(next);
    key = next;
    prev = &key;
  }
  return keys;
}

// The map of the attached program `prog_fd` named `name`, or -1.
int program_map(int prog_fd, const char* name) {
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0 || info.nr_map_ids == 0) return -1;
  std::vector<uint32_t> ids(info.nr_map_ids);
  const uint32_t count = info.nr_map_ids;
  info = bpf_prog_info{};
  info.nr_map_ids = count;
  info.map_ids = reinterpret_cast<uint64_t>(ids.data());
  len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) return -1;
  for (uint32_t i = 0; i < count && i < info.nr_map_ids; ++i) {
    const int fd = bpf_map_get_fd_by_id(ids[i]);
    if (fd < 0) continue;
    bpf_map_info map{};
    uint32_t map_len = sizeof map;
    if (bpf_obj_get_info_by_fd(fd, &map, &map_len) == 0 && std::strncmp(map.name, name, sizeof map.name) == 0) return fd;
    close(fd);
  }
  return -1;
}

}  // namespace

std::string load_local_prefixes(int map_fd, size_t& count) {
  count = 0;
  std::vector<LocalPrefix> routes;
  if (std::string e = local_routes(routes); !e.empty()) return "cannot read the local routes: " + e;
  std::set<LpmKey> want;
  for (const LocalPrefix& r : routes) want.insert(LpmKey{r.prefix_len, r.address});
  const uint8_t one = 1;
  for (const LpmKey& k : want) {
    if (bpf_map_update_elem(map_fd, &k, &one, BPF_ANY) != 0) {
      const int err = errno;
      return std::string("cannot fill the decap program's map of local addresses: ") + std::strerror(err) +
             (err == E2BIG || err == ENOMEM || err == ENOSPC ? " (more than 65536 local routes)" : "");
    }
  }
  for (const LpmKey& k : map_keys<LpmKey>(map_fd))
    if (want.count(k) == 0) bpf_map_delete_elem(map_fd, &k);
  count = want.size();
  return "";
}

std::string load_local_prefixes6(int map_fd, size_t& count) {
  count = 0;
  std::vector<LocalPrefix6> routes;
  if (std::string e = local_routes6(routes); !e.empty()) return "cannot read the IPv6 local routes: " + e;
  std::set<LpmKey6> want;
  for (const LocalPrefix6& r : routes) {
    LpmKey6 k{r.prefix_len, {}};
    r.address.store(k.addr);
    want.insert(k);
  }
  const uint8_t one = 1;
  for (const LpmKey6& k : want)
    if (bpf_map_update_elem(map_fd, &k, &one, BPF_ANY) != 0)
      return std::string("cannot fill the decap program's map of local IPv6 addresses: ") + std::strerror(errno);
  for (const LpmKey6& k : map_keys<LpmKey6>(map_fd))
    if (want.count(k) == 0) bpf_map_delete_elem(map_fd, &k);
  count = want.size();
  return "";
}

std::string attach_decap(const std::string& object_path, const std::string& ifname, int ifindex, DecapAttached& out) {
  out = DecapAttached{};
  XdpAttachment attachment;
  const XdpProgramSpec spec{object_path, kDecapProgramName, "decap program"};
  if (std::string e = attach_xdp(spec, ifname, ifindex, attachment); !e.empty()) {
    out.foreign = attachment.foreign;
    return e;
  }
  // Attached first, filled right after: libxdp 1.3.1 loads the object only when attaching. Until
  // the map is filled, IPIP passes undecapsulated (counted not_local), as without the program.
  bpf_object* obj = xdp_program__bpf_obj(attachment.program);
  const int local_map = obj != nullptr ? bpf_object__find_map_fd_by_name(obj, kDecapLocalMap) : -1;
  const int local_map6 = obj != nullptr ? bpf_object__find_map_fd_by_name(obj, kDecapLocalMap6) : -1;
  size_t prefixes6 = 0;
  std::string error = local_map < 0 || local_map6 < 0 ? std::string("the decap program has no map ") + kDecapLocalMap + " or " +
                                                            kDecapLocalMap6 + ": rebuild it (npm run build)"
                                                      : load_local_prefixes(local_map, out.local_prefixes);
  if (error.empty()) error = load_local_prefixes6(local_map6, prefixes6);
  out.local_prefixes += prefixes6;
  if (!error.empty()) {
    detach_xdp(attachment, ifindex);  // a decap program that knows no local address decaps nothing
    return ifname + ": " + error;
  }
  out.generic = attachment.generic;
  out.native_error = attachment.native_error;
  out.replaced_stale = attachment.replaced_stale;
  out.id = xdp_program__id(attachment.program);
  release_xdp(attachment);  // stays attached after this process
  return "";
}

std::string detach_decap(const std::string& ifname, int ifindex, DecapDetached& out) {
  out = DecapDetached{};
  XdpOccupant found;
  std::string error = detach_xdp_by_name(kDecapProgramName, ifname, ifindex, found);
  if (!error.empty()) return error;
  out.detached = found.ours;
  out.id = found.ours ? found.id : 0;
  if (!found.ours) out.other = describe(found);
  return "";
}

std::string read_decap_counters(const std::string& ifname, int ifindex, DecapCounters& out) {
  out = DecapCounters{};
  XdpOccupant found;
  if (std::string e = find_xdp_program(kDecapProgramName, ifname, ifindex, found); !e.empty()) return e;
  if (!found.ours) {
    out.other = describe(found);
    return "";
  }
  out.attached = true;
  out.id = found.id;
  out.generic = found.generic;
  Fd prog(bpf_prog_get_fd_by_id(found.id));
  if (prog.fd < 0) return ifname + ": cannot open the decap program (id " + std::to_string(found.id) + "): " + std::strerror(errno);
  Fd stats(program_map(prog.fd, kDecapStatsMap));
  Fd local(program_map(prog.fd, kDecapLocalMap));
  if (stats.fd < 0 || local.fd < 0)
    return ifname + ": the decap program (id " + std::to_string(found.id) + ") has no map " +
           (stats.fd < 0 ? kDecapStatsMap : kDecapLocalMap) + ": it is not one this xvs built; re-attach it (xvs decap --iface " +
           ifname + ")";
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return std::string("cannot count the possible CPUs: ") + std::strerror(-cpus);
  std::vector<uint64_t> per_cpu(static_cast<size_t>(cpus));
  out.values.assign(kDecapCounters, 0);
  for (uint32_t i = 0; i < kDecapCounters; ++i) {
    if (bpf_map_lookup_elem(stats.fd, &i, per_cpu.data()) != 0)
      return ifname + ": cannot read the decap counters: " + std::strerror(errno);
    for (uint64_t v : per_cpu) out.values[i] += v;
  }
  Fd local6(program_map(prog.fd, kDecapLocalMap6));
  out.local_prefixes = map_keys<LpmKey>(local.fd).size() + (local6.fd >= 0 ? map_keys<LpmKey6>(local6.fd).size() : 0);
  return "";
}

}  // namespace xvs::kernel
