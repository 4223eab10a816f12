// test/fuzz/frame_parse_fuzz.cc — the frame parsers (core/parse.h parse_packet for IPv4,
// core/parse6.h parse_ipv6 for IPv6 behind an optional 802.1Q tag) on arbitrary bytes, copied
// to an allocation of exactly their size so ASan sees any read past it. Checks, besides memory
// safety and UB: a drop names a drop counter; an ok view lies inside the frame (its upper-layer
// header, its length, the quoted packet of an ICMP error and its 8 bytes); a view without an
// upper-layer header is a later fragment; the IPv6 view's offsets follow its extension headers.
// Every ok TCP/UDP view and ICMP error is also put through NAT64's translation to the other
// family (lb/nat64.h) in a chunk with just enough headroom: the result lies in the chunk, parses
// as the other family, and keeps the upper layer's length (TCP/UDP).
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "abi/counters.h"
#include "core/parse.h"
#include "core/parse6.h"
#include "fuzz_check.h"
#include "io/frame.h"
#include "lb/nat64.h"

namespace {

using namespace xvs;

bool is_drop_counter(abi::Counter c) {
  const std::string name = abi::kCounterInfo[static_cast<uint32_t>(c)].name;
  return name.rfind("drop_", 0) == 0;
}

template <typename View>
void check_view(const View& v, core::ParseResult r, uint32_t len) {
  if (r.status == core::ParseStatus::drop) {
    XVS_FUZZ_CHECK(r.drop_reason < abi::Counter::count_ && is_drop_counter(r.drop_reason), "drop reason %u",
                   static_cast<unsigned>(r.drop_reason));
    return;
  }
  if (r.status != core::ParseStatus::ok) return;
  XVS_FUZZ_CHECK(v.l4_offset <= len && v.l4_len <= len - v.l4_offset, "upper layer [%u, +%u) in a %u-byte frame", v.l4_offset,
                 v.l4_len, len);
  if (v.l4 == nullptr) {
    XVS_FUZZ_CHECK(v.fragment, "no upper-layer header but not a fragment");
    return;
  }
  XVS_FUZZ_CHECK(v.l4 == v.frame + v.l4_offset, "l4 at its offset");
  XVS_FUZZ_CHECK(v.l4_len >= 8, "an upper-layer header of %u bytes", v.l4_len);
  XVS_FUZZ_CHECK(v.checksum_offset + 2u <= v.l4_len, "checksum field inside the upper layer");
  if (v.is_icmp_error()) {
    const auto quoted_at = static_cast<uint32_t>(v.quoted.l4 - v.frame);
    XVS_FUZZ_CHECK(reinterpret_cast<const uint8_t*>(v.quoted.ip) > v.l4 && quoted_at + 8 <= v.l4_offset + v.l4_len,
                   "quoted packet inside the error");
    XVS_FUZZ_CHECK(quoted_at + v.quoted.l4_len == v.l4_offset + v.l4_len, "quoted length runs to the error's end");
  }
}

// The translations of one parsed frame, on a copy in a chunk of `headroom` + the frame + `tail`
// bytes (exactly allocated: ASan sees any write outside).
template <typename View>
void check_nat64(const uint8_t* bytes, uint32_t len, uint32_t l3) {
  constexpr uint32_t kHeadroom = lb::nat64::kGrowth, kTail = lb::nat64::kMaxIcmpv6Error;
  auto chunk = std::make_unique<uint8_t[]>(kHeadroom + len + kTail);
  std::memcpy(chunk.get() + kHeadroom, bytes, len);
  io::Frame f{chunk.get() + kHeadroom, len, kHeadroom, 0, 0, 0, len + kTail};
  View v{};
  core::ParseResult r;
  if constexpr (std::is_same_v<View, core::PacketView>) r = core::parse_packet(f.data, len, v);
  else r = core::parse_ipv6(f.data, len, l3, v);
  if (r.status != core::ParseStatus::ok || v.l4 == nullptr || v.fragment) return;
  const bool transport = v.protocol == core::kIpProtoTcp || v.protocol == core::kIpProtoUdp;
  // ICMP errors follow a connection only when they quote a TCP/UDP packet (lb/process.cc).
  const bool error_about_transport =
      v.is_icmp_error() && (v.quoted.protocol == core::kIpProtoTcp || v.quoted.protocol == core::kIpProtoUdp);
  if (!transport && !error_about_transport) return;
  const uint32_t l4_len = v.l4_len, l3_out = v.l3_offset;
  const lb::ConnTuple t4{0x0100000a, 0x0200000a, 1, 2};
  const lb::ConnTuple6 t6{core::Ipv6Address{{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
                          core::Ipv6Address{{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}}, 3, 4};
  bool translated;
  if constexpr (std::is_same_v<View, core::PacketView>) {
    translated = transport ? lb::nat64::to_ipv6(f, v, t6) != nullptr
                           : lb::nat64::icmp_to_ipv6(f, v, t6.saddr, t6.daddr, t6, 9000) == lb::nat64::IcmpResult::translated;
  } else {
    translated = transport ? lb::nat64::to_ipv4(f, v, t4, 7) != nullptr
                           : lb::nat64::icmp_to_ipv4(f, v, t4.saddr, t4.daddr, t4) == lb::nat64::IcmpResult::translated;
  }
  if (!translated) return;
  XVS_FUZZ_CHECK(f.data >= chunk.get() && f.data + f.len <= chunk.get() + kHeadroom + len + kTail, "a translated frame outside its chunk");
  XVS_FUZZ_CHECK(f.headroom == static_cast<uint32_t>(f.data - chunk.get()), "headroom %u at offset %zu", f.headroom,
                 static_cast<size_t>(f.data - chunk.get()));
  if constexpr (std::is_same_v<View, core::PacketView>) {
    core::Packet6View out{};
    const core::ParseResult again = core::parse_ipv6(f.data, f.len, l3_out, out);
    XVS_FUZZ_CHECK(again.status == core::ParseStatus::ok, "the IPv6 translation does not parse (status %d)", static_cast<int>(again.status));
    if (transport) XVS_FUZZ_CHECK(out.l4_len == l4_len, "upper layer %u bytes, was %u", out.l4_len, l4_len);
  } else {
    core::PacketView out{};
    const core::ParseResult again = core::parse_packet(f.data, f.len, out);
    XVS_FUZZ_CHECK(again.status == core::ParseStatus::ok, "the IPv4 translation does not parse (status %d)", static_cast<int>(again.status));
    if (transport) XVS_FUZZ_CHECK(out.l4_len == l4_len, "upper layer %u bytes, was %u", out.l4_len, l4_len);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65535) return 0;
  const auto len = static_cast<uint32_t>(size);
  auto frame = std::make_unique<uint8_t[]>(size == 0 ? 1 : size);
  if (size != 0) std::memcpy(frame.get(), data, size);

  core::PacketView v4{};
  check_view(v4, core::parse_packet(frame.get(), len, v4), len);
  check_nat64<core::PacketView>(data, len, 0);

  // IPv6 after Ethernet or one 802.1Q tag, as the packet path will find it.
  if (len >= 14) {
    uint16_t type = core::load16(frame.get() + 12);
    uint32_t l3 = 14;
    if (type == core::htons(core::kEthTypeVlan) && len >= 18) {
      type = core::load16(frame.get() + 16);
      l3 = 18;
    }
    if (type == core::htons(core::kEthTypeIpv6)) {
      core::Packet6View v6{};
      const core::ParseResult r = core::parse_ipv6(frame.get(), len, l3, v6);
      check_view(v6, r, len);
      if (r.status == core::ParseStatus::ok) {
        const uint32_t end = l3 + 40 + core::ntohs(v6.ip->payload_length);
        XVS_FUZZ_CHECK(v6.l4_offset + v6.l4_len == end, "upper layer ends where the payload length says");
        XVS_FUZZ_CHECK(v6.l4_offset >= l3 + 40, "upper layer after the IPv6 header");
        check_nat64<core::Packet6View>(data, len, l3);
      }
    }
  }
  return 0;
}
