// native/io/afxdp/afxdp_backend.h — io::Backend on AF_XDP (libxdp + libbpf): per interface, the
// steering XDP program (steering_program.h) and one AF_XDP socket per worker (queue id = worker
// id, xsk_queue.h), every socket on one shared UMEM whose frames are partitioned per worker
// (umem.h). Copy mode where the driver has no zero-copy (veth). The workers sleep in poll() on
// their sockets when idle (Queue::wait_fds).
//
// Threads: create(), apply_steering(), shutdown() and the destructor on the control thread;
// queue(p, w) is then driven by worker w only.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/backend.h"
#include "kernel/netlink.h"
#include "io/afxdp/fast_path_map.h"
#include "io/afxdp/steering_program.h"
#include "io/afxdp/umem.h"
#include "io/afxdp/xsk_queue.h"

namespace xvs::io::afxdp {

struct AfxdpOptions {
  std::vector<std::string> interfaces;
  uint32_t workers = 1;
  std::string bpf_object;  // build/Release/xvs_steer.bpf.o
  bool fast_path = true;   // dataplane.fast_path: xdp (lb/fast_path.h)
};

class AfxdpBackend final : public Backend {
 public:
  // Ring sizes (descriptors) of every socket, and frames owned per (worker, port).
  static constexpr uint32_t kRingSize = 1024;
  static constexpr uint32_t kFramesPerSocket = 2 * kRingSize;

  static CreateError create(const AfxdpOptions& options, std::unique_ptr<AfxdpBackend>& out, std::string& message);
  ~AfxdpBackend() override;

  const char* name() const override { return "afxdp"; }
  uint32_t port_count() const override { return static_cast<uint32_t>(ports_.size()); }
  uint32_t queue_count() const override { return workers_; }
  Queue& queue(uint32_t port, uint32_t queue) override { return *queues_[port * workers_ + queue]; }

  std::string describe() const override;
  std::vector<std::string> warnings() const override { return warnings_; }
  std::string apply_steering(const SteeringSets& sets) override;
  void shutdown() override;
  FrameAudit audit() const override { return audit_; }
  lb::FastPathTable* fast_path() override { return fast_path_.get(); }
  FastPathReport* fast_path_report() override { return fast_path_.get(); }

 private:
  struct Port {
    std::string name;
    kernel::LinkInfo link;
    std::unique_ptr<SteeringProgram> program;
  };
  explicit AfxdpBackend(uint32_t workers) : workers_(workers) {}
  std::string open_sockets(uint32_t frame_size);
  std::string try_open_sockets(uint32_t frame_size, int& error);
  void close_sockets();
  // Each port's interface index for the fast path, 0 where the kernel cannot take XDP
  // transmissions (kernel/xdp_features.h), read now: a veth peer's GRO may have changed. In
  // generic mode on every port, every port (a redirect is an ordinary transmit there). Adds a
  // line to `cannot` for each port left out.
  std::vector<uint32_t> fast_path_ports(std::vector<std::string>* cannot) const;

  const uint32_t workers_;
  std::vector<Port> ports_;
  std::unique_ptr<Umem> umem_;
  std::unique_ptr<FastPathMap> fast_path_;  // over the first port's program's maps, shared by all
  std::vector<std::unique_ptr<XskQueue>> queues_;  // port-major
  std::vector<std::string> warnings_;
  SteeringSets applied_;
  FrameAudit audit_;
  bool shut_down_ = false;
};

}  // namespace xvs::io::afxdp
