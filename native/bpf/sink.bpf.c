// SPDX-License-Identifier: GPL-2.0
// native/bpf/sink.bpf.c — the `xvs bench veth` sink: attached (native mode) to the sink
// namespace's veth, it counts every IPv4 frame per CPU and drops it; everything else (ARP
// above all, so that the balancer and the kernel paths can resolve the sink's MAC) goes to the
// kernel. Runs in the kernel, in the NAPI context of the sink veth's receive queue. It also
// makes the sink veth accept XDP_REDIRECT and XDP frames (a veth needs an XDP program on the
// receiving peer for that).
//
// Consumes: frames arriving at the sink. Produces: sink_counts[XVS_SINK_TO_SERVER] (IPv4 to
// the configured server address: a NAT rewrote it) and [XVS_SINK_OTHER_IPV4], read by user
// space through the map pinned in the bench's private bpffs (native/bench/veth_xdp.cc).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "veth_bench.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct xvs_sink_config);
} sink_config SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, XVS_SINK_KEYS);
  __type(key, __u32);
  __type(value, __u64);
} sink_counts SEC(".maps");

SEC("xdp")
int xvs_sink(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  __u32 zero = 0;
  struct xvs_sink_config *c = bpf_map_lookup_elem(&sink_config, &zero);
  __u32 key = c && ip->daddr == c->server_addr ? XVS_SINK_TO_SERVER : XVS_SINK_OTHER_IPV4;
  __u64 *count = bpf_map_lookup_elem(&sink_counts, &key);
  if (count) *count += 1;
  return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
