// native/io/arp.h — ARP for IPv4 over Ethernet (RFC 826), with one optional 802.1Q tag: parse a
// frame, turn a request into its reply in place, build a request. Pure functions on bytes; the
// DPDK backend's queues use them on the worker that owns the frame (answering for the data
// plane's addresses, learning neighbours), where no kernel does it (io/dpdk/dpdk_queue.h).
#pragma once
#include <cstdint>
#include <cstring>

#include "core/net.h"

namespace xvs::io::arp {

inline constexpr uint16_t kEthTypeArp = 0x0806;
inline constexpr uint16_t kOpRequest = 1;
inline constexpr uint16_t kOpReply = 2;
inline constexpr uint32_t kArpLength = 28;  // Ethernet/IPv4 ARP payload
inline constexpr uint32_t kMinFrame = 60;   // without FCS: requests are padded to it

struct View {
  uint32_t offset = 0;  // of the ARP payload in the frame (14, or 18 with a VLAN tag)
  uint16_t op = 0;
  uint8_t sender_mac[6] = {};
  uint32_t sender_ip = 0;  // network order, as every address in xvs
  uint8_t target_mac[6] = {};
  uint32_t target_ip = 0;
};

// True when `frame` is an Ethernet/IPv4 ARP request or reply (hardware type 1, protocol 0x0800,
// lengths 6 and 4); anything else, including a truncated one, is not.
inline bool parse(const uint8_t* frame, uint32_t len, View& out) {
  if (len < sizeof(core::EthHdr)) return false;
  uint32_t off = 12;
  uint16_t type = static_cast<uint16_t>(frame[off] << 8 | frame[off + 1]);
  off += 2;
  if (type == core::kEthTypeVlan) {
    if (len < off + 4) return false;
    type = static_cast<uint16_t>(frame[off + 2] << 8 | frame[off + 3]);
    off += 4;
  }
  if (type != kEthTypeArp || len < off + kArpLength) return false;
  const uint8_t* a = frame + off;
  if (a[0] != 0 || a[1] != 1 || a[2] != 0x08 || a[3] != 0x00 || a[4] != 6 || a[5] != 4) return false;
  out.offset = off;
  out.op = static_cast<uint16_t>(a[6] << 8 | a[7]);
  std::memcpy(out.sender_mac, a + 8, 6);
  std::memcpy(&out.sender_ip, a + 14, 4);
  std::memcpy(out.target_mac, a + 18, 6);
  std::memcpy(&out.target_ip, a + 24, 4);
  return out.op == kOpRequest || out.op == kOpReply;
}

// Turns the parsed request in `frame` into the reply that `mac` holds its target address; the
// frame keeps its length (and its VLAN tag).
inline void answer_in_place(uint8_t* frame, const View& request, const uint8_t mac[6]) {
  std::memcpy(frame, request.sender_mac, 6);  // Ethernet destination: the asker
  std::memcpy(frame + 6, mac, 6);
  uint8_t* a = frame + request.offset;
  a[6] = 0;
  a[7] = kOpReply;
  std::memcpy(a + 8, mac, 6);
  std::memcpy(a + 14, &request.target_ip, 4);
  std::memcpy(a + 18, request.sender_mac, 6);
  std::memcpy(a + 24, &request.sender_ip, 4);
}

// Writes a broadcast request "who has target_ip, tell sender_ip" (untagged, padded to 60 bytes)
// into `out`, which must hold kMinFrame bytes; returns its length.
inline uint32_t build_request(uint8_t* out, const uint8_t sender_mac[6], uint32_t sender_ip, uint32_t target_ip) {
  std::memset(out, 0, kMinFrame);
  std::memset(out, 0xff, 6);
  std::memcpy(out + 6, sender_mac, 6);
  out[12] = 0x08;
  out[13] = 0x06;
  uint8_t* a = out + sizeof(core::EthHdr);
  const uint8_t fixed[8] = {0, 1, 0x08, 0x00, 6, 4, 0, kOpRequest};
  std::memcpy(a, fixed, 8);
  std::memcpy(a + 8, sender_mac, 6);
  std::memcpy(a + 14, &sender_ip, 4);
  std::memcpy(a + 24, &target_ip, 4);  // target MAC stays zero
  return kMinFrame;
}

}  // namespace xvs::io::arp
