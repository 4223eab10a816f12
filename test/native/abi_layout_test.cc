// test/native/abi_layout_test.cc — abi::layout() (the contract TypeScript checks) describes every record gap-free, and all counters and enums as declared.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "abi/control.h"
#include "abi/counters.h"
#include "abi/layout.h"
#include "abi/records.h"

namespace {
namespace abi = xvs::abi;

const std::map<std::string, uint32_t> kTypeSizes = {{"u8", 1}, {"u16", 2}, {"u32", 4}, {"u64", 8},
                                                    {"be16", 2}, {"be32", 4}, {"mac48", 6}, {"in6", 16}};

TEST(AbiLayout, RecordsAreFullyDescribedWithoutGaps) {
  const abi::AbiLayout& l = abi::layout();
  const std::map<std::string, uint32_t> sizes = {{"header", 104}, {"port", 32}, {"service", 60},
                                                 {"backend", 48}, {"pool", 8},  {"lip", 24},
                                                 {"sync", 48},    {"sync6", 120}};
  ASSERT_EQ(l.records.size(), sizes.size());
  for (const abi::RecordLayout& r : l.records) {
    SCOPED_TRACE(r.name);
    ASSERT_EQ(sizes.count(r.name), 1u);
    EXPECT_EQ(r.size, sizes.at(r.name));
    uint32_t at = 0;
    std::set<std::string> names;
    for (const abi::FieldLayout& f : r.fields) {
      ASSERT_EQ(kTypeSizes.count(f.type), 1u) << f.name << " has unknown type " << f.type;
      EXPECT_EQ(f.size, kTypeSizes.at(f.type)) << f.name;
      EXPECT_EQ(f.offset, at) << f.name << ": a gap or overlap before it";
      EXPECT_TRUE(names.insert(f.name).second) << "duplicate field " << f.name;
      at = f.offset + f.size;
    }
    EXPECT_EQ(at, r.size) << "trailing padding";
  }
}

TEST(AbiLayout, SpotChecksAgainstTheStructs) {
  const abi::AbiLayout& l = abi::layout();
  auto field = [&](const std::string& record, const std::string& name) -> const abi::FieldLayout* {
    for (const auto& r : l.records)
      if (r.name == record)
        for (const auto& f : r.fields)
          if (f.name == name) return &f;
    return nullptr;
  };
  ASSERT_NE(field("header", "generation"), nullptr);
  EXPECT_EQ(field("header", "generation")->offset, offsetof(abi::SnapshotHeader, generation));
  EXPECT_EQ(field("header", "generation")->type, "u64");
  ASSERT_NE(field("header", "timeout_server_time_wait"), nullptr);
  EXPECT_EQ(field("header", "timeout_server_time_wait")->offset, offsetof(abi::SnapshotHeader, timeout_server_time_wait));
  EXPECT_EQ(field("header", "timeout_server_time_wait")->type, "u32");
  EXPECT_EQ(field("service", "vip")->type, "be32");
  EXPECT_EQ(field("service", "vip6")->type, "in6");
  EXPECT_EQ(field("service", "vip6")->offset, offsetof(abi::ServiceRecord, vip6));
  EXPECT_EQ(field("backend", "address6")->offset, offsetof(abi::BackendRecord, address6));
  EXPECT_EQ(field("lip", "address6")->offset, offsetof(abi::LipRecord, address6));
  EXPECT_EQ(field("service", "pool")->offset, offsetof(abi::ServiceRecord, pool));
  EXPECT_EQ(field("backend", "mac")->offset, offsetof(abi::BackendRecord, mac));
  EXPECT_EQ(field("backend", "port")->type, "be16");
  EXPECT_EQ(field("lip", "address")->type, "be32");
}

TEST(AbiLayout, CountersEnumsAndLimits) {
  const abi::AbiLayout& l = abi::layout();
  ASSERT_EQ(l.counters.size(), abi::kCounterCount);
  // The order is the index in every published block: append, never reorder.
  const std::vector<std::string> all = {
      "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "pass_packets", "conn_created", "conn_expired",
      "conn_reused", "icmp_forwarded", "icmp_frag_needed_sent", "persistence_hits",
      "drop_truncated_l2", "drop_truncated_ip", "drop_bad_ip_header", "drop_bad_ip_length", "drop_truncated_l4",
      "drop_bad_icmp", "drop_bad_tcp_header", "drop_ip_fragment", "drop_ttl_expired", "drop_tcp_no_conn",
      "drop_no_backend", "drop_lport_exhausted", "drop_conn_table_full", "drop_not_owner", "drop_no_snapshot",
      "drop_neighbor_unresolved", "drop_tx_full", "drop_backend_removed", "drop_tunnel_mtu", "drop_no_headroom",
      "redirected", "drop_handover_full", "lport_client_port", "lport_busy", "lport_reclaimed", "conn_held",
      "syn_proxy_cookie_sent", "syn_proxy_accepted", "drop_syn_cookie_invalid", "syn_proxy_stashed", "syn_proxy_syn_resent",
      "drop_syn_proxy_pending", "drop_no_room", "drop_half_open_limit", "conn_evicted",
      "syn_proxy_server_reset", "fast_path_installed", "fast_path_install_failed", "fast_path_removed",
      "sync_queued", "sync_queue_full", "sync_installed", "sync_updated", "sync_adopted", "sync_invalid", "sync_no_server",
      "sync_table_full", "sync_conflict", "arp_replied", "arp_solicited", "arp_announced", "arp_solicit_failed", "arp_observations_lost",
      "kernel_tx_packets", "kernel_tx_dropped", "kernel_rx_dropped", "client_mss_clamped", "toa_added", "toa_no_room",
      "toa_forged_removed", "client_fast_open_removed", "proxy_header_sent", "proxy_header_alone", "drop_proxy_header_no_room", "drop_ipv6_extension_headers",
      "drop_ipv6_udp_zero_checksum", "drop_nat64_icmp_untranslatable", "drop_nat64_mtu", "nd_replied", "nd_solicited", "nd_announced"};
  EXPECT_EQ(l.counters, all);
  EXPECT_EQ(std::set<std::string>(l.counters.begin(), l.counters.end()).size(), l.counters.size());
  for (const auto& info : abi::kCounterInfo) EXPECT_GT(std::string(info.help).size(), 10u) << info.name;

  std::map<std::string, std::map<std::string, uint32_t>> enums;
  for (const auto& e : l.enums) enums[e.name] = {e.values.begin(), e.values.end()};
  EXPECT_EQ(enums["forwarding"], (std::map<std::string, uint32_t>{{"dr", 0}, {"nat", 1}, {"tunnel", 2}, {"fullnat", 3}}));
  EXPECT_EQ(enums["protocol"], (std::map<std::string, uint32_t>{{"tcp", 6}, {"udp", 17}}));
  EXPECT_EQ(enums["scheduler"].size(), 12u);
  EXPECT_EQ(enums["scheduler"]["wlc"], 3u);
  EXPECT_EQ(enums["scheduler"]["fo"], 11u);
  EXPECT_EQ(enums["service_flag"], (std::map<std::string, uint32_t>{{"one_packet", 1}, {"persistent", 2}, {"syn_proxy_on", 4}, {"syn_proxy_auto", 8}, {"client_address_toa", 16}, {"client_address_proxy_v2", 32}}));
  EXPECT_EQ(enums["control_kind"], (std::map<std::string, uint32_t>{{"install_snapshot", 1}, {"stop", 2}, {"dump_connections", 3}}));

  // (The limits' values are compared with src/native/abi.ts by compareAbi, test/unit/abi.test.ts.)
  EXPECT_EQ(l.limits.size(), 7u) << "every limit the decoder enforces is described";
}
}  // namespace
