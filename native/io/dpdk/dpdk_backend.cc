// native/io/dpdk/dpdk_backend.cc — see dpdk_backend.h. Control thread only.
#include "io/dpdk/dpdk_backend.h"

#include <net/if.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/ipv4_text.h"
#include "io/dpdk/eal.h"
#include "io/ndp.h"
#include "kernel/libxdp_log.h"
#include "kernel/netlink.h"

// After xvs's headers: DPDK's pull in <arpa/inet.h>, whose htons macros core/net.h must not meet.
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace xvs::io::dpdk {

namespace {

// Distinct vdev and pool names for every engine of the process (names stay taken until freed).
uint32_t next_serial() {
  static std::atomic<uint32_t> serial{0};
  return serial.fetch_add(1);
}

std::string mac_text(const uint8_t mac[6]) {
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return out;
}

const char* state_name(NeighbourState s) {
  switch (s) {
    case NeighbourTable::State::incomplete: return "incomplete";
    case NeighbourTable::State::reachable: return "reachable";
    case NeighbourTable::State::stale: return "stale";
    case NeighbourTable::State::failed: return "failed";
  }
  return "?";
}

}  // namespace

CreateError DpdkBackend::create(const DpdkOptions& o, std::unique_ptr<DpdkBackend>& out, std::string& message) {
  if (o.driver != "af_xdp" && o.driver != "af_packet") {
    message = "dataplane.dpdk.driver must be af_xdp or af_packet (got \"" + o.driver + "\")";
    return CreateError::invalid;
  }
  const size_t port_count = o.devices.empty() ? o.interfaces.size() : o.devices.size();
  if (port_count == 0) {
    message = "dataplane.interfaces or dataplane.dpdk.devices must name at least one port";
    return CreateError::invalid;
  }
  // net_af_xdp calls libxdp and libbpf: their lines go to xvs's buffer, not to stderr.
  kernel::quiet_libraries();
  message = eal_init(o.eal, o.devices);
  if (!message.empty()) return CreateError::system;

  std::unique_ptr<DpdkBackend> b(new DpdkBackend(o.workers));
  if (o.driver == "af_xdp" && o.devices.empty() && std::find(o.eal.begin(), o.eal.end(), "--no-huge") != o.eal.end())
    b->warnings_.push_back("dataplane.dpdk.eal has --no-huge: net_af_xdp on ordinary pages loses full-size frames (measured here: a "
                           "50 MB TCP download stalls after a few MB, and takes 0.2-0.3 s on hugepages); reserve hugepages for "
                           "anything but small packets");
  const uint32_t serial = next_serial();
  // Per worker, every ring that holds its mbufs, full: per port the device's receive ring and the
  // fill ring net_af_xdp keeps beside it, a transmit ring, the exception interface's two rings
  // (8 x 1024, generous: a pool that runs dry stalls receive), and its hand-over inboxes, lcore
  // cache and bursts in flight.
  const uint32_t mbufs = static_cast<uint32_t>(port_count) * 8 * EthPort::kRxDescriptors + 8192;
  for (uint32_t w = 0; w < o.workers; ++w) {
    const std::string pool_name = "xvs_pool" + std::to_string(serial) + "_" + std::to_string(w);
    rte_mempool* pool = rte_pktmbuf_pool_create(pool_name.c_str(), mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (pool == nullptr) {
      const std::string why = eal_recent_log(1);
      message = "cannot allocate DPDK's packet buffers (" + std::to_string(o.workers) + " x " + std::to_string(mbufs) + " mbufs of " +
                std::to_string(RTE_MBUF_DEFAULT_BUF_SIZE) + " bytes): " + rte_strerror(rte_errno) + (why.empty() ? "" : ": " + why) +
                " (give the EAL more memory: dataplane.dpdk.eal -m, or hugepages)";
      return CreateError::system;
    }
    b->pools_.push_back(pool);
  }
  for (uint32_t i = 0; i < port_count; ++i) {
    Port port;
    const bool vdev = o.devices.empty();
    const std::string name = vdev ? o.interfaces[i] : (i < o.interfaces.size() ? o.interfaces[i] : "dpdk" + std::to_string(i));
    port.what = vdev ? "dataplane.interfaces[" + std::to_string(i) + "] (" + name + ")"
                     : "dataplane.dpdk.devices[" + std::to_string(i) + "] (" + o.devices[i] + ")";
    port.exception = name + ".kni";
    if (port.exception.size() >= IFNAMSIZ) {
      message = port.what + ": the exception interface's name " + port.exception + " is longer than " +
                std::to_string(IFNAMSIZ - 1) + " characters: use a shorter interface name";
      return CreateError::invalid;
    }
    if (vdev) {
      kernel::LinkInfo link;
      bool missing = false;
      if (std::string err = kernel::link_info(name, link, missing); !err.empty()) {
        message = port.what + ": " + err;
        return missing ? CreateError::invalid : CreateError::system;
      }
      if (link.rx_queues < o.workers || link.tx_queues < o.workers) {
        message = port.what + " has " + std::to_string(link.rx_queues) + " receive and " + std::to_string(link.tx_queues) +
                  " transmit queues; workers: " + std::to_string(o.workers) + " needs one of each per worker (ethtool -L " + name +
                  " combined " + std::to_string(o.workers) + "; veth: create it with numrxqueues " + std::to_string(o.workers) +
                  " numtxqueues " + std::to_string(o.workers) + ")";
        return CreateError::invalid;
      }
      if (link.rx_queues > o.workers)
        b->warnings_.push_back(port.what + " has " + std::to_string(link.rx_queues) + " receive queues but xvs reads only the first " +
                               std::to_string(o.workers) + " (one per worker): what arrives on the others goes to the kernel; match them with "
                               "ethtool -L " + name + " combined " + std::to_string(o.workers));
      if (link.address != 0)
        b->warnings_.push_back(port.what + " has the kernel address " + core::ipv4_text(link.address) +
                               ": with backend dpdk the host's addresses belong on " + port.exception +
                               " (frames for the port no longer reach the kernel's interface)");
    }
    const std::string suffix = std::to_string(serial) + "_" + std::to_string(i);
    const std::string queues = std::to_string(o.workers);
    std::vector<std::string> devargs;
    if (!vdev)
      devargs.push_back(o.devices[i]);
    else if (o.driver == "af_packet")
      devargs.push_back("net_af_packet_xvs" + suffix + ",iface=" + name + ",qpairs=" + queues + ",qdisc_bypass=1");
    else
      for (uint32_t w = 0; w < o.workers; ++w)
        devargs.push_back("net_af_xdp_xvs" + suffix + "_" + std::to_string(w) + ",iface=" + name + ",start_queue=" + std::to_string(w) +
                          ",queue_count=1");
    const auto queues_each = static_cast<uint16_t>(devargs.size() == 1 ? o.workers : 1);
    for (size_t d = 0; d < devargs.size(); ++d) {
      std::unique_ptr<EthPort> device;
      const std::vector<rte_mempool*> pools = devargs.size() == 1 ? b->pools_ : std::vector<rte_mempool*>{b->pools_[d]};
      message = EthPort::open(port.what, devargs[d], vdev, queues_each, pools, device);
      if (!message.empty()) return CreateError::system;
      port.devices.push_back(std::move(device));
    }
    const EthPort& first = *port.devices.front();
    const std::string tap_args = "net_tap_xvs" + suffix + ",iface=" + port.exception + ",mac=" + mac_text(first.mac());
    message = EthPort::open(port.what + " exception interface " + port.exception, tap_args, true,
                            static_cast<uint16_t>(o.workers), b->pools_, port.tap);
    if (!message.empty()) return CreateError::system;
    if (o.driver == "af_packet" && vdev)
      b->warnings_.push_back(port.what + ": with driver af_packet the kernel still receives every frame of " + name +
                             " (AF_PACKET only copies them) and answers what it owns: keep the host's addresses, the VIPs and the "
                             "local addresses off the host or use driver af_xdp (the default)");
    // A PCI device that cannot hash leaves every flow on queue 0 (a vdev's queues are the kernel's to spread).
    // IPv6 neighbour solicitations for the VIPs and local addresses go to their solicited-node
    // groups, which a NIC filtering unregistered multicast drops (ARP is broadcast): the device
    // takes all multicast — a vdev's kernel interface by its flag (net_af_xdp has no API for it),
    // put back at shutdown.
    bool was_on = true;
    if (vdev) {
      if (std::string err = kernel::set_all_multicast(name, true, was_on); !err.empty())
        b->warnings_.push_back(port.what + ": " + err + ": IPv6 neighbour solicitations for the VIPs and local addresses may not arrive");
      else if (!was_on)
        b->all_multicast_set_.push_back(name);
    } else if (!first.all_multicast()) {
      b->warnings_.push_back(port.what + ": the device (" + first.driver() +
                             ") does not take all multicast: IPv6 neighbour solicitations for the VIPs and local addresses may not arrive");
    }
    if (o.workers > 1 && !vdev && !first.rss())
      b->warnings_.push_back(port.what + ": the device (" + first.driver() +
                             ") cannot spread flows over the workers' queues (no RSS): worker 0 receives everything");
    b->ports_.push_back(std::move(port));
  }
  for (uint32_t p = 0; p < b->ports_.size(); ++p) {
    const Port& port = b->ports_[p];
    for (uint32_t w = 0; w < o.workers; ++w) {
      const bool shared = port.devices.size() == 1;
      const EthPort& device = shared ? *port.devices.front() : *port.devices[w];
      const auto device_queue = static_cast<uint16_t>(shared ? w : 0);
      b->queues_.push_back(std::make_unique<DpdkQueue>(device.id(), device_queue, port.tap->id(), static_cast<uint16_t>(w),
                                                       static_cast<uint8_t>(p), device.mac(), b->pools_[w], b->owned_,
                                                       device.wait_fd(device_queue), port.tap->wait_fd(static_cast<uint16_t>(w))));
    }
  }
  out = std::move(b);
  return CreateError::none;
}

DpdkBackend::~DpdkBackend() { shutdown(); }

std::string DpdkBackend::describe() const {
  std::string out = "dpdk:";
  for (size_t i = 0; i < ports_.size(); ++i) {
    const Port& p = ports_[i];
    const EthPort& d = *p.devices.front();
    out += (i ? ", " : " ") + p.what + " via " + d.driver() + (p.devices.size() > 1 ? " x" + std::to_string(p.devices.size()) : "") +
           (d.rss() ? " (RSS)" : "") + ", host side " + p.exception;
  }
  out += "; " + std::to_string(workers_) + " queue(s) per port";
  if (!pools_.empty()) out += "; " + std::to_string(pools_.size()) + " x " + std::to_string(pools_.front()->size) + " mbufs";
  return out;
}

std::string DpdkBackend::apply_steering(const SteeringSets& sets) {
  if (shut_down_) return "the dpdk backend was shut down";
  auto next = std::make_unique<OwnedAddresses>();
  next->sorted = sets.vips;
  next->sorted.insert(next->sorted.end(), sets.lips.begin(), sets.lips.end());
  std::sort(next->sorted.begin(), next->sorted.end());
  next->sorted.erase(std::unique(next->sorted.begin(), next->sorted.end()), next->sorted.end());
  next->sorted6 = sets.vips6;
  next->sorted6.insert(next->sorted6.end(), sets.lips6.begin(), sets.lips6.end());
  std::sort(next->sorted6.begin(), next->sorted6.end(), address6_less);
  next->sorted6.erase(std::unique(next->sorted6.begin(), next->sorted6.end()), next->sorted6.end());
  // An address xvs owns from now on is announced on every port (gratuitous ARP in RFC 5227's
  // announcement form: sender and target both the address), as Linux does on `ip addr add` and
  // DPVS on a new address: a router or switch that cached another MAC for it (the VIP moved here
  // from another balancer) learns ours at once instead of after its cache times out.
  // IPv6: an unsolicited neighbour advertisement to all nodes, override set (RFC 4861 7.2.6).
  for (uint32_t address : next->sorted)
    if (!owned_current_ || !owned_current_->contains(address))
      for (size_t p = 0; p < ports_.size(); ++p) announcements_.push_back({p * workers_, false, address, {}});
  for (const core::Ipv6Address& address : next->sorted6)
    if (!owned_current_ || !owned_current_->contains6(address))
      for (size_t p = 0; p < ports_.size(); ++p) announcements_.push_back({p * workers_, true, 0, address});
  send_announcements();
  owned_.store(next.get(), std::memory_order_release);
  if (owned_current_) retired_.push_back({sets.generation, std::move(owned_current_)});
  owned_current_ = std::move(next);
  return "";
}

void DpdkBackend::reclaim(uint64_t generation) {
  std::erase_if(retired_, [&](const Retired& r) { return r.freeable_at <= generation; });
}

void DpdkBackend::port_mac(uint32_t port, uint8_t mac[6]) const { std::memcpy(mac, ports_.at(port).devices.front()->mac(), 6); }

int64_t DpdkBackend::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - epoch_).count();
}

void DpdkBackend::take_heard() {
  const int64_t now = now_ms();
  for (auto& q : queues_) {
    ArpHeard h;
    while (q->heard.pop(h)) neighbours_.observe(h.seen, h.reply, now);
    NdHeard h6;
    while (q->heard6.pop(h6)) neighbours6_.observe(h6.seen, h6.reply, now);
  }
}

bool DpdkBackend::neighbour(uint32_t address, uint32_t port, uint8_t mac[6]) {
  if (port >= ports_.size()) return false;
  take_heard();
  return neighbours_.lookup(address, static_cast<uint8_t>(port), now_ms(), mac);
}

bool DpdkBackend::neighbour6(const core::Ipv6Address& address, uint32_t port, uint8_t mac[6]) {
  if (port >= ports_.size()) return false;
  take_heard();
  return neighbours6_.lookup(address, static_cast<uint8_t>(port), now_ms(), mac);
}

// What a full solicit ring did not take waits for the next call (the neighbour timer calls
// neighbour_changes every ~100 ms): an announcement is sent once, late rather than never.
void DpdkBackend::send_announcements() {
  std::erase_if(announcements_, [&](const Announcement& a) {
    return a.ipv6 ? queues_[a.queue]->solicit6.push({a.address6, a.address6}) : queues_[a.queue]->solicit.push({a.address, a.address});
  });
}

void DpdkBackend::neighbour_changes(std::vector<uint32_t>& changed, std::vector<core::Ipv6Address>& changed6) {
  if (shut_down_) return;
  send_announcements();
  take_heard();
  std::vector<NeighbourSolicit> solicit;
  neighbours_.tick(now_ms(), solicit, changed);
  std::vector<NeighbourSolicit6> solicit6;
  neighbours6_.tick(now_ms(), solicit6, changed6);
  // The port's host addresses (on its exception interface) as the senders, read now: the operator
  // may have added them since. Without an IPv4 one, an ARP probe (sender 0.0.0.0), which hosts
  // answer too; without an IPv6 one, the port's link-local address (its MAC's EUI-64).
  const auto link_of = [&](uint8_t port) {
    kernel::LinkInfo link;
    bool missing = false;
    if (!kernel::link_info(ports_[port].exception, link, missing).empty()) link = kernel::LinkInfo{};
    return link;
  };
  for (const NeighbourSolicit& s : solicit)
    queues_[s.port * workers_]->solicit.push({s.address, link_of(s.port).address});  // full: the timer asks again
  for (const NeighbourSolicit6& s : solicit6) {
    const kernel::LinkInfo link = link_of(s.port);
    const core::Ipv6Address source = link.address6.is_zero() ? ndp::link_local(ports_[s.port].devices.front()->mac()) : link.address6;
    queues_[s.port * workers_]->solicit6.push({s.address, source});
  }
}

std::vector<HostPorts::Neighbour> DpdkBackend::neighbours() const {
  std::vector<Neighbour> out;
  const int64_t now = now_ms();
  for (const NeighbourTable::Entry& e : neighbours_.entries()) {
    Neighbour n{false, e.address, {}, e.port, {}, state_name(e.state), e.confirmed_ms == NeighbourTable::kNever ? -1 : now - e.confirmed_ms};
    std::memcpy(n.mac, e.mac, 6);
    out.push_back(n);
  }
  for (const NeighbourTable6::Entry& e : neighbours6_.entries()) {
    Neighbour n{true, 0, e.address, e.port, {}, state_name(e.state), e.confirmed_ms == NeighbourTable6::kNever ? -1 : now - e.confirmed_ms};
    std::memcpy(n.mac, e.mac, 6);
    out.push_back(n);
  }
  return out;
}

void DpdkBackend::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (const auto& q : queues_) q->reclaim_transmitted();
  queues_.clear();
  uint64_t kept = 0;
  for (Port& p : ports_) {  // the exception interface first: the host loses its side, then the port goes
    p.tap.reset();
    for (const auto& d : p.devices) kept += d->kept_after_close();
    p.devices.clear();
  }
  for (const std::string& name : all_multicast_set_) {
    bool was_on = false;
    kernel::set_all_multicast(name, false, was_on);
  }
  all_multicast_set_.clear();
  owned_.store(nullptr, std::memory_order_release);
  retired_.clear();
  owned_current_.reset();
  if (!pools_.empty()) {
    // Every port is closed: each mbuf is back in its pool (its ring or an lcore's cache), or lost.
    FrameAudit a;
    a.valid = true;
    for (rte_mempool* pool : pools_) {
      a.total += pool->size;
      a.free += rte_mempool_avail_count(pool);
      rte_mempool_free(pool);
    }
    a.in_rings = kept;
    a.lost = static_cast<int64_t>(a.total) - static_cast<int64_t>(a.free + a.in_rings);
    audit_ = a;
  }
  pools_.clear();
}

CreateError create_backend(const DpdkOptions& o, std::unique_ptr<Backend>& out, std::string& message) {
  std::unique_ptr<DpdkBackend> b;
  const CreateError err = DpdkBackend::create(o, b, message);
  if (err == CreateError::none) out = std::move(b);
  return err;
}

}  // namespace xvs::io::dpdk
