// native/core/checksum.h — Internet checksum: full computation (for building and verifying
// packets, IPv4 and IPv6 pseudo-headers) and incremental update by RFC 1624 eqn. 3,
// HC' = ~(~HC + ~m + m'), which the fast path uses for every address, port and TTL rewrite (32- and
// 128-bit addresses). Pure functions, any thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/net.h"

namespace xvs::core {

// One's-complement sum of 16-bit words in memory order, not folded.
inline uint64_t checksum_partial(const void* data, size_t len, uint64_t sum = 0) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (len >= 4) {
    uint32_t word;
    std::memcpy(&word, p, 4);
    sum += word;
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t half;
    std::memcpy(&half, p, 2);
    sum += half;
    p += 2;
    len -= 2;
  }
  if (len == 1) sum += *p;  // the odd byte is the high byte in network order: low byte in memory-order sum on LE
  return sum;
}

// To 16 bits with end-around carries: 64 -> 32 by an add with carry, 32 -> 16 as Linux's
// csum_fold does (the sum plus itself rotated by 16 holds the folded sum, carry included, in its
// top half).
inline uint16_t checksum_fold(uint64_t sum) {
  uint32_t folded;
  const bool carry = __builtin_add_overflow(static_cast<uint32_t>(sum), static_cast<uint32_t>(sum >> 32), &folded);
  folded += carry;  // cannot carry again: the sum of two 32-bit values is at most 2^33 - 2
  return static_cast<uint16_t>((folded + ((folded >> 16) | (folded << 16))) >> 16);
}

// Checksum field value (memory order) for a buffer whose checksum field is zero.
inline uint16_t checksum_finish(uint64_t sum) { return static_cast<uint16_t>(~checksum_fold(sum)); }

inline uint16_t ipv4_header_checksum(const Ipv4Hdr* ip) {
  Ipv4Hdr copy;
  std::memcpy(&copy, ip, sizeof copy);
  copy.checksum = 0;
  uint64_t sum = checksum_partial(&copy, sizeof copy);
  const size_t options = ip->header_length() - sizeof(Ipv4Hdr);
  sum = checksum_partial(reinterpret_cast<const uint8_t*>(ip) + sizeof(Ipv4Hdr), options, sum);
  return checksum_finish(sum);
}

// TCP/UDP checksum over the IPv4 pseudo-header and `l4_len` bytes at `l4`, whose checksum
// field must be zeroed by the caller (or the result compared with zero to verify).
inline uint16_t ipv4_l4_checksum(const Ipv4Hdr* ip, const void* l4, size_t l4_len) {
  uint64_t sum = static_cast<uint64_t>(ip->saddr) + ip->daddr;
  sum += htons(ip->protocol);
  sum += htons(static_cast<uint16_t>(l4_len));
  sum = checksum_partial(l4, l4_len, sum);
  return checksum_finish(sum);
}

// IPv6 (RFC 8200 8.1): the pseudo-header — both addresses, the upper-layer length and the
// next-header value — summed; ICMPv6 is covered by it too, unlike ICMP.
inline uint64_t ipv6_pseudo_sum(const Ipv6Hdr* ip, uint32_t upper_length, uint8_t next_header) {
  uint64_t sum = checksum_partial(ip->saddr, 32);  // source then destination: adjacent
  sum += htonl(upper_length);
  sum += htonl(next_header);
  return sum;
}

// The upper-layer checksum of `l4_len` bytes at `l4` under `ip` (checksum field zeroed by the
// caller, or the result compared with zero to verify).
inline uint16_t ipv6_l4_checksum(const Ipv6Hdr* ip, uint8_t next_header, const void* l4, size_t l4_len) {
  return checksum_finish(checksum_partial(l4, l4_len, ipv6_pseudo_sum(ip, static_cast<uint32_t>(l4_len), next_header)));
}

// RFC 1624: the new checksum field (memory order) after a 16-bit word changes. Values, not
// references: header fields are unaligned in frames (IPv4 starts at offset 14).
inline uint16_t checksum_replace16(uint16_t check, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  return static_cast<uint16_t>(~checksum_fold(sum));
}

// RFC 1624 for a 32-bit field (an IPv4 address): two 16-bit words at once.
inline uint16_t checksum_replace32(uint16_t check, uint32_t old_word, uint32_t new_word) {
  uint64_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint32_t>(~old_word);
  sum += new_word;
  return static_cast<uint16_t>(~checksum_fold(sum));
}

// UDP over IPv4: a zero checksum means "none" and must stay zero; a computed zero is sent as
// 0xffff (RFC 768).
inline uint16_t udp_checksum_replace16(uint16_t check, uint16_t old_word, uint16_t new_word) {
  if (check == 0) return 0;
  const uint16_t next = checksum_replace16(check, old_word, new_word);
  return next == 0 ? 0xffff : next;
}
inline uint16_t udp_checksum_replace32(uint16_t check, uint32_t old_word, uint32_t new_word) {
  if (check == 0) return 0;
  const uint16_t next = checksum_replace32(check, old_word, new_word);
  return next == 0 ? 0xffff : next;
}

// One's-complement delta that turns a checksum over `old_word` into one over `new_word`: the
// `~m + m'` of RFC 1624 eqn. 3, for 16- and 32-bit fields as they lie in memory. Deltas add up;
// apply their sum with checksum_apply (one fold for any number of fields).
inline uint64_t checksum_delta32(uint32_t old_word, uint32_t new_word) {
  return static_cast<uint64_t>(static_cast<uint32_t>(~old_word)) + new_word;
}
inline uint64_t checksum_delta16(uint16_t old_word, uint16_t new_word) {
  return static_cast<uint64_t>(static_cast<uint16_t>(~old_word)) + new_word;
}
// The delta of a 128-bit field (an IPv6 address) as it lies in memory: its two 64-bit words
// summed with end-around carries (2^64 = 1 in one's complement arithmetic mod 0xffff, as 2^16 is),
// then folded to at most 33 bits (its two halves added) so that it adds to other deltas like theirs. Zero only when every
// word's `~old + new` is (old all ones, new zero), as with 16-bit words. Eight-byte loads: an
// address written by two eight-byte stores is forwarded to them, not to one sixteen-byte load.
inline uint64_t checksum_add_carry(uint64_t a, uint64_t b) {
  uint64_t sum;
  const bool carry = __builtin_add_overflow(a, b, &sum);
  return sum + carry;  // cannot carry again: a + b - 2^64 is at most 2^64 - 2
}
inline uint64_t checksum_delta128(const uint8_t* old_address, const uint8_t* new_address) {
  uint64_t old_low, old_high, new_low, new_high;
  std::memcpy(&old_low, old_address, 8);
  std::memcpy(&old_high, old_address + 8, 8);
  std::memcpy(&new_low, new_address, 8);
  std::memcpy(&new_high, new_address + 8, 8);
  const uint64_t sum = checksum_add_carry(checksum_add_carry(~old_low, ~old_high), checksum_add_carry(new_low, new_high));
  return (sum & 0xffffffffu) + (sum >> 32);
}
inline uint16_t checksum_apply(uint16_t check, uint64_t delta) {
  return static_cast<uint16_t>(~checksum_fold(static_cast<uint16_t>(~check) + delta));
}
// The same for a UDP checksum: zero ("none") stays zero, a computed zero is sent as 0xffff.
inline uint16_t udp_checksum_apply(uint16_t check, uint64_t delta) {
  if (check == 0) return 0;
  const uint16_t next = checksum_apply(check, delta);
  return next == 0 ? 0xffff : next;
}

}  // namespace xvs::core
