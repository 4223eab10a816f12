// native/bench/pktgen.cc — see pktgen.h. Runs on the calling thread only.
#include "bench/pktgen.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <memory>
#include <vector>

#include "bpf/veth_bench.h"

namespace xvs::bench {
namespace {

using control::Status;

// A live-frame call costs ~25 ms of set-up and tear-down here, during which nothing is sent:
// calls are sized to last about kCallSeconds (the first one is short, to measure the pace), so
// the pauses are ~5 % of the time and the run still ends within about kCallSeconds of `end`.
constexpr double kCallSeconds = 0.5;
constexpr uint64_t kFirstRepeat = 1u << 16;
constexpr uint64_t kMaxRepeat = 1u << 30;
// Frames per transmit batch inside the kernel (its maximum, TEST_XDP_MAX_BATCH): each batch ends
// with a flush that may wake the peer's NAPI thread on the other CPU; 256 instead of the
// default 64 took the offered rate from ~1.7 to ~3.5 Mpps here.
constexpr uint32_t kBatchSize = 256;

double now_seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct ObjectCloser {
  void operator()(bpf_object* o) const { bpf_object__close(o); }
};

}  // namespace

Status run_pktgen(const PktgenParams& p, PktgenResult& out) {
  out = {};
  if (p.flows == 0 || p.ports_per_address == 0 || !(p.seconds > 0))
    return Status::error(control::kErrInvalidArgument, "pktgen: flows, ports_per_address and seconds must be positive");
  const unsigned ifindex = if_nametoindex(p.iface.c_str());
  if (ifindex == 0) return Status::error(control::kErrInvalidArgument, "pktgen: no interface " + p.iface + " in this network namespace");
  if (p.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(p.cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
      return Status::error(control::kErrSystem, "pktgen: cannot pin to cpu " + std::to_string(p.cpu) + ": " + std::strerror(errno));
  }
  std::unique_ptr<bpf_object, ObjectCloser> obj(bpf_object__open_file(p.object.c_str(), nullptr));
  if (!obj) return Status::error(control::kErrSystem, "pktgen: cannot open " + p.object + " (build it with npm run build)");
  if (const int err = bpf_object__load(obj.get()); err != 0)
    return Status::error(control::kErrSystem, "pktgen: cannot load " + p.object + ": " + std::strerror(-err));
  bpf_program* prog = bpf_object__find_program_by_name(obj.get(), "xvs_pktgen");
  bpf_map* config_map = bpf_object__find_map_by_name(obj.get(), "pktgen_config");
  bpf_map* state_map = bpf_object__find_map_by_name(obj.get(), "pktgen_state");
  if (prog == nullptr || config_map == nullptr || state_map == nullptr)
    return Status::error(control::kErrSystem, "pktgen: " + p.object + " lacks xvs_pktgen, pktgen_config or pktgen_state");
  xvs_pktgen_config config{};
  std::memcpy(config.dst_mac, p.dst_mac.data(), 6);
  std::memcpy(config.src_mac, p.src_mac.data(), 6);
  config.src_base = p.src_base;
  config.dst_addr = p.dst_addr;
  config.dst_port = static_cast<uint16_t>((p.dst_port >> 8) | (p.dst_port << 8));
  config.src_port_base = p.src_port_base;
  config.flows = p.flows;
  config.ports_per_address = p.ports_per_address;
  config.interval_ns = p.rate == 0 ? 0 : (1000000000ull + p.rate / 2) / p.rate;
  const uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(config_map), &zero, &config, BPF_ANY) != 0)
    return Status::error(control::kErrSystem, std::string("pktgen: cannot write pktgen_config: ") + std::strerror(errno));

  // The initial frame: the program rewrites all of it on every run anyway.
  uint8_t frame[XVS_PKTGEN_FRAME_LEN] = {};
  xdp_md ctx{};
  ctx.ingress_ifindex = ifindex;
  ctx.rx_queue_index = 0;
  ctx.data_end = sizeof frame;  // the kernel insists that ctx describes data_in exactly
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  opts.data_in = frame;
  opts.data_size_in = sizeof frame;
  opts.ctx_in = &ctx;
  opts.ctx_size_in = sizeof ctx;
  opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
  opts.batch_size = kBatchSize;
  const int prog_fd = bpf_program__fd(prog);

  const double start = now_seconds();
  const double end = start + p.seconds;
  uint64_t repeat = kFirstRepeat;
  for (double now = start; now < end;) {
    opts.repeat = static_cast<uint32_t>(repeat);
    if (bpf_prog_test_run_opts(prog_fd, &opts) != 0)
      return Status::error(control::kErrSystem, "pktgen: BPF_PROG_RUN with live frames on " + p.iface + " failed: " +
                                                    std::strerror(errno) + " (needs kernel 5.18+ and root)");
    ++out.calls;
    const double after = now_seconds();
    const double runs_per_second = static_cast<double>(repeat) / (after > now ? after - now : 1e-6);
    const double want = runs_per_second * std::min(kCallSeconds, std::max(end - after, 0.0));
    repeat = static_cast<uint64_t>(std::clamp(want, static_cast<double>(kFirstRepeat), static_cast<double>(kMaxRepeat)));
    now = after;
  }
  out.seconds = now_seconds() - start;
  // Frames sent = the program's per-CPU sequence numbers (it ran on this CPU only, but sum all).
  const int cpus = libbpf_num_possible_cpus();
  std::vector<uint64_t> seqs(cpus > 0 ? static_cast<size_t>(cpus) : 1);
  const uint32_t seq_key = XVS_PKTGEN_SEQ;
  if (cpus <= 0 || bpf_map_lookup_elem(bpf_map__fd(state_map), &seq_key, seqs.data()) != 0)
    return Status::error(control::kErrSystem, std::string("pktgen: cannot read the frames sent: ") + std::strerror(errno));
  for (uint64_t s : seqs) out.frames += s;
  return Status::ok();
}

Status probe_live_frames() {
  // return XDP_DROP: a run that the kernel accepts sends nothing anywhere.
  const bpf_insn drop[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_DROP},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xvs_live_probe", "GPL", drop, std::size(drop), nullptr);
  if (fd < 0) {
    const int error = errno;
    return Status::error(control::kErrSystem, std::string("cannot load an XDP program: ") + std::strerror(error));
  }
  // No ctx: the run takes the namespace's lo as its interface.
  uint8_t frame[XVS_PKTGEN_FRAME_LEN] = {};
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  opts.data_in = frame;
  opts.data_size_in = sizeof frame;
  opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
  opts.repeat = 1;
  const int ran = bpf_prog_test_run_opts(fd, &opts);
  const int error = errno;
  close(fd);
  if (ran != 0)
    return Status::error(control::kErrNotSupported, std::string("this kernel refuses BPF_PROG_RUN with live frames "
                                                                "(BPF_F_TEST_XDP_LIVE_FRAMES): ") + std::strerror(error));
  return Status::ok();
}

}  // namespace xvs::bench
