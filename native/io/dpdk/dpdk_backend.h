// native/io/dpdk/dpdk_backend.h — io::Backend on DPDK (the optional build, `npm run build:dpdk`).
// Per configured port: DPDK ethdevs giving one queue pair per worker — net_af_xdp makes one
// single-queue vdev per worker on the named kernel interface (queue w each: it cannot take more
// queues than the interface has combined channels, and veth has none), net_af_packet one vdev
// with a queue pair per worker (a fanout hash spreads them), a PCI device bound to vfio-pci one
// port with RSS across its queues — and an exception interface (net_tap, "<interface>.kni" as DPVS names its KNI
// ports) with the port's MAC, through which the host keeps its own traffic (dpdk_queue.h). One
// mbuf pool per worker. xvs answers ARP and IPv6 neighbour solicitations for its VIPs and local
// addresses and keeps its own neighbour tables (io/neighbour_table.h, one per family) for the
// next hops: no kernel serves these ports.
//
// Threads: create(), apply_steering(), reclaim(), the HostPorts methods, shutdown() and the
// destructor on the control thread; queue(p, w) is driven by worker w only.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/backend.h"
#include "io/dpdk/dpdk_entry.h"
#include "io/dpdk/dpdk_queue.h"
#include "io/dpdk/eth_port.h"
#include "io/neighbour_table.h"

namespace xvs::io::dpdk {

class DpdkBackend final : public Backend, public HostPorts {
 public:
  static CreateError create(const DpdkOptions& options, std::unique_ptr<DpdkBackend>& out, std::string& message);
  ~DpdkBackend() override;

  const char* name() const override { return "dpdk"; }
  uint32_t port_count() const override { return static_cast<uint32_t>(ports_.size()); }
  uint32_t queue_count() const override { return workers_; }
  Queue& queue(uint32_t port, uint32_t queue) override { return *queues_[port * workers_ + queue]; }
  std::string describe() const override;
  std::vector<std::string> warnings() const override { return warnings_; }
  std::string apply_steering(const SteeringSets& sets) override;
  void reclaim(uint64_t generation) override;
  void shutdown() override;
  FrameAudit audit() const override { return audit_; }
  HostPorts* host_ports() override { return this; }

  std::string exception_interface(uint32_t port) const override { return ports_.at(port).exception; }
  void port_mac(uint32_t port, uint8_t mac[6]) const override;
  uint32_t port_mtu(uint32_t port) const override { return ports_.at(port).devices.front()->mtu(); }
  bool neighbour(uint32_t address, uint32_t port, uint8_t mac[6]) override;
  bool neighbour6(const core::Ipv6Address& address, uint32_t port, uint8_t mac[6]) override;
  void neighbour_changes(std::vector<uint32_t>& changed, std::vector<core::Ipv6Address>& changed6) override;
  std::vector<Neighbour> neighbours() const override;

 private:
  struct Port {
    std::string what;       // for messages: "dataplane.interfaces[0] (lb0)"
    std::string exception;  // the TAP's name
    std::vector<std::unique_ptr<EthPort>> devices;  // one per worker, or one with a queue per worker
    std::unique_ptr<EthPort> tap;
  };
  struct Retired {
    uint64_t freeable_at;
    std::unique_ptr<const OwnedAddresses> addresses;
  };
  explicit DpdkBackend(uint32_t workers) : workers_(workers) {}
  int64_t now_ms() const;
  void take_heard();

  const uint32_t workers_;
  std::vector<Port> ports_;
  // One mbuf pool per worker: what worker w receives (its queues, its queue of each exception
  // interface) comes from pools_[w]; a frame another worker sends goes home when it is freed.
  std::vector<rte_mempool*> pools_;
  std::vector<std::unique_ptr<DpdkQueue>> queues_;  // port-major
  std::atomic<const OwnedAddresses*> owned_{nullptr};
  std::unique_ptr<const OwnedAddresses> owned_current_;
  // Gratuitous ARP (or an unsolicited neighbour advertisement) for newly owned addresses that a
  // full solicit ring has not taken yet (control thread).
  struct Announcement {
    size_t queue;
    bool ipv6;
    uint32_t address;
    core::Ipv6Address address6;
  };
  std::vector<Announcement> announcements_;
  void send_announcements();
  std::vector<Retired> retired_;
  NeighbourTable neighbours_;
  NeighbourTable6 neighbours6_;
  std::vector<std::string> all_multicast_set_;  // kernel interfaces whose IFF_ALLMULTI xvs turned on (shutdown puts it back)
  std::vector<std::string> warnings_;
  FrameAudit audit_;
  const std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
  bool shut_down_ = false;
};

}  // namespace xvs::io::dpdk
