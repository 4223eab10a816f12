// native/abi/counters.h — every per-worker counter, declared once. Workers increment their own
// private copy on the fast path and publish it at safe points; readers (the control thread
// through the binding, src/stats) sum the published blocks across workers. The names cross
// to TypeScript through layout() and are checked against src/native/abi.ts.
#pragma once
#include <cstdint>

namespace xvs::abi {

// C(name, help). Order is the index in the counter block; append, never reorder.
#define XVS_TRAFFIC_COUNTERS(C)                                                        \
  C(rx_packets, "frames received from the NIC queues")                                 \
  C(rx_bytes, "bytes received")                                                        \
  C(tx_packets, "frames transmitted after rewriting")                                  \
  C(tx_bytes, "bytes transmitted")                                                     \
  C(pass_packets, "frames not for the data plane (not IPv4, no service, LIP or connection of theirs): given to the kernel, or released where the backend cannot (AF_XDP)") \
  C(conn_created, "connections created")                                               \
  C(conn_expired, "connections removed by timeout")                                    \
  C(conn_reused, "connections replaced by a new SYN in TIME_WAIT or CLOSE (port reuse)") \
  C(icmp_forwarded, "ICMP errors about a tracked connection, translated and forwarded") \
  C(icmp_frag_needed_sent, "ICMP fragmentation-needed sent: tunnel encapsulation exceeded the MTU") \
  C(persistence_hits, "new connections sent to a server by a persistence template")

// Every drop reason: lb::process counts its own as it returns a drop verdict; the worker loop
// counts drop_tx_full, drop_not_owner and drop_handover_full.
#define XVS_DROP_REASONS(C)                                                            \
  C(drop_truncated_l2, "frame shorter than an Ethernet header")                        \
  C(drop_truncated_ip, "frame ends inside the IPv4 header")                            \
  C(drop_bad_ip_header, "IPv4 version is not 4 or header length (IHL) below 5")        \
  C(drop_bad_ip_length, "IPv4 total length smaller than the header or beyond the frame") \
  C(drop_truncated_l4, "IPv4 payload shorter than the TCP/UDP/ICMP header")            \
  C(drop_bad_icmp, "ICMP error whose quoted packet is truncated or malformed")         \
  C(drop_bad_tcp_header, "TCP data offset below 5 or beyond the IPv4 payload")         \
  C(drop_ip_fragment, "IPv4 fragment for a service: fragments are not reassembled")    \
  C(drop_ttl_expired, "TTL 0, or TTL 1 in a mode that routes (nat, fullnat)")          \
  C(drop_tcp_no_conn, "TCP segment without SYN for a service and no connection")       \
  C(drop_no_backend, "service has no server that can take a new connection")           \
  C(drop_lport_exhausted, "no local port free towards the chosen server in the tries on every LIP of the pool") \
  C(drop_conn_table_full, "connection table of this worker is full")                   \
  C(drop_not_owner, "frame handed over by another worker for which this one names yet another owner (a reload between their safe points)") \
  C(drop_no_snapshot, "no configuration committed yet")                                \
  C(drop_neighbor_unresolved, "next-hop MAC address not resolved")                     \
  C(drop_tx_full, "transmit queue full")                                               \
  C(drop_backend_removed, "packet of a connection whose server left the configuration") \
  C(drop_tunnel_mtu, "tunnel encapsulation exceeds the MTU and DF is clear: not fragmented") \
  C(drop_no_headroom, "frame has no headroom for encapsulation")

// The hand-over between workers (a redirect verdict, worker/worker.h), appended after the first two lists.
#define XVS_HANDOVER_COUNTERS(C)                                                       \
  C(redirected, "frames handed to the worker that owns their connection (DESIGN 4)")   \
  C(drop_handover_full, "frame for another worker's connection dropped: its inbox was full")

// Full-NAT local port decisions (lb/local_port.h), appended after the hand-over counters.
#define XVS_LOCAL_PORT_COUNTERS(C)                                                     \
  C(lport_client_port, "new Full-NAT connections whose local port is the client's own port")  \
  C(lport_busy, "local ports tried for a new Full-NAT connection and found in use or held towards its server") \
  C(lport_reclaimed, "held server-side tuples given back to the client that held them (it reused its port)") \
  C(conn_held, "ended Full-NAT connections whose server-side tuple is held for timeouts.server_time_wait")

// The SYN proxy and the half-open bounds (lb/syn_proxy.cc, lb/process.cc), appended after the
// local port counters.
#define XVS_SYN_PROXY_COUNTERS(C)                                                      \
  C(syn_proxy_cookie_sent, "SYNs answered with a SYN cookie SYN-ACK by the SYN proxy (nothing stored)") \
  C(syn_proxy_accepted, "client ACKs whose SYN cookie proved valid: connections opened to a server") \
  C(drop_syn_cookie_invalid, "ACK without a connection for a SYN-proxied service whose cookie is forged or older than two cookie periods") \
  C(syn_proxy_stashed, "first data segments of SYN-proxied connections held until their server answered the handshake") \
  C(syn_proxy_syn_resent, "SYNs resent to a server when the client retransmitted while the server had not answered") \
  C(drop_syn_proxy_pending, "segment of a SYN-proxied connection whose server has not answered the handshake, other than its SYN-ACK or RST") \
  C(drop_no_room, "frame buffer too small for the segment the SYN proxy builds in it") \
  C(drop_half_open_limit, "SYN refused: its service has dataplane.half_open_limit half-open connections on this worker and no SYN proxy answers") \
  C(conn_evicted, "half-open connections (SYN_RECV) removed, oldest first, to make room for a new one in a full table") \
  C(syn_proxy_server_reset, "server ACKs to the SYN proxy's SYN (the server still held the tuple) answered with an RST, so that the SYN sent again finds it free")

// The XDP fast path (lb/fast_path.h, abi/fast_path.h), appended after the SYN proxy counters.
// What the steering program forwarded is not a worker's: the engine reports it apart (its
// per-CPU counters) and in the servers' traffic.
#define XVS_FAST_PATH_COUNTERS(C)                                                      \
  C(fast_path_installed, "connection directions handed to the XDP fast path (established TCP, UDP after its first packet)") \
  C(fast_path_install_failed, "connection directions the XDP fast path could not take (its map full, or the kernel refused): the worker keeps forwarding them") \
  C(fast_path_removed, "connection directions taken back from the XDP fast path (closing, expired, removed, or no longer eligible)")

// Connection sync between the nodes of a cluster (lb/sync.h), appended after the fast path's.
#define XVS_SYNC_COUNTERS(C)                                                           \
  C(sync_queued, "connection records queued for the other nodes: created, changed state, refreshed, or asked for by a starting node") \
  C(sync_queue_full, "connection records lost because the queue to the control thread was full") \
  C(sync_installed, "connection records of other nodes entered in this worker's table") \
  C(sync_updated, "connection records of other nodes that updated an entry this worker had") \
  C(sync_adopted, "synced connections whose first packet arrived here: this node's traffic from then on") \
  C(sync_invalid, "connection records refused as malformed (protocol, mode, state, addresses)") \
  C(sync_no_server, "connection records refused: no such service or server in this node's configuration") \
  C(sync_table_full, "connection records refused: this worker's connection table is full") \
  C(sync_conflict, "connection records refused: a connection of this node's own holds their tuple (SYN-proxied, one-packet, or the server side's)")

// The exception path of a backend that serves the host itself (io/dpdk: ARP for xvs's addresses,
// the host's frames through its exception interfaces), counted by the worker's queues; appended
// after the sync counters.
#define XVS_HOST_PORT_COUNTERS(C)                                                      \
  C(arp_replied, "ARP requests for a VIP or local address answered by xvs (dpdk: no kernel owns the port)") \
  C(arp_solicited, "ARP requests xvs sent to resolve a next hop (dpdk)")              \
  C(arp_announced, "gratuitous ARP xvs sent for an address it newly owns, a VIP or local address, on each port (dpdk)") \
  C(arp_solicit_failed, "ARP requests or IPv6 neighbour solicitations xvs could not send: no buffer, or the transmit queue was full (dpdk; asked again later)") \
  C(arp_observations_lost, "ARP or neighbour discovery packets whose sender was not learnt: the ring to the control thread was full (dpdk)") \
  C(kernel_tx_packets, "frames the host sent through an exception interface, transmitted on its port (dpdk)") \
  C(kernel_tx_dropped, "frames the host sent through an exception interface, or xvs's ARP and neighbour discovery answers, dropped: the port's transmit queue was full (dpdk)") \
  C(kernel_rx_dropped, "frames for the host dropped: its exception interface's queue was full (dpdk)")

// The client's address behind Full-NAT (lb/client_address.h), appended after the host port counters.
#define XVS_CLIENT_ADDRESS_COUNTERS(C)                                                 \
  C(client_mss_clamped, "server SYN-ACKs whose MSS option was lowered by the bytes a client_address service adds to client segments") \
  C(toa_added, "client segments given the TOA option (client_address: toa)")          \
  C(toa_no_room, "client segments that should have carried the TOA option but had no room for it (40 bytes of options, the frame or the MTU): forwarded without") \
  C(toa_forged_removed, "TOA options a client sent itself, blanked (client_address: toa)") \
  C(client_fast_open_removed, "TCP Fast Open options blanked in client SYNs (client_address: proxy_v2: data in a SYN would reach the server before the header)") \
  C(proxy_header_sent, "PROXY protocol v2 headers inserted before a client's first data (client_address: proxy_v2; again for each retransmission)") \
  C(proxy_header_alone, "PROXY protocol v2 headers sent in place of a client's first data segment, which had no room for it: the client sends that data again") \
  C(drop_proxy_header_no_room, "client first segments dropped: the frame buffer had room neither for the PROXY protocol v2 header with the data nor for the header alone")

// IPv6 (core/parse6.h; neighbour discovery of the dpdk backend, io/ndp.h), appended after the client address counters.
#define XVS_IPV6_COUNTERS(C)                                                           \
  C(drop_ipv6_extension_headers, "IPv6 packets with more than 8 extension headers, or a hop-by-hop header other than first") \
  C(drop_ipv6_udp_zero_checksum, "UDP datagrams over IPv6 to a VIP or LIP with a zero checksum, which IPv6 forbids (RFC 8200 8.1) outside tunnels") \
  C(drop_nat64_icmp_untranslatable, "ICMP errors about a NAT64 connection with no equivalent in the other family (RFC 7915: parameter problems with a pointer, source quench, ...)") \
  C(drop_nat64_mtu, "packets of a NAT64 connection too big for the other family's MTU once translated, that may not get an ICMP error (DF clear): not fragmented") \
  C(nd_replied, "IPv6 neighbour solicitations for a VIP or local address answered by xvs (dpdk: no kernel owns the port)") \
  C(nd_solicited, "IPv6 neighbour solicitations xvs sent to resolve a next hop (dpdk)") \
  C(nd_announced, "unsolicited neighbour advertisements xvs sent for an IPv6 address it newly owns, a VIP or local address, on each port (dpdk)")

#define XVS_COUNTERS(C) \
  XVS_TRAFFIC_COUNTERS(C) XVS_DROP_REASONS(C) XVS_HANDOVER_COUNTERS(C) XVS_LOCAL_PORT_COUNTERS(C) \
  XVS_SYN_PROXY_COUNTERS(C) XVS_FAST_PATH_COUNTERS(C) XVS_SYNC_COUNTERS(C) XVS_HOST_PORT_COUNTERS(C) \
  XVS_CLIENT_ADDRESS_COUNTERS(C) XVS_IPV6_COUNTERS(C)

enum class Counter : uint32_t {
#define XVS_COUNTER_ENUM(name, help) name,
  XVS_COUNTERS(XVS_COUNTER_ENUM)
#undef XVS_COUNTER_ENUM
  count_
};
inline constexpr uint32_t kCounterCount = static_cast<uint32_t>(Counter::count_);

struct CounterInfo {
  const char* name;
  const char* help;
};
inline constexpr CounterInfo kCounterInfo[] = {
#define XVS_COUNTER_INFO(name, help) {#name, help},
    XVS_COUNTERS(XVS_COUNTER_INFO)
#undef XVS_COUNTER_INFO
};
static_assert(sizeof(kCounterInfo) / sizeof(kCounterInfo[0]) == kCounterCount);

}  // namespace xvs::abi
