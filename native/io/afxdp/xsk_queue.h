// native/io/afxdp/xsk_queue.h — one AF_XDP socket: (interface, queue id = worker id), bound on
// the engine's shared UMEM, with its own rx, tx, fill and completion rings. It is the io::Queue
// the worker with that id drives on that port: receive() reaps completions, tops up the fill
// ring from the worker's FramePool and takes a burst from rx; transmit() posts a burst on tx
// and kicks the kernel (copy mode sends at most the socket's tx budget per sendto(): it loops);
// pass_to_kernel() cannot re-inject a frame from AF_XDP: it releases it (the worker counts it
// as pass_packets; the steering program is what keeps kernel traffic away from xvs).
//
// Threads: open(), prime(), settle() and the destructor run on the control thread while the
// workers are stopped; the Queue methods run on the owning worker only.
#pragma once
#include <cstdint>
#include <string>

#include <xdp/xsk.h>

#include "io/backend.h"
#include "io/afxdp/umem.h"

namespace xvs::io::afxdp {

struct XskConfig {
  uint32_t rx_size;
  uint32_t tx_size;
  uint32_t fill_size;
  uint32_t comp_size;
};

class XskQueue final : public Queue {
 public:
  XskQueue(Umem& umem, uint32_t worker, uint8_t port);
  ~XskQueue() override;
  XskQueue(const XskQueue&) = delete;
  XskQueue& operator=(const XskQueue&) = delete;

  // Creates and binds the socket; "" or a message, with the errno in `error`. `first` = the
  // first socket on this UMEM (it takes over the UMEM's own fill/completion rings). EBUSY right
  // after a previous socket on the queue closed is retried by the backend, which starts over
  // with a new UMEM (libxdp cannot retry the first socket of a UMEM in place).
  std::string open(const std::string& ifname, uint32_t queue_id, const XskConfig& cfg, bool first, int& error);
  int fd() const { return fd_; }
  bool zero_copy() const { return zero_copy_; }
  // Posts free frames on the fill ring (before the worker starts).
  void prime() {
    // kRefillMax at a time until the fill ring is full: 64 rounds fill any ring up to 16 384 entries.
    for (uint32_t i = 0; i < 64; ++i) refill();
  }
  // After the workers stopped: reaps completions; returns the frames still in flight.
  uint64_t settle();
  // Frames on the fill ring not yet used by the kernel plus frames received but not read.
  uint64_t frames_in_rings() const;

  uint32_t receive(Frame* frames, uint32_t max) override;
  uint32_t transmit(Frame* frames, uint32_t n) override;
  void pass_to_kernel(Frame* frames, uint32_t n) override { release(frames, n); }
  void release(Frame* frames, uint32_t n) override {
    for (uint32_t i = 0; i < n; ++i) pool_.put(frames[i].handle);
  }
  int wait_fds(int* out) const override {
    out[0] = fd_;
    return fd_ < 0 ? -1 : 1;
  }

 private:
  static constexpr uint32_t kRefillMax = 256;
  static constexpr uint32_t kReapMax = 256;
  // Copy mode sends at most 32 frames per sendto(): 64 rounds drain a tx ring of up to 2048
  // entries (AfxdpBackend::kRingSize is 1024).
  static constexpr uint32_t kKickRounds = 64;

  void refill();
  uint32_t reap();
  void kick_tx();

  Umem& umem_;
  FramePool& pool_;
  const uint8_t port_;
  uint8_t queue_id_ = 0;
  xsk_socket* xsk_ = nullptr;
  int fd_ = -1;
  bool zero_copy_ = false;
  // libxdp 1.3.1 initialises only some fields of ring structs: they start zeroed.
  xsk_ring_cons rx_{};
  xsk_ring_prod tx_{};
  xsk_ring_prod own_fill_{};
  xsk_ring_cons own_comp_{};
  xsk_ring_prod* fill_ = &own_fill_;  // the UMEM's own rings for the first socket
  xsk_ring_cons* comp_ = &own_comp_;
};

}  // namespace xvs::io::afxdp
