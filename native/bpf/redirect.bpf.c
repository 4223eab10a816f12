// SPDX-License-Identifier: GPL-2.0
// native/bpf/redirect.bpf.c — the kernel-path ceiling of `xvs bench veth`: attached (native
// mode) to the balancer's l0, it gives every IPv4 frame the configured MACs and redirects it
// out of the configured interface (l1) with bpf_redirect(); no lookup, no other rewrite (not
// even TTL). ARP and everything else goes to the kernel. Runs in the kernel, in the NAPI
// context of l0's receive queue.
//
// Consumes: frames arriving on l0 and redirect_config (written by user space after load).
// Produces: XDP_REDIRECT towards l1 (its peer, the sink veth, has an XDP program, which a veth
// needs to accept redirected frames).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "veth_bench.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct xvs_redirect_config);
} redirect_config SEC(".maps");

SEC("xdp")
int xvs_redirect(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  __u32 zero = 0;
  struct xvs_redirect_config *c = bpf_map_lookup_elem(&redirect_config, &zero);
  if (!c || c->ifindex == 0) return XDP_PASS;
  __builtin_memcpy(eth->h_dest, c->dst_mac, ETH_ALEN);
  __builtin_memcpy(eth->h_source, c->src_mac, ETH_ALEN);
  return bpf_redirect(c->ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
