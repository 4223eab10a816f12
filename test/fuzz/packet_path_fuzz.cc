// test/fuzz/packet_path_fuzz.cc — the packet path over a live data plane (packet_world.h: 1-4
// workers, every forwarding mode, TCP and UDP, persistence, SYN proxies, Full-NAT pools).
// Consumes a script (packet_script.h): packets made from fields, answers and ICMP errors to
// what the balancer sent, repeats, raw frames, bursts, clock steps and jumps, safe points
// (installs, expiry), reloads onto other variants of the configuration, and connection sync
// records (a worker's own entries as another node would send them, spoilt or not, or raw bytes).
// Checks after every frame: its verdict is a known one and a redirect names another existing
// worker; pass and redirect leave the frame as it came; a transmitted frame lies in its chunk,
// leaves from its port's MAC, and has valid IPv4 and TCP/UDP/ICMP checksums when the input had
// (frame_checks.h). After every operation, each worker's table agrees with its Full-NAT ports,
// server loads, half-open counts, persistence templates and SYN proxy stash
// (worker_invariants.h).
#include <sys/prctl.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "abi/layout.h"
#include "answers.h"
#include "byte_reader.h"
#include "fuzz_topology.h"
#include "packet_script.h"
#include "packet_world.h"

namespace {

using namespace xvs;
using namespace xvs::fuzz;

// Ends a script that would otherwise run for long (a 4 KiB input of one-byte operations).
constexpr int kMaxSteps = 512;

std::vector<uint8_t> tcp_options(uint8_t bits) {
  std::vector<uint8_t> o;
  if (bits & 1) o.insert(o.end(), {2, 4, 0x05, 0xb4});
  if (bits & 2) o.insert(o.end(), {1, 3, 3, static_cast<uint8_t>(bits >> 5 << 1)});  // shifts 0..14
  if (bits & 4) o.insert(o.end(), {1, 1, 4, 2});
  if (bits & 8) o.insert(o.end(), {1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 0, 0});
  if (bits & 16) o.insert(o.end(), {1, 1, 5, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0});
  if ((bits & 0x18) == 0x18 && bits >> 5 == 7) o.insert(o.end(), {3, 1});  // a length below 2: malformed
  return o;
}

// A raw address of the IPv6 side: the op's raw 32 bits at the end of 2001:db8:ffff::/96.
core::Ipv6Address raw6(uint32_t raw) {
  core::Ipv6Address a = test::ipv6({0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 0});
  std::memcpy(a.bytes + 12, &raw, 4);
  return a;
}

// build_packet's IPv6 variant (protocol bit 7): the same choices among the IPv6 clients, servers,
// routers, services and LIPs; the IPv4 header's fields map to IPv6's (TTL to hop limit, MF and the
// offset to a fragment header), and the corruptions to their IPv6 counterparts.
Logged build_packet6(const PacketOp& op) {
  test::Packet6Spec s;
  uint8_t port = 0;
  uint16_t natural_sport = 40000, natural_dport = 80;
  const uint8_t source_index = op.source >> 2 & 31;
  switch (op.source & 3) {
    case 0: s.saddr = kClients6[source_index % 4], s.src_mac = kRouterMac; break;
    case 1: {
      const std::vector<test::BackendSpec6> servers = all_servers6();
      const test::BackendSpec6& b = servers[source_index % servers.size()];
      s.saddr = b.address, s.src_mac = b.mac, natural_sport = b.port, port = 1;
      break;
    }
    case 2: s.saddr = kRouters6[source_index % 2], s.src_mac = kRouterMac, port = source_index % 2; break;
    default: s.saddr = raw6(op.raw_address), s.src_mac = kRouterMac, port = op.source >> 7; break;
  }
  const uint8_t target_index = op.target >> 2;
  // The IPv6 services, then the NAT64 ones.
  const size_t n6 = services6().size(), which = target_index % (n6 + services64().size());
  const core::Ipv6Address vip = which < n6 ? services6()[which].vip : services64()[which - n6].vip;
  const uint16_t vport = which < n6 ? services6()[which].port : services64()[which - n6].port;
  s.protocol = which < n6 ? services6()[which].protocol : services64()[which - n6].protocol;
  switch (op.target & 3) {
    case 0: s.daddr = vip, natural_dport = vport; break;
    case 1: s.daddr = kLips6[target_index % 4], natural_dport = lb::kMinLocalPort; break;
    case 2: s.daddr = kClients6[target_index % 4], natural_dport = 40000; break;
    default: s.daddr = raw6(op.raw_address); break;
  }
  s.dst_mac = port_mac(port);
  s.sport = op.sport < 8 ? static_cast<uint16_t>(natural_sport + op.sport) : op.sport;
  s.dport = op.dport < 8 ? static_cast<uint16_t>(natural_dport + op.dport) : op.dport;
  if (op.protocol % 4 == 1) s.protocol = core::kIpProtoTcp;
  if (op.protocol % 4 == 2) s.protocol = core::kIpProtoUdp;
  if (op.protocol % 4 == 3) s.protocol = core::kIpProtoIcmpv6, s.icmp_type = op.tcp_flags, s.icmp_code = op.options;
  s.tcp_flags = op.tcp_flags;
  s.seq = op.seq;
  s.ack = op.ack;
  if (s.protocol == core::kIpProtoTcp) {
    s.tcp_options = tcp_options(op.options);
    s.tcp_options.resize((s.tcp_options.size() + 3) & ~size_t{3}, 0);  // end-of-options padding
  }
  s.payload = pattern(op.payload % 1500, static_cast<uint8_t>(op.seq));
  static constexpr uint8_t kHopLimit[4] = {64, 1, 0, 2};
  s.hop_limit = kHopLimit[op.ip & 3];
  s.fragment_header = (op.ip & (8 | 16)) != 0;
  s.fragment = static_cast<uint16_t>((op.ip & 16 ? 185 << 3 : 0) | (op.ip & 8 ? 1 : 0));
  if (op.ip & 64) s.vlan_tags = {100};
  s.zero_udp_checksum = op.corrupt % 8 == 3;
  std::vector<uint8_t> f = test::build_frame6(s);
  const size_t l3 = ipv6_offset(f.data(), f.size());
  auto* ip = reinterpret_cast<core::Ipv6Hdr*>(f.data() + l3);
  uint8_t* l4 = f.data() + l3 + sizeof(core::Ipv6Hdr) + (s.fragment_header ? 8 : 0);
  const size_t l4_sum = s.protocol == core::kIpProtoTcp ? 16 : s.protocol == core::kIpProtoUdp ? 6 : 2;
  switch (op.corrupt % 8) {
    case 1: ip->hop_limit ^= 0x80; break;  // no header checksum: another field
    case 2: l4[l4_sum] ^= 1; break;
    case 4: f.resize(f.size() - std::min<size_t>(f.size(), 3)); break;
    case 5: f.insert(f.end(), 20, 0); break;
    case 6: ip->version_class = 0x40; break;
    case 7: ip->payload_length = core::htons(static_cast<uint16_t>(core::ntohs(ip->payload_length) + 100)); break;
    default: break;
  }
  return {f, port, 0};
}

// The bytes of a PacketOp and the port it arrives on.
Logged build_packet(const PacketOp& op) {
  if (op.protocol & 0x80) return build_packet6(op);
  test::PacketSpec s;
  uint8_t port = 0;
  uint16_t natural_sport = 40000, natural_dport = 80;
  const uint8_t source_index = op.source >> 2 & 31;
  switch (op.source & 3) {
    case 0: s.saddr = kClients[source_index % 4], s.src_mac = kRouterMac; break;
    case 1: {
      const std::vector<test::BackendSpec> servers = all_servers();
      const test::BackendSpec& b = servers[source_index % servers.size()];
      s.saddr = b.address, s.src_mac = b.mac, natural_sport = b.port, port = 1;
      break;
    }
    case 2: s.saddr = kRouters[source_index % 2], s.src_mac = kRouterMac, port = source_index % 2; break;
    default: s.saddr = op.raw_address, s.src_mac = kRouterMac, port = op.source >> 7; break;
  }
  const uint8_t target_index = op.target >> 2;
  const ServiceSpec& svc = services()[target_index % services().size()];
  s.protocol = svc.protocol;
  switch (op.target & 3) {
    case 0: s.daddr = svc.vip, natural_dport = svc.port; break;
    case 1: s.daddr = kLips[target_index % 4], natural_dport = lb::kMinLocalPort; break;
    case 2: s.daddr = kClients[target_index % 4], natural_dport = 40000; break;
    default: s.daddr = op.raw_address; break;
  }
  s.dst_mac = port_mac(port);
  s.sport = op.sport < 8 ? static_cast<uint16_t>(natural_sport + op.sport) : op.sport;
  s.dport = op.dport < 8 ? static_cast<uint16_t>(natural_dport + op.dport) : op.dport;
  if (op.protocol % 4 == 1) s.protocol = core::kIpProtoTcp;
  if (op.protocol % 4 == 2) s.protocol = core::kIpProtoUdp;
  if (op.protocol % 4 == 3) s.protocol = core::kIpProtoIcmp, s.icmp_type = op.tcp_flags, s.icmp_code = op.options;
  s.tcp_flags = op.tcp_flags;
  s.seq = op.seq;
  s.ack = op.ack;
  if (s.protocol == core::kIpProtoTcp) s = test::with_tcp_options(s, tcp_options(op.options));
  s.payload = pattern(op.payload % 1500, static_cast<uint8_t>(op.seq));
  static constexpr uint8_t kTtl[4] = {64, 1, 0, 2};
  s.ttl = kTtl[op.ip & 3];
  s.frag_off = static_cast<uint16_t>((op.ip & 4 ? core::kIpFlagDontFragment : 0) | (op.ip & 8 ? core::kIpFlagMoreFragments : 0) |
                                     (op.ip & 16 ? 185 : 0));
  s.ip_option_words = op.ip & 32 ? 2 : 0;
  if (op.ip & 64) s.vlan_tags = {100};
  s.tos = op.ip & 128 ? 0x10 : 0;
  std::vector<uint8_t> f = test::build_frame(s);
  const size_t l3 = ipv4_offset(f.data(), f.size());
  auto* ip = reinterpret_cast<core::Ipv4Hdr*>(f.data() + l3);
  uint8_t* l4 = f.data() + l3 + ip->header_length();
  const size_t l4_sum = s.protocol == core::kIpProtoTcp ? 16 : s.protocol == core::kIpProtoUdp ? 6 : 2;
  switch (op.corrupt % 8) {
    case 1: ip->checksum ^= 1; break;
    case 2: l4[l4_sum] ^= 1; break;
    case 3: l4[l4_sum] = l4[l4_sum + 1] = 0; break;
    case 4: f.resize(f.size() - std::min<size_t>(f.size(), 3)); break;
    case 5: f.insert(f.end(), 20, 0); break;
    case 6: ip->version_ihl = 0x44; break;
    case 7: ip->total_length = core::htons(static_cast<uint16_t>(core::ntohs(ip->total_length) + 100)); break;
    default: break;
  }
  return {f, port, 0};
}

template <typename T>
const T* pick(const std::deque<T>& log, uint8_t which) {
  return log.empty() ? nullptr : &log[which % log.size()];
}

// The frame an answer or ICMP error is about: one the balancer sent (`which` below 0x80), or one
// it received (from 0x80), whose receiver answers past the balancer, as a dr or tunnel client
// answers its server's SYN-ACK; that answer reaches the balancer by the other port.
const Logged* about(const PacketWorld& world, uint8_t which) {
  return which & 0x80 ? pick(world.inputs(), which & 0x7f) : pick(world.sent(), which);
}
Logged arriving(std::vector<uint8_t> bytes, const Logged& about, bool about_input) {
  uint8_t port = about.port;
  if (about_input) {
    port = static_cast<uint8_t>((port + 1) % kPorts);
    std::copy(port_mac(port).begin(), port_mac(port).end(), bytes.begin());
    std::copy(kRouterMac.begin(), kRouterMac.end(), bytes.begin() + 6);
  }
  return {std::move(bytes), port, 0};
}

std::optional<Logged> answer_to(const PacketWorld& world, uint8_t which, const AnswerChoice& choice) {
  const Logged* frame = about(world, which);
  if (frame == nullptr) return std::nullopt;
  std::optional<std::vector<uint8_t>> bytes = answer(frame->bytes, choice);
  if (!bytes) return std::nullopt;
  return arriving(std::move(*bytes), *frame, which & 0x80);
}

std::optional<Logged> error_about(const PacketWorld& world, uint8_t which, const ErrorChoice& choice) {
  const Logged* frame = about(world, which);
  if (frame == nullptr) return std::nullopt;
  const bool about_input = which & 0x80;
  const uint8_t port = about_input ? static_cast<uint8_t>((frame->port + 1) % kPorts) : frame->port;
  std::optional<std::vector<uint8_t>> bytes = icmp_error(frame->bytes, choice, port);
  if (!bytes) return std::nullopt;
  return arriving(std::move(*bytes), *frame, about_input);
}

// Answer, repeat or ICMP error for a burst item; nothing when there is nothing to answer yet.
void burst_item(const PacketWorld& world, const BurstOp::Item& item, std::vector<Logged>& out) {
  if (item.kind % 3 == 0) {
    if (std::optional<Logged> a = answer_to(world, item.pick, AnswerChoice{item.flags, item.flags, item.flags, item.flags, 0}))
      out.push_back(*a);
  } else if (item.kind % 3 == 1) {
    if (const Logged* input = pick(world.inputs(), item.pick)) out.push_back({input->bytes, input->port, 0});
  } else if (std::optional<Logged> e = error_about(world, item.pick, {item.flags, static_cast<uint8_t>(item.flags >> 3), false, false})) {
    out.push_back(*e);
  }
}

// XORs `mask` into the `field`-th field (1-based, in declaration order; 0 or past the last: none)
// of the sync record in `r`, located by the ABI's own layout of its family's record.
void spoil_field(xvs::abi::SyncItem& r, uint8_t field, uint32_t mask) {
  const std::string name = r.family() == xvs::abi::kSyncFamily6 ? "sync6" : "sync";
  for (const xvs::abi::RecordLayout& record : xvs::abi::layout().records) {
    if (record.name != name) continue;
    if (field == 0 || field > record.fields.size()) return;
    const xvs::abi::FieldLayout& f = record.fields[field - 1];
    for (uint32_t i = 0; i < f.size; ++i) r.bytes[f.offset + i] ^= static_cast<uint8_t>(mask >> (8 * (i % 4)));
    return;
  }
}

void run_op(PacketWorld& world, ByteReader& in) {
  const auto op = static_cast<Op>(in.u8() % kOps);
  const uint32_t workers = world.workers();
  if (PacketWorld::tracing()) std::fprintf(stderr, "op %u at %u\n", static_cast<unsigned>(op), world.now());
  switch (op) {
    case Op::packet: {
      PacketOp p;
      p.read(in);
      world.offer(p.worker % workers, {build_packet(p)});
      break;
    }
    case Op::answer: {
      AnswerOp a;
      a.read(in);
      if (std::optional<Logged> frame = answer_to(world, a.pick, a.choice)) world.offer(a.worker % workers, {*frame});
      break;
    }
    case Op::icmp_error: {
      ErrorOp e;
      e.read(in);
      if (std::optional<Logged> frame = error_about(world, e.pick, e.choice())) world.offer(e.worker % workers, {*frame});
      break;
    }
    case Op::resend: {
      ResendOp r;
      r.read(in);
      if (const Logged* input = pick(world.inputs(), r.pick)) world.offer(r.worker % workers, {{input->bytes, input->port, 0}});
      break;
    }
    case Op::raw: {
      RawOp r;
      r.read(in);
      world.offer(r.worker % workers, {{r.bytes, static_cast<uint8_t>(r.port % kPorts), 0}});
      break;
    }
    case Op::clock: {
      ClockOp c;
      c.read(in);
      world.advance(c.seconds());
      break;
    }
    case Op::safe_point: {
      SafePointOp s;
      s.read(in);
      for (uint32_t w = 0; w < workers; ++w)
        if (s.workers == 0 || (s.workers >> w & 1)) world.safe_point(w, s.entries());
      break;
    }
    case Op::reload: {
      ReloadOp r;
      r.read(in);
      world.reload(r.variant, r.lag);
      break;
    }
    case Op::burst: {
      BurstOp b;
      b.read(in);
      std::vector<Logged> frames;
      for (const BurstOp::Item& item : b.items) burst_item(world, item, frames);
      world.offer(b.worker % workers, frames);
      break;
    }
    case Op::sync: {
      SyncOp o;
      o.read(in);
      xvs::abi::SyncItem r{};
      if (o.field >= 0x80) {
        o.raw.resize(48);  // an input that ran out: zeros
        std::memcpy(r.bytes, o.raw.data(), o.raw.size());
      } else if (std::optional<xvs::abi::SyncItem> rec = world.sync_record(o.worker % workers, o.pick)) {
        r = *rec;
        spoil_field(r, o.field % 25, o.mask);
      } else {
        break;
      }
      world.sync_install(r);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Every input builds its tables afresh (core/huge_array.h asks for transparent huge pages):
  // zeroing a 2 MiB page per touched table would cost more than the packets.
  prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  ScriptHeader header;
  header.read(in);
  PacketWorld world(header.config());
  world.check();
  for (int step = 0; step < kMaxSteps && !in.done(); ++step) {
    run_op(world, in);
    world.check();
  }
  if (PacketWorld::tracing()) world.print_counters();
  return 0;
}
