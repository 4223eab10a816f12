// test/fuzz/snapshot_decode_fuzz.cc — the snapshot decoder the binding hands JavaScript-built
// bytes to (control::build_snapshot, the commit path). Consumes: the bytes of a snapshot, as
// src/native's encoder lays them out (abi/records.h); the engine it is built for has the
// workers and ports the header names when they are in range (1-4 workers, 1-8 ports), else 2
// and 2.
// Checks: the decoder either refuses the bytes with an error code and message, holding no
// counter slot, or returns tables a worker can use: every lookup table and index in range, and
// a worker that installs it forwards a client packet to each service, the answer of its server
// and an ICMP error about it, and expires them, with the packet path's checks (frame_checks.h,
// worker_invariants.h). A second build of the same bytes as the next generation keeps each
// server's counter slot; releasing both snapshots frees every slot.
#include <sys/prctl.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "abi/records.h"
#include "answers.h"
#include "control/snapshot_build.h"
#include "frame_checks.h"
#include "fuzz_check.h"
#include "lb/process.h"
#include "snapshot_fixture.h"
#include "worker_invariants.h"

namespace xvs::fuzz {
namespace {

constexpr uint32_t kMaxWorkers = 4;
constexpr uint64_t kSeed = 0x5eed;
constexpr uint32_t kFrameSize = 2048, kHeadroom = 256;

// The counter blocks of an engine with `workers` workers, kept for the process: a rejected or
// released snapshot must leave none of their slots taken.
control::ServerSlots& slots_for(uint32_t workers) {
  static std::unique_ptr<control::ServerSlots> slots[kMaxWorkers + 1];
  if (!slots[workers]) slots[workers] = std::make_unique<control::ServerSlots>(workers);
  return *slots[workers];
}

void check_tables(const lb::Snapshot& snap, uint32_t ports) {
  XVS_FUZZ_CHECK(snap.ports.size() == ports, "%zu ports decoded for %u", snap.ports.size(), ports);
  XVS_FUZZ_CHECK(snap.server_slot.size() == snap.backends.size() && snap.backend_service.size() == snap.backends.size(),
                 "per-server tables of the wrong size");
  for (uint32_t s = 0; s < snap.services.size(); ++s) {
    const abi::ServiceRecord& svc = snap.services[s];
    if (svc.family == static_cast<uint8_t>(abi::AddressFamily::ipv6)) {
      const core::Ipv6Address vip6 = lb::V6::vip(svc);
      XVS_FUZZ_CHECK(snap.find_service(vip6, svc.port, svc.protocol) == &svc, "IPv6 service %u not found by its key", s);
      XVS_FUZZ_CHECK(snap.is_vip(vip6) && !snap.is_lip(vip6), "IPv6 service %u's VIP is not a VIP, or a LIP", s);
      // An IPv4 service may hold 0.0.0.0 (an IPv6 record's IPv4 field) with the same port: that one is found, never this.
      XVS_FUZZ_CHECK(snap.find_service(svc.vip, svc.port, svc.protocol) != &svc, "IPv6 service %u found by an IPv4 key", s);
    } else {
      XVS_FUZZ_CHECK(snap.find_service(svc.vip, svc.port, svc.protocol) == &svc, "service %u not found by its key", s);
      XVS_FUZZ_CHECK(snap.is_vip(svc.vip), "service %u's VIP is not a VIP", s);
    }
    for (uint32_t i = svc.sched_first; i < svc.sched_first + svc.sched_count; ++i)
      XVS_FUZZ_CHECK(snap.sched[i] >= svc.backend_first && snap.sched[i] < svc.backend_first + svc.backend_count,
                     "service %u's scheduling entry names backend %u", s, snap.sched[i]);
    for (uint32_t b = svc.backend_first; b < svc.backend_first + svc.backend_count; ++b)
      XVS_FUZZ_CHECK(snap.backend_service[b] == s, "backend %u not mapped to its service %u", b, s);
    if (static_cast<abi::Forwarding>(svc.forwarding) == abi::Forwarding::fullnat)
      XVS_FUZZ_CHECK(svc.pool < snap.pools.size() && snap.pools[svc.pool].lip_count > 0, "fullnat service %u without LIPs", s);
  }
  for (uint32_t b = 0; b < snap.backends.size(); ++b) {
    XVS_FUZZ_CHECK(snap.backend_index.find(snap.backends[b].backend_id) == b, "backend %u not found by its id", b);
    XVS_FUZZ_CHECK(snap.backends[b].port_index < snap.ports.size(), "backend %u on port %u", b, snap.backends[b].port_index);
  }
  for (const abi::PoolRecord& p : snap.pools)
    XVS_FUZZ_CHECK(static_cast<uint64_t>(p.lip_first) + p.lip_count <= snap.lips.size(), "a pool beyond the LIPs");
  XVS_FUZZ_CHECK(snap.lips.size() == snap.lips6.size(), "%zu LIPs, %zu IPv6 slots", snap.lips.size(), snap.lips6.size());
  for (size_t i = 0; i < snap.lips.size(); ++i) {
    if (!snap.lips6[i].is_zero()) {
      XVS_FUZZ_CHECK(snap.lips[i] == 0 && snap.is_lip(snap.lips6[i]) && !snap.is_vip(snap.lips6[i]), "IPv6 LIP %zu", i);
      continue;
    }
    XVS_FUZZ_CHECK(snap.is_lip(snap.lips[i]) && !snap.is_vip(snap.lips[i]), "LIP %08x", snap.lips[i]);
  }
}

// A frame the worker transmitted, and its egress port.
struct Sent {
  std::vector<uint8_t> bytes;
  uint8_t port;
};

// Runs `bytes` through worker `cs` as received on `port`; returns what it transmitted, if anything.
std::optional<Sent> forward(lb::CoreState& cs, const std::vector<uint8_t>& bytes, uint8_t port) {
  std::vector<uint8_t> chunk(kFrameSize);
  const auto len = static_cast<uint32_t>(std::min<size_t>(bytes.size(), kFrameSize - kHeadroom));
  std::memcpy(chunk.data() + kHeadroom, bytes.data(), len);
  io::Frame f{chunk.data() + kHeadroom, len, kHeadroom, 0, port, 0, kFrameSize - kHeadroom};
  const bool input_ok = checksums_ok(bytes.data(), len);
  const lb::Verdict v = lb::process(cs, f);
  check_verdict(v, cs.id, cs.workers);
  check_frame_bounds(f, {chunk.data(), kFrameSize});
  if (v != lb::Verdict::tx) return std::nullopt;
  check_tx(f, *cs.snapshot, input_ok);
  return Sent{std::vector<uint8_t>(f.data, f.data + f.len), f.port};
}

// A client's first packet to every service (the first 32), its server's answer and an ICMP
// error about it, then everything expired.
void forward_through(const lb::Snapshot& snap, uint32_t workers, control::ServerSlots& slots) {
  std::unique_ptr<lb::CookieClock[]> clocks = std::make_unique<lb::CookieClock[]>(abi::kMaxWorkers);
  lb::CoreState cs(0, workers, 64, kSeed, test::kPortKey, {slots.counters(0), slots.peer_loads(0), clocks.get()},
                   lb::LocalPortRange{1024, 65535});
  cs.now = 1000;
  cs.install(&snap);
  std::set<uint32_t> relaxed;
  const uint8_t client_port = 0;
  for (uint32_t s = 0; s < snap.services.size() && s < 32; ++s) {
    const abi::ServiceRecord& svc = snap.services[s];
    std::vector<uint8_t> first;
    if (svc.family == static_cast<uint8_t>(abi::AddressFamily::ipv6)) {
      test::Packet6Spec p;
      p.src_mac = test::mac_of(2, 0xcc, 0, 0, 0, 1);
      p.dst_mac = test::mac_of(2, 0, 0, 0, 0, 1);
      p.saddr = test::ipv6({0x2001, 0xdb8, 0xc, 0, 0, 0, 0, static_cast<uint16_t>(s)});
      p.daddr = lb::V6::vip(svc);
      p.sport = static_cast<uint16_t>(40000 + s);
      p.dport = core::ntohs(svc.port);
      p.protocol = svc.protocol;
      p.tcp_flags = core::kTcpSyn;
      p.payload.assign(svc.protocol == core::kIpProtoUdp ? 32 : 0, 0x5a);
      first = test::build_frame6(p);
    } else {
      test::PacketSpec p;
      p.src_mac = test::mac_of(2, 0xcc, 0, 0, 0, 1);
      p.dst_mac = test::mac_of(2, 0, 0, 0, 0, 1);
      p.saddr = test::ipv4(198, 51, 100, static_cast<uint8_t>(s));
      p.daddr = svc.vip;
      p.sport = static_cast<uint16_t>(40000 + s);
      p.dport = core::ntohs(svc.port);
      p.protocol = svc.protocol;
      p.tcp_flags = core::kTcpSyn;
      p.payload.assign(svc.protocol == core::kIpProtoUdp ? 32 : 0, 0x5a);
      first = test::build_frame(p);
    }
    const std::optional<Sent> sent = forward(cs, first, client_port);
    check_worker(cs, relaxed);
    if (!sent) continue;
    if (std::optional<std::vector<uint8_t>> reply = answer(sent->bytes, AnswerChoice{0, 0, 16, 5000, 1})) forward(cs, *reply, sent->port);
    if (std::optional<std::vector<uint8_t>> error = icmp_error(sent->bytes, ErrorChoice{0, 2, false, false}, sent->port))
      forward(cs, *error, sent->port);
    check_worker(cs, relaxed);
  }
  // Beyond every timeout a configuration may set (src/config: at most 2^30 - 1 s), twice: what
  // an expiring connection leaves (its template's last period, a held Full-NAT tuple) starts then.
  for (int round = 0; round < 2; ++round) {
    cs.now += (1u << 30) + (1u << 20);
    cs.conns.expire(cs.now, 1u << 20, [&](lb::Conn& c) { return lb::expire_connection(cs, c); });
    check_worker(cs, relaxed);
  }
  XVS_FUZZ_CHECK(cs.conns.size() == 0, "%u entries outlived every timeout", cs.conns.size());
}

void decode(const uint8_t* data, size_t size) {
  abi::SnapshotHeader h{};
  std::memcpy(&h, data, std::min(size, sizeof h));
  const uint32_t workers = h.workers >= 1 && h.workers <= kMaxWorkers ? h.workers : 2;
  const uint32_t ports = h.port_count >= 1 && h.port_count <= abi::kMaxPorts ? h.port_count : 2;
  control::ServerSlots& slots = slots_for(workers);
  const uint32_t slots_before = slots.in_use();

  std::unique_ptr<lb::Snapshot> snap;
  const control::Status st = control::build_snapshot(data, size, {workers, ports, kSeed, nullptr, slots}, snap);
  if (!st.is_ok()) {
    XVS_FUZZ_CHECK(!st.code.empty() && !st.message.empty() && snap == nullptr, "a refusal without code, message, or with a snapshot");
    XVS_FUZZ_CHECK(slots.in_use() == slots_before, "a refused snapshot holds %u counter slots", slots.in_use() - slots_before);
    return;
  }
  XVS_FUZZ_CHECK(snap != nullptr, "accepted without a snapshot");
  check_tables(*snap, ports);
  forward_through(*snap, workers, slots);

  // The same configuration as the next generation: every server keeps its slot.
  std::vector<uint8_t> next(data, data + size);
  const uint64_t generation = h.generation + 1;
  std::memcpy(next.data() + offsetof(abi::SnapshotHeader, generation), &generation, sizeof generation);
  std::unique_ptr<lb::Snapshot> again;
  const control::Status st2 = control::build_snapshot(next.data(), next.size(), {workers, ports, kSeed, snap.get(), slots}, again);
  if (generation != 0) {
    XVS_FUZZ_CHECK(st2.is_ok(), "the next generation of an accepted snapshot refused: %s", st2.message.c_str());
    XVS_FUZZ_CHECK(again->server_slot == snap->server_slot, "a reload moved servers to other counter slots");
    slots.release(again->server_slot);
  }
  slots.release(snap->server_slot);
  XVS_FUZZ_CHECK(slots.in_use() == slots_before, "%u counter slots left taken", slots.in_use() - slots_before);
}

}  // namespace
}  // namespace xvs::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);  // per-input tables: see packet_path_fuzz.cc
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  xvs::fuzz::decode(data, size);
  return 0;
}
