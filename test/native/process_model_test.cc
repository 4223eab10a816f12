// test/native/process_model_test.cc — lb::process under long random TCP traffic agrees with a model: verdicts, server/lport, expiry, no port leak.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "lb/process.h"
#include "snapshot_fixture.h"

namespace {
namespace lb = xvs::lb;
using namespace xvs::test;
using lb::Verdict;
using xvs::core::kTcpAck;
using xvs::core::kTcpFin;
using xvs::core::kTcpRst;
using xvs::core::kTcpSyn;

struct ModelConn {
  uint32_t backend;  // index into topo::kWeb
  uint16_t lport;
  uint32_t expires;
  bool closing;  // FIN or RST seen: stays in the fin class
};

// What the model expects the timer to become after a packet with these flags (tcp_state.h).
void model_touch(ModelConn& m, uint8_t flags, uint32_t now) {
  if (flags & (kTcpFin | kTcpRst)) m.closing = true;
  if (m.closing) m.expires = now + 120;
  else if (flags & kTcpSyn) m.expires = now + 60;
  else if (flags & kTcpAck) m.expires = now + 900;
}

TEST(ProcessModel, RandomTrafficAgreesWithModel) {
  constexpr uint32_t kCapacity = 1024;
  xvs::control::LipRegistry lips(1);
  std::unique_ptr<lb::Snapshot> snap;
  ASSERT_TRUE(build(topo::standard(1).bytes(), 1, topo::kPorts, lips, snap).is_ok());
  lb::CoreState cs(0, 1, kCapacity, 77, lips.row(0));
  cs.install(snap.get());
  lb::PortPool& pool = *lips.row(0)[0];
  const uint32_t pool_capacity = pool.capacity();

  std::map<uint16_t, ModelConn> model;  // client port -> connection
  uint32_t next_backend = 0, expired_total = 0;
  uint64_t sent = 0, refused_full = 0, no_conn = 0;
  cs.now = 5000;
  std::mt19937 rng(2024);
  auto run = [&](std::vector<uint8_t>& f, uint8_t port) {
    xvs::io::Frame frame{f.data(), static_cast<uint32_t>(f.size()), 0, 0, port, 0};
    return lb::process(cs, frame);
  };

  for (int step = 0; step < 60000; ++step) {
    // Blocks of 5000 steps: the clock stands still (the table fills up), then runs (it drains).
    if ((step / 5000) % 2) cs.now += rng() % 3;
    const uint16_t cport = static_cast<uint16_t>(10000 + rng() % 3000);  // more clients than table slots
    auto it = model.find(cport);
    const uint32_t action = rng() % 10;
    if (action == 0) {  // expiry, as the worker's safe point runs it
      const uint32_t n = cs.conns.expire(cs.now, 100000, [&](const lb::Conn& c) { lb::release_connection(cs, c); });
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
    } else if (action <= 4 || it == model.end()) {  // client packet
      static constexpr uint8_t kFlags[] = {kTcpSyn, kTcpSyn, kTcpAck, kTcpAck, kTcpFin | kTcpAck, kTcpRst};
      const uint8_t flags = it == model.end() && rng() % 4 ? kTcpSyn : kFlags[rng() % std::size(kFlags)];
      PacketSpec p = topo::from_client(cport, flags);
      p.payload.assign(rng() % 40, static_cast<uint8_t>(step));
      auto f = build_frame(p);
      const Verdict v = run(f, 0);
      if (it == model.end()) {
        if (flags != kTcpSyn) {
          ASSERT_EQ(v, Verdict::drop) << "step " << step;
          ++no_conn;
          continue;
        }
        if (model.size() == kCapacity) {
          ASSERT_EQ(v, Verdict::drop) << "step " << step;
          ++refused_full;
          next_backend = (next_backend + 1) % 3;  // the server was picked before the table refused
          continue;
        }
        ASSERT_EQ(v, Verdict::tx) << "step " << step;
        const uint16_t lport = static_cast<uint16_t>(f[34] << 8 | f[35]);
        it = model.emplace(cport, ModelConn{next_backend, lport, 0, false}).first;
        next_backend = (next_backend + 1) % 3;
      } else {
        ASSERT_EQ(v, Verdict::tx) << "step " << step;
      }
      ++sent;
      model_touch(it->second, flags, cs.now);
      ASSERT_EQ(f, build_frame(topo::to_server(p, topo::kWeb[it->second.backend], it->second.lport))) << "step " << step;
    } else {  // server packet for a live connection
      ModelConn& m = it->second;
      const uint8_t flags = rng() % 5 == 0 ? kTcpSyn | kTcpAck : rng() % 9 == 0 ? kTcpFin | kTcpAck : kTcpAck;
      PacketSpec p = topo::from_server(topo::kWeb[m.backend], m.lport, flags);
      p.payload.assign(rng() % 40, 0x5a);
      auto f = build_frame(p);
      ASSERT_EQ(run(f, 1), Verdict::tx) << "step " << step;
      ++sent;
      model_touch(m, flags, cs.now);
      ASSERT_EQ(f, build_frame(topo::to_client(p, cport))) << "step " << step;
    }
    ASSERT_EQ(cs.conns.size(), model.size()) << "step " << step;
    ASSERT_EQ(pool.available() + model.size(), pool_capacity) << "a local port leaked or was handed out twice";
  }
  const auto counter = [&](xvs::abi::Counter c) { return cs.counters[static_cast<uint32_t>(c)]; };
  EXPECT_EQ(counter(xvs::abi::Counter::conn_created), expired_total + model.size());
  EXPECT_EQ(counter(xvs::abi::Counter::drop_conn_table_full), refused_full);
  EXPECT_EQ(counter(xvs::abi::Counter::drop_tcp_no_conn), no_conn);
  EXPECT_GT(refused_full, 0u);
  EXPECT_GT(expired_total, 1000u);
  EXPECT_GT(sent, 20000u);
}
}  // namespace
