// SPDX-License-Identifier: GPL-2.0
// native/bpf/steer.bpf.c — the balancer's XDP steering program (one instance per data-plane
// interface, loaded by io/afxdp/steering_program.cc through libxdp). Runs in the kernel, in the
// NAPI context of the receiving queue.
//
// Consumes: every frame arriving on the interface. Produces: a redirect into the AF_XDP socket
// bound to the frame's rx queue (xsks_map[rx_queue_index]) for traffic xvs owns, XDP_PASS for
// the rest. xvs owns:
//   - TCP/UDP to a virtual service        (xvs_services: {daddr, dport, proto})
//   - TCP/UDP to a LIP on a port of local_port_range, and ICMP errors to a LIP quoting such a
//     port (xvs_lips, xvs_lip_ports: full-NAT replies and errors about them); the LIP's other
//     ports stay the host's (its own connections from that address)
//   - TCP/UDP from a nat real server      (xvs_nat_backends: {saddr, sport, proto}: nat replies),
//     unless addressed to the balancer itself (xvs_own_addresses: its health checks' replies)
//   - ICMP errors to a VIP                (xvs_vips), and ICMP errors whose quoted packet went to
//     a nat real server (the server's own errors about client packets)
//   - IPv4 fragments to a VIP or LIP      (the data plane drops and counts them)
//   - IPv6: the same for IPv6 services, VIPs, LIPs and nat servers (xvs_services6, xvs_vips6,
//     xvs_lips6, xvs_nat_backends6, xvs_own_addresses6), ICMPv6 errors (types 1-4) as ICMP
//     errors; a packet to an IPv6 VIP or LIP whose first next header is not TCP, UDP or ICMPv6
//     (extension headers, fragments) goes to the data plane, which walks the chain, and drops
//     and counts what it cannot balance. Neighbour discovery and echo stay the kernel's.
// Before any of that, the fast path: a TCP segment without SYN, FIN or RST, or a UDP datagram,
// whose tuple an owning worker installed in xvs_fast (xvs_fast6 for IPv6 packets without
// extension headers: an established connection) with the current generation, is rewritten (or, tunnel mode, encapsulated) here as the worker would
// and sent out (bpf_redirect), counted in the entry and in xvs_fast_counters. The
// worker stays the owner: it reads the entry's counters and last-seen time, and removes it.
// Everything else (ARP, neighbour discovery, SSH, health-check replies, the kernel's own traffic) goes to the
// kernel: AF_XDP cannot hand a frame back, so this program is what keeps that traffic away
// from xvs. The control thread fills the maps from each committed snapshot
// (AfxdpBackend::apply_steering). One 802.1Q tag is looked through. If no socket is bound to
// the queue, bpf_redirect_map falls back to XDP_PASS.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "../abi/fast_path.h"

// Keys: addresses and ports in network byte order, as in the packet. Mirrored in
// io/afxdp/steering_program.cc; the pad byte must be zero.
struct xvs_service_key {
  __u32 daddr;
  __u16 dport;
  __u8 proto;
  __u8 pad;
};
struct xvs_nat_key {
  __u32 saddr;
  __u16 sport;
  __u8 proto;
  __u8 pad;
};

struct xvs_service6_key {
  __u8 daddr[16];
  __u16 dport;
  __u8 proto;
  __u8 pad;
};
struct xvs_nat6_key {
  __u8 saddr[16];
  __u16 sport;
  __u8 proto;
  __u8 pad;
};
struct xvs_addr6 {
  __u8 bytes[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 16384);
  __type(key, struct xvs_service_key);
  __type(value, __u8);
} xvs_services SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 16384);
  __type(key, struct xvs_service6_key);
  __type(value, __u8);
} xvs_services6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 16384);
  __type(key, struct xvs_addr6);
  __type(value, __u8);
} xvs_vips6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1024);
  __type(key, struct xvs_addr6);
  __type(value, __u8);
} xvs_lips6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1048576);
  __type(key, struct xvs_nat6_key);
  __type(value, __u8);
} xvs_nat_backends6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1024);
  __type(key, struct xvs_addr6);
  __type(value, __u8);
} xvs_own_addresses6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, __u8);
} xvs_vips SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u8);
} xvs_lips SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1048576);
  __type(key, struct xvs_nat_key);
  __type(value, __u8);
} xvs_nat_backends SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u8);
} xvs_own_addresses SEC(".maps");

// dataplane.local_port_range, host order: {first, last} at key 0.
struct xvs_port_range {
  __u16 first;
  __u16 last;
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct xvs_port_range);
} xvs_lip_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, XVS_FAST_MAX_ENTRIES);
  __type(key, struct xvs_fast_key);
  __type(value, struct xvs_fast_entry);
} xvs_fast SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, XVS_FAST_MAX_ENTRIES);
  __type(key, struct xvs_fast_key6);
  __type(value, struct xvs_fast_entry6);
} xvs_fast6 SEC(".maps");

// [0]: the generation whose entries are current (0: none; the fast path is off).
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} xvs_fast_generation SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct xvs_fast_counters);
} xvs_fast_counters SEC(".maps");

// Created by the program at a server's first forwarded packet, deleted by the engine when the
// server's counter slot is freed.
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, XVS_FAST_MAX_ENTRIES);
  __type(key, __u32);
  __type(value, struct xvs_fast_traffic);
} xvs_fast_traffic SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, XVS_FAST_MAX_PORTS);
  __type(key, __u32);
  __type(value, __u32);
} xvs_fast_ports SEC(".maps");

// One entry per rx queue; the value is an AF_XDP socket fd (written by user space).
struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u32);
} xsks_map SEC(".maps");

// <linux/icmp.h> drags in libc socket headers that do not build for the bpf target.
struct xvs_icmphdr {
  __u8 type;
  __u8 code;
  __sum16 checksum;
  __be32 rest;
};
#define XVS_ICMP_DEST_UNREACH 3
#define XVS_ICMP_SOURCE_QUENCH 4
#define XVS_ICMP_TIME_EXCEEDED 11
#define XVS_ICMP_PARAMETERPROB 12
#define XVS_ETH_P_8021Q 0x8100
#define XVS_TCP_FIN 0x01
#define XVS_TCP_SYN 0x02
#define XVS_TCP_RST 0x04
#define XVS_IP_DF 0x4000
#define XVS_IP_MF 0x2000
#define XVS_IP_OFFSET 0x1fff

struct xvs_ports {
  __be16 source;
  __be16 dest;
};

static __always_inline int to_xsk(struct xdp_md *ctx) {
  return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

static __always_inline int is_icmp_error(__u8 type) {
  return type == XVS_ICMP_DEST_UNREACH || type == XVS_ICMP_SOURCE_QUENCH || type == XVS_ICMP_TIME_EXCEEDED ||
         type == XVS_ICMP_PARAMETERPROB;
}

static __always_inline int is_local_port(__be16 port) {
  __u32 zero = 0;
  struct xvs_port_range *range = bpf_map_lookup_elem(&xvs_lip_ports, &zero);
  if (!range) return 0;
  __u16 p = bpf_ntohs(port);
  return p >= range->first && p <= range->last;
}

// ICMP error to a LIP about a packet the data plane sent from one of its local ports (the quoted
// packet's source port). One it cannot read is the data plane's to count.
static __always_inline int quotes_local_port(void *icmp_start, void *data_end) {
  struct iphdr *inner = icmp_start + sizeof(struct xvs_icmphdr);
  if ((void *)(inner + 1) > data_end || inner->ihl < 5) return 1;
  if (inner->protocol != IPPROTO_TCP && inner->protocol != IPPROTO_UDP) return 0;
  struct xvs_ports *ports = (void *)inner + inner->ihl * 4;
  if ((void *)(ports + 1) > data_end) return 1;
  return is_local_port(ports->source);
}

// ICMP error whose quoted packet (IPv4 header + 8 bytes) went to a nat real server.
static __always_inline int quotes_nat_server(void *icmp_start, void *data_end) {
  struct iphdr *inner = icmp_start + sizeof(struct xvs_icmphdr);
  if ((void *)(inner + 1) > data_end) return 0;
  if (inner->ihl < 5 || (inner->protocol != IPPROTO_TCP && inner->protocol != IPPROTO_UDP)) return 0;
  struct xvs_ports *ports = (void *)inner + inner->ihl * 4;
  if ((void *)(ports + 1) > data_end) return 0;
  struct xvs_nat_key key = {.saddr = inner->daddr, .sport = ports->dest, .proto = inner->protocol, .pad = 0};
  return bpf_map_lookup_elem(&xvs_nat_backends, &key) != 0;
}

// RFC 1624: the checksum `*sum` plus a precomputed one's-complement delta.
static __always_inline void add_to_checksum(__sum16 *sum, __u32 delta) {
  __u32 s = (__u16)~*sum + delta;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  *sum = (__sum16)~s;
}

// Tunnel mode (lb/encap.h): an outer IPv4 header, protocol 4, from e->saddr to e->daddr, before
// the untouched packet; TOS, TTL, ID and DF copied from it. 0: done, the frame is the new one;
// -1: nothing changed (no headroom), the frame is the worker's — but the caller's packet
// pointers are void either way (the verifier's rule after bpf_xdp_adjust_head); 1: the frame
// was lost.
// Both families' encapsulation: `len` bytes of room before the packet for its outer header, and
// a new Ethernet header (from the entry's MACs, of type `proto`) before that. The outer header's
// place; 0 with *status -1 (no headroom: nothing changed) or 1 (the frame was lost).
static __always_inline void *push_outer_header(struct xdp_md *ctx, int len, const __u8 *src_mac, const __u8 *dst_mac, __be16 proto,
                                               int *status) {
  *status = -1;
  if (bpf_xdp_adjust_head(ctx, -len)) return 0;
  *status = 1;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) + len > data_end) return 0;  // cannot be: the frame only grew
  __builtin_memcpy(eth->h_dest, dst_mac, ETH_ALEN);
  __builtin_memcpy(eth->h_source, src_mac, ETH_ALEN);
  eth->h_proto = proto;
  *status = 0;
  return eth + 1;
}

static __always_inline int encapsulate(struct xdp_md *ctx, const struct xvs_fast_entry *e, struct iphdr *ip) {
  const __u8 tos = ip->tos, ttl = ip->ttl;
  const __be16 inner_length = ip->tot_len, id = ip->id, df = ip->frag_off & bpf_htons(XVS_IP_DF);
  int status;
  struct iphdr *outer = push_outer_header(ctx, sizeof(struct iphdr), e->src_mac, e->dst_mac, bpf_htons(ETH_P_IP), &status);
  if (!outer) return status;
  outer->version = 4;
  outer->ihl = 5;
  outer->tos = tos;
  outer->tot_len = bpf_htons(bpf_ntohs(inner_length) + sizeof(struct iphdr));
  outer->id = id;
  outer->frag_off = df;
  outer->ttl = ttl;
  outer->protocol = IPPROTO_IPIP;
  outer->check = 0;
  outer->saddr = e->saddr;
  outer->daddr = e->daddr;
  const __u16 *word = (const __u16 *)outer;
  __u32 sum = 0;
#pragma unroll
  for (int i = 0; i < (int)(sizeof(struct iphdr) / 2); ++i) sum += word[i];
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  outer->check = (__sum16)~sum;
  return 0;
}

// What both families' fast paths do once the frame is rewritten: count it for its server (in its
// direction) and in the totals, and send it out of interface `ifindex`.
static __always_inline int count_and_send(struct xvs_fast_counters *counters, __u32 server_slot, __u8 from_server, __u32 ip_bytes,
                                          __u32 ifindex) {
  struct xvs_fast_traffic *t = bpf_map_lookup_elem(&xvs_fast_traffic, &server_slot);
  if (!t) {
    struct xvs_fast_traffic fresh = {};
    bpf_map_update_elem(&xvs_fast_traffic, &server_slot, &fresh, BPF_NOEXIST);
    t = bpf_map_lookup_elem(&xvs_fast_traffic, &server_slot);
  }
  if (!t) {
    counters->uncounted++;
  } else {
    if (from_server) {
      t->out_packets++;
      t->out_bytes += ip_bytes;
    } else {
      t->in_packets++;
      t->in_bytes += ip_bytes;
    }
  }
  counters->packets++;
  counters->bytes += ip_bytes;
  // A redirect even back out of the arrival interface, never XDP_TX: veth flushes an XDP_TX only
  // towards a peer that runs an XDP program (a peer with just GRO gets the frames late or never),
  // while a redirect is flushed to any peer that runs NAPI.
  return bpf_redirect(ifindex, 0) == XDP_REDIRECT ? XDP_REDIRECT : XDP_ABORTED;  // (no flags: always a redirect)
}

// The checksum field of a plain TCP segment (no SYN, FIN or RST) or a UDP datagram at `l4`, or 0
// for what the fast path leaves to the worker (cut short, or a TCP state change).
static __always_inline __sum16 *plain_l4_checksum(__u8 protocol, void *l4, void *data_end) {
  if (protocol == IPPROTO_TCP) {
    __u8 *tcp = l4;
    if ((void *)(tcp + 20) > data_end || (tcp[13] & (XVS_TCP_SYN | XVS_TCP_FIN | XVS_TCP_RST))) return 0;
    return (__sum16 *)(tcp + 16);
  }
  __u8 *udp = l4;
  if ((void *)(udp + 8) > data_end) return 0;
  return (__sum16 *)(udp + 6);
}

// The interface index of fast-path egress port `port`, 0 where the fast path must not send.
static __always_inline __u32 fast_egress(__u8 port) {
  __u32 key = port;
  __u32 *ifindex = bpf_map_lookup_elem(&xvs_fast_ports, &key);
  return ifindex ? *ifindex : 0;
}

// The fast path (see the header): XDP_TX or XDP_REDIRECT when it sent the frame, -1 when the
// frame is the worker's. `l4` is within the packet for at least 4 bytes (the ports).
static __always_inline int fast_path(struct xdp_md *ctx, struct ethhdr *eth, struct iphdr *ip, void *l4, void *data_end) {
  __sum16 *l4sum = plain_l4_checksum(ip->protocol, l4, data_end);
  if (!l4sum) return -1;
  __u32 zero = 0;
  __u32 *current = bpf_map_lookup_elem(&xvs_fast_generation, &zero);
  if (!current || *current == 0) return -1;  // the fast path is off: one array lookup per packet
  struct xvs_ports *ports = l4;
  struct xvs_fast_key key = {.saddr = ip->saddr, .daddr = ip->daddr, .sport = ports->source, .dport = ports->dest,
                             .protocol = ip->protocol};
  struct xvs_fast_entry *e = bpf_map_lookup_elem(&xvs_fast, &key);
  if (!e) return -1;
  struct xvs_fast_counters *counters = bpf_map_lookup_elem(&xvs_fast_counters, &zero);
  if (!counters) return -1;
  if (e->generation != *current) {
    counters->stale++;
    return -1;
  }
  if ((e->flags & XVS_FAST_ROUTED) && ip->ttl <= 1) return -1;  // the worker drops and counts it
  const __u32 ifindex = fast_egress(e->egress_port);
  if (ifindex == 0) return -1;
  const __u16 ip_bytes = bpf_ntohs(ip->tot_len);
  if (e->flags & XVS_FAST_TUNNEL) {
    // Behind a VLAN tag, or too big for the tunnel: the worker's (it moves the tag, or answers
    // with fragmentation needed).
    if ((void *)ip != (void *)(eth + 1) || ip_bytes > e->max_len) return -1;
    const int made = encapsulate(ctx, e, ip);
    // The worker drops it (drop_no_headroom), as it would. Verdicts after the head moved are
    // constants: the caller tests them, and the verifier must see it cannot fall through.
    if (made < 0) return to_xsk(ctx) == XDP_REDIRECT ? XDP_REDIRECT : XDP_PASS;
    if (made > 0) return XDP_ABORTED;
  } else {
    if (e->flags & XVS_FAST_ROUTED) {
      --ip->ttl;
      ip->saddr = e->saddr;
      ip->daddr = e->daddr;
      ports->source = e->sport;
      ports->dest = e->dport;
      add_to_checksum(&ip->check, e->ip_delta);
      // UDP: a zero checksum means "none" and stays zero; a computed zero goes out as 0xffff.
      if (ip->protocol == IPPROTO_TCP || *l4sum != 0) {
        add_to_checksum(l4sum, e->l4_delta);
        if (ip->protocol == IPPROTO_UDP && *l4sum == 0) *l4sum = 0xffff;
      }
    }
    __builtin_memcpy(eth->h_source, e->src_mac, ETH_ALEN);
    __builtin_memcpy(eth->h_dest, e->dst_mac, ETH_ALEN);
  }
  e->last_seen_ns = bpf_ktime_get_ns();
  return count_and_send(counters, e->server_slot, e->from_server, ip_bytes, ifindex);
}

#define XVS_IPPROTO_ICMPV6 58
#define XVS_IPPROTO_IPV6 41

// Tunnel mode over IPv6 (lb/encap6.h): an outer IPv6 header, next header 41, from e->saddr to
// e->daddr, before the untouched packet; version, traffic class, flow label and hop limit copied
// from it. Returns as encapsulate().
static __always_inline int encapsulate6(struct xdp_md *ctx, const struct xvs_fast_entry6 *e, struct ipv6hdr *ip6) {
  __u32 first_word;
  __builtin_memcpy(&first_word, ip6, 4);
  const __u8 hop_limit = ip6->hop_limit;
  const __u16 inner_length = bpf_ntohs(ip6->payload_len) + sizeof(struct ipv6hdr);
  int status;
  struct ipv6hdr *outer = push_outer_header(ctx, sizeof(struct ipv6hdr), e->src_mac, e->dst_mac, bpf_htons(ETH_P_IPV6), &status);
  if (!outer) return status;
  __builtin_memcpy(outer, &first_word, 4);
  outer->payload_len = bpf_htons(inner_length);
  outer->nexthdr = XVS_IPPROTO_IPV6;
  outer->hop_limit = hop_limit;
  __builtin_memcpy(&outer->saddr, e->saddr, 16);
  __builtin_memcpy(&outer->daddr, e->daddr, 16);
  return 0;
}

// The fast path of an IPv6 packet whose first next header is TCP or UDP (the header's, over
// xvs_fast6). Returns as fast_path().
static __always_inline int fast_path6(struct xdp_md *ctx, struct ethhdr *eth, struct ipv6hdr *ip6, void *l4, void *data_end) {
  __sum16 *l4sum = plain_l4_checksum(ip6->nexthdr, l4, data_end);
  if (!l4sum) return -1;
  if (ip6->nexthdr == IPPROTO_UDP && *l4sum == 0) return -1;  // IPv6 forbids it: the worker drops and counts it
  __u32 zero = 0;
  __u32 *current = bpf_map_lookup_elem(&xvs_fast_generation, &zero);
  if (!current || *current == 0) return -1;
  struct xvs_ports *ports = l4;
  struct xvs_fast_key6 key = {.sport = ports->source, .dport = ports->dest, .protocol = ip6->nexthdr};
  __builtin_memcpy(key.saddr, &ip6->saddr, 16);
  __builtin_memcpy(key.daddr, &ip6->daddr, 16);
  struct xvs_fast_entry6 *e = bpf_map_lookup_elem(&xvs_fast6, &key);
  if (!e) return -1;
  struct xvs_fast_counters *counters = bpf_map_lookup_elem(&xvs_fast_counters, &zero);
  if (!counters) return -1;
  if (e->generation != *current) {
    counters->stale++;
    return -1;
  }
  if ((e->flags & XVS_FAST_ROUTED) && ip6->hop_limit <= 1) return -1;  // the worker answers it
  const __u32 ifindex = fast_egress(e->egress_port);
  if (ifindex == 0) return -1;
  const __u32 ip_bytes = bpf_ntohs(ip6->payload_len) + sizeof(struct ipv6hdr);
  if (e->flags & XVS_FAST_TUNNEL) {
    // Behind a VLAN tag, or too big for the tunnel (the worker answers "packet too big").
    if ((void *)ip6 != (void *)(eth + 1) || ip_bytes > e->max_len) return -1;
    const int made = encapsulate6(ctx, e, ip6);
    if (made < 0) return to_xsk(ctx) == XDP_REDIRECT ? XDP_REDIRECT : XDP_PASS;
    if (made > 0) return XDP_ABORTED;
  } else {
    if (e->flags & XVS_FAST_ROUTED) {
      --ip6->hop_limit;
      __builtin_memcpy(&ip6->saddr, e->saddr, 16);
      __builtin_memcpy(&ip6->daddr, e->daddr, 16);
      ports->source = e->sport;
      ports->dest = e->dport;
      add_to_checksum(l4sum, e->l4_delta);
      if (ip6->nexthdr == IPPROTO_UDP && *l4sum == 0) *l4sum = 0xffff;
    }
    __builtin_memcpy(eth->h_source, e->src_mac, ETH_ALEN);
    __builtin_memcpy(eth->h_dest, e->dst_mac, ETH_ALEN);
  }
  e->last_seen_ns = bpf_ktime_get_ns();
  return count_and_send(counters, e->server_slot, e->from_server, ip_bytes, ifindex);
}

// An ICMPv6 error quoting a packet the data plane sent from one of its local ports, or one to a
// nat server. A quote whose first next header is not TCP/UDP (extension headers) is the data
// plane's to read when it is about a local port (`unreadable`), nobody's otherwise.
static __always_inline int quotes_local_port6(void *icmp_start, void *data_end) {
  struct ipv6hdr *inner = icmp_start + sizeof(struct xvs_icmphdr);
  if ((void *)(inner + 1) > data_end) return 1;
  if (inner->nexthdr != IPPROTO_TCP && inner->nexthdr != IPPROTO_UDP) return inner->nexthdr != XVS_IPPROTO_ICMPV6;
  struct xvs_ports *ports = (void *)(inner + 1);
  if ((void *)(ports + 1) > data_end) return 1;
  return is_local_port(ports->source);
}

static __always_inline int quotes_nat_server6(void *icmp_start, void *data_end) {
  struct ipv6hdr *inner = icmp_start + sizeof(struct xvs_icmphdr);
  if ((void *)(inner + 1) > data_end) return 0;
  if (inner->nexthdr != IPPROTO_TCP && inner->nexthdr != IPPROTO_UDP) return 0;
  struct xvs_ports *ports = (void *)(inner + 1);
  if ((void *)(ports + 1) > data_end) return 0;
  struct xvs_nat6_key key = {.sport = ports->dest, .proto = inner->nexthdr, .pad = 0};
  __builtin_memcpy(key.saddr, &inner->daddr, 16);
  return bpf_map_lookup_elem(&xvs_nat_backends6, &key) != 0;
}

// What xvs_steer decides for an IPv6 packet at `l3` (see the header).
static __always_inline int steer_ipv6(struct xdp_md *ctx, struct ethhdr *eth, void *l3, void *data_end) {
  struct ipv6hdr *ip6 = l3;
  if ((void *)(ip6 + 1) > data_end) return XDP_PASS;
  struct xvs_addr6 daddr;
  __builtin_memcpy(daddr.bytes, &ip6->daddr, 16);
  const int to_lip = bpf_map_lookup_elem(&xvs_lips6, &daddr) != 0;
  const __u8 next = ip6->nexthdr;
  void *l4 = ip6 + 1;
  if (next == IPPROTO_TCP || next == IPPROTO_UDP) {
    struct xvs_ports *ports = l4;
    if ((void *)(ports + 1) > data_end) return to_lip ? to_xsk(ctx) : XDP_PASS;
    const int sent = fast_path6(ctx, eth, ip6, l4, data_end);
    if (sent >= 0) return sent;
    if (to_lip) return is_local_port(ports->dest) ? to_xsk(ctx) : XDP_PASS;
    struct xvs_service6_key svc = {.dport = ports->dest, .proto = next, .pad = 0};
    __builtin_memcpy(svc.daddr, daddr.bytes, 16);
    if (bpf_map_lookup_elem(&xvs_services6, &svc)) return to_xsk(ctx);
    struct xvs_nat6_key nat = {.sport = ports->source, .proto = next, .pad = 0};
    __builtin_memcpy(nat.saddr, &ip6->saddr, 16);
    if (bpf_map_lookup_elem(&xvs_nat_backends6, &nat) && !bpf_map_lookup_elem(&xvs_own_addresses6, &daddr)) return to_xsk(ctx);
    return XDP_PASS;
  }
  if (next == XVS_IPPROTO_ICMPV6) {
    struct xvs_icmphdr *icmp = l4;
    if ((void *)(icmp + 1) > data_end || icmp->type < 1 || icmp->type > 4) return XDP_PASS;  // NDP, echo: the kernel's
    if (to_lip) return quotes_local_port6(icmp, data_end) ? to_xsk(ctx) : XDP_PASS;
    if (bpf_map_lookup_elem(&xvs_vips6, &daddr)) return to_xsk(ctx);
    if (quotes_nat_server6(icmp, data_end)) return to_xsk(ctx);
    return XDP_PASS;
  }
  // Extension headers or fragments: the data plane walks the chain.
  return to_lip || bpf_map_lookup_elem(&xvs_vips6, &daddr) ? to_xsk(ctx) : XDP_PASS;
}

SEC("xdp")
int xvs_steer(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  __u16 type = eth->h_proto;
  void *l3 = eth + 1;
  if (type == bpf_htons(XVS_ETH_P_8021Q)) {
    struct {
      __be16 tci;
      __be16 type;
    } *vlan = l3;
    if ((void *)(vlan + 1) > data_end) return XDP_PASS;
    type = vlan->type;
    l3 = vlan + 1;
  }
  if (type == bpf_htons(ETH_P_IPV6)) return steer_ipv6(ctx, eth, l3, data_end);
  if (type != bpf_htons(ETH_P_IP)) return XDP_PASS;

  struct iphdr *ip = l3;
  if ((void *)(ip + 1) > data_end || ip->ihl < 5) return XDP_PASS;
  __u32 daddr = ip->daddr;
  const int to_lip = bpf_map_lookup_elem(&xvs_lips, &daddr) != 0;
  if (ip->frag_off & bpf_htons(XVS_IP_MF | XVS_IP_OFFSET))
    return to_lip || bpf_map_lookup_elem(&xvs_vips, &daddr) ? to_xsk(ctx) : XDP_PASS;

  void *l4 = (void *)ip + ip->ihl * 4;
  if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
    struct xvs_ports *ports = l4;
    if ((void *)(ports + 1) > data_end) return to_lip ? to_xsk(ctx) : XDP_PASS;  // a truncated one is dropped and counted there
    if (ip->ihl == 5) {
      const int sent = fast_path(ctx, eth, ip, l4, data_end);
      if (sent >= 0) return sent;
    }
    if (to_lip) return is_local_port(ports->dest) ? to_xsk(ctx) : XDP_PASS;  // full-NAT replies
    struct xvs_service_key svc = {.daddr = daddr, .dport = ports->dest, .proto = ip->protocol, .pad = 0};
    if (bpf_map_lookup_elem(&xvs_services, &svc)) return to_xsk(ctx);
    struct xvs_nat_key nat = {.saddr = ip->saddr, .sport = ports->source, .proto = ip->protocol, .pad = 0};
    if (bpf_map_lookup_elem(&xvs_nat_backends, &nat) && !bpf_map_lookup_elem(&xvs_own_addresses, &daddr)) return to_xsk(ctx);
    return XDP_PASS;
  }
  if (ip->protocol == IPPROTO_ICMP) {
    // Echo requests to a LIP stay with the kernel (it owns the LIP for ARP and answers ping).
    struct xvs_icmphdr *icmp = l4;
    if ((void *)(icmp + 1) > data_end || !is_icmp_error(icmp->type)) return XDP_PASS;
    if (to_lip) return quotes_local_port(icmp, data_end) ? to_xsk(ctx) : XDP_PASS;
    if (bpf_map_lookup_elem(&xvs_vips, &daddr)) return to_xsk(ctx);
    if (quotes_nat_server(icmp, data_end)) return to_xsk(ctx);
  }
  return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
