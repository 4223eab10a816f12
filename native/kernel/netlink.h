// native/kernel/netlink.h — what the kernel of the calling thread's network namespace knows
// about interfaces, routes and neighbours: interface facts by ioctl (index, MTU, MAC, IPv4
// address, queue counts), the route towards an address (RTM_GETROUTE: egress interface and
// gateway), the neighbour entry of the next hop (RTM_GETNEIGH: MAC and state) and the local
// routes (RTM_GETROUTE dump) over rtnetlink. Used by the afxdp backend at creation, through the
// binding by the TypeScript next-hop resolver (src/control/worker/nexthop/afxdp.ts) on the control
// thread, and by the decap program (decap_program.h) on the CLI's thread; what changes in these
// tables afterwards is notified through route_monitor.h. No N-API here.
// Addresses are IPv4 in network byte order, or core::Ipv6Address for the IPv6 variants. Every
// call is bounded (1 s receive timeout).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/ipv6_address.h"

struct nlmsghdr;  // <linux/netlink.h>

namespace xvs::kernel {

struct LinkInfo {
  int ifindex = 0;
  uint32_t mtu = 0;
  uint8_t mac[6] = {};
  uint32_t address = 0;  // primary IPv4 address; 0: none
  core::Ipv6Address address6{};  // a global IPv6 address, one with a prefix below /128 first (netlink.cc); zero: none
  uint32_t rx_queues = 1;
  uint32_t tx_queues = 1;
};
// One request on a netlink socket of `protocol` (NETLINK_ROUTE, NETLINK_GENERIC), answers until
// NLMSG_DONE (dumps) or the first answer (gets). `each` sees every message of type `want`;
// returns "" or the kernel's error.
std::string netlink_query(int protocol, void* request, uint32_t len, uint16_t want, const std::function<void(const nlmsghdr&)>& each);

// "" or what went wrong; `missing` is set when no interface has that name here.
std::string link_info(const std::string& name, LinkInfo& out, bool& missing);

// Turns the interface's all-multicast flag (IFF_ALLMULTI: its NIC takes every multicast frame) on
// or off; `was_on` says how it was. "" or what went wrong.
std::string set_all_multicast(const std::string& name, bool on, bool& was_on);

struct NextHop {
  int ifindex = 0;          // egress interface of the route
  uint32_t gateway = 0;     // 0: the address is on-link
  uint32_t neighbour = 0;   // whose MAC is needed: the gateway, or the address itself
  bool ipv6 = false;        // an IPv6 next hop: gateway6 and neighbour6 instead
  core::Ipv6Address gateway6{};  // all zero: on-link
  core::Ipv6Address neighbour6{};
  bool resolved = false;    // mac holds a usable link-layer address
  uint8_t mac[6] = {};
  std::string state;        // neighbour state: reachable, stale, delay, probe, permanent, noarp, incomplete, failed, none
};
// "" or why there is no route (e.g. "Network is unreachable", "local address").
std::string next_hop(uint32_t address, NextHop& out);
std::string next_hop(const core::Ipv6Address& address, NextHop& out);

// The name of a neighbour state (NUD_* bits) as next_hop() reports it, and whether an entry in
// that state holds a usable link-layer address. Shared with route_monitor.cc.
const char* neighbour_state_name(uint16_t state);
bool neighbour_state_usable(uint16_t state);

// Makes the kernel resolve the neighbour towards `address` (ARP) by sending an empty UDP
// datagram to its discard port (9). Best effort; the next next_hop() shows the outcome.
void solicit(uint32_t address);
// The same for IPv6 (neighbour discovery).
void solicit(const core::Ipv6Address& address);

// The kernel's routes of type local, from every routing table: each address of the host (/32),
// 127.0.0.0/8, and AnyIP prefixes (ip route add local PREFIX dev lo). A destination the kernel
// delivers to this host falls in one of them. "" or what went wrong.
struct LocalPrefix {
  uint32_t address = 0;  // network byte order, host bits zero
  uint8_t prefix_len = 32;
};
std::string local_routes(std::vector<LocalPrefix>& out);
// The same for IPv6: each address of the host (/128), ::1, and AnyIP prefixes.
struct LocalPrefix6 {
  core::Ipv6Address address{};  // host bits zero
  uint8_t prefix_len = 128;
};
std::string local_routes6(std::vector<LocalPrefix6>& out);

// The reading of the kernel's answers, apart from the socket: the queries above receive buffers
// and hand them here, and so does the fuzz target (test/fuzz/netlink_parse_fuzz.cc) with
// arbitrary bytes. Nothing here trusts a length it has not checked.

// Where an answer stands after a received buffer: finished at NLMSG_DONE, at NLMSG_ERROR (with
// the kernel's error; "" for an acknowledgement) or after the first message answering a get.
struct ReplyProgress {
  bool finished = false;
  std::string error;
};
// Walks one received buffer of the answer to a request (`dump`: it asked NLM_F_DUMP), calling
// each(message) on every message of type `want`, up to where the answer finishes.
void read_reply(const void* data, size_t length, uint16_t want, bool dump, const std::function<void(const nlmsghdr&)>& each,
                ReplyProgress& progress);
// next_hop()'s route answer (RTM_NEWROUTE): its type (RTN_*) into `type`, its egress interface
// and gateway into `out`. A message too short for its header leaves both as they were.
void read_route_answer(const nlmsghdr& m, uint8_t& type, NextHop& out);
// An entry of next_hop()'s neighbour dump (RTM_NEWNEIGH): if it is the entry of out.neighbour
// (out.neighbour6 when out.ipv6) on out.ifindex, its NUD state into `state` and, when usable,
// its MAC into out.
void read_neighbour_answer(const nlmsghdr& m, NextHop& out, uint16_t& state);
// An entry of local_routes()' dump (RTM_NEWROUTE): true, with `out` filled in, if it is an IPv4
// route of type local.
bool read_local_route(const nlmsghdr& m, LocalPrefix& out);
// An entry of local_routes6()' dump: true, with `out` filled in, if it is an IPv6 route of type local.
bool read_local_route6(const nlmsghdr& m, LocalPrefix6& out);

}  // namespace xvs::kernel
