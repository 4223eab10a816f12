// native/core/tcp_options.h — the TCP options the SYN proxy and the client-address translation
// read and write (RFC 9293 3.2, RFC 7323, RFC 2018): MSS, window scale and SACK-permitted in
// handshake segments, and where the SACK blocks of any segment sit so that their sequence numbers
// can be translated. Reading stops at the end-of-list option or at the first malformed option (a
// length below 2 or beyond the header): what follows is left alone, as a host would ignore it.
// Pure; any thread.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/net.h"

namespace xvs::core {

inline constexpr uint8_t kTcpOptEnd = 0;
inline constexpr uint8_t kTcpOptNop = 1;
inline constexpr uint8_t kTcpOptMss = 2;
inline constexpr uint8_t kTcpOptWscale = 3;
inline constexpr uint8_t kTcpOptSackPermitted = 4;
inline constexpr uint8_t kTcpOptSack = 5;
inline constexpr uint8_t kTcpOptTimestamps = 8;
inline constexpr uint8_t kNoWscale = 0xff;
inline constexpr uint8_t kMaxWscale = 14;  // RFC 7323 2.3: larger shifts are taken as 14

struct TcpOptions {
  uint16_t mss = 0;              // 0: absent
  uint8_t wscale = kNoWscale;    // the shift, capped at kMaxWscale; kNoWscale: absent
  bool sack_permitted = false;
  bool timestamps = false;
  uint8_t sack_offset = 0;       // from the TCP header's start: the first SACK block (0: none)
  uint8_t sack_blocks = 0;       // 8-byte blocks from sack_offset
};

// Calls visit(kind, offset, length) for each option of the TCP header at `tcp` but NOP
// (offset from the header's start), up to the end-of-list option or the first malformed one.
template <typename Visit>
inline void for_each_tcp_option(const uint8_t* tcp, Visit&& visit) {
  const uint32_t end = reinterpret_cast<const TcpHdr*>(tcp)->header_length();
  uint32_t at = sizeof(TcpHdr);
  while (at < end) {
    const uint8_t kind = tcp[at];
    if (kind == kTcpOptEnd) break;
    if (kind == kTcpOptNop) {
      ++at;
      continue;
    }
    if (at + 1 >= end) break;
    const uint8_t len = tcp[at + 1];
    if (len < 2 || at + len > end) break;
    visit(kind, at, len);
    at += len;
  }
}

inline TcpOptions parse_tcp_options(const uint8_t* tcp) {
  TcpOptions o;
  for_each_tcp_option(tcp, [&](uint8_t kind, uint32_t at, uint8_t len) {
    switch (kind) {
      case kTcpOptMss:
        if (len == 4) o.mss = static_cast<uint16_t>((tcp[at + 2] << 8) | tcp[at + 3]);
        break;
      case kTcpOptWscale:
        if (len == 3) o.wscale = tcp[at + 2] > kMaxWscale ? kMaxWscale : tcp[at + 2];
        break;
      case kTcpOptSackPermitted: o.sack_permitted = len == 2; break;
      case kTcpOptTimestamps: o.timestamps = len == 10; break;
      case kTcpOptSack:
        if ((len - 2) % 8 == 0 && len > 2) {
          o.sack_offset = static_cast<uint8_t>(at + 2);
          o.sack_blocks = static_cast<uint8_t>((len - 2) / 8);
        }
        break;
      default: break;
    }
  });
  return o;
}

// The options of a SYN or SYN-ACK the proxy sends, laid out as Linux lays them (each on a 4-byte
// boundary): MSS; NOP NOP SACK-permitted if `sack`; NOP window-scale if `wscale` is not
// kNoWscale. Returns the bytes written (4 to 12), a multiple of 4.
inline uint32_t write_handshake_options(uint8_t* at, uint16_t mss, uint8_t wscale, bool sack) {
  uint32_t n = 0;
  at[n++] = kTcpOptMss;
  at[n++] = 4;
  at[n++] = static_cast<uint8_t>(mss >> 8);
  at[n++] = static_cast<uint8_t>(mss);
  if (sack) {
    at[n++] = kTcpOptNop;
    at[n++] = kTcpOptNop;
    at[n++] = kTcpOptSackPermitted;
    at[n++] = 2;
  }
  if (wscale != kNoWscale) {
    at[n++] = kTcpOptNop;
    at[n++] = kTcpOptWscale;
    at[n++] = 3;
    at[n++] = wscale;
  }
  return n;
}
inline constexpr uint32_t kMaxHandshakeOptions = 12;

}  // namespace xvs::core
