// native/io/afxdp/umem.cc — see umem.h. Control thread only.
#include "io/afxdp/umem.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace xvs::io::afxdp {

void FramePool::init(uint32_t worker, uint64_t first_addr, uint32_t count, uint32_t frame_size) {
  worker_ = worker;
  first_ = first_addr;
  span_ = static_cast<uint64_t>(count) * frame_size;
  free_.assign(count, 0);
  // Highest addresses first, so that the first frames handed out are the lowest ones.
  for (uint32_t i = 0; i < count; ++i) free_[i] = first_addr + static_cast<uint64_t>(count - 1 - i) * frame_size;
  count_ = count;
  chunk_mask_ = ~static_cast<uint64_t>(frame_size - 1);
  overflows_ = 0;
  in_flight = 0;
}

void FramePool::connect(const std::vector<FramePool*>& pools) {
  pools_ = pools;
  returns_.clear();
  for (size_t s = 0; s < pools.size(); ++s)
    returns_.push_back(s == worker_ ? nullptr : std::make_unique<core::SpscRing<uint64_t>>(free_.size()));
}

void FramePool::send_home(uint64_t chunk) {
  const uint64_t owner = span_ == 0 ? pools_.size() : chunk / span_;
  if (owner >= pools_.size() || !pools_[owner]->returns_[worker_]->push(chunk)) ++overflows_;
}

void FramePool::take_returns() {
  uint64_t chunks[64];
  for (auto& ring : returns_) {
    if (!ring) continue;
    for (size_t n; (n = ring->pop_burst(chunks, 64)) != 0;)
      for (size_t i = 0; i < n; ++i) put(chunks[i]);
  }
}

std::string Umem::create(uint32_t workers, uint32_t frames_per_worker, uint32_t frame_size, uint32_t fill_size,
                         uint32_t comp_size, std::unique_ptr<Umem>& out) {
  if (frame_size == 0 || (frame_size & (frame_size - 1)) != 0) return "UMEM frame size must be a power of two";
  std::unique_ptr<Umem> u(new Umem());
  u->frame_size_ = frame_size;
  u->frames_per_worker_ = frames_per_worker;
  u->size_ = static_cast<uint64_t>(workers) * frames_per_worker * frame_size;
  void* area = mmap(nullptr, u->size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (area == MAP_FAILED)
    return "cannot map " + std::to_string(u->size_ >> 20) + " MiB for the AF_XDP UMEM: " + std::strerror(errno);
  u->area_ = static_cast<uint8_t*>(area);

  xsk_umem_config cfg{};
  cfg.fill_size = fill_size;
  cfg.comp_size = comp_size;
  cfg.frame_size = frame_size;
  cfg.frame_headroom = 0;  // the kernel keeps XDP_PACKET_HEADROOM (256 bytes) in front of every frame
  cfg.flags = 0;
  const int err = xsk_umem__create(&u->umem_, u->area_, u->size_, &u->first_fill_, &u->first_comp_, &cfg);
  if (err != 0) {
    std::string msg = "cannot register the AF_XDP UMEM (" + std::to_string(u->size_ >> 20) + " MiB): " + std::strerror(-err);
    if (err == -ENOMEM || err == -EPERM) msg += " (locked-memory limit: run as root or raise ulimit -l)";
    return msg;
  }
  std::vector<FramePool*> pools;
  for (uint32_t w = 0; w < workers; ++w) {
    u->pools_.push_back(std::make_unique<FramePool>());
    u->pools_.back()->init(w, static_cast<uint64_t>(w) * frames_per_worker * frame_size, frames_per_worker, frame_size);
    pools.push_back(u->pools_.back().get());
  }
  if (workers > 1)
    for (auto& p : u->pools_) p->connect(pools);
  out = std::move(u);
  return "";
}

Umem::~Umem() {
  if (umem_ != nullptr) xsk_umem__delete(umem_);
  if (area_ != nullptr) munmap(area_, size_);
}

}  // namespace xvs::io::afxdp
