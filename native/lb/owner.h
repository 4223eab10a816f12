// native/lb/owner.h — which worker owns a connection (DESIGN §4), computed the same way from
// either direction's packets. fullnat: the local port names it (lport mod workers). nat: both
// directions carry the client's address and port. dr/tunnel: only client packets pass the
// balancer, so whichever worker receives them owns the connection. Pure.
#pragma once
#include <cstdint>

#include "core/net.h"
#include "lb/port_pool.h"

namespace xvs::lb {

inline uint32_t fullnat_owner(uint16_t lport_network_order, uint32_t workers) {
  return PortPool::owner_of(core::ntohs(lport_network_order), workers);
}

// Client address and port in network order; documented in native/README.md so that tests and
// NIC steering rules can compute it: (host-order address XOR host-order port) mod workers.
inline uint32_t nat_owner(uint32_t client_address, uint16_t client_port, uint32_t workers) {
  return (core::ntohl(client_address) ^ core::ntohs(client_port)) % workers;
}

}  // namespace xvs::lb
