// native/io/dpdk/dpdk_backend.cc — see dpdk_backend.h. Control thread only.
#include "io/dpdk/dpdk_backend.h"

#include <net/if.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/ipv4_text.h"
#include "io/dpdk/eal.h"
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

const char* state_name(NeighbourTable::State s) {
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
  message = eal_init(o.eal, o.devices);
  if (!message.empty()) return CreateError::system;

  std::unique_ptr<DpdkBackend> b(new DpdkBackend(o.workers));
  const uint32_t serial = next_serial();
  // Every queue's rings (port and exception interface, rx and tx) full, plus the per-lcore caches.
  const uint32_t mbufs = static_cast<uint32_t>(port_count) * o.workers * 4 * EthPort::kRxDescriptors + 4096;
  const std::string pool_name = "xvs_pool" + std::to_string(serial);
  b->pool_ = rte_pktmbuf_pool_create(pool_name.c_str(), mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (b->pool_ == nullptr) {
    const std::string why = eal_recent_log(1);
    message = "cannot allocate DPDK's packet buffers (" + std::to_string(mbufs) + " mbufs of " +
              std::to_string(RTE_MBUF_DEFAULT_BUF_SIZE) + " bytes): " + rte_strerror(rte_errno) + (why.empty() ? "" : ": " + why) +
              " (give the EAL more memory: dataplane.dpdk.eal -m, or hugepages)";
    return CreateError::system;
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
      if (link.address != 0)
        b->warnings_.push_back(port.what + " has the kernel address " + core::ipv4_text(link.address) +
                               ": with backend dpdk the host's addresses belong on " + port.exception +
                               " (frames for the port no longer reach the kernel's interface)");
    }
    const std::string suffix = std::to_string(serial) + "_" + std::to_string(i);
    const std::string devargs =
        !vdev ? o.devices[i]
              : o.driver == "af_xdp"
                    ? "net_af_xdp_xvs" + suffix + ",iface=" + name + ",start_queue=0,queue_count=" + std::to_string(o.workers)
                    : "net_af_packet_xvs" + suffix + ",iface=" + name + ",qpairs=" + std::to_string(o.workers) + ",qdisc_bypass=1";
    message = EthPort::open(port.what, devargs, vdev, static_cast<uint16_t>(o.workers), b->pool_, port.device);
    if (!message.empty()) return CreateError::system;
    const std::string tap_args = "net_tap_xvs" + suffix + ",iface=" + port.exception + ",mac=" + mac_text(port.device->mac());
    message = EthPort::open(port.what + " exception interface " + port.exception, tap_args, true,
                            static_cast<uint16_t>(o.workers), b->pool_, port.tap);
    if (!message.empty()) return CreateError::system;
    if (o.workers > 1 && !port.device->rss())
      b->warnings_.push_back(port.what + ": the device (" + port.device->driver() +
                             ") spreads nothing over the workers' queues itself; the sender's (or the kernel's) queue choice does");
    b->ports_.push_back(std::move(port));
  }
  for (uint32_t p = 0; p < b->ports_.size(); ++p)
    for (uint32_t w = 0; w < o.workers; ++w)
      b->queues_.push_back(std::make_unique<DpdkQueue>(b->ports_[p].device->id(), b->ports_[p].tap->id(), static_cast<uint16_t>(w),
                                                       static_cast<uint8_t>(p), b->ports_[p].device->mac(), b->pool_, b->owned_));
  out = std::move(b);
  return CreateError::none;
}

DpdkBackend::~DpdkBackend() { shutdown(); }

std::string DpdkBackend::describe() const {
  std::string out = "dpdk:";
  for (size_t i = 0; i < ports_.size(); ++i) {
    const Port& p = ports_[i];
    out += (i ? ", " : " ") + p.what + " via " + p.device->driver() + (p.device->rss() ? " (RSS)" : "") + ", host side " + p.exception;
  }
  out += "; " + std::to_string(workers_) + " queue(s) per port";
  if (pool_ != nullptr) out += "; " + std::to_string(pool_->size) + " mbufs";
  return out;
}

std::string DpdkBackend::apply_steering(const SteeringSets& sets) {
  if (shut_down_) return "the dpdk backend was shut down";
  auto next = std::make_unique<OwnedAddresses>();
  next->sorted = sets.vips;
  next->sorted.insert(next->sorted.end(), sets.lips.begin(), sets.lips.end());
  std::sort(next->sorted.begin(), next->sorted.end());
  next->sorted.erase(std::unique(next->sorted.begin(), next->sorted.end()), next->sorted.end());
  owned_.store(next.get(), std::memory_order_release);
  if (owned_current_) retired_.push_back({sets.generation, std::move(owned_current_)});
  owned_current_ = std::move(next);
  return "";
}

void DpdkBackend::reclaim(uint64_t generation) {
  std::erase_if(retired_, [&](const Retired& r) { return r.freeable_at <= generation; });
}

void DpdkBackend::port_mac(uint32_t port, uint8_t mac[6]) const { std::memcpy(mac, ports_.at(port).device->mac(), 6); }

int64_t DpdkBackend::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - epoch_).count();
}

void DpdkBackend::take_heard() {
  const int64_t now = now_ms();
  for (auto& q : queues_) {
    ArpHeard h;
    while (q->heard.pop(h)) neighbours_.observe(h.seen, h.reply, now);
  }
}

bool DpdkBackend::neighbour(uint32_t address, uint32_t port, uint8_t mac[6]) {
  if (port >= ports_.size()) return false;
  take_heard();
  return neighbours_.lookup(address, static_cast<uint8_t>(port), now_ms(), mac);
}

void DpdkBackend::neighbour_changes(std::vector<uint32_t>& changed) {
  if (shut_down_) return;
  take_heard();
  std::vector<NeighbourSolicit> solicit;
  neighbours_.tick(now_ms(), solicit, changed);
  for (const NeighbourSolicit& s : solicit) {
    // The port's host address (on its exception interface) as the sender, read now: the operator
    // may have added it since; without one, an ARP probe (sender 0.0.0.0), which hosts answer too.
    kernel::LinkInfo link;
    bool missing = false;
    const uint32_t sender = kernel::link_info(ports_[s.port].exception, link, missing).empty() ? link.address : 0;
    queues_[s.port * workers_]->solicit.push({s.address, sender});  // full: the timer asks again
  }
}

std::vector<HostPorts::Neighbour> DpdkBackend::neighbours() const {
  std::vector<Neighbour> out;
  const int64_t now = now_ms();
  for (const NeighbourTable::Entry& e : neighbours_.entries()) {
    Neighbour n{e.address, e.port, {}, state_name(e.state), e.confirmed_ms == NeighbourTable::kNever ? -1 : now - e.confirmed_ms};
    std::memcpy(n.mac, e.mac, 6);
    out.push_back(n);
  }
  return out;
}

void DpdkBackend::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  queues_.clear();
  for (Port& p : ports_) {  // the exception interface first: the host loses its side, then the port goes
    p.tap.reset();
    p.device.reset();
  }
  owned_.store(nullptr, std::memory_order_release);
  retired_.clear();
  owned_current_.reset();
  if (pool_ != nullptr) rte_mempool_free(pool_);
  pool_ = nullptr;
}

CreateError create_backend(const DpdkOptions& o, std::unique_ptr<Backend>& out, std::string& message) {
  std::unique_ptr<DpdkBackend> b;
  const CreateError err = DpdkBackend::create(o, b, message);
  if (err == CreateError::none) out = std::move(b);
  return err;
}

}  // namespace xvs::io::dpdk
