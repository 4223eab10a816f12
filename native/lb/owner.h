// native/lb/owner.h — which worker owns a connection (DESIGN §4), computed the same way from
// either direction's packets. fullnat: the local port names it (lport mod workers). nat: both
// directions carry the client's address and port. dr/tunnel, and new fullnat connections: only
// the worker that receives the client's first packet can own them. lb::process asks
// owner_of_unmatched for a packet that matched none of its worker's connections and, when
// another worker owns it, returns a redirect verdict for the worker loop to act on. Pure.
#pragma once
#include <cstdint>

#include "abi/records.h"
#include "core/net.h"
#include "lb/family.h"
#include "lb/local_port.h"
#include "lb/snapshot.h"

namespace xvs::lb {

inline uint32_t fullnat_owner(uint16_t lport_network_order, uint32_t workers) {
  return local_port_owner(core::ntohs(lport_network_order), workers);
}

// Client address and port in network order; documented in native/README.md so that tests and
// NIC steering rules can compute it: (host-order address XOR host-order port) mod workers.
inline uint32_t nat_owner(uint32_t client_address, uint16_t client_port, uint32_t workers) {
  return (core::ntohl(client_address) ^ core::ntohs(client_port)) % workers;
}
// IPv6: the XOR of the address's four host-order words takes the place of the address.
inline uint32_t nat_owner(const core::Ipv6Address& client_address, uint16_t client_port, uint32_t workers) {
  return (V6::owner_word(client_address) ^ core::ntohs(client_port)) % workers;
}

// The worker owning the connection a TCP/UDP packet would belong to, for a packet that matched
// no connection of worker `self`; `svc` is the service of its destination, if any. A client's
// packet to a nat service: the client's worker. A reply to a LIP's pool port: the port's worker.
// A nat server's reply: its destination (the client) names the worker. `local_ports` is
// dataplane.local_port_range. Anything else (new dr,
// tunnel and fullnat connections, the kernel's traffic): `self`. Addresses and ports in network
// order, as in the packet; Addr: uint32_t (IPv4) or core::Ipv6Address.
template <typename Addr>
inline uint32_t owner_of_unmatched(const Snapshot& snap, const LocalPortRange& local_ports, const abi::ServiceRecord* svc,
                                   uint32_t workers, uint32_t self, const Addr& saddr, const Addr& daddr, uint16_t sport,
                                   uint16_t dport, uint8_t protocol) {
  if (workers < 2) return self;
  if (svc != nullptr)
    return static_cast<abi::Forwarding>(svc->forwarding) == abi::Forwarding::nat ? nat_owner(saddr, sport, workers) : self;
  if (snap.is_lip(daddr)) return local_ports.contains(core::ntohs(dport)) ? fullnat_owner(dport, workers) : self;
  if (snap.is_nat_backend(saddr, sport, protocol)) return nat_owner(daddr, dport, workers);
  return self;
}

}  // namespace xvs::lb
