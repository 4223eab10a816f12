// native/io/frame.h — one packet buffer as the I/O backends hand it to a worker and take it
// back. `data` points into backend-owned memory (UMEM, mbuf, or the io/mem pool) with
// `headroom` bytes free before it for encapsulation and `capacity` bytes usable from `data` on
// (a segment the SYN proxy builds may be longer than the one it replaces). Owned by one worker at a time between rx
// and tx (the one that received it, or the owner of its connection it was handed to).
#pragma once
#include <cstdint>

namespace xvs::io {

struct Frame {
  uint8_t* data;
  uint32_t len;
  uint32_t headroom;
  uint64_t handle;  // backend's own reference (UMEM address, mbuf pointer, pool index)
  uint8_t port;     // rx: arrival port; after a tx verdict: egress port
  uint8_t queue;
  uint32_t capacity;  // len may grow up to this (0: not at all)
};

}  // namespace xvs::io
