// SPDX-License-Identifier: GPL-2.0
// native/bpf/decap.bpf.c — the real server's side of tunnel mode: strips the outer IPv4 header
// of IP-in-IP packets (protocol 4, as xvs and IPVS send them), and the outer IPv6 header of
// IPv6-in-IPv6 packets (next header 41, as xvs sends them for IPv6 services, RFC 2473), and
// passes the inner packet to the kernel, so that a real server needs no ipip or ip6_tunnel
// module (the kernels xvs runs on have none).
// Loaded by kernel/decap_program.cc through libxdp (`xvs decap --iface IF`) and left attached
// when that process exits. Runs in the kernel, in the NAPI context of the receiving queue.
//
// Consumes: every frame arriving on the interface. Produces: for an IPIP packet whose outer
// destination AND inner destination are local addresses of this host (xvs_decap_local), the
// same frame with the outer IPv4 header removed (Ethernet header and one 802.1Q tag kept) and
// XDP_PASS (the same for ip6ip6 against xvs_decap_local6, the outer IPv6 header without extension
// headers); the kernel then routes the inner packet, which is for a VIP held on lo. Everything
// else is XDP_PASS untouched: the kernel drops what it cannot handle (an IPIP packet it is
// given is answered with "protocol unreachable"). Every outcome is counted in xvs_decap_stats
// (per CPU, summed by user space).
//
// Why a map and not bpf_fib_lookup: on a host with IPv4 forwarding off (the normal real
// server, and the default), bpf_fib_lookup answers BPF_FIB_LKUP_RET_FWD_DISABLED for every
// destination before looking anything up (checked on kernel 6.18); only with forwarding on
// does it answer NOT_FWDED for local addresses. So user space copies the kernel's local routes
// (type local: every address of the host, 127.0.0.0/8, VIPs on lo, AnyIP prefixes) into an LPM
// trie when it attaches the program; re-running `xvs decap --iface IF` refreshes the copy.
// Why the inner destination is checked too: the ipip module decapsulates any IPIP to a local
// address and routes the inner packet, forwarding it if forwarding is on. That makes a host an
// open relay for anyone who can reach it; tunnel mode only ever needs the inner packet
// delivered locally (to a VIP), so that is all this program does.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define XVS_ETH_P_8021Q 0x8100
#define XVS_IP_MF 0x2000
#define XVS_IP_OFFSET 0x1fff
#define XVS_VLAN_HLEN 4
#define XVS_IPPROTO_IPV6 41

// Counter indices: mirrored, in this order, by kDecapCounterNames in kernel/decap_program.h.
enum xvs_decap_counter {
  XVS_DECAP_DECAPSULATED,      // outer header removed, inner packet passed to the kernel
  XVS_DECAP_NOT_IPIP,          // not IP (ARP, two VLAN tags), or IPv4/IPv6 carrying something else
  XVS_DECAP_NOT_LOCAL,         // IPIP whose outer destination is not local: someone else's
  XVS_DECAP_INNER_NOT_LOCAL,   // IPIP to us whose inner destination is not local (VIP not on lo?)
  XVS_DECAP_MALFORMED_OUTER,   // outer IPv4 truncated, IHL < 5, version != 4, bad total length
  XVS_DECAP_BAD_OUTER_CSUM,    // outer IPv4 header checksum wrong
  XVS_DECAP_OUTER_FRAGMENT,    // outer packet is a fragment (nothing is reassembled here)
  XVS_DECAP_INNER_TRUNCATED,   // inner IPv4 header short, IHL < 5, or lengths that do not fit
  XVS_DECAP_INNER_NOT_IPV4,    // protocol 4 but the inner version is not 4
  XVS_DECAP_ADJUST_FAILED,     // bpf_xdp_adjust_head refused (should not happen)
  XVS_DECAP_INNER_NOT_IPV6,    // next header 41 but the inner version is not 6
  XVS_DECAP_COUNTERS,
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, XVS_DECAP_COUNTERS);
  __type(key, __u32);
  __type(value, __u64);
} xvs_decap_stats SEC(".maps");

// The kernel's local routes (addresses in network byte order), filled by user space.
struct xvs_lpm_v4 {
  __u32 prefixlen;
  __u32 addr;
};
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 65536);
  __type(key, struct xvs_lpm_v4);
  __type(value, __u8);
} xvs_decap_local SEC(".maps");

struct xvs_lpm_v6 {
  __u32 prefixlen;
  __u8 addr[16];
};
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 65536);
  __type(key, struct xvs_lpm_v6);
  __type(value, __u8);
} xvs_decap_local6 SEC(".maps");

static __always_inline int count(__u32 which) {
  __u64 *c = bpf_map_lookup_elem(&xvs_decap_stats, &which);
  if (c) *c += 1;
  return XDP_PASS;
}

static __always_inline int is_local(__u32 addr) {
  struct xvs_lpm_v4 key = {.prefixlen = 32, .addr = addr};
  return bpf_map_lookup_elem(&xvs_decap_local, &key) != 0;
}

static __always_inline int is_local6(const struct in6_addr *addr) {
  struct xvs_lpm_v6 key = {.prefixlen = 128};
  __builtin_memcpy(key.addr, addr, 16);
  return bpf_map_lookup_elem(&xvs_decap_local6, &key) != 0;
}

// The one's-complement sum of an intact IPv4 header is 0xffff. The header is copied to the stack
// first: a loop over packet bytes with a variable end is hard to prove safe to the verifier.
static __always_inline int header_checksum_ok(struct xdp_md *ctx, __u32 offset, __u32 len) {
  __u16 words[30];  // the longest IPv4 header: 60 bytes
  if (len < 20 || len > sizeof(words)) return 0;
  if (bpf_xdp_load_bytes(ctx, offset, words, len) != 0) return 0;
  __u32 sum = 0;
  for (__u32 i = 0; i < 30; i++) {
    if (i * 2 >= len) break;
    sum += words[i];
  }
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

// Puts the saved link-layer header (`l2`, tagged or not) back in front of the frame, whose head
// has moved past the outer header, with `type` as its (innermost) ethertype.
static __always_inline int restore_l2(struct xdp_md *ctx, const unsigned char *l2, int tagged, __be16 type) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  // The inner header (20 bytes or more) follows, so this always holds; the verifier wants it.
  // The frame has lost its outer header already: passing it on would hand the kernel junk.
  if (data + ETH_HLEN + XVS_VLAN_HLEN > data_end) {
    count(XVS_DECAP_ADJUST_FAILED);
    return XDP_DROP;
  }
  if (tagged) {
    __builtin_memcpy(data, l2, ETH_HLEN + XVS_VLAN_HLEN);
    ((__be16 *)(data + ETH_HLEN))[1] = type;  // the tag's inner type
  } else {
    __builtin_memcpy(data, l2, ETH_HLEN);
    ((struct ethhdr *)data)->h_proto = type;
  }
  return count(XVS_DECAP_DECAPSULATED);
}

// IPv6 in IPv6: the outer header (no extension headers: xvs sends none) to a local address, an
// inner IPv6 packet to a local address (a VIP on lo) that fits the outer payload.
static __always_inline int decap_ipv6(struct xdp_md *ctx, void *data, void *data_end, struct ipv6hdr *outer, int tagged) {
  if ((void *)(outer + 1) > data_end || outer->version != 6) return count(XVS_DECAP_MALFORMED_OUTER);
  if (outer->nexthdr != XVS_IPPROTO_IPV6) return count(XVS_DECAP_NOT_IPIP);
  if (!is_local6(&outer->daddr)) return count(XVS_DECAP_NOT_LOCAL);
  const __u32 payload = bpf_ntohs(outer->payload_len);
  if ((void *)(outer + 1) + payload > data_end) return count(XVS_DECAP_MALFORMED_OUTER);
  struct ipv6hdr *inner = (void *)(outer + 1);
  if ((void *)(inner + 1) > data_end || payload < sizeof(struct ipv6hdr)) return count(XVS_DECAP_INNER_TRUNCATED);
  if (inner->version != 6) return count(XVS_DECAP_INNER_NOT_IPV6);
  if (bpf_ntohs(inner->payload_len) + sizeof(struct ipv6hdr) > payload) return count(XVS_DECAP_INNER_TRUNCATED);
  if (!is_local6(&inner->daddr)) return count(XVS_DECAP_INNER_NOT_LOCAL);
  unsigned char l2[ETH_HLEN + XVS_VLAN_HLEN];
  if (tagged)
    __builtin_memcpy(l2, data, ETH_HLEN + XVS_VLAN_HLEN);
  else
    __builtin_memcpy(l2, data, ETH_HLEN);
  if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct ipv6hdr)) != 0) return count(XVS_DECAP_ADJUST_FAILED);
  return restore_l2(ctx, l2, tagged, bpf_htons(ETH_P_IPV6));
}

SEC("xdp")
int xvs_decap(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return count(XVS_DECAP_NOT_IPIP);
  __u16 type = eth->h_proto;
  struct iphdr *outer = (void *)(eth + 1);
  int tagged = 0;
  if (type == bpf_htons(XVS_ETH_P_8021Q)) {
    struct {
      __be16 tci;
      __be16 type;
    } *vlan = (void *)(eth + 1);
    if ((void *)(vlan + 1) > data_end) return count(XVS_DECAP_NOT_IPIP);
    type = vlan->type;
    outer = (void *)(vlan + 1);
    tagged = 1;
  }
  if (type == bpf_htons(ETH_P_IPV6)) return decap_ipv6(ctx, data, data_end, (void *)outer, tagged);
  if (type != bpf_htons(ETH_P_IP)) return count(XVS_DECAP_NOT_IPIP);

  if ((void *)(outer + 1) > data_end || outer->ihl < 5 || outer->version != 4)
    return count(XVS_DECAP_MALFORMED_OUTER);
  if (outer->protocol != IPPROTO_IPIP) return count(XVS_DECAP_NOT_IPIP);
  if (!is_local(outer->daddr)) return count(XVS_DECAP_NOT_LOCAL);

  const __u32 outer_len = outer->ihl * 4;
  const __u32 outer_total = bpf_ntohs(outer->tot_len);
  // The frame may carry Ethernet padding after the packet, never less than the packet.
  if (outer_total < outer_len || (void *)outer + outer_total > data_end) return count(XVS_DECAP_MALFORMED_OUTER);
  if (!header_checksum_ok(ctx, (void *)outer - data, outer_len)) return count(XVS_DECAP_BAD_OUTER_CSUM);
  if (outer->frag_off & bpf_htons(XVS_IP_MF | XVS_IP_OFFSET)) return count(XVS_DECAP_OUTER_FRAGMENT);

  struct iphdr *inner = (void *)outer + outer_len;
  if ((void *)(inner + 1) > data_end || outer_total < outer_len + sizeof(struct iphdr))
    return count(XVS_DECAP_INNER_TRUNCATED);
  if (inner->version != 4) return count(XVS_DECAP_INNER_NOT_IPV4);
  const __u32 inner_total = bpf_ntohs(inner->tot_len);
  if (inner->ihl < 5 || inner_total < inner->ihl * 4u || inner_total > outer_total - outer_len)
    return count(XVS_DECAP_INNER_TRUNCATED);
  if (!is_local(inner->daddr)) return count(XVS_DECAP_INNER_NOT_LOCAL);

  // Keep the link-layer header (destination MAC decides whether the kernel takes the frame at
  // all), drop the outer IPv4 header in front of the inner one, put the header back in front.
  unsigned char l2[ETH_HLEN + XVS_VLAN_HLEN];
  if (tagged)
    __builtin_memcpy(l2, data, ETH_HLEN + XVS_VLAN_HLEN);
  else
    __builtin_memcpy(l2, data, ETH_HLEN);
  if (bpf_xdp_adjust_head(ctx, (int)outer_len) != 0) return count(XVS_DECAP_ADJUST_FAILED);
  return restore_l2(ctx, l2, tagged, bpf_htons(ETH_P_IP));
}

char _license[] SEC("license") = "GPL";
