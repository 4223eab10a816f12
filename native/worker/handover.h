// native/worker/handover.h — which worker owns a received frame's connection, when the frame
// itself names it (DESIGN §4): a full-NAT reply (to a LIP: the local port's owner), a nat reply
// (from a nat server: owner of the client's address and port) and a nat client packet (to a nat
// service: the same), and ICMP errors that quote such packets. Everything else (new full-NAT,
// dr and tunnel connections, the kernel's traffic, malformed frames) belongs to the worker that
// received it, and lb::process decides. The same ownership rules as lb/owner.h and
// lb::process; a frame owned by another worker is handed over through a per-pair SPSC ring
// (worker.h) instead of being dropped as drop_not_owner.
//
// Runs on the receiving worker, with that worker's snapshot. Pure: reads the frame, writes nothing.
#pragma once
#include <cstdint>

#include "core/parse.h"
#include "io/frame.h"
#include "lb/core_state.h"
#include "lb/owner.h"

namespace xvs::worker {

inline uint32_t owner_by_ports(const lb::Snapshot& snap, uint32_t workers, uint32_t saddr, uint32_t daddr,
                               uint16_t sport, uint16_t dport, uint8_t protocol, uint32_t self) {
  if (snap.is_lip(daddr)) {
    if (core::ntohs(dport) < lb::PortPool::kFirstPort) return self;
    return lb::fullnat_owner(dport, workers);
  }
  if (snap.nat_backend_index.find(lb::Snapshot::nat_backend_key(saddr, sport, protocol)) != lb::FlatMap::kMissing)
    return lb::nat_owner(daddr, dport, workers);
  const abi::ServiceRecord* svc = snap.find_service(daddr, dport, protocol);
  if (svc != nullptr && static_cast<abi::Forwarding>(svc->forwarding) == abi::Forwarding::nat)
    return lb::nat_owner(saddr, sport, workers);
  return self;
}

// The owner's id, or cs.id when the frame names no other owner.
inline uint32_t owner_of(const lb::CoreState& cs, io::Frame& f) {
  if (cs.snapshot == nullptr || cs.workers < 2) return cs.id;
  core::PacketView pkt;
  if (core::parse_packet(f.data, f.len, pkt).status != core::ParseStatus::ok || pkt.l4 == nullptr) return cs.id;
  const lb::Snapshot& snap = *cs.snapshot;
  if (pkt.protocol == core::kIpProtoTcp || pkt.protocol == core::kIpProtoUdp)
    return owner_by_ports(snap, cs.workers, pkt.ip->saddr, pkt.ip->daddr, pkt.sport(), pkt.dport(), pkt.protocol, cs.id);
  if (pkt.is_icmp_error()) {
    // The quoted packet left through xvs in the opposite direction: its destination's reply
    // would be this flow's packet, so ask with the quoted packet's addresses swapped.
    const core::QuotedPacket& q = pkt.quoted;
    if (q.protocol != core::kIpProtoTcp && q.protocol != core::kIpProtoUdp) return cs.id;
    return owner_by_ports(snap, cs.workers, q.ip->daddr, q.ip->saddr, q.dport(), q.sport(), q.protocol, cs.id);
  }
  return cs.id;
}

}  // namespace xvs::worker
