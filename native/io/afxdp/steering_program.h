// native/io/afxdp/steering_program.h — the steering XDP program (native/bpf/steer.bpf.c) on one
// interface, loaded and attached through libxdp, and its maps. attach() first removes a stale
// xvs program left by a crashed run (found by program name) and refuses, naming it, a foreign
// program that cannot share the interface (libxdp without its dispatcher, as on the kernels
// this was written on, runs one program per interface). Native (driver) mode first, generic
// (skb) mode as the fallback. The destructor detaches.
//
// Threads: control thread only (attach at engine creation, update() at every commit,
// destruction at shutdown).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>

#include "io/backend.h"

struct xdp_program;

namespace xvs::io::afxdp {

inline constexpr const char* kSteerProgramName = "xvs_steer";

class SteeringProgram {
 public:
  struct Attached {
    std::unique_ptr<SteeringProgram> program;
    std::string native_error;   // non-empty: native mode failed with this, generic mode is in use
    std::string replaced_stale;  // non-empty: a stale xvs program was detached first
  };
  static std::string attach(const std::string& object_path, const std::string& ifname, int ifindex, Attached& out);
  ~SteeringProgram();

  // Makes the maps hold exactly `sets`; on failure they keep their previous content.
  std::string update(const SteeringSets& sets);
  int xsks_map_fd() const { return xsks_map_fd_; }
  bool generic_mode() const { return generic_; }
  uint32_t id() const;

 private:
  SteeringProgram() = default;
  struct Map {
    int fd = -1;
    uint32_t key_size = 0;
    std::unordered_set<uint64_t> keys;  // key bytes, zero-extended
  };
  std::string find_maps();
  static std::string update_map(Map& m, const std::unordered_set<uint64_t>& want, const char* what);

  xdp_program* prog_ = nullptr;
  std::string ifname_;
  int ifindex_ = 0;
  bool generic_ = false;
  int xsks_map_fd_ = -1;
  Map services_, vips_, lips_, nat_servers_;
};

// Routes libxdp's and libbpf's log lines into a short buffer (instead of stderr) so that errors
// can quote them; XVS_LIBXDP_DEBUG=1 in the environment prints everything to stderr too.
void quiet_libraries();
std::string last_library_messages();

}  // namespace xvs::io::afxdp
