// native/io/backend.h — the one rx/tx interface every I/O backend implements (io/mem now;
// io/afxdp and io/dpdk behind the same two classes). A Backend owns the ports of one engine;
// each (port, queue) pair is driven by exactly one worker, which calls every Queue method from
// its own thread. Calls are per burst, so the virtual dispatch is paid once per burst.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "io/frame.h"

namespace xvs::io {

class Queue {
 public:
  virtual ~Queue() = default;
  // Fills up to `max` frames; returns how many.
  virtual uint32_t receive(Frame* frames, uint32_t max) = 0;
  // Queues frames for transmission; returns how many were accepted, in order. The caller
  // releases (and counts) the rest.
  virtual uint32_t transmit(Frame* frames, uint32_t n) = 0;
  // Hands frames to the host network stack unchanged (a verdict of "not ours").
  virtual void pass_to_kernel(Frame* frames, uint32_t n) = 0;
  // Returns frames to the backend's free memory (dropped frames, refused transmits).
  virtual void release(Frame* frames, uint32_t n) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual uint32_t port_count() const = 0;
  virtual uint32_t queue_count() const = 0;
  virtual Queue& queue(uint32_t port, uint32_t queue) = 0;
};

}  // namespace xvs::io
