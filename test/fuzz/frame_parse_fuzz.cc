// test/fuzz/frame_parse_fuzz.cc — the frame parsers (core/parse.h parse_packet for IPv4,
// core/parse6.h parse_ipv6 for IPv6 behind an optional 802.1Q tag) on arbitrary bytes, copied
// to an allocation of exactly their size so ASan sees any read past it. Checks, besides memory
// safety and UB: a drop names a drop counter; an ok view lies inside the frame (its upper-layer
// header, its length, the quoted packet of an ICMP error and its 8 bytes); a view without an
// upper-layer header is a later fragment; the IPv6 view's offsets follow its extension headers.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "abi/counters.h"
#include "core/parse.h"
#include "core/parse6.h"
#include "fuzz_check.h"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65535) return 0;
  const auto len = static_cast<uint32_t>(size);
  auto frame = std::make_unique<uint8_t[]>(size == 0 ? 1 : size);
  if (size != 0) std::memcpy(frame.get(), data, size);

  core::PacketView v4{};
  check_view(v4, core::parse_packet(frame.get(), len, v4), len);

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
      }
    }
  }
  return 0;
}
