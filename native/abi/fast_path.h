/* native/abi/fast_path.h — the XDP fast path's maps, shared word for word by the steering
 * program (native/bpf/steer.bpf.c, C for the bpf target) and the data plane (C++): one
 * declaration on both sides of the kernel boundary, so that neither can drift (DESIGN principle 7).
 *
 * A worker that holds an established connection installs one entry per direction: the packet's
 * tuple as it arrives (xvs_fast_key) and what the worker would do with it (xvs_fast_entry: the
 * rewritten addresses and ports and the checksum deltas of that rewrite, or the outer addresses
 * of a tunnel; the MACs and the egress port). The steering program applies it to plain segments
 * and datagrams of the flow (no SYN, FIN or RST) and transmits them itself; everything else
 * still goes to the worker.
 *
 * Writers: the owning worker writes an entry at install (bpf_map_update_elem), except
 * last_seen_ns, which the steering program stores (a flow arrives on one receive queue, so one
 * CPU writes it). Each CPU counts what it forwarded in its own copy of xvs_fast_traffic (by the
 * server's counter slot) and xvs_fast_counters. The engine writes xvs_fast_generation[0] and
 * xvs_fast_ports (at every commit) and deletes a server's xvs_fast_traffic entry when its slot is
 * freed. Readers: the steering program reads the rest; the owning worker reads last_seen_ns for
 * its timeouts; the engine sums the per-CPU counts into the servers' traffic and its totals.
 */
#ifndef XVS_ABI_FAST_PATH_H
#define XVS_ABI_FAST_PATH_H

#include <linux/types.h>

/* Map names in the steering object (the worker and the tests find them by name). */
#define XVS_FAST_MAP "xvs_fast"
#define XVS_FAST6_MAP "xvs_fast6"
#define XVS_FAST_GENERATION_MAP "xvs_fast_generation"
#define XVS_FAST_COUNTERS_MAP "xvs_fast_counters"
#define XVS_FAST_PORTS_MAP "xvs_fast_ports"
#define XVS_FAST_TRAFFIC_MAP "xvs_fast_traffic"
/* Ports (interfaces) of an engine: abi::kMaxPorts. */
#define XVS_FAST_MAX_PORTS 8
/* Entries the fast-path map holds at most (both directions of a connection are two). */
#define XVS_FAST_MAX_ENTRIES (1u << 20)

/* The flow as its packets arrive, network order; pad is zero. */
struct xvs_fast_key {
  __be32 saddr;
  __be32 daddr;
  __be16 sport;
  __be16 dport;
  __u8 protocol;
  __u8 pad[3];
};

/* xvs_fast_entry.flags */
#define XVS_FAST_ROUTED 0x1 /* nat, fullnat: addresses and ports rewritten, TTL decremented */
#define XVS_FAST_TUNNEL 0x2 /* tunnel: the packet, untouched, inside an IPIP header from saddr to daddr */

struct xvs_fast_entry {
  /* What the worker would write (for dr: the addresses and ports as they are, deltas 0; for a
   * tunnel: the outer header's addresses, ports unused). */
  __be32 saddr;
  __be32 daddr;
  __be16 sport;
  __be16 dport;
  /* One's-complement sums (16-bit words as they lie in memory, folded) that the rewrite adds to
   * the IPv4 header checksum (addresses and the TTL decrement) and to the TCP/UDP checksum
   * (pseudo-header addresses and ports): RFC 1624, precomputed by the worker. */
  __u32 ip_delta;
  __u32 l4_delta;
  __u8 src_mac[6];
  __u8 dst_mac[6];
  __u32 generation;      /* low 32 bits of the snapshot generation the rewrite comes from */
  __u32 server_slot;     /* the server's counter slot (lb/server_counters.h): its xvs_fast_traffic key */
  __u8 egress_port;      /* the I/O port it leaves by: xvs_fast_ports[egress_port] */
  __u8 flags;
  __u8 worker;           /* the owner */
  __u8 from_server;      /* 1: the server's direction ("out" in ipvsadm --stats), 0: the client's ("in") */
  __u16 max_len;         /* tunnel: the longest IPv4 packet whose encapsulation fits the egress MTU;
                          * a longer one is the worker's (fragmentation needed, lb/encap.h) */
  /* Written by the steering program. */
  __u64 last_seen_ns;    /* bpf_ktime_get_ns() of the last packet it forwarded */
};

/* IPv6 connections (not NAT64: the family changes there, which is the worker's), in their own map:
 * the same as above with 16-byte addresses. No IP header checksum: l4_delta alone (addresses and
 * ports); a routed hop decrements the hop limit. A tunnel's outer header is IPv6 (next header
 * 41, RFC 2473), and max_len bounds the inner IPv6 packet. */
struct xvs_fast_key6 {
  __u8 saddr[16];
  __u8 daddr[16];
  __be16 sport;
  __be16 dport;
  __u8 protocol;
  __u8 pad[3];
};

struct xvs_fast_entry6 {
  __u8 saddr[16];
  __u8 daddr[16];
  __be16 sport;
  __be16 dport;
  __u32 l4_delta;
  __u8 src_mac[6];
  __u8 dst_mac[6];
  __u32 generation;
  __u32 server_slot;
  __u8 egress_port;
  __u8 flags;
  __u8 worker;
  __u8 from_server;
  __u16 max_len;
  __u16 pad[3];
  __u64 last_seen_ns;
};

/* xvs_fast_traffic[server_slot], per CPU: what the steering program forwarded for that server,
 * as the workers count it (lb/traffic.h; bytes: IP total length as received). */
struct xvs_fast_traffic {
  __u64 in_packets;
  __u64 in_bytes;
  __u64 out_packets;
  __u64 out_bytes;
};

/* xvs_fast_ports[port]: that port's interface index, or 0 where the kernel cannot take XDP
 * transmissions (no NDO_XMIT, e.g. a veth whose peer runs no NAPI): its flows stay with the
 * workers. The program sends with bpf_redirect(), also back out of the arrival interface. */

/* xvs_fast_counters: one per CPU (a per-CPU array of one entry). */
struct xvs_fast_counters {
  __u64 packets;
  __u64 bytes;
  __u64 stale;      /* matched an entry of another generation: left to the worker */
  __u64 uncounted;  /* forwarded without a server count: xvs_fast_traffic was full */
};

#endif
