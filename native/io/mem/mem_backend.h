// native/io/mem/mem_backend.h — an in-memory NIC for tests and benchmarks: the host side (one
// thread: a test, a bench, or the control thread) injects frames into a port's queue and
// collects what the workers transmitted or passed to the kernel. Frames live in one pool, like
// an AF_XDP UMEM shared by all ports. Each queue has four SPSC rings: rx (host -> worker),
// tx and kernel (worker -> host), released (worker -> host: dropped frames coming home).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/spsc_ring.h"
#include "io/backend.h"

namespace xvs::io {

class MemBackend final : public Backend {
 public:
  static constexpr uint32_t kFrameSize = 2048;
  static constexpr uint32_t kHeadroom = 256;

  MemBackend(uint32_t ports, uint32_t queues, uint32_t frames);
  ~MemBackend() override;

  const char* name() const override { return "mem"; }
  uint32_t port_count() const override { return ports_; }
  uint32_t queue_count() const override { return queues_; }
  Queue& queue(uint32_t port, uint32_t queue) override;

  // Host side, one thread only.
  enum class Inject { ok, no_frame, ring_full, too_long, bad_queue };
  Inject inject(uint32_t port, uint32_t queue, const uint8_t* data, uint32_t len);
  enum class Output { tx, kernel };
  using Sink = std::function<void(Output, uint32_t port, uint32_t queue, const uint8_t* data, uint32_t len)>;
  // Hands every collected frame to `sink` in ring order per queue and recycles it.
  uint32_t collect(const Sink& sink);
  uint32_t frames_free();
  uint32_t frames_total() const { return frame_count_; }

 private:
  struct Desc {
    uint32_t index;
    uint16_t offset;
    uint16_t len;
  };
  class MemQueue;
  MemQueue& at(uint32_t port, uint32_t queue);
  void reclaim_released();

  uint32_t ports_;
  uint32_t queues_;
  uint32_t frame_count_;
  std::unique_ptr<uint8_t[]> memory_;
  std::vector<std::unique_ptr<MemQueue>> rings_;
  std::vector<uint32_t> free_;  // host side only
};

}  // namespace xvs::io
