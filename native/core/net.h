// native/core/net.h — wire headers (Ethernet, IPv4, IPv6, TCP, UDP, ICMP) and byte-order
// helpers. Pure definitions: no I/O, no allocation; used by every thread that touches packets.
#pragma once
#include <cstdint>
#include <cstring>

namespace xvs::core {

inline constexpr uint16_t kEthTypeIpv4 = 0x0800;
inline constexpr uint16_t kEthTypeVlan = 0x8100;
inline constexpr uint16_t kEthTypeIpv6 = 0x86dd;
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoIpip = 4;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;
// IPv6 next-header values of extension headers (RFC 8200 4, RFC 4302) and their neighbours.
inline constexpr uint8_t kIpv6HopByHop = 0;
inline constexpr uint8_t kIpv6Routing = 43;
inline constexpr uint8_t kIpv6Fragment = 44;
inline constexpr uint8_t kIpv6Esp = 50;
inline constexpr uint8_t kIpv6Auth = 51;
inline constexpr uint8_t kIpv6NoNext = 59;
inline constexpr uint8_t kIpv6DestOptions = 60;

inline constexpr uint16_t bswap16(uint16_t v) { return static_cast<uint16_t>((v << 8) | (v >> 8)); }
inline constexpr uint32_t bswap32(uint32_t v) { return __builtin_bswap32(v); }
// Host <-> network order; x86-64 and arm64 Linux are little-endian, and the build refuses others.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "xvs assumes a little-endian host");
inline constexpr uint16_t htons(uint16_t v) { return bswap16(v); }
inline constexpr uint16_t ntohs(uint16_t v) { return bswap16(v); }
inline constexpr uint32_t htonl(uint32_t v) { return bswap32(v); }
inline constexpr uint32_t ntohl(uint32_t v) { return bswap32(v); }

struct __attribute__((packed)) EthHdr {
  uint8_t dst[6];
  uint8_t src[6];
  uint16_t type;  // network order
};
static_assert(sizeof(EthHdr) == 14);

struct __attribute__((packed)) Ipv4Hdr {
  uint8_t version_ihl;
  uint8_t tos;
  uint16_t total_length;
  uint16_t id;
  uint16_t frag_off;  // flags (3 bits) + offset in 8-byte units, network order
  uint8_t ttl;
  uint8_t protocol;
  uint16_t checksum;
  uint32_t saddr;
  uint32_t daddr;

  uint8_t version() const { return version_ihl >> 4; }
  uint32_t header_length() const { return (version_ihl & 0x0f) * 4u; }
};
static_assert(sizeof(Ipv4Hdr) == 20);
inline constexpr uint16_t kIpFlagMoreFragments = 0x2000;
inline constexpr uint16_t kIpFragOffsetMask = 0x1fff;
inline constexpr uint16_t kIpFlagDontFragment = 0x4000;

struct __attribute__((packed)) Ipv6Hdr {
  uint8_t version_class;  // version (4 bits), then the traffic class and flow label
  uint8_t class_flow[3];
  uint16_t payload_length;  // network order: everything after this header, extension headers included
  uint8_t next_header;
  uint8_t hop_limit;
  uint8_t saddr[16];
  uint8_t daddr[16];

  uint8_t version() const { return version_class >> 4; }
};
static_assert(sizeof(Ipv6Hdr) == 40);
// The fragment header's offset field: the offset in 8-byte units (high 13 bits), M (bit 0).
inline constexpr uint16_t kIpv6FragOffsetMask = 0xfff8;
inline constexpr uint16_t kIpv6MoreFragments = 0x0001;

struct __attribute__((packed)) TcpHdr {
  uint16_t sport;
  uint16_t dport;
  uint32_t seq;
  uint32_t ack_seq;
  uint8_t data_offset_reserved;  // data offset in the high nibble, 32-bit words
  uint8_t flags;
  uint16_t window;
  uint16_t checksum;
  uint16_t urgent;

  uint32_t header_length() const { return (data_offset_reserved >> 4) * 4u; }
};
static_assert(sizeof(TcpHdr) == 20);
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpAck = 0x10;

struct __attribute__((packed)) UdpHdr {
  uint16_t sport;
  uint16_t dport;
  uint16_t length;
  uint16_t checksum;
};
static_assert(sizeof(UdpHdr) == 8);

struct __attribute__((packed)) VlanHdr {
  uint16_t tci;
  uint16_t type;  // the encapsulated ethertype
};
static_assert(sizeof(VlanHdr) == 4);

struct __attribute__((packed)) IcmpHdr {
  uint8_t type;
  uint8_t code;
  uint16_t checksum;
  uint16_t unused;  // first half of the rest of the header: zero in the errors xvs reads or sends
  uint16_t mtu;     // fragmentation-needed: the next-hop MTU
};
static_assert(sizeof(IcmpHdr) == 8);
inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpDestUnreachable = 3;
inline constexpr uint8_t kIcmpSourceQuench = 4;
inline constexpr uint8_t kIcmpTimeExceeded = 11;
inline constexpr uint8_t kIcmpParameterProblem = 12;
inline constexpr uint8_t kIcmpCodeFragNeeded = 4;

inline void copy_mac(uint8_t* dst, const uint8_t* src) { std::memcpy(dst, src, 6); }
inline bool mac_is_zero(const uint8_t* mac) {
  static constexpr uint8_t zero[6] = {};
  return std::memcmp(mac, zero, 6) == 0;
}

}  // namespace xvs::core
