// native/core/spsc_ring.h — bounded single-producer single-consumer ring. One thread pushes,
// one other thread pops; head and tail live on their own cache lines and each side caches the
// other's index so that the common case touches no shared line. Used for control messages
// (control thread -> worker), hand-over inboxes (worker -> worker), the AF_XDP frame return
// rings (worker -> the frame's home worker) and the io/mem queues (host thread <-> worker).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace xvs::core {

inline constexpr size_t kCacheLine = 64;

template <typename T>
class SpscRing {
 public:
  // capacity is rounded up to a power of two.
  explicit SpscRing(size_t capacity) {
    size_t n = 1;
    while (n < capacity) n <<= 1;
    mask_ = n - 1;
    slots_ = std::make_unique<T[]>(n);
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // Producer side.
  size_t free_space() {
    const size_t tail = producer_.tail.load(std::memory_order_relaxed);
    producer_.cached_head = consumer_.head.load(std::memory_order_acquire);
    return capacity() - (tail - producer_.cached_head);
  }
  bool push(const T& value) {
    const size_t tail = producer_.tail.load(std::memory_order_relaxed);
    if (tail - producer_.cached_head == capacity()) {
      producer_.cached_head = consumer_.head.load(std::memory_order_acquire);
      if (tail - producer_.cached_head == capacity()) return false;
    }
    slots_[tail & mask_] = value;
    producer_.tail.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side.
  bool pop(T& out) {
    const size_t head = consumer_.head.load(std::memory_order_relaxed);
    if (head == consumer_.cached_tail) {
      consumer_.cached_tail = producer_.tail.load(std::memory_order_acquire);
      if (head == consumer_.cached_tail) return false;
    }
    out = slots_[head & mask_];
    consumer_.head.store(head + 1, std::memory_order_release);
    return true;
  }
  // Pops up to `max` values into `out`; returns how many.
  size_t pop_burst(T* out, size_t max) {
    const size_t head = consumer_.head.load(std::memory_order_relaxed);
    size_t available = consumer_.cached_tail - head;
    if (available < max) {
      consumer_.cached_tail = producer_.tail.load(std::memory_order_acquire);
      available = consumer_.cached_tail - head;
      if (available == 0) return 0;
    }
    const size_t n = available < max ? available : max;
    for (size_t i = 0; i < n; ++i) out[i] = slots_[(head + i) & mask_];
    consumer_.head.store(head + n, std::memory_order_release);
    return n;
  }
  bool empty_for_consumer() const {
    return consumer_.head.load(std::memory_order_relaxed) == producer_.tail.load(std::memory_order_acquire);
  }

 private:
  struct alignas(kCacheLine) ProducerSide {
    std::atomic<size_t> tail{0};
    size_t cached_head = 0;
  };
  struct alignas(kCacheLine) ConsumerSide {
    std::atomic<size_t> head{0};
    size_t cached_tail = 0;
  };
  ProducerSide producer_;
  ConsumerSide consumer_;
  size_t mask_;
  std::unique_ptr<T[]> slots_;
};

}  // namespace xvs::core
