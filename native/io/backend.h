// native/io/backend.h — the one rx/tx interface every I/O backend implements (io/mem, io/afxdp,
// io/dpdk). A Backend owns the ports of one engine; each
// (port, queue) pair is driven by exactly one worker, which calls every Queue method from its
// own thread. Calls are per burst, so the virtual dispatch is paid once per burst. The Backend
// methods (apply_steering, shutdown, audit, ...) run on the control thread.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ipv6_address.h"
#include "io/frame.h"
#include "lb/fast_path_table.h"
#include "lb/server_counters.h"

namespace xvs::io {

// How creating a backend went; the engine turns a failure into XVS_EINVAL (the config names
// something wrong), XVS_ESYSTEM (the system refused) or XVS_ENOTSUP (not in this build).
enum class CreateError { none, invalid, system, not_built };

class Queue {
 public:
  virtual ~Queue() = default;
  // Fills up to `max` frames; returns how many.
  virtual uint32_t receive(Frame* frames, uint32_t max) = 0;
  // Queues frames for transmission; returns how many were accepted, in order. The caller
  // releases (and counts) the rest.
  virtual uint32_t transmit(Frame* frames, uint32_t n) = 0;
  // A verdict of "not ours": hands the frames to the host network stack unchanged where the
  // backend can (io/mem); AF_XDP cannot give a frame back and releases it (its steering
  // program is what keeps the kernel's traffic from reaching it).
  virtual void pass_to_kernel(Frame* frames, uint32_t n) = 0;
  // Returns frames to the backend's free memory (dropped frames, refused transmits).
  virtual void release(Frame* frames, uint32_t n) = 0;
  // Descriptors that poll readable when receive() has work (at most kMaxWaitFds), so an idle
  // worker can sleep in poll() on them; returns how many, or -1 when the backend has none (the
  // worker then naps briefly instead).
  static constexpr int kMaxWaitFds = 2;
  virtual int wait_fds(int* /*out*/) const { return -1; }
  // The owning worker's counter block (abi/counters.h), for what the queue counts itself (the
  // exception path's counters, io/dpdk). Called once by the worker before it starts.
  virtual void bind_counters(uint64_t* /*counters*/) {}
};

// What a kernel-side classifier must hand to the data plane, from one committed snapshot
// (io/afxdp: the steering program's maps). Addresses and ports in network byte order.
struct SteeringSets {
  struct Service {
    uint32_t vip;
    uint16_t port;
    uint8_t protocol;
  };
  struct NatServer {  // a nat-mode real server: its replies come back through xvs
    uint32_t address;
    uint16_t port;
    uint8_t protocol;
  };
  std::vector<Service> services;
  std::vector<uint32_t> vips;
  std::vector<uint32_t> lips;
  // Host order: TCP/UDP to a LIP is the data plane's only on these ports (local_port_range), as
  // are ICMP errors about them; the host keeps the rest.
  uint16_t lip_port_first = 0;
  uint16_t lip_port_last = 0;
  std::vector<NatServer> nat_servers;
  // The same for IPv6 (addresses as 16 bytes, network order).
  struct Service6 {
    core::Ipv6Address vip;
    uint16_t port;
    uint8_t protocol;
  };
  struct NatServer6 {
    core::Ipv6Address address;
    uint16_t port;
    uint8_t protocol;
  };
  std::vector<Service6> services6;
  std::vector<core::Ipv6Address> vips6;
  std::vector<core::Ipv6Address> lips6;
  std::vector<NatServer6> nat_servers6;
  std::vector<core::Ipv6Address> own_addresses6;
  // The balancer's own addresses (its kernel's local /32 routes): a nat server's packet to one of
  // them answers the balancer itself (a health check), not a client. Filled by the backend.
  std::vector<uint32_t> own_addresses;
  // The XDP fast path: entries of this generation are current (abi/fast_path.h); 0: none are.
  // Ignored by a backend without a fast path.
  uint32_t fast_path_generation = 0;
  // The snapshot these sets come from: what the backend replaces may be freed once every worker
  // has seen it (Backend::reclaim).
  uint64_t generation = 0;
};

// Backends whose ports no kernel serves (DPDK): the host reaches the network through one
// exception interface per port, and xvs keeps its own neighbour table (io/neighbour_table.h).
// Control thread.
class HostPorts {
 public:
  virtual ~HostPorts() = default;
  // The kernel interface that stands for port `port` on the host (its addresses, routes, ARP).
  virtual std::string exception_interface(uint32_t port) const = 0;
  virtual void port_mac(uint32_t port, uint8_t mac[6]) const = 0;
  virtual uint32_t port_mtu(uint32_t port) const = 0;
  // The MAC of the neighbour `address` (network order) on `port`, if known; else false, and it is
  // solicited (ARP).
  virtual bool neighbour(uint32_t address, uint32_t port, uint8_t mac[6]) = 0;
  // The same for an IPv6 neighbour (neighbour discovery).
  virtual bool neighbour6(const core::Ipv6Address& address, uint32_t port, uint8_t mac[6]) = 0;
  // Takes in what the workers heard, runs the tables' timers, sends their solicitations; appends
  // the addresses whose MAC appeared, changed or went, of each family.
  virtual void neighbour_changes(std::vector<uint32_t>& changed, std::vector<core::Ipv6Address>& changed6) = 0;
  struct Neighbour {
    bool ipv6;
    uint32_t address;            // IPv4
    core::Ipv6Address address6;  // IPv6
    uint32_t port;
    uint8_t mac[6];
    const char* state;
    int64_t confirmed_ago_ms;  // -1: never
  };
  virtual std::vector<Neighbour> neighbours() const = 0;
};

// Where the backend's frames are, counted once every worker has stopped (shutdown()).
// lost != 0 means a frame leaked (> 0) or was returned twice (< 0).
struct FrameAudit {
  bool valid = false;
  uint64_t total = 0;
  uint64_t free = 0;       // in the workers' free lists
  uint64_t in_rings = 0;   // posted to the kernel (fill rings) or received but not read (rx rings)
  uint64_t in_flight = 0;  // transmitted and never completed by the kernel
  int64_t lost = 0;
};

// The engine's side of a backend's XDP fast path (io/afxdp/fast_path_map.h): what the kernel
// forwarded for it. Control thread.
class FastPathReport {
 public:
  virtual ~FastPathReport() = default;
  // Adds each server's forwarded traffic (summed over CPUs) to out[its counter slot].
  virtual void add_traffic(std::unordered_map<uint32_t, lb::BackendTraffic>& out) const = 0;
  // The slot was freed: its counts go (a server given the slot later starts from zero).
  virtual void forget_server(uint32_t slot) = 0;
  virtual xvs_fast_counters totals() const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual uint32_t port_count() const = 0;
  virtual uint32_t queue_count() const = 0;
  virtual Queue& queue(uint32_t port, uint32_t queue) = 0;

  // Control thread. A one-line description for the start log (modes, queues, frame size).
  virtual std::string describe() const { return name(); }
  // Control thread. Things an operator should know, one line each (e.g. a fallback to generic XDP).
  virtual std::vector<std::string> warnings() const { return {}; }
  // Control thread, after a snapshot is built and before workers see it: make the kernel steer
  // its services, LIPs and nat servers to the data plane. Returns "" or what went wrong.
  virtual std::string apply_steering(const SteeringSets&) { return ""; }
  // Control thread, once every worker has stopped: give system resources back (XDP programs,
  // sockets) and count the frames. Idempotent.
  virtual void shutdown() {}
  virtual FrameAudit audit() const { return {}; }
  // Where workers put their XDP fast-path entries (lb/fast_path_table.h), or nullptr where the
  // backend has no fast path (io/mem). Its methods run on the workers.
  virtual lb::FastPathTable* fast_path() { return nullptr; }
  virtual FastPathReport* fast_path_report() { return nullptr; }
  // Control thread: every worker has seen snapshot `generation`; what apply_steering replaced
  // before it may go.
  virtual void reclaim(uint64_t /*generation*/) {}
  // Where the backend serves the host itself (DPDK); nullptr where the kernel does (AF_XDP, mem).
  virtual HostPorts* host_ports() { return nullptr; }
};

}  // namespace xvs::io
