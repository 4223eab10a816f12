// test/fuzz/netlink_parse_fuzz.cc — the rtnetlink readers of native/kernel on bytes the kernel
// never sent. Consumes: a queried IPv4 address (4 bytes), then received buffers, each a 16-bit
// little-endian length and that many bytes (one recv() each, copied to an allocation of exactly
// that size so ASan sees any read past it). Runs them through what the engine does with real
// answers: next_hop()'s route get then neighbour dump (read_reply, read_route_answer,
// read_neighbour_answer), local_routes()' dump (read_local_route), and the route monitor's
// notification parser (parse_route_messages), every buffer in turn.
// Checks, besides memory safety and UB: a local prefix is at most /32 with its host bits zero; a
// resolved next hop has a non-zero MAC and names the gateway or the queried address; a monitor
// reports each (interface, address of either family) once, a MAC only for a live entry, and
// states by their names.
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "byte_reader.h"
#include "fuzz_check.h"
#include "kernel/netlink.h"
#include "kernel/route_monitor.h"

namespace {

using namespace xvs;

using Buffer = std::pair<std::unique_ptr<uint8_t[]>, size_t>;

bool mac_zero(const uint8_t* mac) { return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0; }

bool known_state_name(const std::string& s) {
  static const std::set<std::string> names = {"permanent", "noarp", "reachable", "stale", "delay",
                                              "probe",     "incomplete", "failed", "none"};
  return names.count(s) != 0;
}

// Reads buffers from `next` on until the answer finishes; returns where it stopped.
size_t read_answer(const std::vector<Buffer>& buffers, size_t next, uint16_t want, bool dump,
                   const std::function<void(const nlmsghdr&)>& each, kernel::ReplyProgress& progress) {
  for (; next < buffers.size() && !progress.finished; ++next)
    kernel::read_reply(buffers[next].first.get(), buffers[next].second, want, dump, each, progress);
  XVS_FUZZ_CHECK(progress.finished || progress.error.empty(), "an error before the answer finished");
  return next;
}

void next_hop_answers(const std::vector<Buffer>& buffers, uint32_t address) {
  kernel::NextHop out;
  uint8_t type = RTN_UNSPEC;
  kernel::ReplyProgress route;
  const size_t next =
      read_answer(buffers, 0, RTM_NEWROUTE, false, [&](const nlmsghdr& m) { kernel::read_route_answer(m, type, out); }, route);
  // next_hop() stops here unless the route is unicast; the neighbour reading is fuzzed anyway.
  out.neighbour = out.gateway != 0 ? out.gateway : address;
  uint16_t state = NUD_NONE;
  kernel::ReplyProgress neighbours;
  read_answer(buffers, next, RTM_NEWNEIGH, true, [&](const nlmsghdr& m) { kernel::read_neighbour_answer(m, out, state); },
              neighbours);
  XVS_FUZZ_CHECK(!out.resolved || !mac_zero(out.mac), "a resolved next hop with an all-zero MAC");
  XVS_FUZZ_CHECK(!out.resolved || kernel::neighbour_state_usable(state), "resolved in state %u", state);
  XVS_FUZZ_CHECK(known_state_name(kernel::neighbour_state_name(state)), "state %u has no name", state);
}

void local_route_answers(const std::vector<Buffer>& buffers) {
  std::vector<kernel::LocalPrefix> prefixes;
  kernel::ReplyProgress progress;
  read_answer(buffers, 0, RTM_NEWROUTE, true, [&](const nlmsghdr& m) {
    kernel::LocalPrefix p;
    if (kernel::read_local_route(m, p)) prefixes.push_back(p);
  }, progress);
  for (const kernel::LocalPrefix& p : prefixes) {
    XVS_FUZZ_CHECK(p.prefix_len <= 32, "a local prefix of length %u", p.prefix_len);
    const uint32_t host_bits = p.prefix_len == 0 ? ~0u : p.prefix_len == 32 ? 0u : ~0u >> p.prefix_len;
    XVS_FUZZ_CHECK((__builtin_bswap32(p.address) & host_bits) == 0, "local prefix /%u with host bits set", p.prefix_len);
  }
}

void monitor_notifications(const std::vector<Buffer>& buffers) {
  kernel::RouteChanges changes;
  for (const Buffer& b : buffers) kernel::parse_route_messages(b.first.get(), b.second, changes);
  std::set<std::pair<int, std::string>> seen;
  for (const kernel::NeighbourChange& n : changes.neighbours) {
    const std::string address = n.ipv6 ? std::string(reinterpret_cast<const char*>(n.address6.bytes), 16)
                                       : std::string(reinterpret_cast<const char*>(&n.address), 4);
    XVS_FUZZ_CHECK(seen.insert({n.ifindex, address}).second, "%s neighbour %08x on %d reported twice",
                   n.ipv6 ? "an IPv6" : "an IPv4", n.address, n.ifindex);
    XVS_FUZZ_CHECK(!n.has_mac || (!n.deleted && !mac_zero(n.mac)), "a MAC reported for a deleted or zero entry");
    XVS_FUZZ_CHECK(known_state_name(n.state), "neighbour state '%s'", n.state.c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ByteReader in(data, size);
  const uint32_t address = in.u32();
  std::vector<Buffer> buffers;
  while (!in.done() && buffers.size() < 16) {
    const std::vector<uint8_t> bytes = in.bytes(in.u16());
    auto copy = std::make_unique<uint8_t[]>(bytes.size());
    if (!bytes.empty()) std::memcpy(copy.get(), bytes.data(), bytes.size());
    buffers.emplace_back(std::move(copy), bytes.size());
  }
  next_hop_answers(buffers, address);
  local_route_answers(buffers);
  monitor_notifications(buffers);
  return 0;
}
