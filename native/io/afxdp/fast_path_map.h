// native/io/afxdp/fast_path_map.h — lb::FastPathTable over the steering program's xvs_fast and
// xvs_fast6 maps (abi/fast_path.h), shared by the programs of every interface of the engine: the workers install,
// read and remove their connections' entries with bpf() calls, the engine sets the current
// generation at every commit and reads what the kernel forwarded (FastPathReport). One instance per backend; the bpf() calls on one map from several
// workers need no lock (the kernel's map is safe for concurrent use; each entry has one owner).
//
// Threads: constructed and set_generation() on the control thread; install/read/remove on the
// owning workers.
#pragma once
#include <cstdint>

#include <unordered_map>

#include "io/backend.h"
#include "lb/fast_path_table.h"

namespace xvs::io::afxdp {

class FastPathMap final : public lb::FastPathTable, public FastPathReport {
 public:
  // Map fds of the first interface's program (the others share its maps).
  FastPathMap(int entries_fd, int entries6_fd, int generation_fd, int counters_fd, int ports_fd, int traffic_fd);

  bool install(const xvs_fast_key& key, const xvs_fast_entry& entry) override;
  bool read(const xvs_fast_key& key, xvs_fast_entry& entry) override;
  void remove(const xvs_fast_key& key) override;
  bool install(const xvs_fast_key6& key, const xvs_fast_entry6& entry) override;
  bool read(const xvs_fast_key6& key, xvs_fast_entry6& entry) override;
  void remove(const xvs_fast_key6& key) override;
  uint32_t age_seconds(uint64_t monotonic_ns) const override;

  // Entries of another generation are left to the workers; 0 turns the fast path off.
  bool set_generation(uint32_t generation);
  // The interface index of each port, 0 for one the fast path must not send on.
  bool set_ports(const uint32_t* ifindex, uint32_t ports);
  void add_traffic(std::unordered_map<uint32_t, lb::BackendTraffic>& out) const override;
  void forget_server(uint32_t slot) override;
  // The per-CPU counters, summed.
  xvs_fast_counters totals() const override;

 private:
  int entries_fd_, entries6_fd_, generation_fd_, counters_fd_, ports_fd_, traffic_fd_;
};

}  // namespace xvs::io::afxdp
