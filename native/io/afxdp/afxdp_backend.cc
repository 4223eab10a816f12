// native/io/afxdp/afxdp_backend.cc — see afxdp_backend.h. Control thread only.
#include "io/afxdp/afxdp_backend.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "kernel/xdp_features.h"

namespace xvs::io::afxdp {

namespace {
// Room in front of the packet (XDP_PACKET_HEADROOM) and for a VLAN tag and an IPIP header.
constexpr uint32_t kFrameOverhead = 256 + 18 + 20;
}  // namespace

CreateError AfxdpBackend::create(const AfxdpOptions& o, std::unique_ptr<AfxdpBackend>& out,
                                         std::string& message) {
  std::unique_ptr<AfxdpBackend> b(new AfxdpBackend(o.workers));
  uint32_t max_mtu = 0;
  for (const std::string& name : o.interfaces) {
    Port port;
    port.name = name;
    bool missing = false;
    message = kernel::link_info(name, port.link, missing);
    if (!message.empty()) return missing ? CreateError::invalid : CreateError::system;
    if (port.link.rx_queues < o.workers || port.link.tx_queues < o.workers) {
      message = "interface " + name + " has " + std::to_string(port.link.rx_queues) + " receive and " +
                std::to_string(port.link.tx_queues) + " transmit queues; workers: " + std::to_string(o.workers) +
                " needs one of each per worker (ethtool -L " + name + " combined " + std::to_string(o.workers) +
                "; veth: create it with numrxqueues " + std::to_string(o.workers) + " numtxqueues " +
                std::to_string(o.workers) + ")";
      return CreateError::invalid;
    }
    if (port.link.rx_queues > o.workers)
      b->warnings_.push_back("interface " + name + " has " + std::to_string(port.link.rx_queues) +
                             " receive queues but xvs reads only the first " + std::to_string(o.workers) +
                             " (one per worker): what arrives on the others goes to the kernel; match them with "
                             "ethtool -L " + name + " combined " + std::to_string(o.workers));
    if (port.link.mtu > max_mtu) max_mtu = port.link.mtu;
    b->ports_.push_back(std::move(port));
  }
  if (o.bpf_object.empty() || access(o.bpf_object.c_str(), R_OK) != 0) {
    message = "the steering XDP program is missing (" + (o.bpf_object.empty() ? std::string("no path given") : o.bpf_object) +
              "): build it with npm run build";
    return CreateError::system;
  }
  std::vector<std::string> generic;
  for (Port& port : b->ports_) {
    SteeringProgram::Attached attached;
    // One fast-path table for every interface: a connection's two directions arrive on two.
    const SteeringProgram* first = b->ports_.front().program.get();
    message = SteeringProgram::attach(o.bpf_object, port.name, port.link.ifindex, attached, &port == &b->ports_.front() ? nullptr : first);
    if (!message.empty()) return CreateError::system;
    port.program = std::move(attached.program);
    if (!attached.native_error.empty()) generic.push_back(port.name + ": " + attached.native_error);
    if (!attached.replaced_stale.empty())
      b->warnings_.push_back("replaced a stale xvs steering program (" + attached.replaced_stale + ") on " + port.name +
                             ", left by an earlier run that did not stop cleanly");
  }
  if (!generic.empty()) {
    std::string line = "native XDP is not available, using generic (skb) mode, which is slower:";
    for (size_t i = 0; i < generic.size(); ++i) line += (i ? "; " : " ") + generic[i];
    b->warnings_.push_back(line);
  }
  if (o.fast_path) {
    const SteeringProgram& first = *b->ports_.front().program;
    b->fast_path_ = std::make_unique<FastPathMap>(first.fast_map_fd(), first.fast6_map_fd(), first.fast_generation_fd(), first.fast_counters_fd(),
                                                   first.fast_ports_fd(), first.fast_traffic_fd());
    std::vector<std::string> cannot;
    b->fast_path_ports(&cannot);
    if (!cannot.empty()) {
      std::string line = "the XDP fast path cannot send on";
      for (size_t i = 0; i < cannot.size(); ++i) line += (i ? ", " : " ") + cannot[i];
      b->warnings_.push_back(line + ": their established connections stay with the workers, which is slower");
    }
  }
  const uint32_t frame_size = max_mtu + kFrameOverhead <= 2048 ? 2048 : 4096;
  if (max_mtu + kFrameOverhead > 4096) {
    message = "MTU " + std::to_string(max_mtu) + " is too large for AF_XDP frames of 4096 bytes (at most " +
              std::to_string(4096 - kFrameOverhead) + ")";
    return CreateError::invalid;
  }
  message = b->open_sockets(frame_size);
  if (!message.empty()) return CreateError::system;
  out = std::move(b);
  return CreateError::none;
}

AfxdpBackend::~AfxdpBackend() { shutdown(); }

std::string AfxdpBackend::open_sockets(uint32_t frame_size) {
  // Binding a queue again within ~50 ms of closing its previous socket answers EBUSY; libxdp
  // cannot retry the first socket of a UMEM in place, so start over with a new UMEM.
  std::string err;
  for (int attempt = 0; attempt < 20; ++attempt) {
    int error = 0;
    err = try_open_sockets(frame_size, error);
    if (err.empty()) return "";
    close_sockets();
    if (error != EBUSY) return err;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return err;
}

std::string AfxdpBackend::try_open_sockets(uint32_t frame_size, int& error) {
  const uint32_t frames_per_worker = kFramesPerSocket * static_cast<uint32_t>(ports_.size());
  std::string err = Umem::create(workers_, frames_per_worker, frame_size, kRingSize, kRingSize, umem_);
  if (!err.empty()) return err;
  const XskConfig cfg{kRingSize, kRingSize, kRingSize, kRingSize};
  for (uint32_t p = 0; p < ports_.size(); ++p) {
    for (uint32_t w = 0; w < workers_; ++w) {
      auto q = std::make_unique<XskQueue>(*umem_, w, static_cast<uint8_t>(p));
      err = q->open(ports_[p].name, w, cfg, p == 0 && w == 0, error);
      if (!err.empty()) return err;
      const int fd = q->fd();
      if (bpf_map_update_elem(ports_[p].program->xsks_map_fd(), &w, &fd, BPF_ANY) != 0) {
        error = errno;
        return "cannot register the AF_XDP socket of " + ports_[p].name + " queue " + std::to_string(w) +
               " with the steering program: " + std::strerror(error);
      }
      queues_.push_back(std::move(q));
    }
  }
  for (auto& q : queues_) q->prime();
  return "";
}

void AfxdpBackend::close_sockets() {
  for (Port& port : ports_)
    if (port.program)
      for (uint32_t w = 0; w < workers_; ++w) bpf_map_delete_elem(port.program->xsks_map_fd(), &w);
  queues_.clear();
  umem_.reset();
}

std::vector<uint32_t> AfxdpBackend::fast_path_ports(std::vector<std::string>* cannot) const {
  std::vector<uint32_t> ifindex;
  // Generic (skb) mode redirects through the interface's ordinary transmit: any will do.
  const bool all_generic =
      std::all_of(ports_.begin(), ports_.end(), [](const Port& p) { return p.program && p.program->generic_mode(); });
  for (const Port& port : ports_) {
    if (all_generic) {
      ifindex.push_back(static_cast<uint32_t>(port.link.ifindex));
      continue;
    }
    kernel::XdpFeatures features;
    const std::string err = kernel::xdp_features(port.link.ifindex, features);
    // Unknown (a kernel before 6.3): assumed able, as real NIC drivers are.
    const bool able = err.empty() && (!features.known || (features.flags & kernel::kXdpActNdoXmit) != 0);
    ifindex.push_back(able ? static_cast<uint32_t>(port.link.ifindex) : 0);
    if (!able && cannot != nullptr)
      cannot->push_back(port.name + (err.empty() ? " (the kernel takes no XDP transmissions there: a veth does once its peer runs XDP "
                                                   "or GRO, ethtool -K PEER gro on; another driver lacks ndo_xdp_xmit)"
                                                 : " (" + err + ")"));
  }
  return ifindex;
}

std::string AfxdpBackend::describe() const {
  std::string out = "afxdp:";
  for (size_t i = 0; i < ports_.size(); ++i) {
    const Port& p = ports_[i];
    out += (i ? ", " : " ") + p.name + " (" + (p.program && p.program->generic_mode() ? "generic" : "native") + " XDP)";
  }
  const bool zc = !queues_.empty() && queues_.front()->zero_copy();
  out += "; " + std::string(zc ? "zero-copy" : "copy") + " mode; " + std::to_string(workers_) + " queue(s) per interface";
  if (umem_) out += "; UMEM " + std::to_string(umem_->total_frames()) + " frames of " + std::to_string(umem_->frame_size()) + " B";
  return out;
}

std::string AfxdpBackend::apply_steering(const SteeringSets& wanted) {
  if (shut_down_) return "the afxdp backend was shut down";
  // Read at every commit: an address added to the balancer later takes effect at the next one.
  SteeringSets sets = wanted;
  std::vector<kernel::LocalPrefix> locals;
  if (std::string err = kernel::local_routes(locals); !err.empty()) return "cannot read the balancer's own addresses: " + err;
  for (const kernel::LocalPrefix& p : locals)
    if (p.prefix_len == 32) sets.own_addresses.push_back(p.address);
  std::vector<kernel::LocalPrefix6> locals6;
  if (std::string err = kernel::local_routes6(locals6); !err.empty()) return "cannot read the balancer's own IPv6 addresses: " + err;
  for (const kernel::LocalPrefix6& p : locals6)
    if (p.prefix_len == 128) sets.own_addresses6.push_back(p.address);
  for (size_t i = 0; i < ports_.size(); ++i) {
    std::string err = ports_[i].program->update(sets);
    if (err.empty()) continue;
    for (size_t j = 0; j < i; ++j) ports_[j].program->update(applied_);
    return err;
  }
  // Last: the services the entries serve are steered by now.
  if (fast_path_ && (!fast_path_->set_ports(fast_path_ports(nullptr).data(), static_cast<uint32_t>(ports_.size())) ||
                     !fast_path_->set_generation(sets.fast_path_generation)))
    return std::string("cannot update the XDP fast path's maps: ") + std::strerror(errno);
  applied_ = sets;
  return "";
}

void AfxdpBackend::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  // First stop the kernel steering into the sockets, then wait (bounded) for the kernel to
  // complete what was transmitted, then count every frame before the memory goes.
  fast_path_.reset();
  for (Port& p : ports_) p.program.reset();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  for (;;) {
    uint64_t in_flight = 0;
    for (auto& q : queues_) in_flight += q->settle();
    if (in_flight == 0 || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (umem_) {
    for (uint32_t w = 0; w < umem_->workers(); ++w) umem_->pool(w).take_returns();
    FrameAudit a;
    a.valid = true;
    a.total = umem_->total_frames();
    uint64_t overflows = 0;
    for (uint32_t w = 0; w < umem_->workers(); ++w) {
      a.free += umem_->pool(w).free_count();
      a.in_flight += umem_->pool(w).in_flight;
      overflows += umem_->pool(w).overflows();
    }
    for (auto& q : queues_) a.in_rings += q->frames_in_rings();
    a.lost = static_cast<int64_t>(a.total) - static_cast<int64_t>(a.free + a.in_rings + a.in_flight);
    if (overflows != 0) a.lost -= static_cast<int64_t>(overflows);
    audit_ = a;
  }
  queues_.clear();
  umem_.reset();
}

}  // namespace xvs::io::afxdp
