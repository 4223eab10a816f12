// native/kernel/xdp_attachment.cc — see xdp_attachment.h. The calling thread only.
#include "kernel/xdp_attachment.h"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <cerrno>

#include "kernel/libxdp_log.h"

namespace xvs::kernel {

namespace {

// Of libxdp's chatter, the kernel's own reason is what an operator needs.
std::string kernel_reason(const std::string& details) {
  const std::string marker = "Kernel error message: ";
  const size_t at = details.find(marker);
  if (at == std::string::npos) return "";
  const size_t end = details.find(" | ", at);
  return details.substr(at + marker.size(), end == std::string::npos ? std::string::npos : end - at - marker.size());
}

// Looks at the interface and, when `detach_ours`, detaches the program named `name`.
std::string inspect(const std::string& name, const std::string& ifname, int ifindex, bool detach_ours,
                    XdpOccupant& out) {
  out = XdpOccupant{};
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
  if (mp == nullptr) return "";
  if (const long err = libxdp_get_error(mp); err != 0)
    return err == -ENOENT ? "" : "cannot read the XDP programs of " + ifname + ": " + library_error_text(static_cast<int>(err));
  out.present = true;
  out.generic = xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB;
  std::string error;
  if (xdp_multiprog__is_legacy(mp)) {
    if (xdp_program* main = xdp_multiprog__main_prog(mp); main != nullptr) {
      out.name = xdp_program__name(main);
      out.id = xdp_program__id(main);
      out.ours = out.name == name;
      if (out.ours && detach_ours) {
        if (const int err = xdp_multiprog__detach(mp); err != 0)
          error = "cannot detach the xvs program " + name + " (id " + std::to_string(out.id) + ") from " + ifname + ": " +
                  library_error_text(err);
      }
    }
  } else {
    out.dispatcher = true;
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p != nullptr; p = xdp_multiprog__next_prog(p, mp)) {
      if (out.name.empty() || xdp_program__name(p) == name) {
        out.name = xdp_program__name(p);
        out.id = xdp_program__id(p);
      }
      if (xdp_program__name(p) != name) continue;
      out.ours = true;
      if (detach_ours) {
        if (const int err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0); err != 0)
          error = "cannot detach the xvs program " + name + " from " + ifname + "'s XDP dispatcher: " + library_error_text(err);
      }
      break;
    }
  }
  xdp_multiprog__close(mp);
  return error;
}

}  // namespace

std::string find_xdp_program(const std::string& program_name, const std::string& ifname, int ifindex, XdpOccupant& out) {
  quiet_libraries();
  return inspect(program_name, ifname, ifindex, false, out);
}

std::string detach_xdp_by_name(const std::string& program_name, const std::string& ifname, int ifindex,
                               XdpOccupant& out) {
  quiet_libraries();
  return inspect(program_name, ifname, ifindex, true, out);
}

std::string attach_xdp(const XdpProgramSpec& spec, const std::string& ifname, int ifindex, XdpAttachment& out) {
  quiet_libraries();
  last_library_messages();  // forget earlier noise
  out = XdpAttachment{};
  XdpOccupant occupant;
  // An unreadable hook is not fatal here: attaching below fails with the kernel's reason if busy.
  const std::string stale_error = inspect(spec.program_name, ifname, ifindex, true, occupant);
  if (occupant.ours) {
    if (!stale_error.empty()) return stale_error;
    out.replaced_stale = "id " + std::to_string(occupant.id);
  } else if (occupant.present && !occupant.dispatcher) {
    out.foreign = true;
    return "interface " + ifname + " already runs the XDP program '" + occupant.name + "' (id " + std::to_string(occupant.id) +
           "), and libxdp cannot run two programs on one interface without its dispatcher (unusable on this "
           "kernel): remove it (ip link set dev " + ifname + " xdp off) or give xvs another interface";
  }

  xdp_program* prog = xdp_program__open_file(spec.object_path.c_str(), "xdp", nullptr);
  if (const long err = libxdp_get_error(prog); err != 0) {
    return "cannot open the " + spec.what + " " + spec.object_path + ": " + library_error_text(static_cast<int>(err)) +
           (err == -ENOENT ? " (build it with npm run build)" : "");
  }
  if (xdp_program__name(prog) != spec.program_name) {
    xdp_program__close(prog);
    return spec.object_path + " holds the XDP program '" + xdp_program__name(prog) + "', not " + spec.program_name +
           ": rebuild it (npm run build)";
  }
  for (const auto& [name, fd] : spec.shared_maps) {
    bpf_map* map = bpf_object__find_map_by_name(xdp_program__bpf_obj(prog), name.c_str());
    const int reuse = map != nullptr ? bpf_map__reuse_fd(map, fd) : -ENOENT;
    if (reuse != 0) {
      xdp_program__close(prog);
      return "cannot share the map " + name + " of the " + spec.what + " with " + ifname + ": " + library_error_text(reuse) +
             (map == nullptr ? " (rebuild it with npm run build)" : "");
    }
  }
  int err = xdp_program__attach(prog, ifindex, XDP_MODE_NATIVE, 0);
  if (err != 0) {
    out.native_error = library_error_text(err);
    if (const std::string why = kernel_reason(last_library_messages()); !why.empty()) out.native_error += " (" + why + ")";
    err = xdp_program__attach(prog, ifindex, XDP_MODE_SKB, 0);
    out.generic = true;
  }
  if (err != 0) {
    xdp_program__close(prog);
    const std::string details = last_library_messages();
    std::string msg = "cannot attach the " + spec.what + " to " + ifname + ": " + library_error_text(err);
    if (!details.empty()) msg += " (libxdp: " + details + ")";
    if (details.find("bpffs") != std::string::npos || err == -ENOENT || err == -EPERM)
      msg += "; libxdp needs a BPF filesystem: mount one (mount -t bpf bpf DIR) and set LIBXDP_BPFFS=DIR";
    out = XdpAttachment{};
    return msg;
  }
  out.program = prog;
  return "";
}

void detach_xdp(XdpAttachment& attachment, int ifindex) {
  if (attachment.program == nullptr) return;
  xdp_program__detach(attachment.program, ifindex, attachment.generic ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
  release_xdp(attachment);
}

void release_xdp(XdpAttachment& attachment) {
  if (attachment.program != nullptr) xdp_program__close(attachment.program);
  attachment.program = nullptr;
}

}  // namespace xvs::kernel
