// native/lb/port_pool.h — the local ports of one LIP that one worker may hand out (Full-NAT).
// Ports p with p % workers == worker id, in [kFirstPort, 65535], kept in a FIFO so that a port
// just released is reused last (the server may still hold the old 4-tuple in TIME_WAIT).
// Filled by the control thread before the worker first sees it, then written only by the
// owning worker (allocate on a new connection, release on expiry).
#pragma once
#include <cstdint>
#include <memory>

#include "core/net.h"

namespace xvs::lb {

class PortPool {
 public:
  static constexpr uint32_t kFirstPort = 1024;

  // The worker that owns a local port: the same rule on every side (DESIGN §4).
  static uint32_t owner_of(uint16_t port_host_order, uint32_t workers) { return port_host_order % workers; }

  PortPool(uint32_t worker, uint32_t workers) {
    uint32_t first = kFirstPort + (worker + workers - kFirstPort % workers) % workers;
    capacity_ = first > 65535 ? 0 : (65535 - first) / workers + 1;
    ring_ = std::make_unique<uint16_t[]>(capacity_ ? capacity_ : 1);
    for (uint32_t i = 0; i < capacity_; ++i) ring_[i] = core::htons(static_cast<uint16_t>(first + i * workers));
    count_ = capacity_;
  }

  uint32_t capacity() const { return capacity_; }
  uint32_t available() const { return count_; }

  // Returns false when every port is in use. Port in network order.
  bool allocate(uint16_t& port) {
    if (count_ == 0) return false;
    port = ring_[head_];
    head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
    --count_;
    return true;
  }
  void release(uint16_t port) {
    uint32_t tail = head_ + count_;
    if (tail >= capacity_) tail -= capacity_;
    ring_[tail] = port;
    ++count_;
  }

 private:
  std::unique_ptr<uint16_t[]> ring_;
  uint32_t capacity_ = 0;
  uint32_t head_ = 0;
  uint32_t count_ = 0;
};

}  // namespace xvs::lb
