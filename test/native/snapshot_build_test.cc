// test/native/snapshot_build_test.cc — build_snapshot indexes a hand-laid snapshot, and rejects each kind of bad snapshot with its code and message.
#include <gtest/gtest.h>

#include <functional>

#include "snapshot_fixture.h"

namespace {
namespace abi = xvs::abi;
namespace control = xvs::control;
namespace core = xvs::core;
namespace lb = xvs::lb;
using namespace xvs::test;
using control::Status;
using core::htons;

TEST(SnapshotBuild, AcceptsAndIndexesAValidSnapshot) {
  SnapshotBuilder b = topo::standard(1, 7);
  const uint32_t vip2 = ipv4(203, 0, 113, 20), lip2 = ipv4(10, 0, 2, 101), lip3 = ipv4(10, 0, 2, 102);
  const uint16_t pool2 = b.add_pool({lip2, lip3});
  b.add_service(vip2, 443, core::kIpProtoTcp, {topo::kWeb[1]}, pool2, abi::Scheduler::wrr);
  b.header.timeout_udp = 30;
  b.header.timeout_server_time_wait = 45;
  EngineTables tables(1);
  std::unique_ptr<lb::Snapshot> snap;
  const Status st = build(b.bytes(), 1, topo::kPorts, tables, snap);
  ASSERT_TRUE(st.is_ok()) << st.code << ": " << st.message;

  EXPECT_EQ(snap->generation, 7u);
  EXPECT_EQ(snap->workers, 1u);
  EXPECT_EQ(snap->timeouts.tcp, 900u);
  EXPECT_EQ(snap->timeouts.tcp_fin, 120u);
  EXPECT_EQ(snap->timeouts.tcp_syn, 60u);
  EXPECT_EQ(snap->timeouts.udp, 30u);
  EXPECT_EQ(snap->timeouts.server_time_wait, 45u);
  ASSERT_EQ(snap->ports.size(), 2u);
  EXPECT_EQ(snap->ports[1].mac.bytes[5], 2);
  ASSERT_EQ(snap->services.size(), 3u);
  ASSERT_EQ(snap->backends.size(), 5u);
  EXPECT_EQ(snap->sched, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
  ASSERT_EQ(snap->pools.size(), 2u);

  EXPECT_EQ(snap->find_service(topo::kVip, htons(80), core::kIpProtoTcp), &snap->services[0]);
  EXPECT_EQ(snap->find_service(topo::kVip, htons(53), core::kIpProtoUdp), &snap->services[1]);
  EXPECT_EQ(snap->find_service(vip2, htons(443), core::kIpProtoTcp), &snap->services[2]);
  EXPECT_EQ(snap->find_service(topo::kVip, htons(80), core::kIpProtoUdp), nullptr);
  EXPECT_EQ(snap->find_service(topo::kVip, htons(53), core::kIpProtoTcp), nullptr);
  EXPECT_EQ(snap->find_service(topo::kVip, htons(81), core::kIpProtoTcp), nullptr);
  EXPECT_EQ(snap->find_service(vip2, htons(80), core::kIpProtoTcp), nullptr);
  EXPECT_EQ(snap->find_service(topo::kLip, htons(80), core::kIpProtoTcp), nullptr);

  EXPECT_TRUE(snap->is_vip(topo::kVip));
  EXPECT_TRUE(snap->is_vip(vip2));
  EXPECT_FALSE(snap->is_vip(topo::kLip));
  EXPECT_FALSE(snap->is_vip(topo::kOther));
  EXPECT_TRUE(snap->is_lip(topo::kLip));
  EXPECT_TRUE(snap->is_lip(lip3));
  EXPECT_FALSE(snap->is_lip(topo::kVip));
  ASSERT_EQ(snap->lips.size(), 3u);
  EXPECT_EQ(snap->lips[0], topo::kLip);
  EXPECT_EQ(snap->lips[2], lip3);

  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(snap->backend_index.find(1000 + i), i);
  EXPECT_EQ(snap->backend_index.find(1005), lb::FlatMap::kMissing);
  ASSERT_EQ(snap->server_slot.size(), 5u) << "a counter slot per server";
  EXPECT_EQ(tables.servers.in_use(), 5u);
  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(tables.servers.counters(0)[snap->server_slot[i]].traffic.conns, 0u) << "fresh slots are zero";
  EXPECT_EQ(snap->nat_backend_index.find(lb::Snapshot::nat_backend_key(topo::kWeb[0].address, htons(8080), 6)),
            lb::FlatMap::kMissing)
      << "fullnat servers are not nat servers";
}

// IPv6 services, servers and LIPs beside IPv4 ones: each family's lookups find only its own.
TEST(SnapshotBuild, IndexesIpv6ServicesBesideIpv4Ones) {
  SnapshotBuilder b = topo::standard(1, 3);
  topo::add_standard6(b, abi::Forwarding::fullnat);
  ServiceOptions nat;
  nat.forwarding = abi::Forwarding::nat;
  const core::Ipv6Address vip2 = ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 20});
  b.add_service6(vip2, 443, core::kIpProtoTcp, {topo::kWeb6[1]}, abi::kNoPool, nat);
  EngineTables tables(1);
  std::unique_ptr<lb::Snapshot> snap;
  const Status st = build(b.bytes(), 1, topo::kPorts, tables, snap);
  ASSERT_TRUE(st.is_ok()) << st.code << ": " << st.message;
  ASSERT_EQ(snap->services.size(), 5u);
  EXPECT_EQ(snap->find_service(topo::kVip6, htons(80), core::kIpProtoTcp), &snap->services[2]);
  EXPECT_EQ(snap->find_service(topo::kVip6, htons(53), core::kIpProtoUdp), &snap->services[3]);
  EXPECT_EQ(snap->find_service(vip2, htons(443), core::kIpProtoTcp), &snap->services[4]);
  EXPECT_EQ(snap->find_service(topo::kVip6, htons(80), core::kIpProtoUdp), nullptr);
  EXPECT_EQ(snap->find_service(vip2, htons(80), core::kIpProtoTcp), nullptr);
  EXPECT_EQ(snap->find_service(topo::kVip, htons(80), core::kIpProtoTcp), &snap->services[0]) << "IPv4 unchanged";
  EXPECT_EQ(snap->find_service(core::Ipv6Address{}, htons(80), core::kIpProtoTcp), nullptr) << "the IPv4 services' zero vip6";
  EXPECT_TRUE(snap->is_vip(topo::kVip6));
  EXPECT_TRUE(snap->is_vip(vip2));
  EXPECT_FALSE(snap->is_vip(topo::kLip6));
  EXPECT_FALSE(snap->is_vip(core::Ipv6Address{}));
  EXPECT_TRUE(snap->is_lip(topo::kLip6));
  EXPECT_FALSE(snap->is_lip(topo::kVip6));
  EXPECT_FALSE(snap->is_lip(core::Ipv6Address{}));
  ASSERT_EQ(snap->lips.size(), 2u);
  ASSERT_EQ(snap->lips6.size(), 2u);
  EXPECT_EQ(snap->lips[0], topo::kLip);
  EXPECT_TRUE(snap->lips6[0].is_zero());
  EXPECT_EQ(snap->lips6[1], topo::kLip6);
  EXPECT_EQ(snap->lips[1], 0u);
  EXPECT_NE(snap->nat_backend6_index.find(lb::Snapshot::nat_backend_key(topo::kWeb6[1].address, htons(8081), core::kIpProtoTcp)),
            lb::FlatMap6::kMissing)
      << "an IPv6 nat server";
  EXPECT_EQ(snap->nat_backend6_index.find(lb::Snapshot::nat_backend_key(topo::kWeb6[0].address, htons(8080), core::kIpProtoTcp)),
            lb::FlatMap6::kMissing)
      << "a fullnat server";
}

// NAT64: an IPv6 fullnat service over IPv4 servers through an IPv4 pool.
TEST(SnapshotBuild, AcceptsAnIpv6FullnatServiceOverIpv4Servers) {
  SnapshotBuilder b = topo::standard(1, 3);
  const core::Ipv6Address vip = ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 64});
  b.add_service64(vip, 80, core::kIpProtoTcp, {topo::kWeb[0], topo::kWeb[1]}, 0);
  EngineTables tables(1);
  std::unique_ptr<lb::Snapshot> snap;
  const Status st = build(b.bytes(), 1, topo::kPorts, tables, snap);
  ASSERT_TRUE(st.is_ok()) << st.code << ": " << st.message;
  const abi::ServiceRecord* svc = snap->find_service(vip, htons(80), core::kIpProtoTcp);
  ASSERT_NE(svc, nullptr);
  EXPECT_EQ(snap->backends[svc->backend_first].address, topo::kWeb[0].address);
}

// Every server down (health checks leave none): the IPv4 pool still says NAT64.
TEST(SnapshotBuild, AcceptsANat64ServiceWithoutServers) {
  SnapshotBuilder b = topo::standard(1, 3);
  b.add_service64(ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 64}), 80, core::kIpProtoTcp, {}, 0);
  EngineTables tables(1);
  std::unique_ptr<lb::Snapshot> snap;
  const Status st = build(b.bytes(), 1, topo::kPorts, tables, snap);
  EXPECT_TRUE(st.is_ok()) << st.code << ": " << st.message;
}

// Every mode, scheduler and flag the data path implements is accepted; nat servers are indexed
// by address, port and protocol so that their replies find their owner.
TEST(SnapshotBuild, AcceptsEveryModeSchedulerAndFlag) {
  for (auto mode : {abi::Forwarding::dr, abi::Forwarding::nat, abi::Forwarding::tunnel, abi::Forwarding::fullnat}) {
    for (uint8_t sched = 0; sched <= uint8_t(abi::Scheduler::fo); ++sched) {
      ServiceOptions o;
      o.scheduler = static_cast<abi::Scheduler>(sched);
      o.flags = abi::persistent;
      o.persist_timeout = 300;
      o.persist_netmask = ipv4(255, 255, 255, 0);
      SnapshotBuilder b = topo::standard_mode(mode, 2, o);
      b.services[1].flags |= abi::one_packet;
      EngineTables tables(2);
      std::unique_ptr<lb::Snapshot> snap;
      const Status st = build(b.bytes(), 2, topo::kPorts, tables, snap);
      ASSERT_TRUE(st.is_ok()) << int(mode) << "/" << int(sched) << ": " << st.message;
      EXPECT_EQ(snap->server_slot.size(), 4u);
      const bool nat = mode == abi::Forwarding::nat;
      for (const BackendSpec& w : topo::kWeb)
        EXPECT_EQ(snap->nat_backend_index.find(lb::Snapshot::nat_backend_key(w.address, htons(w.port), 6)) != lb::FlatMap::kMissing, nat);
      EXPECT_EQ(snap->nat_backend_index.find(lb::Snapshot::nat_backend_key(topo::kDnsServer.address, htons(5353), 17)) != lb::FlatMap::kMissing, nat);
      EXPECT_EQ(snap->nat_backend_index.find(lb::Snapshot::nat_backend_key(topo::kDnsServer.address, htons(5353), 6)), lb::FlatMap::kMissing);
    }
  }
}

TEST(SnapshotBuild, EmptySnapshotIsValid) {
  SnapshotBuilder b(4, 1);
  EngineTables tables(4);
  std::unique_ptr<lb::Snapshot> snap;
  ASSERT_TRUE(build(b.bytes(), 4, 1, tables, snap).is_ok());
  EXPECT_EQ(snap->find_service(topo::kVip, htons(80), core::kIpProtoTcp), nullptr);
  EXPECT_FALSE(snap->is_vip(0));
  EXPECT_FALSE(snap->is_lip(0));
}

// A snapshot's LIPs keep their pools' order (pools index ranges of them); an address twice is refused.
TEST(SnapshotBuild, LipsKeepTheirOrder) {
  const uint32_t a = ipv4(10, 0, 2, 100), b = ipv4(10, 0, 2, 101), c = ipv4(10, 0, 2, 102);
  EngineTables tables(2);
  std::unique_ptr<lb::Snapshot> snap;
  SnapshotBuilder bad(2, 1);
  bad.add_pool({c, c});
  EXPECT_FALSE(build(bad.bytes(), 2, 1, tables, snap).is_ok());
  SnapshotBuilder ordered(2, 1);
  ordered.add_pool({c, b, a});
  ASSERT_TRUE(build(ordered.bytes(), 2, 1, tables, snap).is_ok());
  EXPECT_EQ(snap->lips, (std::vector<uint32_t>{c, b, a}));
}

TEST(SnapshotBuild, StaleGenerationIsRefusedBeforeItTakesACounterSlot) {
  EngineTables tables(1);
  lb::Snapshot running;
  running.generation = 3;
  std::unique_ptr<lb::Snapshot> snap;
  SnapshotBuilder stale(1, 1, 3);
  stale.add_service(topo::kVip, 80, 6, {topo::kWeb[0]}, stale.add_pool({ipv4(10, 0, 2, 100)}));
  const Status st = build(stale.bytes(), 1, 1, tables, snap, 0x5eed, &running);
  EXPECT_EQ(st.code, control::kErrSnapshot);
  EXPECT_NE(st.message.find("generation 3 is not newer than the running 3"), std::string::npos) << st.message;
  EXPECT_EQ(tables.servers.in_use(), 0u);
}

struct Reject {
  const char* name;
  std::function<void(SnapshotBuilder&)> edit_records;  // before layout
  std::function<void(std::vector<uint8_t>&)> edit_bytes;  // after layout
  const char* code;
  std::string fragment;
};

void PrintTo(const Reject& r, std::ostream* os) { *os << r.name; }  // names ctest's test list
void none(SnapshotBuilder&) {}
void none_bytes(std::vector<uint8_t>&) {}
template <typename F>
std::function<void(std::vector<uint8_t>&)> header(F f) {
  return [f](std::vector<uint8_t>& bytes) { edit_header(bytes, f); };
}
using H = abi::SnapshotHeader;
using control::kErrLimit, control::kErrSnapshot;
constexpr uint8_t kTunnel = 2;
const std::string kWeb = "service #0 (203.0.113.10:80/tcp): ";  // how service problems begin
const std::string kWeb6 = "service #2 ([2001:db8:100::a]:80/tcp): ";  // after add_standard6
void standard6(SnapshotBuilder& b, abi::Forwarding mode = abi::Forwarding::fullnat) { topo::add_standard6(b, mode); }
// Service `s`'s servers become IPv4 ones.
void ipv4_servers(SnapshotBuilder& b, uint32_t s) {
  for (uint32_t i = 0; i < b.services[s].backend_count; ++i) {
    abi::BackendRecord& r = b.backends[b.services[s].backend_first + i];
    r.family = 0;
    r.address6 = {};
    r.address = ipv4(10, 0, 2, static_cast<uint8_t>(50 + i));
  }
}

const Reject kRejects[] = {
    {"ShorterThanHeader", none, [](auto& v) { v.resize(40); }, kErrSnapshot, "40 bytes is shorter than its header"},
    {"BadMagic", none, header([](H& h) { h.magic = 0x53535659; }), kErrSnapshot, "bad magic"},
    {"WrongAbiVersion", none, header([](H& h) { h.abi_version = abi::kAbiVersion + 1; }), kErrSnapshot,
     "snapshot ABI version " + std::to_string(abi::kAbiVersion + 1) + " but the addon speaks version " + std::to_string(abi::kAbiVersion)},
    {"TotalSizeTooLarge", none, header([](H& h) { h.total_size += 8; }), kErrSnapshot, "header says"},
    {"TrailingBytes", none, [](auto& v) { v.resize(v.size() + 8); }, kErrSnapshot, "header says"},
    {"WrongWorkerCount", none, header([](H& h) { h.workers = 2; }), kErrSnapshot, "built for 2 workers, engine runs 1"},
    {"WrongPortCount", none, header([](H& h) { h.port_count = 1; }), kErrSnapshot, "describes 1 ports, engine has 2"},
    {"ZeroTcpTimeout", [](auto& b) { b.header.timeout_tcp = 0; }, none_bytes, kErrSnapshot, "every timeout must be at least 1 second"},
    {"ZeroFinTimeout", [](auto& b) { b.header.timeout_tcp_fin = 0; }, none_bytes, kErrSnapshot, "timeout"},
    {"ZeroSynTimeout", [](auto& b) { b.header.timeout_tcp_syn = 0; }, none_bytes, kErrSnapshot, "timeout"},
    {"ZeroUdpTimeout", [](auto& b) { b.header.timeout_udp = 0; }, none_bytes, kErrSnapshot, "timeout"},
    // The engine clock compares by 32-bit signed difference (found by test/fuzz/snapshot_decode_fuzz.cc).
    {"TcpTimeoutBeyondTheClock", [](auto& b) { b.header.timeout_tcp = 1u << 30; }, none_bytes, kErrSnapshot,
     "timeout 1073741824 exceeds 1073741823 seconds"},
    {"ServerTimeWaitBeyondTheClock", [](auto& b) { b.header.timeout_server_time_wait = 0xbaff012c; }, none_bytes, kErrSnapshot,
     "timeout 3137274156 exceeds"},
    {"PersistenceTimeoutBeyondTheClock",
     [](auto& b) {
       b.services[0].flags = abi::persistent;
       b.services[0].persist_timeout = 0xbaff012c;
     },
     none_bytes, kErrSnapshot, kWeb + "persistence timeout 3137274156 exceeds 1073741823 seconds"},
    {"SectionOutsideBuffer", none, header([](H& h) { h.backend_offset = h.total_size - 8; }), kErrSnapshot, "backends section (offset"},
    {"SectionOffsetOverflow", none, header([](H& h) { h.lip_offset = 0xfffffff8; }), kErrSnapshot, "lips section"},
    {"MisalignedSection", none, header([](H& h) { h.service_offset += 2; }), kErrSnapshot, "services section"},
    {"TooManyServices", none, header([](H& h) { h.service_count = abi::kMaxServices + 1; }), kErrLimit, "services: 16385 exceeds the limit of 16384"},
    {"TooManyPools", none, header([](H& h) { h.pool_count = abi::kMaxPools + 1; }), kErrLimit, "pools: 1025 exceeds"},
    {"TooManyLips", none, header([](H& h) { h.lip_count = abi::kMaxLips + 1; }), kErrLimit, "lips: 1025 exceeds"},
    {"UnknownProtocol", [](auto& b) { b.services[0].protocol = 1; }, none_bytes, kErrSnapshot, kWeb + "protocol 1 is neither tcp (6) nor udp (17)"},
    {"UnknownForwarding", [](auto& b) { b.services[0].forwarding = 9; }, none_bytes, kErrSnapshot, kWeb + "unknown forwarding mode 9"},
    {"UnknownServiceFlags", [](auto& b) { b.services[0].flags = 0x80; }, none_bytes, kErrSnapshot, kWeb + "unknown flag bits 128"},
    {"OnePacketOnTcp", [](auto& b) { b.services[0].flags = abi::one_packet; }, none_bytes, kErrSnapshot, kWeb + "one-packet scheduling applies to udp services only"},
    {"PersistenceWithoutTimeout", [](auto& b) { b.services[0].flags = abi::persistent; }, none_bytes, kErrSnapshot, kWeb + "persistence needs a timeout of at least 1 second"},
    {"TunnelWithoutPortAddress", [](auto& b) { b.services[0].forwarding = kTunnel; }, none_bytes, kErrSnapshot,
     kWeb + "tunnel mode needs an IPv4 address on port 1 for the outer source"},
    {"DuplicateBackendId", [](auto& b) { b.backends[2].backend_id = b.backends[0].backend_id; }, none_bytes, kErrSnapshot, "backend #2: backend_id 1000 appears twice"},
    {"UnknownScheduler", [](auto& b) { b.services[0].scheduler = 99; }, none_bytes, kErrSnapshot, "unknown scheduler 99"},
    {"BackendRangeOutOfBounds", [](auto& b) { b.services[1].backend_count = 2; }, none_bytes, kErrSnapshot, "service #1 (203.0.113.10:53/udp): backend range [3, +2) exceeds the 4 backends"},
    {"SchedRangeOutOfBounds", [](auto& b) { b.services[0].sched_count = 5; }, none_bytes, kErrSnapshot, kWeb + "scheduler-table range exceeds"},
    {"SchedEntryBeyondItsServers", [](auto& b) { b.sched[1] = 3; }, none_bytes, kErrSnapshot, kWeb + "scheduler-table entry 1 names server 3 of a service that has 3"},
    {"SchedRangesOverlap", [](auto& b) { b.services[1].sched_first = 0; }, none_bytes, kErrSnapshot,
     "service #1 (203.0.113.10:53/udp): scheduler-table range overlaps that of " + kWeb.substr(0, kWeb.size() - 2)},
    {"FullnatWithoutPool", [](auto& b) { b.services[0].pool = abi::kNoPool; }, none_bytes, kErrSnapshot, kWeb + "fullnat needs a local address pool; pool index 65535"},
    {"FullnatWithEmptyPool", [](auto& b) { b.pools[0].lip_count = 0; }, none_bytes, kErrSnapshot, kWeb + "its local address pool is empty"},
    {"PoolBeyondLips", [](auto& b) { b.pools[0].lip_count = 2; }, none_bytes, kErrSnapshot, "pool #0: address range exceeds the 1 LIPs"},
    {"BackendPortIndexOutOfRange", [](auto& b) { b.backends[1].port_index = 2; }, none_bytes, kErrSnapshot, "backend #1 (10.0.2.12): port index 2 does not exist"},
    {"DuplicateService", [](auto& b) { b.add_service(topo::kVip, 80, core::kIpProtoTcp, {topo::kWeb[0]}, 0); }, none_bytes, kErrSnapshot,
     "service #2 (203.0.113.10:80/tcp): duplicate of an earlier service"},
    {"LipEqualsVip", [](auto& b) { b.add_pool({topo::kVip}); }, none_bytes, kErrSnapshot, "LIP 203.0.113.10 is also a VIP"},
    {"DuplicateLip", [](auto& b) { b.add_pool({ipv4(10, 0, 2, 5), topo::kLip}); }, none_bytes, kErrSnapshot, "LIP 10.0.2.100 appears twice"},
    {"MtuTooSmall", [](auto& b) { b.ports[1].mtu = 575; }, none_bytes, kErrSnapshot, "port #1: MTU 575 is outside 576..9216"},
    {"MtuTooLarge", [](auto& b) { b.ports[0].mtu = 9217; }, none_bytes, kErrSnapshot, "port #0: MTU 9217 is outside 576..9216"},
    {"UnknownAddressFamily", [](auto& b) { b.services[0].family = 2; }, none_bytes, kErrSnapshot, kWeb + "unknown address family"},
    {"ServiceWithBothAddresses", [](auto& b) { b.services[0].vip6 = in6(topo::kVip6); }, none_bytes, kErrSnapshot,
     kWeb + "holds an address of the other family"},
    {"Ipv6ServiceWithoutAddress",
     [](auto& b) {
       standard6(b);
       b.services[2].vip6 = {};
     },
     none_bytes, kErrSnapshot, "service #2 ([::]:80/tcp): has no address"},
    {"Ipv4ServiceWithAPrefixLength", [](auto& b) { b.services[0].persist_prefix6 = 64; }, none_bytes, kErrSnapshot,
     kWeb + "persistence mask of the other address family set"},
    {"PrefixLengthBeyond128",
     [](auto& b) {
       standard6(b);
       b.services[2].persist_prefix6 = 129;
     },
     none_bytes, kErrSnapshot, kWeb6 + "persistence prefix length 129 exceeds 128"},
    {"ServerOfTheOtherFamily",
     [](auto& b) {
       standard6(b);
       abi::BackendRecord& r = b.backends[b.services[2].backend_first + 1];
       r.family = 0;
       r.address6 = {};
       r.address = ipv4(10, 0, 2, 50);
     },
     none_bytes, kErrSnapshot, kWeb6 + "server #1 is of another address family than server #0"},
    {"BackendWithBothAddresses", [](auto& b) { b.backends[1].address6 = in6(topo::kWeb6[0].address); }, none_bytes, kErrSnapshot,
     "backend #1 (10.0.2.12): holds an address of the other family"},
    {"PoolOfTheOtherFamily",
     [](auto& b) {
       standard6(b);
       b.services[2].pool = 0;
     },
     none_bytes, kErrSnapshot, kWeb6 + "its local address pool holds addresses of another family than its servers"},
    {"Ipv4ServiceOverAnIpv6Pool",
     [](auto& b) {
       standard6(b);
       b.services[0].pool = 1;
     },
     none_bytes, kErrSnapshot, kWeb + "its local address pool holds addresses of another family than its servers"},
    {"Nat64NeedsFullnat",
     [](auto& b) {
       standard6(b, abi::Forwarding::nat);
       ipv4_servers(b, 2);
     },
     none_bytes, kErrSnapshot, kWeb6 + "servers of the other address family need an IPv6 service in fullnat mode (NAT64)"},
    {"Nat64ThroughAnIpv6Pool",
     [](auto& b) {
       standard6(b);
       ipv4_servers(b, 2);
     },
     none_bytes, kErrSnapshot, kWeb6 + "its local address pool holds addresses of another family than its servers"},
    {"DuplicateIpv6Service",
     [](auto& b) {
       standard6(b);
       b.add_service6(topo::kVip6, 80, core::kIpProtoTcp, {topo::kWeb6[0]}, 1);
     },
     none_bytes, kErrSnapshot, "service #4 ([2001:db8:100::a]:80/tcp): duplicate of an earlier service"},
    {"Ipv6LipEqualsVip",
     [](auto& b) {
       standard6(b, abi::Forwarding::nat);
       b.add_pool6({topo::kVip6});
     },
     none_bytes, kErrSnapshot, "LIP 2001:db8:100::a is also a VIP"},
    {"DuplicateIpv6Lip",
     [](auto& b) {
       standard6(b);
       b.add_pool6({topo::kLip6});
     },
     none_bytes, kErrSnapshot, "LIP fd00:2::64 appears twice"},
    {"Ipv6LipWithoutAddress", [](auto& b) { b.add_pool6({core::Ipv6Address{}}); }, none_bytes, kErrSnapshot, "LIP #1 (::): has no address"},
    {"Ipv6TunnelWithoutPortAddress",
     [](auto& b) {
       standard6(b, abi::Forwarding::tunnel);
       b.ports[1].address6 = {};
     },
     none_bytes, kErrSnapshot, kWeb6 + "tunnel mode needs an IPv6 address on port 1"},
    {"Ipv6TunnelBelowTheMinimumPlusItsHeader",
     [](auto& b) {
       standard6(b, abi::Forwarding::tunnel);
       b.ports[1].mtu = 1319;
     },
     none_bytes, kErrSnapshot, kWeb6 + "tunnel mode over IPv6 needs an MTU of at least 1320 on port 1"},
    {"Ipv6BelowItsMinimumMtu",
     [](auto& b) {
       standard6(b);
       b.ports[0].mtu = 1279;
     },
     none_bytes, kErrSnapshot, kWeb6 + "port #0 has an MTU of 1279, below IPv6's minimum of 1280"},
    {"WeightTooLarge", [](auto& b) { b.backends[2].weight = 65536; }, none_bytes, kErrSnapshot, "backend #2 (10.0.2.13): weight 65536 exceeds 65535"},
};

class SnapshotReject : public ::testing::TestWithParam<Reject> {};

TEST_P(SnapshotReject, WithCodeAndMessage) {
  const Reject& r = GetParam();
  SnapshotBuilder b = topo::standard(1);
  r.edit_records(b);
  std::vector<uint8_t> bytes = b.bytes();
  r.edit_bytes(bytes);
  EngineTables tables(1);
  std::unique_ptr<lb::Snapshot> snap;
  const Status st = build(bytes, 1, topo::kPorts, tables, snap);
  EXPECT_EQ(st.code, r.code) << st.message;
  EXPECT_NE(st.message.find(r.fragment), std::string::npos) << "message: " << st.message;
  EXPECT_EQ(snap, nullptr) << "a rejected snapshot produces nothing";
}

INSTANTIATE_TEST_SUITE_P(Snapshot, SnapshotReject, ::testing::ValuesIn(kRejects),
                         [](const ::testing::TestParamInfo<Reject>& info) { return std::string(info.param.name); });

// The SYN proxy: on IPv6 services as on IPv4 ones, NAT64 ones included.
TEST(SnapshotBuild, ASynProxyOnIpv6AndNat64) {
  for (const uint8_t flag : {uint8_t(abi::syn_proxy_on), uint8_t(abi::syn_proxy_auto)}) {
    EngineTables tables(1);
    std::unique_ptr<lb::Snapshot> snap;
    SnapshotBuilder b = topo::standard(1, 3);
    standard6(b);
    b.services[2].flags = flag;  // [VIP6]:80/tcp
    const Status ipv6_status = build(b.bytes(), 1, topo::kPorts, tables, snap);
    EXPECT_TRUE(ipv6_status.is_ok()) << ipv6_status.message;

    SnapshotBuilder b64 = topo::standard(1, 3);
    b64.add_service64(ipv6({0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 64}), 80, core::kIpProtoTcp, {topo::kWeb[0]}, 0);
    b64.services.back().flags = flag;
    const Status nat64_status = build(b64.bytes(), 1, topo::kPorts, tables, snap);
    EXPECT_TRUE(nat64_status.is_ok()) << nat64_status.message;
  }
}

}  // namespace
