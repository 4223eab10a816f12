// native/bench/pktgen.h — `xvs bench veth`'s traffic generator, native half: runs the XDP
// program native/bpf/pktgen.bpf.c with BPF_PROG_RUN + BPF_F_TEST_XDP_LIVE_FRAMES on an
// interface of the calling thread's network namespace (the generator's veth), so that every
// XDP_TX leaves that veth as a real 60-byte UDP frame (64 on a wire) from one of `flows` flows.
//
// Consumes generator parameters; pins the calling thread to `cpu` (veth puts frames injected
// this way on receive queue (sending CPU) % queues of the peer, so the CPU also picks the
// queue), then calls BPF_PROG_RUN with large repeat counts in a loop for `seconds`. Flat out
// (rate 0) every run sends a frame; paced, the program itself spaces the frames by 1/rate and
// drops the runs in between (a live-frame call costs ~25 ms of set-up here, so pacing by calls
// cannot work). Produces the frames sent (transmit attempts: frames the peer's full ring
// refused are included; read from the program's per-CPU counter) and the time taken. Runs synchronously on the calling thread (a generator process in its own
// namespace); bounded by `seconds`. No napi.h here.
#pragma once
#include <cstdint>
#include <string>

#include "bench/veth_xdp.h"
#include "control/status.h"

namespace xvs::bench {

struct PktgenParams {
  std::string object;  // build/Release/xvs_pktgen.bpf.o
  std::string iface;   // the generator's veth
  Mac src_mac{};       // the generator's veth
  Mac dst_mac{};       // the balancer's l0
  uint32_t src_base = 0;         // host order
  uint32_t dst_addr = 0;         // network order
  uint16_t dst_port = 0;         // host order
  uint16_t src_port_base = 1024; // host order
  uint32_t flows = 1024;
  uint32_t ports_per_address = 256;
  uint64_t rate = 0;             // frames per second; 0 = as fast as possible
  double seconds = 1;
  int cpu = -1;                  // pin the calling thread there; -1: leave it
};

struct PktgenResult {
  uint64_t frames = 0;  // frames the program sent (transmit attempts)
  uint64_t calls = 0;   // BPF_PROG_RUN calls
  double seconds = 0;   // from the first call to the end of the last
};

control::Status run_pktgen(const PktgenParams& params, PktgenResult& out);

// Whether this kernel lets the generator run at all: one live-frame run of a program that drops
// its frame, on lo. kErrNotSupported: the run was refused (seen: EPERM as root on a 6.18 guest,
// whose plain BPF_PROG_RUN works); kErrSystem: no XDP program loads at all (which the rest of
// xvs needs too). Needs root, as the generator does.
control::Status probe_live_frames();

}  // namespace xvs::bench
