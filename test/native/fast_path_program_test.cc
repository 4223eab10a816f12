// test/native/fast_path_program_test.cc — the XDP fast path (native/bpf/steer.bpf.c with the
// entries of lb/fast_path.h) against the worker's own packet path, byte for byte: for every
// mode, TCP and UDP (with and without a checksum), each direction of an established
// connection, the entry the worker builds is put into the steering program's map and the next
// packet of that direction runs both through the kernel (BPF_PROG_RUN, build/Release/
// xvs_steer.bpf.o) and through lb::process: the same bytes must come out with XDP_REDIRECT (also
// back out of the arrival interface: veth flushes XDP_TX only to a peer with an XDP program),
// counted per CPU for its server and direction and in the totals. Then the
// packets the fast path must leave to the worker (SYN, FIN, RST, TTL 1 on a routed hop, IP
// options, fragments, an egress port it must not send on, an entry of another generation, the
// fast path off; a tunnel's packets too big for it or behind a VLAN tag): XDP_PASS here (no
// AF_XDP socket is bound in a test run, so the redirect to one falls back to XDP_PASS), bytes
// untouched. The same for IPv6 connections (xvs_fast6: no extension headers, hop limit, ip6ip6,
// packet too big, a zero UDP checksum left to the worker). Needs root (bpf()): skipped loudly
// otherwise.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "abi/fast_path.h"
#include "bpf_test_run.h"
#include "dataplane_fixture.h"
#include "kernel/libxdp_log.h"
#include "lb/fast_path.h"
#include "packet_builder6.h"

#ifndef XVS_BUILD_RELEASE_DIR
#error "XVS_BUILD_RELEASE_DIR (the addon's build/Release) must be defined by native/CMakeLists.txt"
#endif

namespace {
namespace abi = xvs::abi;
namespace lb = xvs::lb;
namespace core = xvs::core;
using namespace xvs::test;
using abi::Forwarding;
using lb::Verdict;

// The interface index of each port (a test run does not transmit: any non-zero index does).
const uint32_t kIfindexOfPort[2] = {1, 0x7fff0001};

class FastPathProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      fprintf(stderr, "\n*** XDP fast path tests SKIPPED: not root (loading BPF programs needs CAP_BPF) ***\n\n");
      GTEST_SKIP() << "not root: loading BPF programs needs CAP_BPF";
    }
    xvs::kernel::quiet_libraries();
    const std::string path = std::string(XVS_BUILD_RELEASE_DIR) + "/xvs_steer.bpf.o";
    ASSERT_EQ(access(path.c_str(), R_OK), 0) << path << " is missing: build it with npm run build";
    obj_ = bpf_object__open_file(path.c_str(), nullptr);
    ASSERT_NE(obj_, nullptr) << "cannot open " << path;
    ASSERT_EQ(bpf_object__load(obj_), 0) << "the verifier refused it: " << xvs::kernel::last_library_messages();
    prog_fd_ = bpf_program__fd(bpf_object__find_program_by_name(obj_, "xvs_steer"));
    fast_fd_ = bpf_object__find_map_fd_by_name(obj_, XVS_FAST_MAP);
    fast6_fd_ = bpf_object__find_map_fd_by_name(obj_, XVS_FAST6_MAP);
    ASSERT_GE(fast6_fd_, 0);
    generation_fd_ = bpf_object__find_map_fd_by_name(obj_, XVS_FAST_GENERATION_MAP);
    counters_fd_ = bpf_object__find_map_fd_by_name(obj_, XVS_FAST_COUNTERS_MAP);
    traffic_fd_ = bpf_object__find_map_fd_by_name(obj_, XVS_FAST_TRAFFIC_MAP);
    ASSERT_GE(traffic_fd_, 0);
    ports_fd_ = bpf_object__find_map_fd_by_name(obj_, XVS_FAST_PORTS_MAP);
    ASSERT_GE(ports_fd_, 0);
    set_ports(kIfindexOfPort[0], kIfindexOfPort[1]);
    ASSERT_GE(prog_fd_, 0);
    ASSERT_GE(fast_fd_, 0);
    ASSERT_GE(generation_fd_, 0);
    ASSERT_GE(counters_fd_, 0);
  }
  void TearDown() override {
    if (obj_ != nullptr) bpf_object__close(obj_);
  }

  void set_ports(uint32_t port0, uint32_t port1) {
    const uint32_t ifindex[2] = {port0, port1};
    for (uint32_t p = 0; p < 2; ++p) ASSERT_EQ(bpf_map_update_elem(ports_fd_, &p, &ifindex[p], BPF_ANY), 0);
  }
  void set_generation(uint32_t generation) {
    const uint32_t zero = 0;
    ASSERT_EQ(bpf_map_update_elem(generation_fd_, &zero, &generation, BPF_ANY), 0);
  }
  // Builds and installs the entry of direction `dir` of `c`, as the owning worker does.
  void install(Dataplane& dp, lb::Conn& c, lb::Direction dir) {
    xvs_fast_key key;
    xvs_fast_entry entry;
    ASSERT_TRUE(lb::fast_entry_of(*dp.cs, c, dir, key, entry));
    ASSERT_EQ(bpf_map_update_elem(fast_fd_, &key, &entry, BPF_ANY), 0);
    set_generation(entry.generation);
  }
  void install6(Dataplane& dp, lb::Conn& c, lb::Direction dir) {
    xvs_fast_key6 key;
    xvs_fast_entry6 entry;
    ASSERT_TRUE(lb::fast_entry_for<lb::V6>(*dp.cs, c, dir, key, entry));
    ASSERT_EQ(bpf_map_update_elem(fast6_fd_, &key, &entry, BPF_ANY), 0);
    set_generation(entry.generation);
  }
  xvs_fast_entry6 entry6_of(const Dataplane& dp, const lb::Conn& c, lb::Direction dir) {
    const xvs_fast_key6 key = lb::fast_key_for<lb::V6>(dp.cs->conns, c, dir);
    xvs_fast_entry6 e{};
    EXPECT_EQ(bpf_map_lookup_elem(fast6_fd_, &key, &e), 0);
    return e;
  }
  xvs_fast_entry entry_of(const lb::Conn& c, lb::Direction dir) {
    xvs_fast_key key{};
    key.saddr = c.tuple[dir].saddr, key.daddr = c.tuple[dir].daddr;
    key.sport = c.tuple[dir].sport, key.dport = c.tuple[dir].dport, key.protocol = c.protocol;
    xvs_fast_entry e{};
    EXPECT_EQ(bpf_map_lookup_elem(fast_fd_, &key, &e), 0);
    return e;
  }
  xvs_fast_counters counters() {
    const int cpus = libbpf_num_possible_cpus();
    std::vector<xvs_fast_counters> per_cpu(static_cast<size_t>(cpus));
    const uint32_t zero = 0;
    EXPECT_EQ(bpf_map_lookup_elem(counters_fd_, &zero, per_cpu.data()), 0);
    xvs_fast_counters sum{};
    for (const auto& c : per_cpu) sum.packets += c.packets, sum.bytes += c.bytes, sum.stale += c.stale;
    return sum;
  }

  // A server's forwarded traffic, summed over CPUs.
  xvs_fast_traffic traffic(uint32_t slot) {
    const int cpus = libbpf_num_possible_cpus();
    std::vector<xvs_fast_traffic> per_cpu(static_cast<size_t>(cpus));
    xvs_fast_traffic sum{};
    if (bpf_map_lookup_elem(traffic_fd_, &slot, per_cpu.data()) != 0) return sum;
    for (const auto& t : per_cpu)
      sum.in_packets += t.in_packets, sum.in_bytes += t.in_bytes, sum.out_packets += t.out_packets, sum.out_bytes += t.out_bytes;
    return sum;
  }

  XdpRun run(const std::vector<uint8_t>& frame) { return xdp_test_run(prog_fd_, frame); }
  // `frame` is the worker's: the fast path leaves it alone.
  void expect_left_to_worker(const std::vector<uint8_t>& frame, const char* why) {
    const XdpRun o = run(frame);
    EXPECT_EQ(o.verdict, static_cast<uint32_t>(XDP_PASS)) << why;
    EXPECT_EQ(o.out, frame) << why;
  }

  bpf_object* obj_ = nullptr;
  int prog_fd_ = -1, fast_fd_ = -1, fast6_fd_ = -1, generation_fd_ = -1, counters_fd_ = -1, ports_fd_ = -1, traffic_fd_ = -1;
};

// A connection of `mode` over `protocol`, established through the worker: the client's SYN,
// the server's SYN-ACK (routed modes: replies pass the balancer) and the client's ACK; UDP: one
// datagram each way (one way for dr).
lb::Conn* establish(Dataplane& dp, Forwarding mode, uint8_t protocol, bool udp_checksum) {
  const bool routed = mode == Forwarding::nat || mode == Forwarding::fullnat;
  PacketSpec first = topo::from_client(40000, core::kTcpSyn, protocol == core::kIpProtoTcp ? topo::kHttp : topo::kDns);
  first.protocol = protocol;
  first.udp_no_checksum = !udp_checksum;
  EXPECT_EQ(dp.run(first, 0), Verdict::tx);
  lb::Conn* c = dp.client_conn(40000, protocol);
  if (c == nullptr) return nullptr;
  if (routed) {
    PacketSpec reply = packet_of(*c, lb::kFromServer, core::kTcpSyn | core::kTcpAck);
    reply.udp_no_checksum = !udp_checksum;
    EXPECT_EQ(dp.run(reply, 1), Verdict::tx);
  }
  if (protocol == core::kIpProtoTcp) {
    EXPECT_EQ(dp.run(packet_of(*c, lb::kFromClient, core::kTcpAck), 0), Verdict::tx);
  }
  return c;
}

TEST_F(FastPathProgram, DoesWhatTheWorkerDoesByteForByte) {
  for (Forwarding mode : {Forwarding::dr, Forwarding::nat, Forwarding::fullnat, Forwarding::tunnel}) {
    for (uint8_t protocol : {core::kIpProtoTcp, core::kIpProtoUdp}) {
      for (bool udp_checksum : {true, false}) {
        if (protocol == core::kIpProtoTcp && !udp_checksum) continue;
        SCOPED_TRACE(std::string("mode ") + std::to_string(static_cast<int>(mode)) + (protocol == core::kIpProtoTcp ? " tcp" : " udp") +
                     (udp_checksum ? "" : " without checksum"));
        Dataplane dp(topo::standard_mode(mode));
        lb::Conn* c = establish(dp, mode, protocol, udp_checksum);
        ASSERT_NE(c, nullptr);
        ASSERT_TRUE(lb::fast_path_eligible(*dp.cs, *c));
        const bool routed = mode == Forwarding::nat || mode == Forwarding::fullnat;
        for (lb::Direction dir : {lb::kFromClient, lb::kFromServer}) {
          if (dir == lb::kFromServer && !routed) continue;  // dr, tunnel: replies bypass the balancer
          install(dp, *c, dir);
          PacketSpec next = packet_of(*c, dir, core::kTcpAck | 0x08 /* PSH */, dir == lb::kFromClient ? 37 : 211);
          next.udp_no_checksum = !udp_checksum;
          const std::vector<uint8_t> frame = build_frame(next);
          const xvs_fast_counters before = counters();
          const xvs_fast_entry installed = entry_of(*c, dir);
          const xvs_fast_traffic server_before = traffic(installed.server_slot);
          const XdpRun fast = run(frame);
          std::vector<uint8_t> worker = frame;
          uint8_t port = 0xff;
          ASSERT_EQ(dp.run(worker, dir == lb::kFromClient ? 0 : 1, &port), Verdict::tx);
          EXPECT_EQ(fast.verdict, static_cast<uint32_t>(XDP_REDIRECT)) << "dir " << dir << ", port " << int(port);
          EXPECT_EQ(fast.out, worker) << "dir " << dir;
          EXPECT_TRUE(checksums_valid(fast.out, !udp_checksum)) << "dir " << dir;
          const xvs_fast_entry e = entry_of(*c, dir);
          const uint32_t ip_bytes = static_cast<uint32_t>(frame.size() - 14);
          EXPECT_NE(e.last_seen_ns, 0u);
          const xvs_fast_traffic server = traffic(e.server_slot);
          const bool out = dir == lb::kFromServer;
          EXPECT_EQ(server.in_packets - server_before.in_packets, out ? 0u : 1u) << "dir " << dir;
          EXPECT_EQ(server.in_bytes - server_before.in_bytes, out ? 0u : ip_bytes) << "dir " << dir;
          EXPECT_EQ(server.out_packets - server_before.out_packets, out ? 1u : 0u) << "dir " << dir;
          EXPECT_EQ(server.out_bytes - server_before.out_bytes, out ? ip_bytes : 0u) << "dir " << dir;
          const xvs_fast_counters after = counters();
          EXPECT_EQ(after.packets - before.packets, 1u);
          EXPECT_EQ(after.bytes - before.bytes, ip_bytes);
        }
      }
    }
  }
}

TEST_F(FastPathProgram, LeavesEverythingElseToTheWorker) {
  Dataplane dp(topo::standard_mode(Forwarding::fullnat));
  lb::Conn* c = establish(dp, Forwarding::fullnat, core::kIpProtoTcp, true);
  ASSERT_NE(c, nullptr);
  install(dp, *c, lb::kFromClient);
  const PacketSpec data = packet_of(*c, lb::kFromClient, core::kTcpAck);
  ASSERT_EQ(run(build_frame(data)).verdict, static_cast<uint32_t>(XDP_REDIRECT)) << "the entry works";

  for (uint8_t flags : {core::kTcpSyn, uint8_t(core::kTcpFin | core::kTcpAck), uint8_t(core::kTcpRst | core::kTcpAck)}) {
    PacketSpec s = data;
    s.tcp_flags = flags;
    expect_left_to_worker(build_frame(s), "SYN, FIN or RST: the state machine is the worker's");
  }
  PacketSpec ttl = data;
  ttl.ttl = 1;
  expect_left_to_worker(build_frame(ttl), "TTL 1 on a routed hop: the worker drops and counts it");
  PacketSpec options = data;
  options.ip_option_words = 1;
  expect_left_to_worker(build_frame(options), "IP options");
  PacketSpec fragment = data;
  fragment.frag_off = 0x2000;  // more fragments
  expect_left_to_worker(build_frame(fragment), "a fragment");
  PacketSpec other = data;
  other.sport = 40001;
  expect_left_to_worker(build_frame(other), "no entry");

  set_ports(kIfindexOfPort[0], 0);
  expect_left_to_worker(build_frame(data), "an egress port the kernel cannot send XDP frames on");
  set_ports(kIfindexOfPort[0], kIfindexOfPort[1]);

  const xvs_fast_counters before = counters();
  const xvs_fast_entry e = entry_of(*c, lb::kFromClient);
  set_generation(e.generation + 1);
  expect_left_to_worker(build_frame(data), "an entry of another generation");
  EXPECT_EQ(counters().stale - before.stale, 1u);
  set_generation(0);
  expect_left_to_worker(build_frame(data), "the fast path off");
}

// A tunnel's packet that does not fit the egress MTU once encapsulated is the worker's (it answers
// fragmentation needed, or drops), as is one behind a VLAN tag; one that just fits is the program's.
TEST_F(FastPathProgram, LeavesOversizeAndTaggedTunnelPacketsToTheWorker) {
  Dataplane dp(topo::standard_mode(Forwarding::tunnel));
  lb::Conn* c = establish(dp, Forwarding::tunnel, core::kIpProtoTcp, true);
  ASSERT_NE(c, nullptr);
  install(dp, *c, lb::kFromClient);
  const xvs_fast_entry e = entry_of(*c, lb::kFromClient);
  EXPECT_EQ(e.max_len, 1500u - 20u);  // the fixture's MTU less the outer header
  PacketSpec fits = packet_of(*c, lb::kFromClient, core::kTcpAck);
  fits.payload.assign(e.max_len - 40, 0x5a);  // IPv4 + TCP headers: 40 bytes
  const std::vector<uint8_t> frame = build_frame(fits);
  std::vector<uint8_t> worker = frame;
  ASSERT_EQ(dp.run(worker, 0), Verdict::tx);
  const XdpRun fast = run(frame);
  EXPECT_EQ(fast.verdict, static_cast<uint32_t>(XDP_REDIRECT)) << "the largest packet that fits";
  EXPECT_EQ(fast.out, worker);
  PacketSpec too_big = fits;
  too_big.payload.push_back(0x5a);
  expect_left_to_worker(build_frame(too_big), "one byte more than the tunnel takes");
  PacketSpec tagged = packet_of(*c, lb::kFromClient, core::kTcpAck);
  tagged.vlan_tags = {7};
  expect_left_to_worker(build_frame(tagged), "behind a VLAN tag");
}

TEST_F(FastPathProgram, OnlyEstablishedConnections) {
  for (Forwarding mode : {Forwarding::nat, Forwarding::tunnel}) {
    Dataplane dp(topo::standard_mode(mode));
    ASSERT_EQ(dp.run(topo::from_client(40000), 0), Verdict::tx);
    lb::Conn* c = dp.client_conn(40000);
    ASSERT_NE(c, nullptr);
    EXPECT_FALSE(lb::fast_path_eligible(*dp.cs, *c)) << "SYN_RECV, mode " << static_cast<int>(mode);
  }
}

// ---- IPv6 (xvs_fast6) ------------------------------------------------------------------------

// An IPv6 connection of `mode` over `protocol` through the worker, as establish() for IPv4.
lb::Conn* establish6(Dataplane& dp, Forwarding mode, uint8_t protocol) {
  const bool routed = mode == Forwarding::nat || mode == Forwarding::fullnat;
  Packet6Spec first = topo::from_client6(40000, core::kTcpSyn, protocol == core::kIpProtoTcp ? topo::kHttp : topo::kDns);
  first.protocol = protocol;
  auto f = build_frame6(first);
  EXPECT_EQ(dp.run(f, 0), Verdict::tx);
  lb::Conn* c = dp.cs->conns.lookup(protocol, topo::kCip6, topo::kVip6, core::htons(first.sport), core::htons(first.dport)).conn;
  if (c == nullptr) return nullptr;
  if (routed) {
    f = build_frame6(packet6_of(dp.cs->conns, *c, lb::kFromServer, core::kTcpSyn | core::kTcpAck));
    EXPECT_EQ(dp.run(f, 1), Verdict::tx);
  }
  if (protocol == core::kIpProtoTcp) {
    f = build_frame6(packet6_of(dp.cs->conns, *c, lb::kFromClient, core::kTcpAck));
    EXPECT_EQ(dp.run(f, 0), Verdict::tx);
  }
  return c;
}

TEST_F(FastPathProgram, DoesWhatTheWorkerDoesByteForByteOverIpv6) {
  for (Forwarding mode : {Forwarding::dr, Forwarding::nat, Forwarding::fullnat, Forwarding::tunnel}) {
    for (uint8_t protocol : {core::kIpProtoTcp, core::kIpProtoUdp}) {
      SCOPED_TRACE(std::string("IPv6 mode ") + std::to_string(static_cast<int>(mode)) + (protocol == core::kIpProtoTcp ? " tcp" : " udp"));
      Dataplane dp(topo::both_families(mode));
      lb::Conn* c = establish6(dp, mode, protocol);
      ASSERT_NE(c, nullptr);
      ASSERT_TRUE(lb::fast_path_eligible(*dp.cs, *c));
      const bool routed = mode == Forwarding::nat || mode == Forwarding::fullnat;
      for (lb::Direction dir : {lb::kFromClient, lb::kFromServer}) {
        if (dir == lb::kFromServer && !routed) continue;
        install6(dp, *c, dir);
        const std::vector<uint8_t> frame = build_frame6(packet6_of(dp.cs->conns, *c, dir, core::kTcpAck | 0x08, dir == lb::kFromClient ? 37 : 211));
        const xvs_fast_counters before = counters();
        const xvs_fast_entry6 installed = entry6_of(dp, *c, dir);
        const xvs_fast_traffic server_before = traffic(installed.server_slot);
        const XdpRun fast = run(frame);
        std::vector<uint8_t> worker = frame;
        ASSERT_EQ(dp.run(worker, dir == lb::kFromClient ? 0 : 1), Verdict::tx);
        EXPECT_EQ(fast.verdict, static_cast<uint32_t>(XDP_REDIRECT)) << "dir " << dir;
        EXPECT_EQ(fast.out, worker) << "dir " << dir;
        EXPECT_TRUE(ipv6_checksum_ok(fast.out, mode == Forwarding::tunnel ? 14 + 40 : 14)) << "dir " << dir;
        const uint32_t ip_bytes = static_cast<uint32_t>(frame.size() - 14);
        EXPECT_NE(entry6_of(dp, *c, dir).last_seen_ns, 0u);
        const xvs_fast_traffic server = traffic(installed.server_slot);
        const bool out = dir == lb::kFromServer;
        EXPECT_EQ(server.in_bytes - server_before.in_bytes, out ? 0u : ip_bytes) << "dir " << dir;
        EXPECT_EQ(server.out_bytes - server_before.out_bytes, out ? ip_bytes : 0u) << "dir " << dir;
        const xvs_fast_counters after = counters();
        EXPECT_EQ(after.packets - before.packets, 1u);
        EXPECT_EQ(after.bytes - before.bytes, ip_bytes);
      }
    }
  }
}

TEST_F(FastPathProgram, LeavesEverythingElseToTheWorkerOverIpv6) {
  Dataplane dp(topo::both_families(Forwarding::fullnat));
  lb::Conn* c = establish6(dp, Forwarding::fullnat, core::kIpProtoTcp);
  ASSERT_NE(c, nullptr);
  install6(dp, *c, lb::kFromClient);
  const Packet6Spec data = packet6_of(dp.cs->conns, *c, lb::kFromClient, core::kTcpAck);
  ASSERT_EQ(run(build_frame6(data)).verdict, static_cast<uint32_t>(XDP_REDIRECT)) << "the entry works";
  for (uint8_t flags : {core::kTcpSyn, uint8_t(core::kTcpFin | core::kTcpAck), uint8_t(core::kTcpRst | core::kTcpAck)}) {
    Packet6Spec s = data;
    s.tcp_flags = flags;
    expect_left_to_worker(build_frame6(s), "SYN, FIN or RST");
  }
  Packet6Spec hop = data;
  hop.hop_limit = 1;
  expect_left_to_worker(build_frame6(hop), "hop limit 1 on a routed hop: the worker answers time exceeded");
  Packet6Spec options = data;
  options.destination_options = true;
  expect_left_to_worker(build_frame6(options), "an extension header: the worker walks the chain");
  Packet6Spec fragment = data;
  fragment.fragment_header = true;
  expect_left_to_worker(build_frame6(fragment), "a fragment header");
  Packet6Spec other = data;
  other.sport = 40001;
  expect_left_to_worker(build_frame6(other), "no entry");
  const xvs_fast_counters before = counters();
  set_generation(entry6_of(dp, *c, lb::kFromClient).generation + 1);
  expect_left_to_worker(build_frame6(data), "an entry of another generation");
  EXPECT_EQ(counters().stale - before.stale, 1u);

  // UDP with a zero checksum, which IPv6 forbids: the worker drops and counts it.
  Dataplane udp(topo::both_families(Forwarding::fullnat));
  lb::Conn* u = establish6(udp, Forwarding::fullnat, core::kIpProtoUdp);
  ASSERT_NE(u, nullptr);
  install6(udp, *u, lb::kFromClient);
  Packet6Spec zero = packet6_of(udp.cs->conns, *u, lb::kFromClient, 0);
  ASSERT_EQ(run(build_frame6(zero)).verdict, static_cast<uint32_t>(XDP_REDIRECT)) << "with a checksum";
  zero.zero_udp_checksum = true;
  expect_left_to_worker(build_frame6(zero), "a zero UDP checksum");
}

// ip6ip6: the largest inner packet that fits the egress MTU with the outer header is the
// program's; one byte more is the worker's (packet too big), as is one behind a VLAN tag.
TEST_F(FastPathProgram, LeavesOversizeAndTaggedIpv6TunnelPacketsToTheWorker) {
  Dataplane dp(topo::both_families(Forwarding::tunnel));
  lb::Conn* c = establish6(dp, Forwarding::tunnel, core::kIpProtoTcp);
  ASSERT_NE(c, nullptr);
  install6(dp, *c, lb::kFromClient);
  EXPECT_EQ(entry6_of(dp, *c, lb::kFromClient).max_len, 1500u - 40u);
  Packet6Spec fits = packet6_of(dp.cs->conns, *c, lb::kFromClient, core::kTcpAck);
  fits.payload.assign(1460 - 60, 0x5a);  // IPv6 + TCP headers: 60 bytes
  const std::vector<uint8_t> frame = build_frame6(fits);
  std::vector<uint8_t> worker = frame;
  ASSERT_EQ(dp.run(worker, 0), Verdict::tx);
  const XdpRun fast = run(frame);
  EXPECT_EQ(fast.verdict, static_cast<uint32_t>(XDP_REDIRECT)) << "the largest packet that fits";
  EXPECT_EQ(fast.out, worker);
  Packet6Spec too_big = fits;
  too_big.payload.push_back(0x5a);
  expect_left_to_worker(build_frame6(too_big), "one byte more than the tunnel takes");
  Packet6Spec tagged = packet6_of(dp.cs->conns, *c, lb::kFromClient, core::kTcpAck);
  tagged.vlan_tags = {7};
  expect_left_to_worker(build_frame6(tagged), "behind a VLAN tag");
}

// NAT64 changes the family: its connections stay with the worker.
TEST_F(FastPathProgram, Nat64ConnectionsAreNotEligible) {
  SnapshotBuilder b = topo::standard(1, 3);
  b.add_service64(topo::kVip6, topo::kHttp, core::kIpProtoTcp, {topo::kWeb[0]}, 0);
  Dataplane dp(b);
  auto f = build_frame6(topo::from_client6(40000));
  ASSERT_EQ(dp.run(f, 0), Verdict::tx);
  lb::Conn* c = dp.cs->conns.lookup(core::kIpProtoTcp, topo::kCip6, topo::kVip6, core::htons(40000), core::htons(topo::kHttp)).conn;
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->nat64);
  c->state = lb::ConnState::tcp_established;
  EXPECT_FALSE(lb::fast_path_eligible(*dp.cs, *c));
}

}  // namespace
