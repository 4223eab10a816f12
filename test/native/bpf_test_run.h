// test/native/bpf_test_run.h — one frame through a loaded XDP program by BPF_PROG_RUN (the
// kernel runs it; nothing is attached or transmitted): its verdict and the frame as it comes out.
// For the tests of the BPF programs (decap_program_test.cc, fast_path_program_test.cc); root only.
#pragma once
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace xvs::test {

struct XdpRun {
  uint32_t verdict;
  std::vector<uint8_t> out;
};

inline XdpRun xdp_test_run(int prog_fd, const std::vector<uint8_t>& frame) {
  XdpRun o{};
  o.out.resize(frame.size() + 256);  // room for a program that grows the frame
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = o.out.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()), .data_size_out = static_cast<uint32_t>(o.out.size()),
              .repeat = 1);
  EXPECT_EQ(bpf_prog_test_run_opts(prog_fd, &opts), 0) << "BPF_PROG_RUN failed";
  o.verdict = opts.retval;
  o.out.resize(opts.data_size_out);
  return o;
}

}  // namespace xvs::test
