// native/core/ipv6_address.h — an IPv6 address as a value: 16 bytes in network order, copied out
// of (and into) unaligned header fields, compared and hashed as two 64-bit words. The connection
// table keys, the snapshot's records and the packet path's translations hold addresses of this
// type wherever IPv4 code holds a be32. Pure; any thread.
#pragma once
#include <cstdint>
#include <cstring>

namespace xvs::core {

struct alignas(8) Ipv6Address {
  uint8_t bytes[16];

  static Ipv6Address load(const uint8_t* p) {
    Ipv6Address a;
    std::memcpy(a.bytes, p, 16);
    return a;
  }
  void store(uint8_t* p) const { std::memcpy(p, bytes, 16); }
  // The address as two words in memory order (the first eight bytes first): for hashing and
  // comparing, not for arithmetic.
  uint64_t word(int i) const {
    uint64_t w;
    std::memcpy(&w, bytes + 8 * i, 8);
    return w;
  }
  bool is_zero() const { return (word(0) | word(1)) == 0; }
  friend bool operator==(const Ipv6Address& a, const Ipv6Address& b) {
    return ((a.word(0) ^ b.word(0)) | (a.word(1) ^ b.word(1))) == 0;
  }
  friend bool operator!=(const Ipv6Address& a, const Ipv6Address& b) { return !(a == b); }
};
static_assert(sizeof(Ipv6Address) == 16);

}  // namespace xvs::core
