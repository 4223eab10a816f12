// native/io/dpdk/eth_port.h — one DPDK ethdev port as xvs uses it: probed from a virtual device
// (net_af_xdp / net_af_packet on a kernel interface, net_tap for an exception interface) or a PCI
// address the EAL was allowed, configured with one rx and one tx queue per worker (RSS across
// them where the device hashes), started, and on close stopped, closed and unplugged. Control
// thread only; the queues are then driven by the workers (dpdk_queue.h).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct rte_mempool;

namespace xvs::io::dpdk {

class EthPort {
 public:
  static constexpr uint16_t kRxDescriptors = 1024;
  static constexpr uint16_t kTxDescriptors = 1024;

  // `what` names the port in messages (e.g. "dataplane.interfaces[0] (lb0)"). `devargs` is a
  // vdev's "name,key=value,..." or a PCI address (probed by the EAL already). Receive queue q
  // takes its buffers from pools[q % pools.size()]. "" or the error.
  static std::string open(const std::string& what, const std::string& devargs, bool is_vdev, uint16_t queues,
                          const std::vector<rte_mempool*>& pools, std::unique_ptr<EthPort>& out);
  ~EthPort();  // stops, closes, and unplugs a vdev

  uint16_t id() const { return id_; }
  const uint8_t* mac() const { return mac_; }
  uint32_t mtu() const { return mtu_; }
  const std::string& driver() const { return driver_; }
  bool rss() const { return rss_; }
  // Whether the port takes every multicast frame (IPv6 neighbour solicitations to the
  // solicited-node groups of xvs's addresses); false where the driver refused.
  bool all_multicast() const { return all_multicast_; }
  // Buffers the driver keeps from its pool after close (the frame audit counts them as in rings):
  // net_af_xdp gives back its receive ring's mbufs but not its fill ring's (DPDK 22.11: 2048 per
  // queue, ETH_AF_XDP_DFLT_NUM_DESCS, reserved at queue setup).
  uint32_t kept_after_close() const { return driver_ == "net_af_xdp" ? 2048u * queues_ : 0u; }
  // A descriptor that polls readable when receive queue q has frames, or -1 (no receive interrupts).
  int wait_fd(uint16_t q) const { return q < wait_fds_.size() ? wait_fds_[q] : -1; }

 private:
  EthPort() = default;
  std::string configure(const std::string& what, uint16_t queues, const std::vector<rte_mempool*>& pools);

  uint16_t id_ = 0;
  bool is_vdev_ = false;
  bool started_ = false;
  std::string name_;
  std::string driver_;
  uint8_t mac_[6] = {};
  uint32_t mtu_ = 1500;
  bool rss_ = false;
  bool all_multicast_ = false;
  uint16_t queues_ = 0;
  std::vector<int> wait_fds_;
};

}  // namespace xvs::io::dpdk
