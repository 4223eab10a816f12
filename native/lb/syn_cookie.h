// native/lb/syn_cookie.h — SYN cookies (RFC 4987 3.6) for the SYN proxy: the initial sequence
// number the balancer answers a client's SYN with encodes what the handshake must remember (the
// client's MSS, window scale and SACK-permitted) and a keyed hash of the connection, so that the
// client's ACK alone proves the handshake and nothing is stored until it does.
//
// A cookie is 32 bits: the low 9 carry the options and the parity of the period it was made in
// (below), the high 23 are SipHash-2-4 of (client address, VIP, ports, client ISN, those 9 bits)
// under the period's secret. Periods are kCookiePeriod seconds of the engine clock; each has its
// own secret, SipHash of the period under a random master key drawn at engine start, so a secret
// is never reused and a cookie is accepted only in its own period and the next (64 to 128 s). A
// forged ACK costs one hash; a guess is right once in 2^23. Time stamps are not negotiated (as
// DPVS by default): a cookie has no room for them, and the server's clock would differ from the
// one the client saw. Runs on the data-plane workers (each keeps its own copy of the keys).
#pragma once
#include <cstdint>

#include "core/ipv6_address.h"
#include "core/siphash.h"
#include "core/tcp_options.h"

namespace xvs::lb {

inline constexpr uint32_t kCookiePeriod = 64;  // seconds
// The MSS values a cookie can name (Linux's msstab for IPv4 plus common tunnel sizes; 1200 for
// IPv6's minimum MTU, 1440 for its Ethernet MSS), rounded down to: a client's MSS becomes the
// largest entry not above it.
inline constexpr uint16_t kCookieMss[8] = {536, 1200, 1300, 1360, 1400, 1440, 1452, 1460};
// The MSS a client that offers none is assumed to take (RFC 9293 3.7.1; RFC 8200 8.3 for IPv6's
// 1280-byte minimum MTU less 60 bytes of headers).
inline constexpr uint16_t kDefaultMss4 = 536, kDefaultMss6 = 1220;

struct CookieOptions {
  uint16_t mss;     // one of kCookieMss
  uint8_t wscale;   // the client's shift, or core::kNoWscale
  bool sack;
};

// What the 9 low bits carry: [0..2] MSS index, [3..6] window scale (15: none), [7] SACK, [8] the
// period's parity.
inline uint32_t cookie_bits(const CookieOptions& o, uint32_t period) {
  uint32_t mss_index = 0;
  while (mss_index + 1 < 8 && kCookieMss[mss_index + 1] <= o.mss) ++mss_index;
  const uint32_t wscale = o.wscale == core::kNoWscale ? 15u : o.wscale;
  return mss_index | (wscale << 3) | (static_cast<uint32_t>(o.sack) << 7) | ((period & 1u) << 8);
}

class CookieKeys {
 public:
  explicit CookieKeys(const core::SipKey& master) : master_(master) {}

  // The cookie for a client's SYN (addresses and ports in network order, ISN in host order).
  // `Addr`: uint32_t (IPv4) or core::Ipv6Address.
  template <typename Addr>
  uint32_t make(uint32_t now, const Addr& saddr, const Addr& daddr, uint16_t sport, uint16_t dport, uint32_t client_isn,
                const CookieOptions& o) {
    const uint32_t period = now / kCookiePeriod;
    const uint32_t bits = cookie_bits(o, period);
    return (hash(period, saddr, daddr, sport, dport, client_isn, bits) & ~0x1ffu) | bits;
  }

  // Whether `cookie` (the client's ACK number - 1) is one this engine made for that tuple and
  // ISN in the current period or the one before (or the next: another worker's clock may be a
  // tick ahead at a period's turn); if so, the options it carries.
  template <typename Addr>
  bool check(uint32_t now, const Addr& saddr, const Addr& daddr, uint16_t sport, uint16_t dport, uint32_t client_isn,
             uint32_t cookie, CookieOptions& out) {
    const uint32_t bits = cookie & 0x1ffu;
    const uint32_t current = now / kCookiePeriod;
    const auto made_in = [&](uint32_t period) {
      return ((hash(period, saddr, daddr, sport, dport, client_isn, bits) ^ cookie) & ~0x1ffu) == 0;
    };
    if (((bits >> 8) & 1u) == (current & 1u)) {
      if (!made_in(current)) return false;
    } else if (!(current > 0 && made_in(current - 1)) && !((now + 1) / kCookiePeriod != current && made_in(current + 1))) {
      return false;
    }
    const uint32_t wscale = (bits >> 3) & 15u;
    if (wscale != 15 && wscale > core::kMaxWscale) return false;
    out = {kCookieMss[bits & 7u], wscale == 15 ? core::kNoWscale : static_cast<uint8_t>(wscale), ((bits >> 7) & 1u) != 0};
    return true;
  }

 private:
  static uint64_t ports_and_isn(uint16_t sport, uint16_t dport, uint32_t isn) {
    return (static_cast<uint64_t>(sport) << 48) | (static_cast<uint64_t>(dport) << 32) | isn;
  }
  uint32_t hash(uint32_t period, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint32_t isn,
                uint32_t bits) {
    const uint64_t words[3] = {(static_cast<uint64_t>(saddr) << 32) | daddr, ports_and_isn(sport, dport, isn), bits};
    return static_cast<uint32_t>(core::siphash24(key_of(period), words, 3));
  }
  uint32_t hash(uint32_t period, const core::Ipv6Address& saddr, const core::Ipv6Address& daddr, uint16_t sport,
                uint16_t dport, uint32_t isn, uint32_t bits) {
    const uint64_t words[6] = {saddr.word(0), saddr.word(1), daddr.word(0), daddr.word(1), ports_and_isn(sport, dport, isn), bits};
    return static_cast<uint32_t>(core::siphash24(key_of(period), words, 6));
  }
  // The secret of `period`, derived once per period and kept for it and the next.
  const core::SipKey& key_of(uint32_t period) {
    Slot& s = slots_[period & 1u];
    if (!s.valid || s.period != period) {
      s.key = {core::siphash24(master_, period, 0), core::siphash24(master_, period, 1)};
      s.period = period;
      s.valid = true;
    }
    return s.key;
  }

  struct Slot {
    core::SipKey key;
    uint32_t period = 0;
    bool valid = false;
  };
  const core::SipKey master_;
  Slot slots_[2];
};

}  // namespace xvs::lb
