// native/kernel/decap_program.h — the real server's IPIP decapsulation program
// (native/bpf/decap.bpf.c, `xvs decap`) on one interface: attach, detach, read its counters.
// Consumes: the BPF object, an interface, the kernel's local routes (netlink.h). Produces: the
// program attached through xdp_attachment.h (native mode, else generic with the reason; a
// stale xvs_decap replaced; a foreign program refused) with its map of local addresses filled,
// and left attached when this process exits: a later process finds it again by name on the
// interface (libxdp pins nothing without its dispatcher) to detach it or read its counters.
// Threads: the calling thread (the CLI's main thread through binding/decap_js.cc).
#pragma once
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

namespace xvs::kernel {

inline constexpr const char* kDecapProgramName = "xvs_decap";
inline constexpr const char* kDecapLocalMap = "xvs_decap_local";
inline constexpr const char* kDecapLocalMap6 = "xvs_decap_local6";
inline constexpr const char* kDecapStatsMap = "xvs_decap_stats";

// The per-CPU counters of decap.bpf.c, in the order of its enum xvs_decap_counter.
inline constexpr const char* kDecapCounterNames[] = {
    "decapsulated",       "not_ipip",       "not_local",       "inner_not_local", "malformed_outer",
    "bad_outer_checksum", "outer_fragment", "inner_truncated", "inner_not_ipv4",  "adjust_failed",
    "inner_not_ipv6",
};
inline constexpr size_t kDecapCounters = std::size(kDecapCounterNames);

struct DecapAttached {
  bool generic = false;        // generic (skb) mode: native_error says why not native
  std::string native_error;
  std::string replaced_stale;  // "id N": an xvs_decap already there was replaced
  uint32_t id = 0;             // kernel program id
  size_t local_prefixes = 0;   // local routes copied into the program's map
  bool foreign = false;        // set with an error: another XDP program holds the interface
};
std::string attach_decap(const std::string& object_path, const std::string& ifname, int ifindex, DecapAttached& out);

struct DecapDetached {
  bool detached = false;  // an xvs_decap was there and is gone
  uint32_t id = 0;        // its id
  std::string other;      // when nothing was detached: "'name' (id N)" of a program left alone, or ""
};
std::string detach_decap(const std::string& ifname, int ifindex, DecapDetached& out);

struct DecapCounters {
  bool attached = false;        // false: no xvs_decap on the interface (other as in DecapDetached)
  std::string other;
  uint32_t id = 0;
  bool generic = false;
  size_t local_prefixes = 0;    // entries of its local-address map
  std::vector<uint64_t> values; // kDecapCounters sums over all CPUs
};
std::string read_decap_counters(const std::string& ifname, int ifindex, DecapCounters& out);

// Makes an xvs_decap_local map (LPM trie) hold exactly the kernel's local routes. `count` is
// the number of entries written. Used at attach, and by tests on a map they loaded themselves.
std::string load_local_prefixes(int map_fd, size_t& count);
// The same for IPv6 into an xvs_decap_local6 map.
std::string load_local_prefixes6(int map_fd, size_t& count);

}  // namespace xvs::kernel
