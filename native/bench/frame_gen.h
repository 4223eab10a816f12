// native/bench/frame_gen.h — how `xvs bench dataplane` makes its packets: template frames
// (Ethernet + IPv4 or IPv6 + TCP/UDP) parsed once, flows derived from a template, and per-packet patches
// (addresses, ports, both checksums precomputed by RFC 1624) that the timed loop stores after
// copying the template into a frame buffer. Consumed by dataplane_bench.cc; pure helpers (no I/O,
// no state) that run on the bench's (calling) thread. Parses independently of core/parse.h, which
// is part of what is measured.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "control/status.h"
#include "core/checksum.h"
#include "core/net.h"
#include "io/frame.h"

namespace xvs::bench::frames {

constexpr uint32_t kHeadroom = 256;  // as io/mem gives: room for tunnel encapsulation
constexpr uint32_t kBlock = 64;      // frames are restored in whole 64-byte blocks
constexpr uint32_t kMaxFrame = 256;  // template limit (bench frames are 60 bytes)

inline control::Status invalid(std::string message) {
  return control::Status::error(control::kErrInvalidArgument, "benchDataplane: " + std::move(message));
}

inline uint32_t load32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline uint16_t load16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
inline void store32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void store16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

// Addresses and ports of one direction, network order. For IPv6 templates the addresses are the
// last 32-bit words of the IPv6 addresses (flows differ only there).
struct Tuple {
  uint32_t saddr, daddr;
  uint16_t sport, dport;
};

// A template frame (Ethernet + IPv4 or IPv6 + TCP/UDP, no VLAN, no IPv6 extension headers) and
// where its fields sit. Parsed here, independently of core/parse.h, which is part of what is
// measured. IPv6 has no header checksum: its `ip_check_at` points at two bytes of the flow label,
// which a patch rewrites with their own value (the restore loop stays the same for both families).
struct Template {
  alignas(64) uint8_t bytes[kMaxFrame] = {};
  uint32_t len = 0, copy_len = 0;
  uint32_t ip = 14, l4 = 0, l4_check = 0;
  uint32_t saddr_at = 0, daddr_at = 0, ip_check_at = 0;
  bool ipv6 = false;
  uint8_t protocol = 0;
  Tuple tuple{};
  uint16_t ip_check = 0, l4_check_value = 0;
};

inline control::Status parse_template(const std::vector<uint8_t>& frame, const char* what, Template& t) {
  if (frame.size() < 14 + 20 + 8 || frame.size() > kMaxFrame)
    return invalid(std::string(what) + " template: " + std::to_string(frame.size()) + " bytes (want 42 to " +
                   std::to_string(kMaxFrame) + ")");
  std::memcpy(t.bytes, frame.data(), frame.size());
  t.len = static_cast<uint32_t>(frame.size());
  t.copy_len = (t.len + kBlock - 1) / kBlock * kBlock;
  const uint16_t type = load16(t.bytes + 12);
  t.ipv6 = type == core::htons(core::kEthTypeIpv6);
  if (!t.ipv6 && type != core::htons(core::kEthTypeIpv4)) return invalid(std::string(what) + " template is neither IPv4 nor IPv6");
  if (t.ipv6) {
    t.protocol = t.bytes[t.ip + 6];
    t.l4 = t.ip + 40;
    t.saddr_at = t.ip + 8 + 12;
    t.daddr_at = t.ip + 24 + 12;
    t.ip_check_at = t.ip + 2;
    if ((t.bytes[t.ip] >> 4) != 6) return invalid(std::string(what) + " template: not an IPv6 header");
  } else {
    const uint32_t ihl = (t.bytes[t.ip] & 0x0f) * 4u;
    t.protocol = t.bytes[t.ip + 9];
    t.l4 = t.ip + ihl;
    t.saddr_at = t.ip + 12;
    t.daddr_at = t.ip + 16;
    t.ip_check_at = t.ip + 10;
    if ((t.bytes[t.ip] >> 4) != 4 || ihl < 20) return invalid(std::string(what) + " template: not an IPv4 header");
  }
  const uint32_t l4_header = t.protocol == core::kIpProtoTcp ? 20 : 8;
  if (t.l4 + l4_header > t.len || (t.protocol != core::kIpProtoTcp && t.protocol != core::kIpProtoUdp))
    return invalid(std::string(what) + " template: not a complete TCP/UDP header");
  t.l4_check = t.l4 + (t.protocol == core::kIpProtoTcp ? 16 : 6);
  t.tuple = {load32(t.bytes + t.saddr_at), load32(t.bytes + t.daddr_at), load16(t.bytes + t.l4), load16(t.bytes + t.l4 + 2)};
  t.ip_check = load16(t.bytes + t.ip_check_at);
  t.l4_check_value = load16(t.bytes + t.l4_check);
  return control::Status::ok();
}

// What differs from a template in one packet, checksums included, so that the timed loop only
// copies the template and stores these. 20 bytes, read as a sequential stream.
struct Patch {
  uint32_t saddr, daddr;
  uint16_t sport, dport, ip_check, l4_check;
  uint8_t tmpl;  // index into the templates of the loop
  uint8_t port;  // arrival port
};

inline Patch make_patch(const Template& t, uint8_t index, uint8_t port, const Tuple& to) {
  const Tuple& from = t.tuple;
  uint16_t ip = t.ip_check;  // IPv6: the flow label's bytes, unchanged
  if (!t.ipv6) {
    ip = core::checksum_replace32(ip, from.saddr, to.saddr);
    ip = core::checksum_replace32(ip, from.daddr, to.daddr);
  }
  uint16_t l4 = t.l4_check_value;
  if (t.protocol == core::kIpProtoUdp) {
    l4 = core::udp_checksum_replace32(l4, from.saddr, to.saddr);
    l4 = core::udp_checksum_replace32(l4, from.daddr, to.daddr);
    l4 = core::udp_checksum_replace16(l4, from.sport, to.sport);
    l4 = core::udp_checksum_replace16(l4, from.dport, to.dport);
  } else {
    l4 = core::checksum_replace32(l4, from.saddr, to.saddr);
    l4 = core::checksum_replace32(l4, from.daddr, to.daddr);
    l4 = core::checksum_replace16(l4, from.sport, to.sport);
    l4 = core::checksum_replace16(l4, from.dport, to.dport);
  }
  return Patch{to.saddr, to.daddr, to.sport, to.dport, ip, l4, index, port};
}

// Flow i of the client template: 64 ports per client address, addresses counting up from the
// template's source. Unique per i: the address names i / 64, the port's top bits i % 64.
inline Tuple client_flow(const Template& t, uint32_t i) {
  const uint32_t address = core::htonl(core::ntohl(t.tuple.saddr) + (i >> 6));
  const auto port = static_cast<uint16_t>(1024 + ((i & 63) << 10) + ((i >> 6) & 1023));
  return {address, t.tuple.daddr, core::htons(port), t.tuple.dport};
}

// The frame buffer lb::process works on, with headroom in front as the I/O backends give.
struct alignas(64) FrameBuffer {
  uint8_t bytes[kHeadroom + kMaxFrame];
  uint8_t* data() { return bytes + kHeadroom; }
};

inline void restore(uint8_t* data, const Template& t, const Patch& p) {
  for (uint32_t off = 0; off < t.copy_len; off += kBlock) std::memcpy(data + off, t.bytes + off, kBlock);
  store32(data + t.saddr_at, p.saddr);
  store32(data + t.daddr_at, p.daddr);
  store16(data + t.ip_check_at, p.ip_check);
  store16(data + t.l4, p.sport);
  store16(data + t.l4 + 2, p.dport);
  store16(data + t.l4_check, p.l4_check);
}

// The same, written field by field into `f`: the timed loop's frame descriptors. (Returning a
// built Frame there made the compiler assemble it on the stack with narrow stores and copy it
// with 16-byte loads that could not be forwarded from them: a stall of several ns per packet
// that belongs to the harness, not to lb::process.)
inline void set_frame(io::Frame& f, FrameBuffer& buf, const Template& t, const Patch& p) {
  f.data = buf.data();
  f.len = t.len;
  f.headroom = kHeadroom;
  f.handle = 0;
  f.port = p.port;
  f.queue = 0;
  f.capacity = kMaxFrame;
}

inline io::Frame frame_for(FrameBuffer& buf, const Template& t, const Patch& p) {
  io::Frame f{};
  f.data = buf.data();
  f.len = t.len;
  f.headroom = kHeadroom;
  f.port = p.port;
  f.capacity = kMaxFrame;
  return f;
}

}  // namespace xvs::bench::frames
