// test/native/dataplane_fixture.h — one worker's data plane for lb::process tests: a snapshot built through the real decoder, installed in a CoreState with its own tables (counter blocks) and the tests' local port key; frames run with headroom; reloads keep old snapshots alive.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string_view>
#include <vector>

#include "lb/load.h"
#include "lb/process.h"
#include "snapshot_fixture.h"

namespace xvs::lb {
// gtest prints a failing verdict by name (and owner), not as raw bytes.
inline void PrintTo(const Verdict& v, std::ostream* os) {
  static const char* const names[] = {"tx", "pass", "drop", "redirect"};
  *os << (v.kind <= Verdict::redirect ? names[v.kind] : "?");
  if (v.kind == Verdict::redirect) *os << "(" << static_cast<int>(v.owner) << ")";
}
}  // namespace xvs::lb

namespace xvs::test {

struct Dataplane {
  static constexpr uint32_t kHeadroom = 64;
  static constexpr uint32_t kTailroom = 2048;  // as an AF_XDP frame has

  // Every port from 1024 by default, so that a client's own port (40000 in most rows) is in range:
  // what the local-port rules do does not depend on where the range ends (local_port_test.cc).
  explicit Dataplane(const SnapshotBuilder& b, uint32_t workers = 1, uint32_t id = 0, uint32_t capacity = 1024,
                     const core::SipKey& port_key = kPortKey, lb::LocalPortRange local_ports = {1024, 65535})
      : tables(workers) {
    std::unique_ptr<lb::Snapshot> snap;
    const auto st = build(b.bytes(), workers, topo::kPorts, tables, snap);
    EXPECT_TRUE(st.is_ok()) << st.message;
    cs = std::make_unique<lb::CoreState>(id, workers, capacity, 0x5eed, port_key, tables.row(id), local_ports);
    cs->install(snap.get());
    snaps.push_back(std::move(snap));
    cs->now = 1000;
  }

  // Installs `b` as the next generation, as the worker's safe point does; the previous
  // snapshot stays alive (the engine frees it only later).
  void reload(SnapshotBuilder b) {
    b.header.generation = snaps.back()->generation + 1;
    std::unique_ptr<lb::Snapshot> snap;
    const auto st = build(b.bytes(), cs->workers, topo::kPorts, tables, snap, 0x5eed, snaps.back().get());
    ASSERT_TRUE(st.is_ok()) << st.message;
    cs->install(snap.get());
    snaps.push_back(std::move(snap));
  }

  // Processes `frame` in place as if received on `in_port`, with `headroom` bytes free before
  // it and `tailroom` after it; the buffer ends there, so ASan sees any write past it. On return
  // the vector holds the frame as it leaves (encapsulated, turned into an ICMP reply, or a
  // segment the SYN proxy built).
  lb::Verdict run(std::vector<uint8_t>& frame, uint8_t in_port, uint8_t* out_port = nullptr,
                  uint32_t headroom = kHeadroom, uint32_t tailroom = kTailroom) {
    std::vector<uint8_t> buffer(headroom + frame.size() + tailroom);
    std::copy(frame.begin(), frame.end(), buffer.begin() + headroom);
    io::Frame f{buffer.data() + headroom, static_cast<uint32_t>(frame.size()), headroom, 0, in_port, 0,
                static_cast<uint32_t>(frame.size()) + tailroom};
    const lb::Verdict v = lb::process(*cs, f);
    EXPECT_GE(f.data, buffer.data());
    EXPECT_LE(f.data + f.len, buffer.data() + buffer.size());
    EXPECT_EQ(f.headroom, static_cast<uint32_t>(f.data - buffer.data()));
    EXPECT_EQ(f.capacity, static_cast<uint32_t>(buffer.data() + buffer.size() - f.data));
    frame.assign(f.data, f.data + f.len);
    if (out_port) *out_port = f.port;
    return v;
  }
  // run() for a whole burst through lb::process_burst, as a worker hands it over: `frames[i]`
  // received on `in_ports[i]` (port 0 where the list is shorter), each rewritten in place as it
  // leaves; the verdicts in order.
  std::vector<lb::Verdict> run_burst(std::vector<std::vector<uint8_t>>& frames, const std::vector<uint8_t>& in_ports = {}) {
    std::vector<std::vector<uint8_t>> buffers;
    std::vector<io::Frame> io;
    for (size_t i = 0; i < frames.size(); ++i) {
      buffers.emplace_back(kHeadroom + frames[i].size() + kTailroom);
      std::copy(frames[i].begin(), frames[i].end(), buffers.back().begin() + kHeadroom);
      io.push_back({buffers.back().data() + kHeadroom, static_cast<uint32_t>(frames[i].size()), kHeadroom, 0,
                    i < in_ports.size() ? in_ports[i] : uint8_t{0}, 0, static_cast<uint32_t>(frames[i].size()) + kTailroom});
    }
    std::vector<lb::Verdict> verdicts(frames.size());
    lb::process_burst(*cs, io.data(), static_cast<uint32_t>(io.size()), verdicts.data());
    for (size_t i = 0; i < frames.size(); ++i) frames[i].assign(io[i].data, io[i].data + io[i].len);
    return verdicts;
  }
  lb::Verdict run(const PacketSpec& spec, uint8_t in_port) {
    auto f = build_frame(spec);
    return run(f, in_port);
  }

  uint64_t counter(abi::Counter c) const { return cs->counters[static_cast<uint32_t>(c)]; }
  // Every drop reason's counter summed (the counters named drop_*).
  uint64_t drops() const {
    uint64_t n = 0;
    for (uint32_t c = 0; c < abi::kCounterCount; ++c)
      if (std::string_view(abi::kCounterInfo[c].name).starts_with("drop_")) n += cs->counters[c];
    return n;
  }
  // Entries that hold a server-side tuple towards `lip` (live Full-NAT connections and holds).
  uint32_t local_ports_in_use(uint32_t lip = topo::kLip) const {
    uint32_t n = 0;
    cs->conns.for_each(cs->conns.capacity(), [&](const lb::Conn& c) {
      n += !(c.flags & lb::kTemplate) && c.forwarding == static_cast<uint8_t>(abi::Forwarding::fullnat) &&
           c.tuple[lb::kFromServer].daddr == lip;
    });
    return n;
  }
  const lb::Snapshot& snapshot() const { return *cs->snapshot; }
  // This worker's load of backend `index` in the current snapshot.
  const lb::BackendLoad& load(uint32_t index) const { return cs->counters_of(index).load; }
  lb::Conn* conn(uint8_t protocol, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport) const {
    return cs->conns.lookup(protocol, saddr, daddr, core::htons(sport), core::htons(dport)).conn;
  }
  // The client's TCP connection to VIP:80 (or UDP to VIP:53).
  lb::Conn* client_conn(uint16_t cport, uint8_t protocol = core::kIpProtoTcp) const {
    return conn(protocol, topo::kCip, topo::kVip, cport, protocol == core::kIpProtoTcp ? topo::kHttp : topo::kDns);
  }
  // Expiry as the worker's safe point runs it; returns how many went.
  uint32_t expire(uint32_t now) {
    cs->now = now;
    return cs->conns.expire(now, 1u << 20, [&](lb::Conn& c) { return lb::expire_connection(*cs, c); });
  }

  EngineTables tables;
  std::vector<std::unique_ptr<lb::Snapshot>> snaps;
  std::unique_ptr<lb::CoreState> cs;
};

// A packet of direction `dir` of connection `c` as it arrives (that direction's tuple), with
// `payload` bytes.
inline PacketSpec packet_of(const lb::Conn& c, lb::Direction dir, uint8_t tcp_flags, size_t payload = 20) {
  PacketSpec s;
  const lb::ConnTuple& t = c.tuple[dir];
  s.saddr = t.saddr, s.daddr = t.daddr;
  s.sport = core::ntohs(t.sport), s.dport = core::ntohs(t.dport);
  s.protocol = c.protocol;
  s.tcp_flags = tcp_flags;
  s.seq = 5000, s.ack = 7000;
  s.payload.assign(payload, dir == lb::kFromClient ? 'q' : 'r');
  return s;
}

// The same for an IPv6 connection (its addresses in the table's second line).
inline Packet6Spec packet6_of(const lb::ConnTable& conns, const lb::Conn& c, lb::Direction dir, uint8_t tcp_flags, size_t payload = 20) {
  const lb::ConnTuple6 t = conns.tuple6(c, dir);
  Packet6Spec s;
  s.saddr = t.saddr, s.daddr = t.daddr;
  s.sport = core::ntohs(t.sport), s.dport = core::ntohs(t.dport);
  s.protocol = c.protocol;
  s.tcp_flags = tcp_flags;
  s.seq = 5000, s.ack = 7000;
  s.payload.assign(payload, dir == lb::kFromClient ? 'q' : 'r');
  return s;
}

}  // namespace xvs::test
