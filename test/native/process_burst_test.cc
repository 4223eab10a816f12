// test/native/process_burst_test.cc — lb::process_burst (what the workers run) gives every frame
// of a burst the verdict, bytes, egress port and counters that lb::process gives it one by one,
// including bursts whose earlier packets create the connections later ones use or remove the
// connections later ones would have found (the burst's early lookups must not outlive them).
#include <gtest/gtest.h>

#include <random>

#include "dataplane_fixture.h"

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
using namespace xvs::test;
using xvs::core::kTcpAck;
using xvs::core::kTcpFin;
using xvs::core::kTcpSyn;

// A mixed stream: SYNs, data and FINs from clients, server replies to the clients' ports (one
// worker: the local ports are the clients' own), packets for other addresses, and malformed frames.
std::vector<std::vector<uint8_t>> mixed_stream(uint32_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> out;
  for (uint32_t i = 0; i < n; ++i) {
    const uint16_t cport = static_cast<uint16_t>(40000 + rng() % 64);
    switch (rng() % 6) {
      case 0: out.push_back(build_frame(topo::from_client(cport, kTcpSyn))); break;
      case 1: out.push_back(build_frame(topo::from_client(cport, kTcpAck))); break;
      case 2: out.push_back(build_frame(topo::from_client(cport, kTcpFin | kTcpAck))); break;
      case 3: out.push_back(build_frame(topo::from_server(topo::kWeb[rng() % 3], static_cast<uint16_t>(40000 + rng() % 64), kTcpAck))); break;
      case 4: {
        PacketSpec other = topo::from_client(cport);
        other.daddr = ipv4(192, 0, 2, 99);
        out.push_back(build_frame(other));
        break;
      }
      default: {
        auto f = build_frame(topo::from_client(cport));
        f.resize(14 + rng() % 40);  // cut somewhere in the IPv4 or TCP header
        out.push_back(f);
      }
    }
  }
  return out;
}

TEST(ProcessBurst, SameResultsAsOneByOne) {
  Dataplane single(topo::standard(1)), burst(topo::standard(1));
  const auto stream = mixed_stream(2000, 7);
  constexpr uint32_t kHeadroom = Dataplane::kHeadroom;
  uint32_t seen[4] = {};  // by Verdict::Kind (one worker: never a redirect)
  for (size_t start = 0; start < stream.size(); start += lb::kMaxBurst) {
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(lb::kMaxBurst, stream.size() - start));
    std::vector<std::vector<uint8_t>> buffers(n);
    xvs::io::Frame frames[lb::kMaxBurst];
    for (uint32_t i = 0; i < n; ++i) {
      const auto& f = stream[start + i];
      buffers[i].assign(kHeadroom, 0);
      buffers[i].insert(buffers[i].end(), f.begin(), f.end());
      frames[i] = xvs::io::Frame{buffers[i].data() + kHeadroom, static_cast<uint32_t>(f.size()), kHeadroom, 0, 0, 0, static_cast<uint32_t>(f.size())};
    }
    lb::Verdict verdicts[lb::kMaxBurst];
    lb::process_burst(*burst.cs, frames, n, verdicts);
    for (uint32_t i = 0; i < n; ++i) {
      auto expected = stream[start + i];
      uint8_t port = 0;
      const lb::Verdict v = single.run(expected, 0, &port);
      ASSERT_EQ(verdicts[i], v) << "packet " << start + i;
      ++seen[v.kind];
      const std::vector<uint8_t> got(frames[i].data, frames[i].data + frames[i].len);
      ASSERT_EQ(got, expected) << "packet " << start + i;
      if (v == lb::Verdict::tx) {
        ASSERT_EQ(frames[i].port, port);
      }
    }
  }
  for (uint32_t c = 0; c < abi::kCounterCount; ++c)
    EXPECT_EQ(burst.cs->counters[c], single.cs->counters[c]) << abi::kCounterInfo[c].name;
  EXPECT_EQ(burst.cs->conns.size(), single.cs->conns.size());
  // The stream exercised every verdict and made connections.
  EXPECT_GT(seen[lb::Verdict::tx], 100u);
  EXPECT_GT(seen[lb::Verdict::pass], 100u);
  EXPECT_GT(seen[lb::Verdict::drop], 100u);
  EXPECT_EQ(seen[lb::Verdict::redirect], 0u);
  EXPECT_GT(single.counter(abi::Counter::conn_created), 10u);
}

// Runs `stream` as one burst on `burst` and one by one on `single`; everything must agree.
void expect_burst_matches_one_by_one(Dataplane& burst, Dataplane& single,
                                     const std::vector<std::vector<uint8_t>>& stream) {
  constexpr uint32_t kHeadroom = Dataplane::kHeadroom;
  const auto n = static_cast<uint32_t>(stream.size());
  ASSERT_LE(n, lb::kMaxBurst);
  std::vector<std::vector<uint8_t>> buffers(n);
  xvs::io::Frame frames[lb::kMaxBurst];
  for (uint32_t i = 0; i < n; ++i) {
    buffers[i].assign(kHeadroom, 0);
    buffers[i].insert(buffers[i].end(), stream[i].begin(), stream[i].end());
    const auto len = static_cast<uint32_t>(stream[i].size());
    frames[i] = xvs::io::Frame{buffers[i].data() + kHeadroom, len, kHeadroom, 0, 0, 0, len};
  }
  lb::Verdict verdicts[lb::kMaxBurst];
  lb::process_burst(*burst.cs, frames, n, verdicts);
  for (uint32_t i = 0; i < n; ++i) {
    auto expected = stream[i];
    const lb::Verdict v = single.run(expected, 0);
    EXPECT_EQ(verdicts[i], v) << "packet " << i;
    EXPECT_EQ(std::vector<uint8_t>(frames[i].data, frames[i].data + frames[i].len), expected) << "packet " << i;
  }
  for (uint32_t c = 0; c < abi::kCounterCount; ++c)
    EXPECT_EQ(burst.cs->counters[c], single.cs->counters[c]) << abi::kCounterInfo[c].name;
  EXPECT_EQ(burst.cs->conns.size(), single.cs->conns.size());
}

// A connection whose server is gone is removed by the first packet that finds it: the same
// flow's next packets in that burst must not find it again.
TEST(ProcessBurst, RemovalsInvalidateTheBurstsEarlyLookups) {
  Dataplane single(topo::standard(1)), burst(topo::standard(1));
  for (Dataplane* dp : {&single, &burst}) {
    for (uint16_t cport = 40000; cport < 40006; ++cport)
      ASSERT_EQ(dp->run(topo::from_client(cport), 0), lb::Verdict::tx);
    SnapshotBuilder next = topo::standard(1, 2);
    next.backends[0].backend_id = 999;  // server 0 (40000, 40003) replaced
    dp->reload(next);
  }
  const std::vector<std::vector<uint8_t>> stream = {
      build_frame(topo::from_client(40000, kTcpAck)),  // removes 40000's connection
      build_frame(topo::from_client(40000, kTcpAck)),  // finds nothing
      build_frame(topo::from_client(40001, kTcpAck)),
      build_frame(topo::from_server(topo::kWeb[0], 40003, kTcpAck)),  // 40003's reply: removes it
      build_frame(topo::from_client(40003, kTcpAck)),
      build_frame(topo::from_client(40000)),  // a new SYN: a new connection
      build_frame(topo::from_client(40000, kTcpAck)),
  };
  expect_burst_matches_one_by_one(burst, single, stream);
  EXPECT_EQ(burst.counter(abi::Counter::drop_backend_removed), 2u);
  EXPECT_EQ(burst.counter(abi::Counter::drop_tcp_no_conn), 2u);
  EXPECT_EQ(burst.cs->conns.size(), 5u);
}

// Port reuse: a bare SYN on a closing connection replaces it within the burst.
TEST(ProcessBurst, ReplacedConnectionsAreFoundAnew) {
  Dataplane single(topo::standard(1)), burst(topo::standard(1));
  for (Dataplane* dp : {&single, &burst}) {
    ASSERT_EQ(dp->run(topo::from_client(40000), 0), lb::Verdict::tx);
    ASSERT_EQ(dp->run(topo::from_client(40000, kTcpFin | kTcpAck), 0), lb::Verdict::tx);
  }
  const std::vector<std::vector<uint8_t>> stream = {
      build_frame(topo::from_server(topo::kWeb[0], 40000, kTcpAck)),
      build_frame(topo::from_client(40000)),  // reuses the port: the old connection goes (held)
      build_frame(topo::from_server(topo::kWeb[0], 40000, kTcpAck)),  // the old tuple: a hold, no connection
      build_frame(topo::from_client(40000, kTcpAck)),
  };
  expect_burst_matches_one_by_one(burst, single, stream);
  EXPECT_EQ(burst.counter(abi::Counter::conn_reused), 1u);
  EXPECT_EQ(burst.counter(abi::Counter::conn_held), 1u) << "server 0 answered: its tuple is held";
  EXPECT_EQ(burst.cs->conns.size(), 2u) << "the new connection and the hold";
  EXPECT_EQ(burst.run(topo::from_server(topo::kWeb[0], 40000, kTcpAck), 1), lb::Verdict::pass)
      << "a reply to the held tuple matches no connection: the kernel's";
}

}  // namespace
