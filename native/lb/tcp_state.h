// native/lb/tcp_state.h — the IPVS TCP state machine (ip_vs_proto_tcp.c): next state from the
// current one, the packet's direction and its flags, with the three IPVS tables (INPUT from the
// client, OUTPUT from the server, INPUT-ONLY for dr/tunnel where replies bypass the balancer),
// and the timeout of each state. Pure; runs on the workers.
#pragma once
#include <cstdint>

#include "core/net.h"
#include "lb/conn.h"
#include "lb/snapshot.h"

namespace xvs::lb {

enum class TcpTable : uint8_t { input = 0, output = 1, input_only = 2 };

inline ConnState next_tcp_state(ConnState current, TcpTable table, uint8_t tcp_flags) {
  using S = ConnState;
  constexpr S sES = S::tcp_established, sSS = S::tcp_syn_sent, sSR = S::tcp_syn_recv,
              sFW = S::tcp_fin_wait, sTW = S::tcp_time_wait, sCL = S::tcp_close, sCW = S::tcp_close_wait,
              sLA = S::tcp_last_ack, sLI = S::tcp_listen, sSA = S::tcp_synack;
  // [table][event: syn fin ack rst][current state]
  static constexpr S kNext[3][4][11] = {
      {// INPUT
       /*syn*/ {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
       /*fin*/ {sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW},
       /*ack*/ {sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
       /*rst*/ {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR}},
      {// OUTPUT
       /*syn*/ {sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR},
       /*fin*/ {sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW},
       /*ack*/ {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES},
       /*rst*/ {sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL}},
      {// INPUT-ONLY
       /*syn*/ {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
       /*fin*/ {sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW},
       /*ack*/ {sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
       /*rst*/ {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL}},
  };
  // IPVS precedence: RST, then SYN, then FIN, then ACK; no flag of these: no change.
  int event;
  if (tcp_flags & core::kTcpRst) event = 3;
  else if (tcp_flags & core::kTcpSyn) event = 0;
  else if (tcp_flags & core::kTcpFin) event = 1;
  else if (tcp_flags & core::kTcpAck) event = 2;
  else return current;
  const auto index = static_cast<uint32_t>(current);
  if (index > static_cast<uint32_t>(sSA)) return current;  // not a TCP state
  return kNext[static_cast<int>(table)][event][index];
}

// IPVS default timeouts for the states the config does not name (seconds).
inline constexpr uint32_t kTimeoutClose = 10;
inline constexpr uint32_t kTimeoutCloseWait = 60;
inline constexpr uint32_t kTimeoutLastAck = 30;
inline constexpr uint32_t kTimeoutListen = 120;
inline constexpr uint32_t kTimeoutNone = 2;

// Every tracked packet's: inlined whatever the caller's size.
[[gnu::always_inline]] inline uint32_t timeout_of(const Timeouts& t, ConnState state) {
  switch (state) {
    case ConnState::tcp_established: return t.tcp;
    case ConnState::tcp_syn_sent:
    case ConnState::tcp_syn_recv:
    case ConnState::tcp_synack: return t.tcp_syn;
    case ConnState::tcp_fin_wait:
    case ConnState::tcp_time_wait: return t.tcp_fin;
    case ConnState::tcp_close: return kTimeoutClose;
    case ConnState::tcp_close_wait: return kTimeoutCloseWait;
    case ConnState::tcp_last_ack: return kTimeoutLastAck;
    case ConnState::tcp_listen: return kTimeoutListen;
    case ConnState::tcp_none: return kTimeoutNone;
    case ConnState::udp: return t.udp;
    case ConnState::tcp_port_hold: return t.server_time_wait;
    case ConnState::persist_template:
    case ConnState::unarmed: break;
  }
  return t.tcp_syn;
}

// A client SYN that finds its 4-tuple in one of these states starts a new connection with a new
// scheduling decision at once (no waiting for the old entry to time out: the IPVS port-reuse bug).
inline bool reusable_for_new_syn(ConnState s) {
  return s == ConnState::tcp_time_wait || s == ConnState::tcp_close || s == ConnState::tcp_fin_wait ||
         s == ConnState::tcp_last_ack || s == ConnState::tcp_close_wait;
}

}  // namespace xvs::lb
