// test/native/ipvs_reference.h — the IPVS TCP state tables (ip_vs_proto_tcp.c, classic 3.x: active means ESTABLISHED only) typed in as text, independent of lb/tcp_state.h, for the state-machine and model tests.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/net.h"
#include "lb/conn.h"

namespace xvs::test::ipvs {

using lb::ConnState;

// Column order of every row, as in the kernel source: sNO sES sSS sSR sFW sTW sCL sCW sLA sLI sSA.
inline constexpr const char* kColumns[11] = {"NO", "ES", "SS", "SR", "FW", "TW", "CL", "CW", "LA", "LI", "SA"};

// [table: input, output, input-only][event: syn, fin, ack, rst]
inline constexpr const char* kTables[3][4] = {
    {"SR ES ES SR SR SR SR SR SR SR SR",   // INPUT syn
     "CL CW SS TW TW TW CL CW LA LI TW",   //       fin
     "CL ES SS ES FW TW CL CW CL LI ES",   //       ack
     "CL CL CL SR CL CL CL CL LA LI SR"},  //       rst
    {"SS ES SS SR SS SS SS SS SS LI SR",   // OUTPUT syn
     "TW FW SS TW FW TW CL TW LA LI TW",   //        fin
     "ES ES SS ES FW TW CL CW LA ES ES",   //        ack
     "CL CL SS CL CL TW CL CL CL CL CL"},  //        rst
    {"SR ES ES SR SR SR SR SR SR SR SR",   // INPUT-ONLY syn
     "CL FW SS TW FW TW CL CW LA LI TW",   //            fin
     "CL ES SS ES FW TW CL CW CL LI ES",   //            ack
     "CL CL CL SR CL CL CL CL LA LI CL"},  //            rst
};

inline ConnState state_named(const char* two) {
  for (uint32_t i = 0; i < 11; ++i)
    if (std::strncmp(kColumns[i], two, 2) == 0) return static_cast<ConnState>(i);  // tcp_none .. tcp_synack
  return ConnState::unarmed;
}

// The next state by the reference tables; -1 event (no SYN/FIN/ACK/RST) keeps the state.
inline int event_of(uint8_t flags) {
  if (flags & core::kTcpRst) return 3;
  if (flags & core::kTcpSyn) return 0;
  if (flags & core::kTcpFin) return 1;
  if (flags & core::kTcpAck) return 2;
  return -1;
}
inline ConnState next(ConnState current, int table, uint8_t flags) {
  const int event = event_of(flags);
  if (event < 0) return current;
  return state_named(kTables[table][event] + 3 * static_cast<uint32_t>(current));
}

// Seconds in each state with xvs's configured timeouts (tcp, tcp_fin, tcp_syn; udp for UDP).
inline uint32_t timeout(ConnState s, uint32_t tcp, uint32_t fin, uint32_t syn) {
  switch (s) {
    case ConnState::tcp_none: return 2;
    case ConnState::tcp_established: return tcp;
    case ConnState::tcp_syn_sent:
    case ConnState::tcp_syn_recv:
    case ConnState::tcp_synack: return syn;
    case ConnState::tcp_fin_wait:
    case ConnState::tcp_time_wait: return fin;
    case ConnState::tcp_close: return 10;
    case ConnState::tcp_close_wait: return 60;
    case ConnState::tcp_last_ack: return 30;
    case ConnState::tcp_listen: return 120;
    default: return 0;
  }
}

}  // namespace xvs::test::ipvs
