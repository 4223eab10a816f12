// test/native/tcp_state_test.cc — lb/tcp_state.h against the IPVS tables typed in independently: every (table, event, state), flag precedence, timeouts per state, which states a new SYN may reuse.
#include <gtest/gtest.h>

#include <algorithm>

#include "ipvs_reference.h"
#include "lb/tcp_state.h"

namespace {
namespace lb = xvs::lb;
namespace ipvs = xvs::test::ipvs;
using lb::ConnState;
using lb::TcpTable;
using xvs::core::kTcpAck;
using xvs::core::kTcpFin;
using xvs::core::kTcpRst;
using xvs::core::kTcpSyn;

constexpr const char* kTableName[3] = {"INPUT", "OUTPUT", "INPUT-ONLY"};
constexpr uint8_t kEventFlag[4] = {kTcpSyn, kTcpFin, kTcpAck, kTcpRst};
constexpr const char* kEventName[4] = {"syn", "fin", "ack", "rst"};

TEST(TcpState, EveryTransitionOfTheThreeTables) {
  int checked = 0;
  for (int table = 0; table < 3; ++table)
    for (int event = 0; event < 4; ++event)
      for (uint32_t s = 0; s < 11; ++s) {
        const auto from = static_cast<ConnState>(s);
        const ConnState want = ipvs::state_named(ipvs::kTables[table][event] + 3 * s);
        ASSERT_NE(want, ConnState::unarmed);
        EXPECT_EQ(lb::next_tcp_state(from, static_cast<TcpTable>(table), kEventFlag[event]), want)
            << kTableName[table] << " " << kEventName[event] << " in s" << ipvs::kColumns[s];
        ++checked;
      }
  EXPECT_EQ(checked, 3 * 4 * 11);
}

// A few rows spelled out, so that a transposed reference table cannot hide a transposed one
// in the code: the classic handshake and teardown through the balancer.
TEST(TcpState, HandshakeAndTeardownSequences) {
  auto in = [](ConnState s, uint8_t f) { return lb::next_tcp_state(s, TcpTable::input, f); };
  auto out = [](ConnState s, uint8_t f) { return lb::next_tcp_state(s, TcpTable::output, f); };
  auto only = [](ConnState s, uint8_t f) { return lb::next_tcp_state(s, TcpTable::input_only, f); };
  // nat/fullnat: SYN in, SYN-ACK out, ACK in.
  ConnState s = in(ConnState::tcp_none, kTcpSyn);
  EXPECT_EQ(s, ConnState::tcp_syn_recv);
  s = out(s, kTcpSyn | kTcpAck);
  EXPECT_EQ(s, ConnState::tcp_syn_recv);
  s = in(s, kTcpAck);
  EXPECT_EQ(s, ConnState::tcp_established);
  // Client closes first: FIN in -> CLOSE_WAIT, server FIN -> TIME_WAIT, last ACK keeps it.
  EXPECT_EQ(in(s, kTcpFin | kTcpAck), ConnState::tcp_close_wait);
  EXPECT_EQ(out(ConnState::tcp_close_wait, kTcpFin | kTcpAck), ConnState::tcp_time_wait);
  EXPECT_EQ(in(ConnState::tcp_time_wait, kTcpAck), ConnState::tcp_time_wait);
  // Server closes first: FIN out -> FIN_WAIT, client FIN -> TIME_WAIT.
  EXPECT_EQ(out(ConnState::tcp_established, kTcpFin | kTcpAck), ConnState::tcp_fin_wait);
  EXPECT_EQ(in(ConnState::tcp_fin_wait, kTcpFin | kTcpAck), ConnState::tcp_time_wait);
  // dr/tunnel see only the client: its FIN goes to FIN_WAIT (not CLOSE_WAIT), ACKs stay there.
  EXPECT_EQ(only(ConnState::tcp_established, kTcpFin | kTcpAck), ConnState::tcp_fin_wait);
  EXPECT_EQ(only(ConnState::tcp_fin_wait, kTcpAck), ConnState::tcp_fin_wait);
  EXPECT_EQ(only(ConnState::tcp_syn_recv, kTcpAck), ConnState::tcp_established);
  // RST closes from anywhere established.
  EXPECT_EQ(in(ConnState::tcp_established, kTcpRst), ConnState::tcp_close);
  EXPECT_EQ(out(ConnState::tcp_established, kTcpRst | kTcpAck), ConnState::tcp_close);
}

// RST beats SYN beats FIN beats ACK; a segment with none of them leaves the state alone.
TEST(TcpState, FlagPrecedence) {
  const uint8_t psh = 0x08, urg = 0x20;
  for (int table = 0; table < 3; ++table) {
    const auto t = static_cast<TcpTable>(table);
    for (uint32_t s = 0; s < 11; ++s) {
      const auto from = static_cast<ConnState>(s);
      SCOPED_TRACE(std::string(kTableName[table]) + " s" + ipvs::kColumns[s]);
      for (uint8_t flags = 0; flags < 64; ++flags) {
        const int want_event = flags & kTcpRst ? 3 : flags & kTcpSyn ? 0 : flags & kTcpFin ? 1 : flags & kTcpAck ? 2 : -1;
        const ConnState want = want_event < 0 ? from : lb::next_tcp_state(from, t, kEventFlag[want_event]);
        ASSERT_EQ(lb::next_tcp_state(from, t, flags), want) << "flags " << int(flags);
      }
      EXPECT_EQ(lb::next_tcp_state(from, t, psh | urg), from);
      EXPECT_EQ(lb::next_tcp_state(from, t, 0), from);
    }
  }
  // Spot values: SYN+RST in SYN_SENT is RST's INPUT entry (CLOSE), SYN+FIN is SYN's.
  EXPECT_EQ(lb::next_tcp_state(ConnState::tcp_syn_sent, TcpTable::input, kTcpSyn | kTcpRst), ConnState::tcp_close);
  EXPECT_EQ(lb::next_tcp_state(ConnState::tcp_time_wait, TcpTable::input, kTcpSyn | kTcpFin), ConnState::tcp_syn_recv);
  EXPECT_EQ(lb::next_tcp_state(ConnState::tcp_established, TcpTable::output, kTcpFin | kTcpAck), ConnState::tcp_fin_wait);
}

// States that are not TCP's (udp, templates) never move.
TEST(TcpState, NonTcpStatesStay) {
  for (ConnState s : {ConnState::udp, ConnState::persist_template})
    for (int table = 0; table < 3; ++table)
      for (uint8_t f : kEventFlag) EXPECT_EQ(lb::next_tcp_state(s, static_cast<TcpTable>(table), f), s);
}

TEST(TcpState, TimeoutPerState) {
  const lb::Timeouts t{900, 120, 60, 300};
  const lb::Timeouts odd{1000, 7, 3, 11};
  for (uint32_t s = 0; s < 11; ++s) {
    const auto state = static_cast<ConnState>(s);
    EXPECT_EQ(lb::timeout_of(t, state), ipvs::timeout(state, 900, 120, 60)) << ipvs::kColumns[s];
    EXPECT_EQ(lb::timeout_of(odd, state), ipvs::timeout(state, 1000, 7, 3)) << ipvs::kColumns[s];
  }
  EXPECT_EQ(lb::timeout_of(t, ConnState::tcp_established), 900u);
  EXPECT_EQ(lb::timeout_of(t, ConnState::tcp_close), 10u);
  EXPECT_EQ(lb::timeout_of(t, ConnState::tcp_close_wait), 60u);
  EXPECT_EQ(lb::timeout_of(t, ConnState::tcp_last_ack), 30u);
  EXPECT_EQ(lb::timeout_of(t, ConnState::tcp_none), 2u);
  EXPECT_EQ(lb::timeout_of(odd, ConnState::udp), 11u);
  EXPECT_EQ(lb::timeout_of(odd, ConnState::tcp_time_wait), 7u);
  EXPECT_EQ(lb::timeout_of(odd, ConnState::tcp_syn_recv), 3u);
}

// A bare SYN may start over on a 4-tuple whose connection is closing or closed; never on one
// that is opening or established (those SYNs are retransmissions).
TEST(TcpState, WhichStatesANewSynReuses) {
  const ConnState reusable[] = {ConnState::tcp_time_wait, ConnState::tcp_close, ConnState::tcp_fin_wait,
                                ConnState::tcp_last_ack, ConnState::tcp_close_wait};
  for (uint32_t s = 0; s < lb::kConnStates; ++s) {
    const auto state = static_cast<ConnState>(s);
    const bool want = std::find(std::begin(reusable), std::end(reusable), state) != std::end(reusable);
    EXPECT_EQ(lb::reusable_for_new_syn(state), want) << s;
  }
}
}  // namespace
