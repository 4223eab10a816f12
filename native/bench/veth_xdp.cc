// native/bench/veth_xdp.cc — see veth_xdp.h. Runs on the calling thread (a helper process of
// `xvs bench veth` inside a namespace for the attaches; the bench's main thread for read_sink).
#include "bench/veth_xdp.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "bpf/veth_bench.h"

namespace xvs::bench {
namespace {

using control::Status;

Status system_error(const std::string& what, int err) {
  return Status::error(control::kErrSystem, what + ": " + std::strerror(err < 0 ? -err : err));
}

struct ObjectCloser {
  void operator()(bpf_object* o) const { bpf_object__close(o); }
};
using Object = std::unique_ptr<bpf_object, ObjectCloser>;

// Opens and loads `path`, writes `config` (value of key 0 of map `config_map`), attaches
// program `program` to `iface`; `loaded` keeps the object for pinning.
Status load_and_attach(const std::string& path, const char* program, const char* config_map, const void* config,
                       const std::string& iface, Object& loaded) {
  const unsigned ifindex = if_nametoindex(iface.c_str());
  if (ifindex == 0) return Status::error(control::kErrInvalidArgument, "no interface " + iface + " in this network namespace");
  Object obj(bpf_object__open_file(path.c_str(), nullptr));
  if (!obj) return system_error("cannot open " + path + " (build it with npm run build)", errno);
  if (const int err = bpf_object__load(obj.get()); err != 0) return system_error("cannot load " + path, err);
  bpf_map* map = bpf_object__find_map_by_name(obj.get(), config_map);
  bpf_program* prog = bpf_object__find_program_by_name(obj.get(), program);
  if (map == nullptr || prog == nullptr)
    return Status::error(control::kErrSystem, path + " lacks map " + config_map + " or program " + program);
  const uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(map), &zero, config, BPF_ANY) != 0)
    return system_error(std::string("cannot write ") + config_map, errno);
  const int err = bpf_xdp_attach(static_cast<int>(ifindex), bpf_program__fd(prog),
                                 XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr);
  if (err == -EBUSY || err == -EEXIST)
    return Status::error(control::kErrBusy, iface + " already has an XDP program (remove it with: ip link set dev " + iface +
                                                " xdp off)");
  if (err != 0) return system_error("cannot attach " + path + " to " + iface + " in native XDP mode", err);
  loaded = std::move(obj);
  return Status::ok();
}

}  // namespace

Status attach_sink(const std::string& object, const std::string& iface, uint32_t server_addr, const std::string& pin_path) {
  xvs_sink_config config{};
  config.server_addr = server_addr;
  Object obj;
  Status st = load_and_attach(object, "xvs_sink", "sink_config", &config, iface, obj);
  if (!st.is_ok()) return st;
  bpf_map* counts = bpf_object__find_map_by_name(obj.get(), "sink_counts");
  const int err = counts == nullptr ? -ENOENT : bpf_map__pin(counts, pin_path.c_str());
  if (err != 0) {
    bpf_xdp_detach(static_cast<int>(if_nametoindex(iface.c_str())), XDP_FLAGS_DRV_MODE, nullptr);
    return system_error("cannot pin the sink's counters at " + pin_path, err);
  }
  return Status::ok();
}

Status attach_redirect(const std::string& object, const std::string& iface, uint32_t to_ifindex, const Mac& src_mac,
                       const Mac& dst_mac) {
  xvs_redirect_config config{};
  config.ifindex = to_ifindex;
  std::memcpy(config.src_mac, src_mac.data(), 6);
  std::memcpy(config.dst_mac, dst_mac.data(), 6);
  Object obj;
  return load_and_attach(object, "xvs_redirect", "redirect_config", &config, iface, obj);
}

Status read_sink(const std::string& pin_path, SinkCounts& out) {
  const int fd = bpf_obj_get(pin_path.c_str());
  if (fd < 0) return system_error("cannot open the sink's counters at " + pin_path, errno);
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) {
    close(fd);
    return system_error("cannot count the possible CPUs", cpus);
  }
  std::vector<uint64_t> values(static_cast<size_t>(cpus));
  uint64_t sums[XVS_SINK_KEYS] = {};
  for (uint32_t key = 0; key < XVS_SINK_KEYS; ++key) {
    if (bpf_map_lookup_elem(fd, &key, values.data()) != 0) {
      const int err = errno;
      close(fd);
      return system_error("cannot read the sink's counters", err);
    }
    for (uint64_t v : values) sums[key] += v;
  }
  close(fd);
  out.to_server = sums[XVS_SINK_TO_SERVER];
  out.other_ipv4 = sums[XVS_SINK_OTHER_IPV4];
  return Status::ok();
}

}  // namespace xvs::bench
