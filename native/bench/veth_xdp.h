// native/bench/veth_xdp.h — `xvs bench veth`, native half of the fixed XDP programs: loads the
// counting sink (sink.bpf.c) or the redirect ceiling (redirect.bpf.c) with libbpf, writes its
// configuration map, attaches it in native (driver) mode to an interface of the calling
// thread's network namespace, and reads the sink's counters back through its pinned map.
//
// The attachment is a plain netlink XDP attachment (no bpf_link, no libxdp dispatcher): it
// outlives the process that made it, so a short helper process inside a namespace can attach
// and exit; `ip link set dev IF xdp off` (or deleting the namespace) removes it. Refuses an
// interface that already has an XDP program (XDP_FLAGS_UPDATE_IF_NOEXIST) instead of replacing
// someone else's. Runs synchronously on the calling thread. No napi.h here.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "control/status.h"

namespace xvs::bench {

using Mac = std::array<uint8_t, 6>;

// Attaches build/Release/xvs_sink.bpf.o (`object`) to `iface` and pins its counter map at
// `pin_path` (a file in a bpffs that does not exist yet). server_addr: network order.
control::Status attach_sink(const std::string& object, const std::string& iface, uint32_t server_addr,
                            const std::string& pin_path);

// Attaches build/Release/xvs_redirect.bpf.o (`object`) to `iface`: IPv4 frames leave through
// `to_ifindex` with the given MACs.
control::Status attach_redirect(const std::string& object, const std::string& iface, uint32_t to_ifindex,
                                const Mac& src_mac, const Mac& dst_mac);

// The sink's counters (XVS_SINK_KEYS of them) summed over every possible CPU.
struct SinkCounts {
  uint64_t to_server = 0;
  uint64_t other_ipv4 = 0;
};
control::Status read_sink(const std::string& pin_path, SinkCounts& out);

}  // namespace xvs::bench
