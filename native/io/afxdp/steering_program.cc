// native/io/afxdp/steering_program.cc — see steering_program.h. Control thread only.
#include "io/afxdp/steering_program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

namespace xvs::io::afxdp {

namespace {

std::mutex log_mutex;
std::deque<std::string> log_lines;  // the last few library messages
bool log_to_stderr = false;

void keep_line(const char* format, va_list args) {
  char buf[512];
  vsnprintf(buf, sizeof buf, format, args);
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return;
  std::lock_guard<std::mutex> lock(log_mutex);
  if (log_to_stderr) fprintf(stderr, "xvs: libxdp: %s\n", line.c_str());
  log_lines.push_back(std::move(line));
  while (log_lines.size() > 6) log_lines.pop_front();
}

int libxdp_print(enum libxdp_print_level level, const char* format, va_list args) {
  if (level == LIBXDP_DEBUG && !log_to_stderr) return 0;
  keep_line(format, args);
  return 0;
}

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG && !log_to_stderr) return 0;
  keep_line(format, args);
  return 0;
}

std::string errno_text(int err) {
  char buf[128];
  libxdp_strerror(err, buf, sizeof buf);
  return buf;
}

uint64_t key_bytes(const void* key, size_t size) {
  uint64_t k = 0;
  std::memcpy(&k, key, size);
  return k;
}

// Mirrors the key structs of native/bpf/steer.bpf.c (network byte order, pad zero).
struct ServiceKey {
  uint32_t daddr;
  uint16_t dport;
  uint8_t proto;
  uint8_t pad;
};
struct NatKey {
  uint32_t saddr;
  uint16_t sport;
  uint8_t proto;
  uint8_t pad;
};
static_assert(sizeof(ServiceKey) == 8 && sizeof(NatKey) == 8);

}  // namespace

void quiet_libraries() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* debug = std::getenv("XVS_LIBXDP_DEBUG");
    log_to_stderr = debug != nullptr && debug[0] == '1';
    libxdp_set_print(libxdp_print);
    libbpf_set_print(libbpf_print);
  });
}

std::string last_library_messages() {
  std::lock_guard<std::mutex> lock(log_mutex);
  std::string out;
  for (const auto& l : log_lines) out += (out.empty() ? "" : " | ") + l;
  log_lines.clear();
  return out;
}

std::string SteeringProgram::attach(const std::string& object_path, const std::string& ifname, int ifindex,
                                    Attached& out) {
  quiet_libraries();
  last_library_messages();  // forget earlier noise
  std::string foreign;
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
  if (libxdp_get_error(mp) == 0) {
    if (xdp_multiprog__is_legacy(mp)) {
      xdp_program* main = xdp_multiprog__main_prog(mp);
      if (main != nullptr) {
        const std::string name = xdp_program__name(main);
        const std::string id = std::to_string(xdp_program__id(main));
        if (name == kSteerProgramName) {
          const int err = xdp_multiprog__detach(mp);
          if (err != 0) {
            xdp_multiprog__close(mp);
            return "cannot detach the stale xvs program (id " + id + ") from " + ifname + ": " + errno_text(err);
          }
          out.replaced_stale = "id " + id;
        } else {
          foreign = "'" + name + "' (id " + id + ")";
        }
      }
    } else {
      for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p != nullptr; p = xdp_multiprog__next_prog(p, mp)) {
        if (std::string(xdp_program__name(p)) != kSteerProgramName) continue;
        const int err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
        if (err != 0) {
          xdp_multiprog__close(mp);
          return "cannot detach the stale xvs program from " + ifname + "'s XDP dispatcher: " + errno_text(err);
        }
        out.replaced_stale = "id " + std::to_string(xdp_program__id(p));
        break;
      }
    }
    xdp_multiprog__close(mp);
  }
  if (!foreign.empty())
    return "interface " + ifname + " already runs the XDP program " + foreign +
           ", and libxdp cannot run two programs on one interface without its dispatcher (unusable on this "
           "kernel): remove it (ip link set dev " + ifname + " xdp off) or give xvs another interface";

  std::unique_ptr<SteeringProgram> sp(new SteeringProgram());
  sp->ifname_ = ifname;
  sp->ifindex_ = ifindex;
  sp->prog_ = xdp_program__open_file(object_path.c_str(), "xdp", nullptr);
  if (libxdp_get_error(sp->prog_) != 0) {
    const int err = static_cast<int>(libxdp_get_error(sp->prog_));
    sp->prog_ = nullptr;
    return "cannot open the steering program " + object_path + ": " + errno_text(err) +
           (err == -ENOENT ? " (build it with npm run build)" : "");
  }
  int err = xdp_program__attach(sp->prog_, ifindex, XDP_MODE_NATIVE, 0);
  if (err != 0) {
    out.native_error = errno_text(err);
    // Of libxdp's chatter, the kernel's own reason is what an operator needs.
    const std::string details = last_library_messages();
    const std::string marker = "Kernel error message: ";
    if (const size_t at = details.find(marker); at != std::string::npos)
      out.native_error += " (" + details.substr(at + marker.size(), details.find(" | ", at) - at - marker.size()) + ")";
    err = xdp_program__attach(sp->prog_, ifindex, XDP_MODE_SKB, 0);
    sp->generic_ = true;
  }
  if (err != 0) {
    const std::string details = last_library_messages();
    std::string msg = "cannot attach the steering program to " + ifname + ": " + errno_text(err);
    if (!details.empty()) msg += " (libxdp: " + details + ")";
    if (details.find("bpffs") != std::string::npos || err == -ENOENT || err == -EPERM)
      msg += "; libxdp needs a BPF filesystem: mount one (mount -t bpf bpf DIR) and set LIBXDP_BPFFS=DIR";
    return msg;
  }
  if (std::string e = sp->find_maps(); !e.empty()) return e;
  out.program = std::move(sp);
  return "";
}

SteeringProgram::~SteeringProgram() {
  if (prog_ == nullptr) return;
  xdp_program__detach(prog_, ifindex_, generic_ ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
  xdp_program__close(prog_);
}

uint32_t SteeringProgram::id() const { return prog_ != nullptr ? xdp_program__id(prog_) : 0; }

std::string SteeringProgram::find_maps() {
  bpf_object* obj = xdp_program__bpf_obj(prog_);
  const struct {
    const char* name;
    Map* map;
    uint32_t key_size;
  } wanted[] = {{"xvs_services", &services_, 8}, {"xvs_vips", &vips_, 4}, {"xvs_lips", &lips_, 4},
                {"xvs_nat_backends", &nat_servers_, 8}};
  for (const auto& w : wanted) {
    w.map->fd = obj != nullptr ? bpf_object__find_map_fd_by_name(obj, w.name) : -1;
    w.map->key_size = w.key_size;
    if (w.map->fd < 0) return std::string("the steering program has no map ") + w.name + ": rebuild it (npm run build)";
  }
  xsks_map_fd_ = bpf_object__find_map_fd_by_name(obj, "xsks_map");
  if (xsks_map_fd_ < 0) return "the steering program has no map xsks_map: rebuild it (npm run build)";
  return "";
}

std::string SteeringProgram::update_map(Map& m, const std::unordered_set<uint64_t>& want, const char* what) {
  const uint8_t one = 1;
  std::vector<uint64_t> added;
  for (uint64_t k : want) {
    if (m.keys.count(k) != 0) continue;
    if (bpf_map_update_elem(m.fd, &k, &one, BPF_ANY) != 0) {
      const int err = errno;
      for (uint64_t a : added) bpf_map_delete_elem(m.fd, &a);
      return std::string("cannot add to the steering map of ") + what + ": " + std::strerror(err) +
             (err == E2BIG || err == ENOMEM ? " (too many entries)" : "");
    }
    added.push_back(k);
  }
  for (uint64_t k : m.keys)
    if (want.count(k) == 0) bpf_map_delete_elem(m.fd, &k);
  m.keys = want;
  return "";
}

std::string SteeringProgram::update(const SteeringSets& sets) {
  std::unordered_set<uint64_t> services, vips, lips, nat;
  for (const auto& s : sets.services) {
    const ServiceKey k{s.vip, s.port, s.protocol, 0};
    services.insert(key_bytes(&k, sizeof k));
  }
  for (uint32_t a : sets.vips) vips.insert(key_bytes(&a, sizeof a));
  for (uint32_t a : sets.lips) lips.insert(key_bytes(&a, sizeof a));
  for (const auto& n : sets.nat_servers) {
    const NatKey k{n.address, n.port, n.protocol, 0};
    nat.insert(key_bytes(&k, sizeof k));
  }
  const struct {
    Map* map;
    const std::unordered_set<uint64_t>* want;
    const char* what;
  } steps[] = {{&services_, &services, "services"}, {&vips_, &vips, "VIPs"}, {&lips_, &lips, "local addresses"},
               {&nat_servers_, &nat, "nat servers"}};
  std::vector<std::unordered_set<uint64_t>> before;
  for (const auto& s : steps) before.push_back(s.map->keys);
  for (size_t i = 0; i < std::size(steps); ++i) {
    std::string err = update_map(*steps[i].map, *steps[i].want, steps[i].what);
    if (err.empty()) continue;
    for (size_t j = 0; j < i; ++j) update_map(*steps[j].map, before[j], steps[j].what);
    return ifname_ + ": " + err;
  }
  return "";
}

}  // namespace xvs::io::afxdp
