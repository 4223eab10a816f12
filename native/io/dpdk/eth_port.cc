// native/io/dpdk/eth_port.cc — see eth_port.h. Control thread only.
#include "io/dpdk/eth_port.h"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <cstring>

#include "io/dpdk/eal.h"

namespace xvs::io::dpdk {

namespace {

std::string failed(const std::string& what, const std::string& step, int ret) {
  std::string why = eal_recent_log(2);
  const std::string code = rte_strerror(ret < 0 ? -ret : ret);
  return what + ": " + step + " failed (" + code + ")" + (why.empty() ? "" : ": " + why);
}

}  // namespace

std::string EthPort::open(const std::string& what, const std::string& devargs, bool is_vdev, uint16_t queues,
                          const std::vector<rte_mempool*>& pools, std::unique_ptr<EthPort>& out) {
  std::unique_ptr<EthPort> port(new EthPort());
  port->is_vdev_ = is_vdev;
  port->name_ = devargs.substr(0, devargs.find(','));
  eal_clear_log();
  if (is_vdev) {
    if (const int ret = rte_dev_probe(devargs.c_str()); ret != 0) {
      std::string why = eal_recent_log(4);  // the driver's own reason comes before the EAL's two lines
      return what + ": DPDK could not create the device " + devargs + (why.empty() ? " (" + std::string(rte_strerror(-ret)) + ")" : ": " + why);
    }
  }
  if (rte_eth_dev_get_port_by_name(port->name_.c_str(), &port->id_) != 0) {
    // A vdev probed but made no port (or a PCI address the EAL did not take).
    if (is_vdev) rte_eal_hotplug_remove("vdev", port->name_.c_str());
    return what + ": no DPDK port " + port->name_ +
           (is_vdev ? "" : " (is it bound to vfio-pci and listed in dataplane.dpdk.devices? dpdk-devbind.py --status)");
  }
  if (std::string err = port->configure(what, queues, pools); !err.empty()) return err;
  out = std::move(port);
  return "";
}

std::string EthPort::configure(const std::string& what, uint16_t queues, const std::vector<rte_mempool*>& pools) {
  rte_eth_dev_info info{};
  if (const int ret = rte_eth_dev_info_get(id_, &info); ret != 0) return failed(what, "reading the device's capabilities", ret);
  driver_ = info.driver_name ? info.driver_name : "?";
  if (info.max_rx_queues < queues || info.max_tx_queues < queues)
    return what + ": the device (" + driver_ + ") has " + std::to_string(info.max_rx_queues) + " receive and " +
           std::to_string(info.max_tx_queues) + " transmit queues; workers: " + std::to_string(queues) +
           " needs one of each per worker";
  queues_ = queues;
  rte_eth_conf conf{};
  const uint64_t hashes = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  rss_ = queues > 1 && hashes != 0;
  if (rss_) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = hashes;
  }
  // Receive interrupts where the driver has them (net_af_xdp: the socket, net_tap: the TAP), so an
  // idle worker sleeps in poll() as on AF_XDP; without them it naps between polls.
  conf.intr_conf.rxq = 1;
  if (rte_eth_dev_configure(id_, queues, queues, &conf) != 0) {
    conf.intr_conf.rxq = 0;
    if (const int ret = rte_eth_dev_configure(id_, queues, queues, &conf); ret != 0) return failed(what, "configuring the device", ret);
  }
  uint16_t rx = kRxDescriptors, tx = kTxDescriptors;
  if (const int ret = rte_eth_dev_adjust_nb_rx_tx_desc(id_, &rx, &tx); ret != 0) return failed(what, "sizing its rings", ret);
  const int socket = rte_eth_dev_socket_id(id_);
  for (uint16_t q = 0; q < queues; ++q) {
    if (const int ret = rte_eth_rx_queue_setup(id_, q, rx, socket < 0 ? SOCKET_ID_ANY : socket, nullptr, pools[q % pools.size()]); ret != 0)
      return failed(what, "setting up receive queue " + std::to_string(q), ret);
    if (const int ret = rte_eth_tx_queue_setup(id_, q, tx, socket < 0 ? SOCKET_ID_ANY : socket, nullptr); ret != 0)
      return failed(what, "setting up transmit queue " + std::to_string(q), ret);
  }
  if (const int ret = rte_eth_dev_start(id_); ret != 0) return failed(what, "starting the port", ret);
  started_ = true;
  // IPv6 neighbour solicitations for the VIPs and local addresses go to their solicited-node
  // multicast groups, which a NIC filtering unregistered multicast would drop (ARP is broadcast).
  all_multicast_ = rte_eth_allmulticast_enable(id_) == 0 || rte_eth_allmulticast_get(id_) == 1;
  for (uint16_t q = 0; q < queues; ++q) {
    const int fd = conf.intr_conf.rxq != 0 && rte_eth_dev_rx_intr_enable(id_, q) == 0 ? rte_eth_dev_rx_intr_ctl_q_get_fd(id_, q) : -1;
    wait_fds_.push_back(fd);
  }
  rte_ether_addr mac{};
  rte_eth_macaddr_get(id_, &mac);
  std::memcpy(mac_, mac.addr_bytes, 6);
  uint16_t mtu = 0;
  if (rte_eth_dev_get_mtu(id_, &mtu) == 0 && mtu != 0) mtu_ = mtu;
  return "";
}

EthPort::~EthPort() {
  if (started_) rte_eth_dev_stop(id_);
  rte_eth_dev_close(id_);
  if (is_vdev_) rte_eal_hotplug_remove("vdev", name_.c_str());
}

}  // namespace xvs::io::dpdk
