// native/lb/egress.h — where a packet of one direction of a connection leaves: the I/O port and
// the next-hop MAC of the other side. Shared by the packet path (lb/process.cc) and the fast-path
// entries built from it (lb/fast_path.h), so that both send a flow the same way. Runs on the
// owning worker.
#pragma once
#include <cstdint>

#include "core/net.h"
#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/load.h"

namespace xvs::lb {

struct Egress {
  uint8_t port;
  const uint8_t* mac;  // nullptr while the next hop is unresolved
};

// Towards the server that is the bound server's record in the current snapshot (callers have made
// sure the server is still configured); towards the client, where its packets came from.
// Every forwarded packet's: inlined whatever the caller's size.
[[gnu::always_inline]] inline Egress egress(CoreState& cs, Conn& c, Direction dir) {
  if (dir == kFromServer) return {static_cast<uint8_t>(c.client_port_index & kClientPortMask), c.client_mac};
  const abi::BackendRecord& b = cs.snapshot->backends[backend_of(cs, c)];
  return {b.port_index, core::mac_is_zero(b.mac.bytes) ? nullptr : b.mac.bytes};
}

}  // namespace xvs::lb
