// native/io/afxdp/fast_path_map.cc — see fast_path_map.h.
#include "io/afxdp/fast_path_map.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>

#include <vector>

namespace xvs::io::afxdp {

FastPathMap::FastPathMap(int entries_fd, int generation_fd, int counters_fd, int ports_fd)
    : entries_fd_(entries_fd), generation_fd_(generation_fd), counters_fd_(counters_fd), ports_fd_(ports_fd) {}

bool FastPathMap::set_ports(const uint32_t* ifindex, uint32_t ports) {
  for (uint32_t p = 0; p < XVS_FAST_MAX_PORTS; ++p) {
    const uint32_t value = p < ports ? ifindex[p] : 0;
    if (bpf_map_update_elem(ports_fd_, &p, &value, BPF_ANY) != 0) return false;
  }
  return true;
}

bool FastPathMap::install(const xvs_fast_key& key, const xvs_fast_entry& entry) {
  return bpf_map_update_elem(entries_fd_, &key, &entry, BPF_ANY) == 0;
}

bool FastPathMap::read(const xvs_fast_key& key, xvs_fast_entry& entry) {
  return bpf_map_lookup_elem(entries_fd_, &key, &entry) == 0;
}

void FastPathMap::remove(const xvs_fast_key& key) { bpf_map_delete_elem(entries_fd_, &key); }

uint32_t FastPathMap::age_seconds(uint64_t monotonic_ns) const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t now = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  return now > monotonic_ns ? static_cast<uint32_t>((now - monotonic_ns) / 1000000000ull) : 0;
}

bool FastPathMap::set_generation(uint32_t generation) {
  const uint32_t zero = 0;
  return bpf_map_update_elem(generation_fd_, &zero, &generation, BPF_ANY) == 0;
}

xvs_fast_counters FastPathMap::counters() const {
  const int cpus = libbpf_num_possible_cpus();
  xvs_fast_counters sum{};
  if (cpus <= 0) return sum;
  std::vector<xvs_fast_counters> per_cpu(static_cast<size_t>(cpus));
  const uint32_t zero = 0;
  if (bpf_map_lookup_elem(counters_fd_, &zero, per_cpu.data()) != 0) return sum;
  for (const xvs_fast_counters& c : per_cpu) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
    sum.stale += c.stale;
  }
  return sum;
}

}  // namespace xvs::io::afxdp
