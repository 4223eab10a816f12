// native/lb/tcp_state.h — which expiry class (and so which timeout) a connection is in after a
// packet. First slice: SYN seen, established, closing (FIN/RST), UDP. The full IPVS state table
// replaces this function without changing its callers. Pure; runs on the workers.
#pragma once
#include <cstdint>

#include "core/net.h"
#include "lb/conn_table.h"
#include "lb/snapshot.h"

namespace xvs::lb {

inline TimerClass next_timer_class(const Conn& c, uint8_t tcp_flags) {
  if (c.protocol == core::kIpProtoUdp) return TimerClass::udp;
  if (tcp_flags & (core::kTcpRst | core::kTcpFin)) return TimerClass::tcp_fin;
  if (c.timer_class == TimerClass::tcp_fin) return TimerClass::tcp_fin;  // closing stays closing
  if (tcp_flags & core::kTcpSyn) return TimerClass::tcp_syn;
  if (tcp_flags & core::kTcpAck) return TimerClass::tcp_established;
  return c.timer_class == TimerClass::count_ ? TimerClass::tcp_syn : c.timer_class;
}

inline uint32_t timeout_of(const Timeouts& t, TimerClass cls) {
  switch (cls) {
    case TimerClass::tcp_syn: return t.tcp_syn;
    case TimerClass::tcp_established: return t.tcp;
    case TimerClass::tcp_fin: return t.tcp_fin;
    case TimerClass::udp: return t.udp;
    case TimerClass::count_: break;
  }
  return t.tcp_syn;
}

}  // namespace xvs::lb
