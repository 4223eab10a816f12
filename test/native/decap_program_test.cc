// test/native/decap_program_test.cc — the RS-side IPIP decapsulation program
// (build/Release/xvs_decap.bpf.o, native/bpf/decap.bpf.c) run by the kernel on a table of frames
// with BPF_PROG_RUN: what it decapsulates comes out as the inner frame behind the original
// Ethernet header (and VLAN tag), everything else comes out untouched, and each outcome moves
// exactly its counter. Also: io/afxdp's copy of the kernel's local routes into the program's
// map (127.0.0.0/8 is local everywhere). Loads the object with libbpf and attaches nothing; needs
// root (bpf()), skipped loudly otherwise. The object is built by `npm run build`.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "kernel/decap_program.h"
#include "kernel/libxdp_log.h"
#include "kernel/netlink.h"
#include "lb/encap.h"
#include "bpf_test_run.h"
#include "packet_builder.h"
#include "packet_builder6.h"

#ifndef XVS_BUILD_RELEASE_DIR
#error "XVS_BUILD_RELEASE_DIR (the addon's build/Release) must be defined by native/CMakeLists.txt"
#endif

namespace {
using namespace xvs::core;
using namespace xvs::test;
namespace kernel = xvs::kernel;

const Mac kBalancerMac = mac_of(2, 0, 0, 0, 0, 0xa), kServerMac = mac_of(2, 0, 0, 0, 0, 0xb);
const uint32_t kBalancer = ipv4(10, 0, 2, 1), kServer = ipv4(10, 0, 2, 11), kOtherServer = ipv4(10, 0, 2, 12);
const uint32_t kVip = ipv4(203, 0, 113, 10), kAnyIpVip = ipv4(198, 51, 100, 77), kForeignVip = ipv4(203, 0, 113, 99);

enum Counter : uint32_t {
  kDecapsulated,
  kNotIpip,
  kNotLocal,
  kInnerNotLocal,
  kMalformedOuter,
  kBadOuterChecksum,
  kOuterFragment,
  kInnerTruncated,
  kInnerNotIpv4,
  kAdjustFailed,
  kInnerNotIpv6,
};
static_assert(kernel::kDecapCounters == kInnerNotIpv6 + 1);

struct LpmKey {
  uint32_t prefixlen;
  uint32_t addr;
};

// The program loaded by libbpf (not attached anywhere), its maps, and BPF_PROG_RUN.
class DecapProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      fprintf(stderr, "\n*** decap program tests SKIPPED: not root (loading BPF programs needs CAP_BPF) ***\n\n");
      GTEST_SKIP() << "not root: loading BPF programs needs CAP_BPF";
    }
    kernel::quiet_libraries();
    const std::string path = std::string(XVS_BUILD_RELEASE_DIR) + "/xvs_decap.bpf.o";
    ASSERT_EQ(access(path.c_str(), R_OK), 0) << path << " is missing: build it with npm run build";
    obj_ = bpf_object__open_file(path.c_str(), nullptr);
    ASSERT_NE(obj_, nullptr) << "cannot open " << path;
    ASSERT_EQ(bpf_object__load(obj_), 0) << "the verifier refused it: " << kernel::last_library_messages();
    prog_fd_ = bpf_program__fd(bpf_object__find_program_by_name(obj_, kernel::kDecapProgramName));
    stats_fd_ = bpf_object__find_map_fd_by_name(obj_, kernel::kDecapStatsMap);
    local_fd_ = bpf_object__find_map_fd_by_name(obj_, kernel::kDecapLocalMap);
    local6_fd_ = bpf_object__find_map_fd_by_name(obj_, kernel::kDecapLocalMap6);
    ASSERT_GE(local6_fd_, 0);
    ASSERT_GE(prog_fd_, 0);
    ASSERT_GE(stats_fd_, 0);
    ASSERT_GE(local_fd_, 0);
  }
  void TearDown() override {
    if (obj_ != nullptr) bpf_object__close(obj_);
  }

  void add_local(uint32_t addr, uint32_t prefixlen = 32) {
    const LpmKey key{prefixlen, addr};
    const uint8_t one = 1;
    ASSERT_EQ(bpf_map_update_elem(local_fd_, &key, &one, BPF_ANY), 0);
  }
  // A real server holding kServer on its interface, kVip on lo and 198.51.100.0/24 as AnyIP.
  void add_server_addresses() {
    add_local(kServer);
    add_local(kVip);
    add_local(ipv4(198, 51, 100, 0), 24);
  }

  std::vector<uint64_t> counters() {
    const int cpus = libbpf_num_possible_cpus();
    std::vector<uint64_t> per_cpu(static_cast<size_t>(cpus)), sums(kernel::kDecapCounters);
    for (uint32_t i = 0; i < kernel::kDecapCounters; ++i) {
      EXPECT_EQ(bpf_map_lookup_elem(stats_fd_, &i, per_cpu.data()), 0);
      for (uint64_t v : per_cpu) sums[i] += v;
    }
    return sums;
  }

  struct Outcome {
    uint32_t verdict;
    std::vector<uint8_t> out;
    std::vector<uint64_t> moved;  // counter deltas
  };
  Outcome run(const std::vector<uint8_t>& frame) {
    const std::vector<uint64_t> before = counters();
    const XdpRun run = xdp_test_run(prog_fd_, frame);
    Outcome o{run.verdict, run.out, {}};
    const std::vector<uint64_t> after = counters();
    for (size_t i = 0; i < after.size(); ++i) o.moved.push_back(after[i] - before[i]);
    return o;
  }
  static std::vector<uint64_t> only(Counter c) {
    std::vector<uint64_t> v(kernel::kDecapCounters, 0);
    v[c] = 1;
    return v;
  }
  // Passed untouched, counted as `c`.
  void expect_untouched(const std::vector<uint8_t>& frame, Counter c) {
    const Outcome o = run(frame);
    EXPECT_EQ(o.verdict, static_cast<uint32_t>(XDP_PASS));
    EXPECT_EQ(o.out, frame) << "the frame must pass unchanged";
    EXPECT_EQ(o.moved, only(c)) << "counter " << kernel::kDecapCounterNames[c];
  }
  // Decapsulated: the IPIP frame without its outer header (L2 kept), counted.
  void expect_decapsulated(const std::vector<uint8_t>& ipip, const std::vector<uint8_t>& want) {
    const Outcome o = run(ipip);
    EXPECT_EQ(o.verdict, static_cast<uint32_t>(XDP_PASS));
    EXPECT_EQ(o.out, want);
    EXPECT_EQ(o.moved, only(kDecapsulated));
  }

  bpf_object* obj_ = nullptr;
  void add_local6(const Ipv6Address& addr, uint32_t prefixlen = 128) {
    struct {
      uint32_t prefixlen;
      uint8_t addr[16];
    } key{prefixlen, {}};
    addr.store(key.addr);
    const uint8_t one = 1;
    ASSERT_EQ(bpf_map_update_elem(local6_fd_, &key, &one, BPF_ANY), 0);
  }

  int prog_fd_ = -1, stats_fd_ = -1, local_fd_ = -1, local6_fd_ = -1;
};

// A client's UDP datagram to `vip`, as the balancer received it.
std::vector<uint8_t> client_frame(uint32_t vip = kVip, std::vector<uint16_t> vlan = {}) {
  PacketSpec s;
  s.protocol = kIpProtoUdp;
  s.daddr = vip;
  s.dport = 53;
  s.payload.assign(40, 0x5a);
  s.vlan_tags = std::move(vlan);
  return build_frame(s);
}
std::vector<uint8_t> tunnelled(const std::vector<uint8_t>& inner, uint32_t outer_daddr = kServer) {
  return ipip_frame(inner, kBalancer, outer_daddr, kBalancerMac, kServerMac);
}
// What the kernel must receive: the IPIP frame's L2 header, then the inner datagram.
std::vector<uint8_t> stripped(const std::vector<uint8_t>& ipip) {
  std::vector<uint8_t> f = ipip;
  const uint32_t l3 = l3_offset_of(f);
  const uint32_t outer_len = (f[l3] & 0x0f) * 4u;
  f.erase(f.begin() + l3, f.begin() + l3 + outer_len);
  return f;
}
Ipv4Hdr* outer_of(std::vector<uint8_t>& f) { return ip_of(f); }
Ipv4Hdr* inner_of(std::vector<uint8_t>& f) {
  return reinterpret_cast<Ipv4Hdr*>(reinterpret_cast<uint8_t*>(ip_of(f)) + ip_of(f)->header_length());
}
void fix_outer_checksum(std::vector<uint8_t>& f) {
  outer_of(f)->checksum = 0;
  outer_of(f)->checksum = ipv4_header_checksum(outer_of(f));
}

TEST_F(DecapProgram, DecapsulatesIpipToALocalServerAndVip) {
  add_server_addresses();
  const auto ipip = tunnelled(client_frame());
  expect_decapsulated(ipip, stripped(ipip));
  // Spelled out once: the client's datagram right behind the server-facing Ethernet header.
  const Outcome o = run(ipip);
  ASSERT_EQ(o.out.size(), ipip.size() - 20);
  EXPECT_EQ(std::vector<uint8_t>(o.out.begin(), o.out.begin() + 12),
            std::vector<uint8_t>(ipip.begin(), ipip.begin() + 12)) << "MACs kept";
  EXPECT_EQ(o.out[12], 0x08);
  EXPECT_EQ(o.out[13], 0x00);
  EXPECT_EQ(std::vector<uint8_t>(o.out.begin() + 14, o.out.end()), datagram(client_frame()));
}

TEST_F(DecapProgram, UndoesTheBalancersOwnEncapsulation) {
  add_server_addresses();
  for (bool vlan : {false, true}) {
    SCOPED_TRACE(vlan ? "802.1Q" : "untagged");
    const auto inner = client_frame(kVip, vlan ? std::vector<uint16_t>{0x0123} : std::vector<uint16_t>{});
    std::vector<uint8_t> buf(xvs::lb::kIpipOverhead, 0);  // headroom for the outer header
    buf.insert(buf.end(), inner.begin(), inner.end());
    xvs::io::Frame f{buf.data() + xvs::lb::kIpipOverhead, static_cast<uint32_t>(inner.size()), xvs::lb::kIpipOverhead, 0, 0, 0, static_cast<uint32_t>(inner.size())};
    PacketView view{};
    ASSERT_EQ(parse_packet(f.data, f.len, view).status, ParseStatus::ok);
    xvs::lb::encapsulate_ipip(f, view, kBalancer, kServer);
    expect_decapsulated(std::vector<uint8_t>(f.data, f.data + f.len), inner);
  }
}

TEST_F(DecapProgram, KeepsOneVlanTagAndItsInnerType) {
  add_server_addresses();
  const auto ipip = tunnelled(client_frame(kVip, {0x0042}));
  ASSERT_EQ(ipip[12], 0x81);
  expect_decapsulated(ipip, stripped(ipip));
}

TEST_F(DecapProgram, StripsOuterOptionsByIhl) {
  add_server_addresses();
  auto ipip = tunnelled(client_frame());
  const uint32_t l3 = l3_offset_of(ipip);
  const uint8_t options[8] = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};  // router alert, NOPs, end
  ipip.insert(ipip.begin() + l3 + 20, options, options + sizeof options);
  outer_of(ipip)->version_ihl = 0x47;
  outer_of(ipip)->total_length = htons(static_cast<uint16_t>(ntohs(outer_of(ipip)->total_length) + sizeof options));
  fix_outer_checksum(ipip);
  expect_decapsulated(ipip, stripped(ipip));
  EXPECT_EQ(stripped(ipip).size(), ipip.size() - 28);
}

TEST_F(DecapProgram, KeepsEthernetPaddingForTheKernelToTrim) {
  add_server_addresses();
  PacketSpec s;
  s.protocol = kIpProtoUdp;
  s.daddr = kVip;
  auto ipip = tunnelled(build_frame(s));  // 14 + 20 + 28 = 62 bytes: add padding anyway
  ipip.resize(ipip.size() + 6, 0);
  expect_decapsulated(ipip, stripped(ipip));
}

TEST_F(DecapProgram, DecapsulatesToAnAnyIpPrefix) {
  add_server_addresses();
  const auto ipip = tunnelled(client_frame(kAnyIpVip));
  expect_decapsulated(ipip, stripped(ipip));
}

TEST_F(DecapProgram, PassesEverythingElseUntouched) {
  add_server_addresses();
  expect_untouched(client_frame(), kNotIpip);  // the VIP without a tunnel (e.g. dr mode)
  PacketSpec arp;
  arp.ethertype = 0x0806;
  arp.protocol = 0;
  auto arp_frame = build_frame(arp);
  expect_untouched(arp_frame, kNotIpip);
  expect_untouched(tunnelled(client_frame(kVip, {1, 2})), kNotIpip);  // two tags: not looked into
  const auto tagged = client_frame(kVip, {7});
  expect_untouched(std::vector<uint8_t>(tagged.begin(), tagged.begin() + 16), kNotIpip);  // cut inside the tag
}

TEST_F(DecapProgram, LeavesIpipForOtherHostsAndOtherAddresses) {
  add_server_addresses();
  expect_untouched(tunnelled(client_frame(), kOtherServer), kNotLocal);
  expect_untouched(tunnelled(client_frame(kForeignVip)), kInnerNotLocal);
}

TEST_F(DecapProgram, PassesMalformedOuterHeadersAndCountsThem) {
  add_server_addresses();
  const auto good = tunnelled(client_frame());
  {
    auto f = good;  // cut inside the outer header
    f.resize(l3_offset_of(f) + 12);
    expect_untouched(f, kMalformedOuter);
  }
  {
    auto f = good;
    outer_of(f)->version_ihl = 0x44;
    expect_untouched(f, kMalformedOuter);
  }
  {
    auto f = good;
    outer_of(f)->version_ihl = 0x65;
    expect_untouched(f, kMalformedOuter);
  }
  {
    auto f = good;  // longer than the frame
    outer_of(f)->total_length = htons(static_cast<uint16_t>(ntohs(outer_of(f)->total_length) + 1));
    fix_outer_checksum(f);
    expect_untouched(f, kMalformedOuter);
  }
  {
    auto f = good;
    outer_of(f)->checksum ^= 0x0100;
    expect_untouched(f, kBadOuterChecksum);
  }
  for (uint16_t frag : {kIpFlagMoreFragments, uint16_t{185}}) {
    auto f = good;
    outer_of(f)->frag_off = htons(frag);
    fix_outer_checksum(f);
    expect_untouched(f, kOuterFragment);
  }
}

TEST_F(DecapProgram, PassesMalformedInnerPacketsAndCountsThem) {
  add_server_addresses();
  const auto good = tunnelled(client_frame());
  const uint32_t inner_at = l3_offset_of(good) + 20;
  {
    auto f = good;  // 10 bytes of inner header
    f.resize(inner_at + 10);
    outer_of(f)->total_length = htons(30);
    fix_outer_checksum(f);
    expect_untouched(f, kInnerTruncated);
  }
  {
    auto f = good;  // inner claims more than the outer carries
    inner_of(f)->total_length = htons(static_cast<uint16_t>(ntohs(inner_of(f)->total_length) + 4));
    expect_untouched(f, kInnerTruncated);
  }
  {
    auto f = good;
    inner_of(f)->version_ihl = 0x44;
    expect_untouched(f, kInnerTruncated);
  }
  {
    auto f = good;  // an IPv6 header behind protocol 4 (6in4 is protocol 41)
    inner_of(f)->version_ihl = 0x60;
    expect_untouched(f, kInnerNotIpv4);
  }
}

// IPv6 in IPv6 (xvs's tunnel mode for IPv6 services): the outer IPv6 header goes when both
// destinations are local; every other case passes untouched with its own counter.
const Ipv6Address kServer6 = ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 11}), kVip6 = ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 10}),
                  kBalancer6 = ipv6({0xfd00, 2, 0, 0, 0, 0, 0, 1}), kClient6 = ipv6({0x2001, 0xdb8, 0xc, 0, 0, 0, 0, 7});

std::vector<uint8_t> client_packet6(const Ipv6Address& vip = kVip6) {
  Packet6Spec s;
  s.protocol = kIpProtoUdp;
  s.saddr = kClient6;
  s.daddr = vip;
  s.dport = 53;
  s.payload.assign(40, 0x5a);
  return ipv6_packet(s);
}
std::vector<uint8_t> tunnelled6(const std::vector<uint8_t>& inner, const Ipv6Address& outer_daddr = kServer6) {
  return build_ip6ip6_frame(kServerMac, kBalancerMac, kBalancer6, outer_daddr, inner);
}

TEST_F(DecapProgram, DecapsulatesIp6ip6ToALocalServerAndVip) {
  add_local6(kServer6);
  add_local6(kVip6);
  const auto inner = client_packet6();
  const auto frame = tunnelled6(inner);
  expect_decapsulated(frame, frame6_around(kServerMac, kBalancerMac, {}, inner));

  expect_untouched(tunnelled6(inner, kBalancer6), kNotLocal);
  expect_untouched(tunnelled6(client_packet6(kClient6)), kInnerNotLocal);
  {
    auto f = frame;  // an IPv4 header behind next header 41
    f[14 + 40] = 0x45;
    expect_untouched(f, kInnerNotIpv6);
  }
  {
    auto f = frame;  // the inner packet claims more than the outer carries
    put16be(f, 14 + 40 + 4, static_cast<uint16_t>(inner.size() - 40 + 1));
    expect_untouched(f, kInnerTruncated);
  }
  {
    auto f = frame;  // the outer payload runs past the frame
    put16be(f, 14 + 4, static_cast<uint16_t>(inner.size() + 8));
    expect_untouched(f, kMalformedOuter);
  }
  {
    auto f = frame;  // an outer payload too short for an IPv6 header
    f.resize(14 + 40 + 20);
    put16be(f, 14 + 4, 20);
    expect_untouched(f, kInnerTruncated);
  }
  // Plain IPv6 to the server (next header UDP): not a tunnel.
  expect_untouched(frame6_around(kServerMac, kBalancerMac, {}, client_packet6(kServer6)), kNotIpip);
}

TEST_F(DecapProgram, DecapsulatesNothingWhileItKnowsNoLocalAddress) {
  expect_untouched(tunnelled(client_frame()), kNotLocal);
}

TEST(DecapLocalRoutes, IncludeLoopbackAsAPrefixAndAnAddress) {
  std::vector<kernel::LocalPrefix> routes;
  ASSERT_EQ(kernel::local_routes(routes), "");
  bool net8 = false, host = false;
  for (const auto& r : routes) {
    net8 |= r.address == ipv4(127, 0, 0, 0) && r.prefix_len == 8;
    host |= r.address == ipv4(127, 0, 0, 1) && r.prefix_len == 32;
  }
  EXPECT_TRUE(net8) << "local 127.0.0.0/8 dev lo";
  EXPECT_TRUE(host) << "local 127.0.0.1 dev lo";
}

TEST_F(DecapProgram, Ipv6LocalRoutesFillTheirMapAndMakeLoopbackLocal) {
  size_t count = 0;
  ASSERT_EQ(kernel::load_local_prefixes6(local6_fd_, count), "");
  EXPECT_GE(count, 1u) << "::1 is local everywhere";
  const Ipv6Address loopback = ipv6({0, 0, 0, 0, 0, 0, 0, 1});
  const auto inner = client_packet6(loopback);
  const auto frame = build_ip6ip6_frame(kServerMac, kBalancerMac, kBalancer6, loopback, inner);
  expect_decapsulated(frame, frame6_around(kServerMac, kBalancerMac, {}, inner));
}

TEST_F(DecapProgram, LocalRoutesFillTheMapAndMakeLoopbackLocal) {
  add_local(kForeignVip);  // stale: must go
  size_t count = 0;
  ASSERT_EQ(kernel::load_local_prefixes(local_fd_, count), "");
  EXPECT_GE(count, 2u);
  const LpmKey stale{32, kForeignVip};
  uint8_t value = 0;
  EXPECT_NE(bpf_map_lookup_elem(local_fd_, &stale, &value), 0) << "an address that is not local was left in the map";
  const auto ipip = ipip_frame(client_frame(ipv4(127, 0, 0, 53)), ipv4(127, 0, 0, 2), ipv4(127, 0, 0, 1), kBalancerMac,
                               kServerMac);
  expect_decapsulated(ipip, stripped(ipip));
}

}  // namespace
