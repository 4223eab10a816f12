// SPDX-License-Identifier: GPL-2.0
// native/bpf/pktgen.bpf.c — the `xvs bench veth` traffic generator. Not attached to any
// interface: user space (native/bench/pktgen.cc) runs it with BPF_PROG_RUN and
// BPF_F_TEST_XDP_LIVE_FRAMES on the generator's veth, and every XDP_TX it returns leaves that
// veth as a real frame (towards the balancer's l0). Runs in the kernel, in the bpf() syscall of
// the generator thread, once per frame.
//
// Consumes: a frame from the live-frame page pool. The kernel does NOT reset a recycled frame's
// bytes, and the receivers (kernel forwarding, conntrack NAT) rewrite headers in place, so this
// program writes every byte of the 60-byte frame each time. Produces: a UDP datagram from flow
// (seq mod flows): source address src_base + flow / ports_per_address, source port
// src_port_base + flow % ports_per_address, to dst_addr:dst_port, with valid IPv4 and UDP
// checksums. seq is a per-CPU counter of the frames sent, so consecutive frames belong to
// different flows; user space reads it as the count of frames offered. Paced (interval_ns > 0):
// a run before the next frame is due returns XDP_DROP at once (the generator spins in the
// kernel, cheaply), so frames leave evenly spaced however large the repeat count of a call —
// pacing by calls would not work: each BPF_PROG_RUN call with live frames costs ~25 ms here.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "veth_bench.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct xvs_pktgen_config);
} pktgen_config SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, XVS_PKTGEN_KEYS);
  __type(key, __u32);
  __type(value, __u64);
} pktgen_state SEC(".maps");

#define PAYLOAD_LEN (XVS_PKTGEN_FRAME_LEN - sizeof(struct ethhdr) - sizeof(struct iphdr) - sizeof(struct udphdr))
#define UDP_LEN (sizeof(struct udphdr) + PAYLOAD_LEN)
#define IP_LEN (sizeof(struct iphdr) + UDP_LEN)

static __always_inline __u16 fold(__u32 sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)~sum;
}

SEC("xdp")
int xvs_pktgen(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  if (data + XVS_PKTGEN_FRAME_LEN > data_end) return XDP_ABORTED;
  __u32 zero = 0, seq_key = XVS_PKTGEN_SEQ, next_key = XVS_PKTGEN_NEXT;
  struct xvs_pktgen_config *c = bpf_map_lookup_elem(&pktgen_config, &zero);
  __u64 *seq = bpf_map_lookup_elem(&pktgen_state, &seq_key);
  __u64 *next = bpf_map_lookup_elem(&pktgen_state, &next_key);
  if (!c || !seq || !next || c->flows == 0 || c->ports_per_address == 0) return XDP_ABORTED;
  if (c->interval_ns) {
    const __u64 now = bpf_ktime_get_ns();
    if (*next == 0) *next = now;
    if (now < *next) return XDP_DROP;
    // A late generator (preempted) catches up at most 64 frames, then restarts the schedule.
    *next = *next + 64 * c->interval_ns < now ? now : *next + c->interval_ns;
  }
  const __u32 flow = (__u32)(*seq % c->flows);
  *seq += 1;
  const __u32 saddr = bpf_htonl(c->src_base + flow / c->ports_per_address);
  const __u16 sport = bpf_htons(c->src_port_base + flow % c->ports_per_address);

  struct ethhdr *eth = data;
  __builtin_memcpy(eth->h_dest, c->dst_mac, ETH_ALEN);
  __builtin_memcpy(eth->h_source, c->src_mac, ETH_ALEN);
  eth->h_proto = bpf_htons(ETH_P_IP);

  struct iphdr *ip = (void *)(eth + 1);
  ip->version = 4;
  ip->ihl = 5;
  ip->tos = 0;
  ip->tot_len = bpf_htons(IP_LEN);
  ip->id = 0;
  ip->frag_off = 0;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->saddr = saddr;
  ip->daddr = c->dst_addr;
  ip->check = 0;
  // The header as ten 16-bit words (network order sums fold the same either way).
  __u32 sum = 0;
  __u16 *w = (__u16 *)ip;
#pragma unroll
  for (int i = 0; i < 10; i++) sum += w[i];
  ip->check = fold(sum);

  struct udphdr *udp = (void *)(ip + 1);
  udp->source = sport;
  udp->dest = c->dst_port;
  udp->len = bpf_htons(UDP_LEN);
  udp->check = 0;
  __u8 *payload = (void *)(udp + 1);
  __builtin_memset(payload, 0, PAYLOAD_LEN);
  // Pseudo-header + UDP header; the payload is zeros and adds nothing.
  sum = (saddr & 0xffff) + (saddr >> 16) + (c->dst_addr & 0xffff) + (c->dst_addr >> 16) +
        bpf_htons(IPPROTO_UDP) + bpf_htons(UDP_LEN) + sport + c->dst_port + bpf_htons(UDP_LEN);
  __u16 check = fold(sum);
  udp->check = check ? check : 0xffff;
  return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
