// native/io/mem/mem_backend.cc — see mem_backend.h. MemQueue methods run on the worker that
// owns the queue; inject/collect/frames_free run on the single host thread.
#include "io/mem/mem_backend.h"

#include <cstring>

namespace xvs::io {

class MemBackend::MemQueue final : public Queue {
 public:
  // Every ring can hold the whole pool, so no push of a frame the pool owns can fail for lack
  // of room except rx (bounded by what the host injects) and tx (when the host stops collecting).
  MemQueue(MemBackend& owner, uint32_t port, uint32_t queue, uint32_t ring_size)
      : port_(port), queue_(queue), rx(ring_size), tx(ring_size), kernel(ring_size), released(ring_size), owner_(owner) {}

  uint32_t receive(Frame* frames, uint32_t max) override {
    Desc descs[64];
    if (max > 64) max = 64;
    const auto n = static_cast<uint32_t>(rx.pop_burst(descs, max));
    for (uint32_t i = 0; i < n; ++i) {
      uint8_t* base = owner_.memory_.get() + static_cast<size_t>(descs[i].index) * kFrameSize;
      frames[i] = Frame{base + descs[i].offset, descs[i].len, descs[i].offset, descs[i].index,
                        static_cast<uint8_t>(port_), static_cast<uint8_t>(queue_), kFrameSize - descs[i].offset};
    }
    return n;
  }
  uint32_t transmit(Frame* frames, uint32_t n) override { return push_all(tx, frames, n); }
  void pass_to_kernel(Frame* frames, uint32_t n) override {
    const uint32_t pushed = push_all(kernel, frames, n);
    release(frames + pushed, n - pushed);
  }
  void release(Frame* frames, uint32_t n) override {
    for (uint32_t i = 0; i < n; ++i) released.push(desc_of(frames[i]));
  }

  const uint32_t port_;
  const uint32_t queue_;
  core::SpscRing<Desc> rx, tx, kernel, released;

 private:
  Desc desc_of(const Frame& f) const {
    const uint8_t* base = owner_.memory_.get() + static_cast<size_t>(f.handle) * kFrameSize;
    return Desc{static_cast<uint32_t>(f.handle), static_cast<uint16_t>(f.data - base), static_cast<uint16_t>(f.len)};
  }
  uint32_t push_all(core::SpscRing<Desc>& ring, Frame* frames, uint32_t n) {
    uint32_t i = 0;
    while (i < n && ring.push(desc_of(frames[i]))) ++i;
    return i;
  }
  MemBackend& owner_;
};

MemBackend::MemBackend(uint32_t ports, uint32_t queues, uint32_t frames)
    : ports_(ports), queues_(queues), frame_count_(frames),
      memory_(std::make_unique<uint8_t[]>(static_cast<size_t>(frames) * kFrameSize)) {
  for (uint32_t p = 0; p < ports; ++p)
    for (uint32_t q = 0; q < queues; ++q) rings_.push_back(std::make_unique<MemQueue>(*this, p, q, frames));
  free_.reserve(frames);
  for (uint32_t i = frames; i-- > 0;) free_.push_back(i);
}

MemBackend::~MemBackend() = default;

MemBackend::MemQueue& MemBackend::at(uint32_t port, uint32_t queue) { return *rings_[port * queues_ + queue]; }
Queue& MemBackend::queue(uint32_t port, uint32_t queue) { return at(port, queue); }

void MemBackend::reclaim_released() {
  Desc d;
  for (auto& q : rings_)
    while (q->released.pop(d)) free_.push_back(d.index);
}

uint32_t MemBackend::frames_free() {
  reclaim_released();
  return static_cast<uint32_t>(free_.size());
}

MemBackend::Inject MemBackend::inject(uint32_t port, uint32_t queue, const uint8_t* data, uint32_t len) {
  if (port >= ports_ || queue >= queues_) return Inject::bad_queue;
  if (len > kFrameSize - kHeadroom) return Inject::too_long;
  if (free_.empty()) reclaim_released();
  if (free_.empty()) return Inject::no_frame;
  const uint32_t index = free_.back();
  std::memcpy(memory_.get() + static_cast<size_t>(index) * kFrameSize + kHeadroom, data, len);
  if (!at(port, queue).rx.push(Desc{index, static_cast<uint16_t>(kHeadroom), static_cast<uint16_t>(len)}))
    return Inject::ring_full;
  free_.pop_back();
  return Inject::ok;
}

uint32_t MemBackend::collect(const Sink& sink) {
  uint32_t n = 0;
  Desc d;
  for (auto& q : rings_) {
    for (auto [ring, kind] : {std::pair{&q->tx, Output::tx}, std::pair{&q->kernel, Output::kernel}}) {
      while (ring->pop(d)) {
        sink(kind, q->port_, q->queue_, memory_.get() + static_cast<size_t>(d.index) * kFrameSize + d.offset, d.len);
        free_.push_back(d.index);
        ++n;
      }
    }
  }
  reclaim_released();
  return n;
}

}  // namespace xvs::io
