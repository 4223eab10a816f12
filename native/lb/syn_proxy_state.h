// native/lb/syn_proxy_state.h — what one worker keeps for its SYN-proxied connections
// (lb/syn_proxy.cc): the cookie secrets, one ProxiedConn beside each connection-table entry (by
// its index) for the sequence and window translation of the connection's life, and a small
// stash for the first data segment a client sends before the server has answered the
// balancer's SYN. Part of CoreState: written and read by its worker only.
#pragma once
#include <cstdint>

#include "abi/records.h"
#include "core/huge_array.h"
#include "lb/server_counters.h"
#include "lb/syn_cookie.h"

namespace xvs::lb {

// Beside a connection whose flags have kSynProxied. Sequence numbers in host order.
struct ProxiedConn {
  uint32_t client_isn;    // the client's ISN: the SYN the server gets starts there
  uint32_t isn;           // the balancer's ISN towards the client: the cookie
  uint32_t seq_delta;     // isn - the server's ISN: added to server sequence numbers, taken from client ACKs
  uint16_t stash;         // the slot of the client's first data segment while the server has not answered
  uint16_t client_window; // the window of the client's ACK, as the client scaled it
  CookieOptions options;  // what the client's SYN offered (from the cookie)
  uint8_t server_shift;   // the server's window scale (0: none)
  uint8_t client_shift;   // the scale the client applies to the windows it receives (0: none)
  uint8_t to_server_shift;  // shift left of client windows: the client scales but the server does not
  bool server_answered;     // the server's SYN-ACK came: seq_delta and the shifts are set
};

// First data segments held while their server's SYN-ACK is pending: copied frames, as received.
class ProxyStash {
 public:
  static constexpr uint16_t kSlots = 512;
  static constexpr uint32_t kBytes = 2048 - 4;
  static constexpr uint16_t kNone = 0xffff;

  ProxyStash() : slots_(kSlots) {
    for (uint16_t i = 0; i < kSlots; ++i) free_[i] = static_cast<uint16_t>(kSlots - 1 - i);
  }

  // A slot holding a copy of `len` bytes at `data`; kNone if none is free or the frame is larger.
  uint16_t put(const uint8_t* data, uint32_t len) {
    if (free_top_ == 0 || len > kBytes) return kNone;
    const uint16_t slot = free_[--free_top_];
    slots_[slot].len = static_cast<uint16_t>(len);
    __builtin_memcpy(slots_[slot].bytes, data, len);
    return slot;
  }
  const uint8_t* bytes(uint16_t slot) const { return slots_[slot].bytes; }
  uint32_t length(uint16_t slot) const { return slots_[slot].len; }
  void release(uint16_t slot) {
    if (slot != kNone) free_[free_top_++] = slot;
  }
  uint32_t in_use() const { return kSlots - free_top_; }

 private:
  struct Slot {
    uint16_t len;
    uint8_t bytes[kBytes];
  };
  core::HugeArray<Slot> slots_;
  uint16_t free_[kSlots];
  uint32_t free_top_ = kSlots;
};

// When each worker last answered a SYN with a cookie (engine clock + 1; 0: never), one line per
// worker in an array the engine owns (abi::kMaxWorkers of them). An ACK without a connection is
// read as a cookie while some worker's cookie could still be valid, and is a plain stray
// otherwise; some worker, because a cookie one worker made may come back to another (veth picks
// the queue by the sending CPU; a NIC's RSS would keep the flow on one). Each worker writes its
// own line (a relaxed store, once per second at most), every worker reads them all.
struct alignas(64) CookieClock {
  uint32_t sent_at;
};

struct SynProxyState {
  // `entries`: the connection table's lines() (its entry indices).
  SynProxyState(uint32_t entries, const core::SipKey& master, CookieClock* clocks)
      : cookies(master), conns(entries), cookie_clocks(clocks) {}

  CookieKeys cookies;
  core::HugeArray<ProxiedConn> conns;  // by connection index
  ProxyStash stash;
  CookieClock* const cookie_clocks;  // [worker]
};

}  // namespace xvs::lb
