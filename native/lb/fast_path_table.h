// native/lb/fast_path_table.h — where a worker's fast-path entries go (abi/fast_path.h): the
// steering program's map on the AF_XDP backend (io/afxdp/fast_path_map.h), a recording table in
// tests, none on io/mem. The interface is the only thing lb/ knows of it, so that the packet
// path builds and is tested without a kernel. Every method is called by the owning worker only
// (each call may be a system call: they happen per connection event, never per packet).
#pragma once
#include <cstdint>

#include "abi/fast_path.h"

namespace xvs::lb {

class FastPathTable {
 public:
  virtual ~FastPathTable() = default;
  // Adds or replaces the entry of `key`; false when the table is full or refused it.
  virtual bool install(const xvs_fast_key& key, const xvs_fast_entry& entry) = 0;
  // The entry of `key` as it is now (the steering program's counters and last-seen time).
  virtual bool read(const xvs_fast_key& key, xvs_fast_entry& entry) = 0;
  virtual void remove(const xvs_fast_key& key) = 0;
  // The same for IPv6 connections (their own map).
  virtual bool install(const xvs_fast_key6& key, const xvs_fast_entry6& entry) = 0;
  virtual bool read(const xvs_fast_key6& key, xvs_fast_entry6& entry) = 0;
  virtual void remove(const xvs_fast_key6& key) = 0;
  // Whole seconds since a CLOCK_MONOTONIC time in nanoseconds (what the steering program's
  // bpf_ktime_get_ns() reads), 0 for a time not in the past.
  virtual uint32_t age_seconds(uint64_t monotonic_ns) const = 0;
};

}  // namespace xvs::lb
