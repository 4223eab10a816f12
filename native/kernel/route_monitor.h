// native/kernel/route_monitor.h — follows the kernel's routing state: an rtnetlink socket of
// the calling thread's network namespace, subscribed to neighbour, route, link and address
// notifications of both families, non-blocking. drain() reads what is pending (a bounded amount
// per call) and reports what changed: each neighbour whose entry changed with its new state
// and MAC (last word wins within one call), and whether any route, link or address changed.
// Lost notifications (ENOBUFS: the socket's receive buffer overflowed) are reported as
// `overflow`: the reader must re-read everything it derived from these tables. No N-API here:
// the binding (binding/route_monitor_js.cc) polls fd() on the control worker's event loop and
// calls drain() there, so one thread uses a monitor at a time. IPv4 addresses are in network
// byte order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ipv6_address.h"

namespace xvs::kernel {

struct NeighbourChange {
  uint32_t address = 0;
  bool ipv6 = false;               // an IPv6 neighbour: address6, not address
  core::Ipv6Address address6{};
  int ifindex = 0;
  bool deleted = false;   // RTM_DELNEIGH: the entry is gone
  bool has_mac = false;   // mac holds a usable link-layer address (a state with one, non-zero)
  uint8_t mac[6] = {};
  std::string state;      // as netlink.h names them: reachable, stale, ..., failed, none
};

struct RouteChanges {
  std::vector<NeighbourChange> neighbours;  // one per (address, ifindex), last notification wins
  bool routes = false;      // a route (either family) was added, removed or changed
  bool links = false;       // an interface appeared, went, or changed (state, MAC, MTU, ...)
  bool addresses = false;   // an address (either family) was added or removed
  bool overflow = false;    // notifications were lost: re-read everything
  bool more = false;        // the per-call budget ran out with messages still pending
  bool empty() const { return neighbours.empty() && !routes && !links && !addresses && !overflow; }
  void clear() { *this = RouteChanges{}; }
  // Adds a neighbour notification, replacing an earlier one about the same entry.
  void note_neighbour(const NeighbourChange& change);

 private:
  std::unordered_map<std::string, size_t> neighbour_slot_;  // (ifindex, address bytes) -> index in neighbours
};

// Adds what one buffer of netlink messages says to `out`. Messages of other kinds and
// families, and truncated ones, are ignored. Pure: the unit tests feed it crafted buffers.
void parse_route_messages(const void* data, size_t length, RouteChanges& out);

class RouteMonitor {
 public:
  // Receive calls per drain(): 32 × 64 KiB is a few thousand notifications, a few ms of work.
  static constexpr int kReadsPerDrain = 32;

  RouteMonitor() = default;
  RouteMonitor(const RouteMonitor&) = delete;
  RouteMonitor& operator=(const RouteMonitor&) = delete;
  ~RouteMonitor() { close(); }

  // Opens and subscribes the socket; "" or what went wrong.
  std::string open();
  // The socket (readable when notifications are pending); -1 when closed.
  int fd() const { return fd_; }
  // Reads pending notifications into `out` (cleared first); "" or an unexpected receive error.
  std::string drain(RouteChanges& out);
  // Closes the socket; idempotent.
  void close();

 private:
  int fd_ = -1;
  std::vector<char> buffer_;
};

}  // namespace xvs::kernel
