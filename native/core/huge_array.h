// native/core/huge_array.h — a fixed array of trivially constructible T in anonymous memory,
// asking the kernel for transparent huge pages when it spans at least one (2 MiB). Large
// per-worker tables (connections, buckets) are read at random: 4 KiB pages would cost a TLB miss
// and a page walk on nearly every access; `huge` false for arrays that are rarely touched and
// must cost little until they are (a huge page's first touch zeroes 2 MiB). Zero-filled, and
// untouched pages cost no memory. Allocated by the control thread, used by one worker.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <type_traits>

namespace xvs::core {

template <typename T>
class HugeArray {
  static_assert(std::is_trivially_default_constructible_v<T> && std::is_trivially_destructible_v<T>);

 public:
  static constexpr size_t kHugePage = 2u << 20;

  explicit HugeArray(size_t count, bool huge = true)
      : count_(count), bytes_((count * sizeof(T) + kHugePage - 1) / kHugePage * kHugePage) {
    if (bytes_ == 0) bytes_ = kHugePage;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    // Advice only: without THP the array works the same on small pages.
    if (huge) madvise(p, bytes_, MADV_HUGEPAGE);
    data_ = static_cast<T*>(p);
  }
  ~HugeArray() { munmap(data_, bytes_); }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;

  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* get() const { return data_; }
  size_t size() const { return count_; }

 private:
  size_t count_;
  size_t bytes_;
  T* data_;
};

}  // namespace xvs::core
