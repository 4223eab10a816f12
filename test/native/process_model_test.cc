// test/native/process_model_test.cc — lb::process (fullnat) under long random TCP traffic agrees with a model built on the IPVS tables: verdicts, server/lport, state and expiry, port reuse by a new SYN, active/inactive/half-open counts, a full table evicting its oldest half-open connection (refusing when it has none), the client's own port as local port (one worker, no hold).
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "ipvs_reference.h"
#include "lb/process.h"
#include "snapshot_fixture.h"

namespace {
namespace lb = xvs::lb;
namespace ipvs = xvs::test::ipvs;
using namespace xvs::test;
using lb::ConnState;
using lb::Verdict;
using xvs::abi::Counter;
using xvs::core::kTcpAck;
using xvs::core::kTcpFin;
using xvs::core::kTcpRst;
using xvs::core::kTcpSyn;

constexpr int kInput = 0, kOutput = 1;
constexpr uint8_t kPsh = 0x08;

struct ModelConn {
  uint32_t backend;  // index into topo::kWeb
  uint16_t lport;
  ConnState state;
  uint32_t expires;
  uint64_t touched;  // when the connection last moved to its state list's tail (0: never)
};
uint64_t touches = 0;

bool model_reusable(ConnState s) {
  return s == ConnState::tcp_time_wait || s == ConnState::tcp_close || s == ConnState::tcp_fin_wait ||
         s == ConnState::tcp_last_ack || s == ConnState::tcp_close_wait;
}

void model_step(ModelConn& m, int table, uint8_t flags, uint32_t now) {
  const ConnState next = ipvs::next(m.state, table, flags);
  const uint32_t expires = now + ipvs::timeout(next, 900, 120, 60);
  // The table relinks an entry (to its list's tail) only when its state or expiry changes.
  if (next != m.state || expires != m.expires || m.touched == 0) m.touched = ++touches;
  m.state = next;
  m.expires = expires;
}

TEST(ProcessModel, RandomTrafficAgreesWithModel) {
  constexpr uint32_t kCapacity = 1024;
  EngineTables tables(1);
  std::unique_ptr<lb::Snapshot> snap;
  SnapshotBuilder standard = topo::standard(1);
  standard.header.timeout_server_time_wait = 0;  // the model tracks connections, not held tuples
  ASSERT_TRUE(build(standard.bytes(), 1, topo::kPorts, tables, snap).is_ok());
  lb::CoreState cs(0, 1, kCapacity, 77, kPortKey, tables.row(0));
  cs.install(snap.get());

  std::map<uint16_t, ModelConn> model;  // client port -> connection
  uint32_t next_backend = 0, expired_total = 0, reused = 0;
  uint64_t sent = 0, refused_full = 0, no_conn = 0, evicted = 0;
  std::map<ConnState, uint64_t> states_seen;
  cs.now = 5000;
  std::mt19937 rng(2024);
  auto run = [&](std::vector<uint8_t>& f, uint8_t port) {
    xvs::io::Frame frame{f.data(), static_cast<uint32_t>(f.size()), 0, 0, port, 0, static_cast<uint32_t>(f.size())};
    return lb::process(cs, frame);
  };
  auto counter = [&](Counter c) { return cs.counters[static_cast<uint32_t>(c)]; };

  for (int step = 0; step < 80000; ++step) {
    // Blocks of 5000 steps: the clock stands still (the table fills up), then runs (it drains).
    if ((step / 5000) % 2) cs.now += rng() % 3;
    const uint16_t cport = static_cast<uint16_t>(10000 + rng() % 3000);  // more clients than table slots
    auto it = model.find(cport);
    const uint32_t action = rng() % 10;
    if (action == 0) {  // expiry, as the worker's safe point runs it
      const uint32_t n = cs.conns.expire(cs.now, 100000, [&](lb::Conn& c) { return lb::expire_connection(cs, c); });
      uint32_t want = 0;
      for (auto m = model.begin(); m != model.end();) {
        if (static_cast<int32_t>(m->second.expires - cs.now) <= 0) {
          m = model.erase(m);
          ++want;
        } else {
          ++m;
        }
      }
      ASSERT_EQ(n, want) << "step " << step;
      expired_total += n;
      it = model.end();  // it may have expired
    } else if (action <= 4 || it == model.end()) {  // client packet
      static constexpr uint8_t kFlags[] = {kTcpSyn, kTcpSyn, kTcpAck, kTcpAck, kTcpFin | kTcpAck, kTcpRst, kTcpSyn | kTcpAck, kPsh};
      const uint8_t flags = it == model.end() && rng() % 4 ? kTcpSyn : kFlags[rng() % std::size(kFlags)];
      PacketSpec p = topo::from_client(cport, flags);
      p.payload.assign(rng() % 40, static_cast<uint8_t>(step));
      auto f = build_frame(p);
      const Verdict v = run(f, 0);
      if (it != model.end() && flags == kTcpSyn && model_reusable(it->second.state)) {
        // The old connection goes at once and the SYN is scheduled anew.
        model.erase(it);
        it = model.end();
        ++reused;
      }
      if (it == model.end()) {
        if ((flags & (kTcpSyn | kTcpAck | kTcpRst)) != kTcpSyn) {
          ASSERT_EQ(v, Verdict::drop) << "step " << step;
          ++no_conn;
          continue;
        }
        if (model.size() == kCapacity) {
          // Room is made by the half-open connection that has waited longest, if there is one.
          auto oldest = model.end();
          for (auto m = model.begin(); m != model.end(); ++m)
            if (m->second.state == ConnState::tcp_syn_recv && (oldest == model.end() || m->second.touched < oldest->second.touched))
              oldest = m;
          if (oldest == model.end()) {
            ASSERT_EQ(v, Verdict::drop) << "step " << step;
            ++refused_full;
            next_backend = (next_backend + 1) % 3;  // the server was picked before the table refused
            continue;
          }
          model.erase(oldest);
          ++evicted;
        }
        ASSERT_EQ(v, Verdict::tx) << "step " << step;
        const uint16_t lport = static_cast<uint16_t>(f[34] << 8 | f[35]);
        ASSERT_EQ(lport, cport) << "one worker, a free tuple: the client's own port; step " << step;
        it = model.emplace(cport, ModelConn{next_backend, lport, ConnState::tcp_none, 0, 0}).first;
        next_backend = (next_backend + 1) % 3;
      } else {
        ASSERT_EQ(v, Verdict::tx) << "step " << step;
      }
      ++sent;
      model_step(it->second, kInput, flags, cs.now);
      ASSERT_EQ(f, build_frame(topo::to_server(p, topo::kWeb[it->second.backend], it->second.lport))) << "step " << step;
    } else {  // server packet for a live connection
      ModelConn& m = it->second;
      static constexpr uint8_t kFlags[] = {kTcpSyn | kTcpAck, kTcpAck, kTcpAck, kTcpAck, kTcpFin | kTcpAck, kTcpRst, kTcpRst | kTcpAck, kPsh};
      const uint8_t flags = kFlags[rng() % std::size(kFlags)];
      PacketSpec p = topo::from_server(topo::kWeb[m.backend], m.lport, flags);
      p.payload.assign(rng() % 40, 0x5a);
      auto f = build_frame(p);
      ASSERT_EQ(run(f, 1), Verdict::tx) << "step " << step;
      ++sent;
      model_step(m, kOutput, flags, cs.now);
      ASSERT_EQ(f, build_frame(topo::to_client(p, cport))) << "step " << step;
    }
    if (it != model.end()) {
      const lb::Conn* c = cs.conns.lookup(6, topo::kCip, topo::kVip, xvs::core::htons(cport), xvs::core::htons(80)).conn;
      ASSERT_NE(c, nullptr) << "step " << step;
      ASSERT_EQ(c->state, it->second.state) << "step " << step;
      ASSERT_EQ(c->expires, it->second.expires) << "step " << step;
      ++states_seen[c->state];
    }
    ASSERT_EQ(cs.conns.size(), model.size()) << "step " << step;
    // Active = ESTABLISHED, everything else inactive, per server.
    uint32_t active[3] = {}, inactive[3] = {}, half_open[3] = {};
    for (const auto& [port, m] : model) {
      ++(m.state == ConnState::tcp_established ? active : inactive)[m.backend];
      half_open[m.backend] += m.state == ConnState::tcp_syn_recv;
    }
    ASSERT_EQ(cs.half_open[0], half_open[0] + half_open[1] + half_open[2]) << "step " << step;
    for (uint32_t b = 0; b < 3; ++b) {
      ASSERT_EQ(cs.counters_of(b).load.half_open, half_open[b]) << "server " << b << ", step " << step;
      ASSERT_EQ(cs.counters_of(b).load.active, active[b]) << "server " << b << ", step " << step;
      ASSERT_EQ(cs.counters_of(b).load.inactive, inactive[b]) << "server " << b << ", step " << step;
    }
  }
  EXPECT_EQ(counter(Counter::conn_created), expired_total + reused + evicted + model.size());
  EXPECT_EQ(counter(Counter::conn_evicted), evicted);
  EXPECT_GT(evicted, 0u);
  EXPECT_EQ(counter(Counter::conn_expired), expired_total);
  EXPECT_EQ(counter(Counter::lport_client_port), counter(Counter::conn_created))
      << "every connection made kept the client's own port (refused ones are not counted)";
  EXPECT_EQ(counter(Counter::conn_reused), reused);
  EXPECT_EQ(counter(Counter::drop_conn_table_full), refused_full);
  EXPECT_EQ(counter(Counter::drop_tcp_no_conn), no_conn);
  EXPECT_GT(expired_total, 1000u);
  EXPECT_GT(reused, 100u);
  EXPECT_GT(sent, 30000u);
  for (ConnState s : {ConnState::tcp_established, ConnState::tcp_syn_recv, ConnState::tcp_fin_wait, ConnState::tcp_time_wait,
                      ConnState::tcp_close, ConnState::tcp_close_wait, ConnState::tcp_syn_sent})
    EXPECT_GT(states_seen[s], 50u) << "the traffic should visit state " << int(s);
}
}  // namespace
