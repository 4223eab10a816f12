// native/io/afxdp/steering_program.h — the steering XDP program (native/bpf/steer.bpf.c) on one
// interface and its maps. Attaching goes through xdp_attachment.h: a stale xvs_steer left by a
// crashed run is replaced, a foreign program refused by name, native (driver) mode first and
// generic (skb) mode as the fallback. The destructor detaches (the program lives as long as
// the engine).
//
// Threads: control thread only (attach at engine creation, update() at every commit,
// destruction at shutdown).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>

#include "kernel/xdp_attachment.h"
#include "io/backend.h"

namespace xvs::io::afxdp {

inline constexpr const char* kSteerProgramName = "xvs_steer";

class SteeringProgram {
 public:
  struct Attached {
    std::unique_ptr<SteeringProgram> program;
    std::string native_error;   // non-empty: native mode failed with this, generic mode is in use
    std::string replaced_stale;  // non-empty: a stale xvs program was detached first
  };
  // `share_fast_path_of`: another interface's program whose fast-path maps (abi/fast_path.h) this
  // one uses, so that a connection's entries serve both of its interfaces; nullptr: its own.
  static std::string attach(const std::string& object_path, const std::string& ifname, int ifindex, Attached& out,
                            const SteeringProgram* share_fast_path_of = nullptr);
  ~SteeringProgram();

  // Makes the maps hold exactly `sets`; on failure they keep their previous content.
  std::string update(const SteeringSets& sets);
  int xsks_map_fd() const { return xsks_map_fd_; }
  // The fast-path maps: entries (xvs_fast), the current generation, the per-CPU counters, the ports.
  int fast_map_fd() const { return fast_fd_; }
  int fast6_map_fd() const { return fast6_fd_; }
  int fast_generation_fd() const { return fast_generation_fd_; }
  int fast_counters_fd() const { return fast_counters_fd_; }
  int fast_ports_fd() const { return fast_ports_fd_; }
  int fast_traffic_fd() const { return fast_traffic_fd_; }
  bool generic_mode() const { return attachment_.generic; }
  uint32_t id() const;

 private:
  SteeringProgram() = default;
  struct Map {
    int fd = -1;
    uint32_t key_size = 0;
    std::unordered_set<std::string> keys;  // key bytes (key_size of them)
  };
  std::string find_maps();
  static std::string update_map(Map& m, const std::unordered_set<std::string>& want, const char* what);

  kernel::XdpAttachment attachment_;
  std::string ifname_;
  int ifindex_ = 0;
  int xsks_map_fd_ = -1;
  int lip_ports_fd_ = -1;  // array of one {first, last}: not a set, written whole
  int fast_fd_ = -1, fast6_fd_ = -1, fast_generation_fd_ = -1, fast_counters_fd_ = -1, fast_ports_fd_ = -1, fast_traffic_fd_ = -1;
  Map services_, vips_, lips_, nat_servers_, own_addresses_;
  Map services6_, vips6_, lips6_, nat_servers6_, own_addresses6_;
};

}  // namespace xvs::io::afxdp
