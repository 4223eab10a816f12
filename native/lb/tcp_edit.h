// native/lb/tcp_edit.h — edits of one TCP header field of a segment that is only translated (the
// SYN proxy's and the client-address translation's sequence numbers, acknowledgements, windows,
// MSS, SACK edges): the value written and the checksum updated by RFC 1624, at any offset. Fields
// are unaligned in frames: values go through memcpy. `View` is either family's parsed view
// (core::PacketView, core::Packet6View): the TCP header is the same. Runs on the data-plane workers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/checksum.h"
#include "core/net.h"
#include "core/parse.h"

namespace xvs::lb {

inline uint32_t read32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return core::ntohl(v);
}
// A field at an odd offset of the segment (an option after an odd number of NOPs) straddles the
// checksum's 16-bit words: its bytes count with swapped weights, so the update uses each 16-bit
// half byte-swapped (one's-complement sums commute with byte swapping, RFC 1071).
template <typename View>
inline uint32_t as_summed32(const View& pkt, const uint8_t* field, uint32_t v) {
  return ((field - pkt.l4) & 1) ? ((v & 0x00ff00ffu) << 8) | ((v >> 8) & 0x00ff00ffu) : v;
}
template <typename View>
inline uint16_t as_summed16(const View& pkt, const uint8_t* field, uint16_t v) {
  return ((field - pkt.l4) & 1) ? static_cast<uint16_t>((v << 8) | (v >> 8)) : v;
}
template <typename View>
inline void replace32(View& pkt, uint8_t* field, uint32_t value_host) {
  uint32_t old_value;
  std::memcpy(&old_value, field, 4);
  const uint32_t value = core::htonl(value_host);
  pkt.set_l4_checksum(core::checksum_replace32(pkt.l4_checksum(), as_summed32(pkt, field, old_value), as_summed32(pkt, field, value)));
  std::memcpy(field, &value, 4);
}
template <typename View>
inline void replace16(View& pkt, uint8_t* field, uint16_t value_host) {
  const uint16_t old_value = core::load16(field);
  const uint16_t value = core::htons(value_host);
  pkt.set_l4_checksum(core::checksum_replace16(pkt.l4_checksum(), as_summed16(pkt, field, old_value), as_summed16(pkt, field, value)));
  core::store16(field, value);
}
template <typename View>
inline uint8_t* seq_field(View& pkt) { return pkt.l4 + 4; }

// The sequence number of the TCP segment an ICMP error quotes (its first 8 bytes are there,
// core/parse.h), and its new value: the quoted segment's own checksum follows when the quote
// reaches it (as translate_icmp_error keeps it for the addresses and ports); the ICMP checksum is
// computed afresh by that translation.
template <typename View>
inline uint32_t quoted_seq(const View& pkt) { return read32(pkt.quoted.l4 + 4); }
template <typename View>
inline void replace_quoted_seq(View& pkt, uint32_t value_host) {
  auto& q = pkt.quoted;
  uint32_t old_value;
  std::memcpy(&old_value, q.l4 + 4, 4);
  const uint32_t value = core::htonl(value_host);
  std::memcpy(q.l4 + 4, &value, 4);
  constexpr uint32_t kSumAt = offsetof(core::TcpHdr, checksum);
  if (q.l4_len >= kSumAt + 2) core::store16(q.l4 + kSumAt, core::checksum_replace32(core::load16(q.l4 + kSumAt), old_value, value));
}
template <typename View>
inline uint8_t* ack_field(View& pkt) { return pkt.l4 + 8; }
template <typename View>
inline uint8_t* window_field(View& pkt) { return pkt.l4 + 14; }
template <typename View>
inline uint32_t tcp_payload_of(const View& pkt) {
  return pkt.l4_len - reinterpret_cast<const core::TcpHdr*>(pkt.l4)->header_length();
}

}  // namespace xvs::lb
