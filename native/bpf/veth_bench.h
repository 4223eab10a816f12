// native/bpf/veth_bench.h — the configuration and counter layouts shared by the `xvs bench veth`
// XDP programs (pktgen.bpf.c, sink.bpf.c, redirect.bpf.c) and their user-space loader
// (native/bench/veth_xdp.cc, native/bench/pktgen.cc). Included by clang -target bpf and by the
// C++ addon, so only <linux/types.h> types. Each config lives in a one-entry ARRAY map (key 0)
// written by user space after load and before the program first runs.
#pragma once
#include <linux/types.h>

// pktgen: one 60-byte Ethernet/IPv4/UDP frame per run (64 bytes on a wire with its FCS).
#define XVS_PKTGEN_FRAME_LEN 60
struct xvs_pktgen_config {
  __u8 dst_mac[6];
  __u8 src_mac[6];
  __u32 src_base;          // first source address, host order; flow f uses src_base + f / ports_per_address
  __u32 dst_addr;          // network order (the VIP)
  __u16 dst_port;          // network order
  __u16 src_port_base;     // host order; flow f uses src_port_base + f % ports_per_address
  __u32 flows;             // >= 1
  __u32 ports_per_address; // >= 1
  __u64 interval_ns;       // paced: one frame per interval (others XDP_DROP while waiting); 0 = flat out
};
// pktgen's per-CPU state, by key.
#define XVS_PKTGEN_SEQ 0   // frames sent so far: picks the flow
#define XVS_PKTGEN_NEXT 1  // paced: when the next frame is due (bpf_ktime_get_ns)
#define XVS_PKTGEN_KEYS 2

// sink: counters per CPU, indexed by these keys.
#define XVS_SINK_TO_SERVER 0  // IPv4 addressed to the configured server address (rewritten by a NAT)
#define XVS_SINK_OTHER_IPV4 1 // any other IPv4 frame (dr, plain forwarding, XDP redirect: still to the VIP)
#define XVS_SINK_KEYS 2
struct xvs_sink_config {
  __u32 server_addr;  // network order
};

// redirect: every IPv4 frame gets these MACs and leaves through ifindex.
struct xvs_redirect_config {
  __u32 ifindex;
  __u8 src_mac[6];
  __u8 dst_mac[6];
};
