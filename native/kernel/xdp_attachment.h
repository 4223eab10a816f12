// native/kernel/xdp_attachment.h — putting one of xvs's XDP programs on an interface and
// taking it off through libxdp, the same way for each of them (the balancer's steering program,
// the real server's decap program). libxdp 1.3.1's multi-program dispatcher fails on the kernels
// xvs runs on, so it falls back to one program per interface ("legacy" mode), and pins nothing:
// programs are found again by asking the interface (xdp_multiprog__get_from_ifindex) and
// comparing names.
//
// Consumes: a BPF object file, the name of its XDP program, an interface. Produces: the program
// attached in native (driver) mode, else in generic (skb) mode with the native failure reported;
// a stale copy of the same program (a crashed run's, an earlier `xvs decap`) found by name and
// detached first; a foreign program refused with its name and id. The caller decides whether
// the program goes when it is done with it (detach_xdp: the steering program at clean stop) or
// stays attached after the process exits (release_xdp: the decap program).
//
// Threads: the thread that drives the program's owner (the engine's control thread; the CLI's
// main thread for `xvs decap`). No shared state besides the library log (libxdp_log.h).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

struct xdp_program;

namespace xvs::kernel {

struct XdpProgramSpec {
  std::string object_path;   // build/Release/xvs_*.bpf.o
  std::string program_name;  // the SEC("xdp") function, and its name in the kernel
  std::string what;          // for messages: "steering program", "decap program"
  // Maps (by name) that this instance uses instead of its own: another instance's, by fd, so
  // that programs on several interfaces share one table.
  std::vector<std::pair<std::string, int>> shared_maps;
};

struct XdpAttachment {
  xdp_program* program = nullptr;  // owned: detach_xdp() or release_xdp() gives it back
  bool generic = false;            // attached in generic (skb) mode
  std::string native_error;        // why native mode failed, when generic is set
  std::string replaced_stale;      // "id N" when a program of the same name was detached first
  bool foreign = false;            // set with an error: another program holds the interface
};

// "" or what went wrong (one line, with the fix when there is one). On error nothing is
// attached and out.program is null.
std::string attach_xdp(const XdpProgramSpec& spec, const std::string& ifname, int ifindex, XdpAttachment& out);

// Takes the program off the interface and closes the handle.
void detach_xdp(XdpAttachment& attachment, int ifindex);

// Closes the handle and leaves the program attached: it stays after this process exits.
void release_xdp(XdpAttachment& attachment);

// What holds an interface's XDP hook.
struct XdpOccupant {
  bool present = false;    // a program (or libxdp's dispatcher) is attached
  bool ours = false;       // a program named like the one asked about is among them
  bool dispatcher = false; // libxdp's dispatcher: several programs can share the interface
  std::string name;        // ours: that program; otherwise the program holding the hook
  uint32_t id = 0;         // kernel program id of `name`
  bool generic = false;    // attached in generic (skb) mode
};

// "" or why the interface could not be asked.
std::string find_xdp_program(const std::string& program_name, const std::string& ifname, int ifindex, XdpOccupant& out);

// Detaches the program named program_name if it is on the interface (out.ours says whether it
// was); anything else is left alone and described in `out`. "" or why detaching failed.
std::string detach_xdp_by_name(const std::string& program_name, const std::string& ifname, int ifindex,
                               XdpOccupant& out);

}  // namespace xvs::kernel
