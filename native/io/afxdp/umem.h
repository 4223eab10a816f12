// native/io/afxdp/umem.h — the one UMEM of an engine: a page-aligned area of equal frames,
// registered once and shared by every AF_XDP socket on every port (a frame received on one
// arm can be sent on the other without a copy). The area is cut into one contiguous partition
// per worker; FramePool is a worker's free list of its own partition, so frames are recycled
// without locks: every socket of worker w takes from pool w only. A frame can reach another
// worker (handed over to the owner of its connection: a redirect verdict, worker/worker.h); when that worker
// releases it or its transmission completes, it goes home through an SPSC return ring (one per
// pair, as large as a partition, so it never fills) and the owner takes it back when it refills.
//
// Threads: create() and the destructor run on the control thread (before workers start / after
// they stopped); while the workers run, pool w is used by worker w only, except that worker s
// produces on pool w's return ring for s.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <xdp/xsk.h>

#include "core/spsc_ring.h"

namespace xvs::io::afxdp {

class FramePool {
 public:
  void init(uint32_t worker, uint64_t first_addr, uint32_t count, uint32_t frame_size);
  // Every pool of the UMEM, by worker id (partitions are equal and in worker order).
  void connect(const std::vector<FramePool*>& pools);

  // Pops up to n chunk addresses; returns how many.
  uint32_t take(uint64_t* out, uint32_t n) {
    const uint32_t k = n < count_ ? n : count_;
    for (uint32_t i = 0; i < k; ++i) out[i] = free_[--count_];
    return k;
  }
  // Takes back any address inside a frame of the UMEM (data pointer or chunk start); another
  // worker's frame goes home.
  void put(uint64_t addr) {
    const uint64_t chunk = addr & chunk_mask_;
    if (chunk - first_ >= span_) return send_home(chunk);
    if (count_ < free_.size()) free_[count_++] = chunk;
    else ++overflows_;  // more frames returned than the pool owns: a double release
  }
  // Frames of this pool that other workers released.
  void take_returns();
  uint32_t free_count() const { return count_; }
  uint32_t total() const { return static_cast<uint32_t>(free_.size()); }
  uint64_t overflows() const { return overflows_; }

  // Frames posted on a tx ring whose completion has not come back yet (audit).
  uint64_t in_flight = 0;

 private:
  void send_home(uint64_t chunk);

  std::vector<uint64_t> free_;
  uint32_t count_ = 0;
  uint64_t chunk_mask_ = ~0ull;
  uint64_t overflows_ = 0;
  uint32_t worker_ = 0;
  uint64_t first_ = 0, span_ = 0;  // this pool's partition of the UMEM
  std::vector<FramePool*> pools_;
  std::vector<std::unique_ptr<core::SpscRing<uint64_t>>> returns_;  // by sender; none for self
};

class Umem {
 public:
  // frame_size must be a power of two (2048 or 4096).
  static std::string create(uint32_t workers, uint32_t frames_per_worker, uint32_t frame_size, uint32_t fill_size,
                            uint32_t comp_size, std::unique_ptr<Umem>& out);
  ~Umem();  // every socket must have been deleted first

  xsk_umem* handle() const { return umem_; }
  uint8_t* area() const { return area_; }
  uint32_t frame_size() const { return frame_size_; }
  uint64_t total_frames() const { return static_cast<uint64_t>(frames_per_worker_) * pools_.size(); }
  FramePool& pool(uint32_t worker) { return *pools_[worker]; }
  uint32_t workers() const { return static_cast<uint32_t>(pools_.size()); }
  // The fill/completion rings registered with the UMEM itself; libxdp hands them to the first
  // socket created (it copies them into that socket's ring structs).
  xsk_ring_prod* first_fill() { return &first_fill_; }
  xsk_ring_cons* first_comp() { return &first_comp_; }

 private:
  Umem() = default;
  xsk_umem* umem_ = nullptr;
  uint8_t* area_ = nullptr;
  uint64_t size_ = 0;
  uint32_t frame_size_ = 0;
  uint32_t frames_per_worker_ = 0;
  // libxdp 1.3.1 initialises only some fields of these structs: they must start zeroed.
  xsk_ring_prod first_fill_{};
  xsk_ring_cons first_comp_{};
  std::vector<std::unique_ptr<FramePool>> pools_;
};

}  // namespace xvs::io::afxdp
