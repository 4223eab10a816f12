// native/io/afxdp/fast_path_map.cc — see fast_path_map.h.
#include "io/afxdp/fast_path_map.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>

#include <vector>

namespace xvs::io::afxdp {

FastPathMap::FastPathMap(int entries_fd, int entries6_fd, int generation_fd, int counters_fd, int ports_fd, int traffic_fd)
    : entries_fd_(entries_fd), entries6_fd_(entries6_fd), generation_fd_(generation_fd), counters_fd_(counters_fd), ports_fd_(ports_fd), traffic_fd_(traffic_fd) {}

void FastPathMap::add_traffic(std::unordered_map<uint32_t, lb::BackendTraffic>& out) const {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return;
  // A dump in batches; a per-CPU value is one struct per possible CPU.
  constexpr uint32_t kBatch = 1024;
  std::vector<uint32_t> keys(kBatch);
  std::vector<xvs_fast_traffic> values(static_cast<size_t>(kBatch) * static_cast<size_t>(cpus));
  uint32_t cursor = 0;
  bool first = true;
  for (;;) {
    uint32_t count = kBatch;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    const int err = bpf_map_lookup_batch(traffic_fd_, first ? nullptr : &cursor, &cursor, keys.data(), values.data(), &count, &opts);
    first = false;
    for (uint32_t i = 0; i < count; ++i) {
      lb::BackendTraffic& t = out[keys[i]];
      for (int c = 0; c < cpus; ++c) {
        const xvs_fast_traffic& v = values[static_cast<size_t>(i) * static_cast<size_t>(cpus) + static_cast<size_t>(c)];
        t.in_packets += v.in_packets;
        t.in_bytes += v.in_bytes;
        t.out_packets += v.out_packets;
        t.out_bytes += v.out_bytes;
      }
    }
    if (err != 0) return;  // ENOENT: the end (also of an empty map); anything else: what was read
  }
}

void FastPathMap::forget_server(uint32_t slot) { bpf_map_delete_elem(traffic_fd_, &slot); }

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

bool FastPathMap::install(const xvs_fast_key6& key, const xvs_fast_entry6& entry) {
  return bpf_map_update_elem(entries6_fd_, &key, &entry, BPF_ANY) == 0;
}

bool FastPathMap::read(const xvs_fast_key6& key, xvs_fast_entry6& entry) {
  return bpf_map_lookup_elem(entries6_fd_, &key, &entry) == 0;
}

void FastPathMap::remove(const xvs_fast_key6& key) { bpf_map_delete_elem(entries6_fd_, &key); }

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

xvs_fast_counters FastPathMap::totals() const {
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
    sum.uncounted += c.uncounted;
  }
  return sum;
}

}  // namespace xvs::io::afxdp
