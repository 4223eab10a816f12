// native/lb/client_address.cc — see client_address.h. Runs on the data-plane workers.
#include "lb/client_address.h"

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "abi/records.h"
#include "core/checksum.h"
#include "core/tcp_options.h"
#include "lb/core_state.h"
#include "lb/egress.h"
#include "lb/tcp_edit.h"

namespace xvs::lb {
namespace {

using abi::Counter;
using core::htons;
using core::ntohs;

// "\r\n\r\n\0\r\nQUIT\n" (PROXY protocol 2.1), then version 2 / PROXY.
constexpr uint8_t kProxyV2Signature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
constexpr uint8_t kProxyV2Proxy = 0x21;

// What differs between the families: the additions' sizes and address bytes, the IP header's
// length field, and the ICMP error that reports a path MTU.
template <typename View>
struct Wire;

template <>
struct Wire<core::PacketView> {
  static constexpr uint32_t kToa = kToaIpv4Length, kProxyHeader = kProxyV2Ipv4Length, kAddress = 4;
  static constexpr uint8_t kProxyFamily = 0x11;  // AF_INET / STREAM
  static constexpr uint32_t kMinMtu = 68;        // the smallest MTU an IPv4 host must accept (RFC 791)
  static const uint8_t* saddr(const core::PacketView& p) { return reinterpret_cast<const uint8_t*>(&p.ip->saddr); }
  static const uint8_t* daddr(const core::PacketView& p) { return reinterpret_cast<const uint8_t*>(&p.ip->daddr); }
  static uint32_t ip_end(const core::PacketView& p) { return p.l3_offset + ntohs(p.ip->total_length); }
  static uint32_t ip_length(const core::PacketView& p) { return ntohs(p.ip->total_length); }
  // The datagram's length field set to cover `l4_len` bytes after the upper-layer header's start.
  static void set_ip_length(core::PacketView& p, uint32_t l4_len, bool recompute) {
    const uint16_t old_total = p.ip->total_length;
    p.ip->total_length = htons(static_cast<uint16_t>(p.l4_offset - p.l3_offset + l4_len));
    p.ip->checksum = recompute ? core::ipv4_header_checksum(p.ip) : core::checksum_replace16(p.ip->checksum, old_total, p.ip->total_length);
  }
  static uint16_t l4_checksum_whole(const core::PacketView& p) { return core::ipv4_l4_checksum(p.ip, p.l4, p.l4_len); }
  // The MTU field of a "fragmentation needed", or nullptr for any other error.
  static uint8_t* reported_mtu(core::PacketView& p) {
    auto* icmp = reinterpret_cast<core::IcmpHdr*>(p.l4);
    return icmp->type == core::kIcmpDestUnreachable && icmp->code == core::kIcmpCodeFragNeeded ? p.l4 + 6 : nullptr;
  }
  static uint32_t read_mtu(const uint8_t* at) { return ntohs(core::load16(at)); }
  static void write_mtu(uint8_t* at, uint32_t mtu) { core::store16(at, htons(static_cast<uint16_t>(mtu))); }
};

template <>
struct Wire<core::Packet6View> {
  static constexpr uint32_t kToa = kToaIpv6Length, kProxyHeader = kProxyV2Ipv6Length, kAddress = 16;
  static constexpr uint8_t kProxyFamily = 0x21;  // AF_INET6 / STREAM
  static constexpr uint32_t kMinMtu = 1280;      // IPv6's minimum link MTU (RFC 8200 5)
  static const uint8_t* saddr(const core::Packet6View& p) { return p.ip->saddr; }
  static const uint8_t* daddr(const core::Packet6View& p) { return p.ip->daddr; }
  static uint32_t ip_length(const core::Packet6View& p) { return sizeof(core::Ipv6Hdr) + ntohs(p.ip->payload_length); }
  static uint32_t ip_end(const core::Packet6View& p) { return p.l3_offset + ip_length(p); }
  // The payload length covers the extension headers before the upper-layer header; no header sum.
  static void set_ip_length(core::Packet6View& p, uint32_t l4_len, bool) {
    p.ip->payload_length = htons(static_cast<uint16_t>(p.l4_offset - p.l3_offset - sizeof(core::Ipv6Hdr) + l4_len));
  }
  static uint16_t l4_checksum_whole(const core::Packet6View& p) {
    return core::ipv6_l4_checksum(p.ip, core::kIpProtoTcp, p.l4, p.l4_len);
  }
  static uint8_t* reported_mtu(core::Packet6View& p) { return p.l4[0] == core::kIcmpv6PacketTooBig ? p.l4 + 4 : nullptr; }
  static uint32_t read_mtu(const uint8_t* at) { return read32(at); }
  static void write_mtu(uint8_t* at, uint32_t mtu) {
    const uint32_t v = core::htonl(mtu);
    std::memcpy(at, &v, 4);
  }
};

ClientAddressConn& state_of(CoreState& cs, const Conn& c) { return cs.client_addresses[cs.conns.index_of(&c)]; }

template <typename View>
uint8_t added_length(ClientAddress kind) {
  return static_cast<uint8_t>(kind == ClientAddress::toa ? Wire<View>::kToa : Wire<View>::kProxyHeader);
}

// Sequence-number order (RFC 9293 3.4): whether a comes after b, or is b.
bool at_or_after(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }

// A server-space sequence number (acknowledgement, SACK edge) in the client's space: the header
// occupies [client_start, client_start + header) there, and means nothing to the client.
uint32_t to_client_space(uint32_t server_seq, const ClientAddressConn& s) {
  const uint32_t header_end = s.client_start + s.added;
  if (at_or_after(server_seq, header_end)) return server_seq - s.added;
  if (at_or_after(server_seq, s.client_start)) return s.client_start;
  return server_seq;
}

// The MTU a client segment must fit as it is now: the port towards the server's, plus what NAT64
// takes off on the way (an IPv6 header and its extension headers become a 20-byte IPv4 one).
template <typename View>
uint32_t room_mtu(CoreState& cs, Conn& c, const View& pkt) {
  const uint32_t mtu = cs.snapshot->ports[egress(cs, c, kFromClient).port].mtu;
  if constexpr (std::is_same_v<View, core::Packet6View>)
    if (c.nat64) return mtu + (pkt.l4_offset - pkt.l3_offset) - static_cast<uint32_t>(sizeof(core::Ipv4Hdr));
  return mtu;
}

// Opens `len` bytes at frame offset `at` (inside the TCP segment) by moving what follows it up
// to the IP datagram's end; lengths, the IPv4 header checksum and the TCP pseudo-header's share of
// its checksum follow. The caller writes the bytes and adds their sum to the TCP checksum. false,
// with the frame unchanged, when the frame or the MTU has no room.
template <typename View>
bool open_gap(io::Frame& frame, View& pkt, uint32_t at, uint32_t len, uint32_t mtu) {
  const uint32_t ip_end = Wire<View>::ip_end(pkt);
  const uint32_t room = frame.capacity > frame.len ? frame.capacity : frame.len;
  if (ip_end + len > room || Wire<View>::ip_length(pkt) + len > mtu) return false;
  std::memmove(pkt.frame + at + len, pkt.frame + at, ip_end - at);
  Wire<View>::set_ip_length(pkt, pkt.l4_len + len, false);
  pkt.set_l4_checksum(core::checksum_replace16(pkt.l4_checksum(), htons(static_cast<uint16_t>(pkt.l4_len)),
                                               htons(static_cast<uint16_t>(pkt.l4_len + len))));
  pkt.l4_len += len;
  pkt.frame_len = frame.len = ip_end + len;
  return true;
}

// Adds the sum of `len` bytes just written at an even offset of the segment to its checksum.
template <typename View>
void add_to_checksum(View& pkt, const uint8_t* bytes, uint32_t len) {
  pkt.set_l4_checksum(core::checksum_apply(pkt.l4_checksum(), core::checksum_partial(bytes, len)));
}

// The server's SYN-ACK: its MSS option lowered by what client segments will carry besides their
// data, so that a full-sized one still fits.
template <typename View>
void clamp_mss(CoreState& cs, View& pkt, uint32_t added) {
  core::for_each_tcp_option(pkt.l4, [&](uint8_t kind, uint32_t at, uint8_t len) {
    if (kind != core::kTcpOptMss || len != 4) return;
    const uint16_t mss = ntohs(core::load16(pkt.l4 + at + 2));
    if (mss <= added) return;
    replace16(pkt, pkt.l4 + at + 2, static_cast<uint16_t>(mss - added));
    cs.count(Counter::client_mss_clamped);
  });
}

// TCP Fast Open (RFC 7413; kind 34, or the experimental kind 254 with magic 0xF989): data in a
// SYN would reach the server before the header.
bool is_fast_open(const uint8_t* tcp, uint8_t kind, uint32_t at, uint8_t len) {
  return kind == kTcpOptFastOpen || (kind == kTcpOptToa && len >= 4 && tcp[at + 2] == 0xf9 && tcp[at + 3] == 0x89);
}

// Blanks (NOPs) the options of a client segment that `unwanted` names, counting each in `why`.
template <typename View, typename Unwanted>
void blank_options(CoreState& cs, View& pkt, Counter why, Unwanted&& unwanted) {
  core::for_each_tcp_option(pkt.l4, [&](uint8_t kind, uint32_t at, uint8_t len) {
    if (!unwanted(kind, at, len)) return;
    // Options may start at odd offsets: the sums cover the 16-bit words around the option, before
    // and after, and their difference is the update (RFC 1624).
    const uint32_t first = at & ~1u, last = (at + len + 1) & ~1u;
    const uint16_t before = core::checksum_fold(core::checksum_partial(pkt.l4 + first, last - first));
    std::memset(pkt.l4 + at, core::kTcpOptNop, len);
    const uint64_t after = core::checksum_partial(pkt.l4 + first, last - first);
    pkt.set_l4_checksum(core::checksum_apply(pkt.l4_checksum(), after + static_cast<uint16_t>(~before)));
    cs.count(why);
  });
}

// client_address: toa, a client segment other than a SYN.
template <typename View>
void carry_toa(CoreState& cs, io::Frame& frame, View& pkt, Conn& c, const ClientAddressConn& s) {
  // Only while the client has acknowledged nothing of the server's data (as DPVS): the segment
  // completing the handshake, on which a server's TOA module reads it, and the first requests.
  if ((pkt.tcp_flags & (core::kTcpRst | core::kTcpAck)) != core::kTcpAck || !s.server_answered ||
      read32(ack_field(pkt)) != s.server_start)
    return;
  const uint32_t header = reinterpret_cast<const core::TcpHdr*>(pkt.l4)->header_length();
  // In front of the other options: an end-of-list among them cannot hide it.
  constexpr uint32_t kToa = Wire<View>::kToa;
  if (header + kToa > 60 || !open_gap(frame, pkt, pkt.l4_offset + sizeof(core::TcpHdr), kToa, room_mtu(cs, c, pkt))) {
    cs.count(Counter::toa_no_room);
    return;
  }
  uint8_t* option = pkt.l4 + sizeof(core::TcpHdr);
  option[0] = kTcpOptToa;
  option[1] = kToa;
  std::memcpy(option + 2, pkt.l4, 2);                                        // the client's port, as it sent it
  std::memcpy(option + 4, Wire<View>::saddr(pkt), Wire<View>::kAddress);     // the client's address
  add_to_checksum(pkt, option, kToa);
  // The data offset shares its 16-bit word with the flags.
  const uint16_t old_word = core::load16(pkt.l4 + 12);
  pkt.l4[12] = static_cast<uint8_t>((((header + kToa) / 4) << 4) | (pkt.l4[12] & 0x0f));
  pkt.set_l4_checksum(core::checksum_replace16(pkt.l4_checksum(), old_word, core::load16(pkt.l4 + 12)));
  cs.count(Counter::toa_added);
}

// The PROXY protocol v2 header for this segment's client and the address it connected to.
template <typename View>
void write_proxy_header(uint8_t* at, const View& pkt) {
  using W = Wire<View>;
  std::memcpy(at, kProxyV2Signature, sizeof kProxyV2Signature);
  at[12] = kProxyV2Proxy;
  at[13] = W::kProxyFamily;
  core::store16(at + 14, htons(static_cast<uint16_t>(2 * W::kAddress + 4)));
  std::memcpy(at + 16, W::saddr(pkt), W::kAddress);
  std::memcpy(at + 16 + W::kAddress, W::daddr(pkt), W::kAddress);
  std::memcpy(at + 16 + 2 * W::kAddress, pkt.l4, 4);  // source port, destination port
}

// A client segment at the stream's start while the server has not acknowledged the header: the
// header goes in front of whatever it carries (data, a FIN, nothing: the ACK completing the
// handshake sends it, so servers that speak first get it too), or, without room for both, in
// its place.
// false: dropped (counted).
template <typename View>
bool insert_proxy_header(CoreState& cs, io::Frame& frame, View& pkt, Conn& c, ClientAddressConn& s) {
  constexpr uint32_t kHeader = Wire<View>::kProxyHeader;
  const uint32_t header = reinterpret_cast<const core::TcpHdr*>(pkt.l4)->header_length();
  const uint32_t data_at = pkt.l4_offset + header;
  if (open_gap(frame, pkt, data_at, kHeader, room_mtu(cs, c, pkt))) {
    write_proxy_header(pkt.frame + data_at, pkt);
    add_to_checksum(pkt, pkt.frame + data_at, kHeader);
    s.header_sent = true;
    cs.count(Counter::proxy_header_sent);
    return true;
  }
  // The header alone: the client's data (and its FIN, which follows the data) is not sent, and the
  // client sends it again once the server's ACK leaves it unacknowledged. Rare (a client that
  // ignored the clamped MSS): the segment's checksum is computed whole.
  const uint32_t end = data_at + kHeader;
  const uint32_t room = frame.capacity > frame.len ? frame.capacity : frame.len;
  if (end > room) {
    cs.count(Counter::drop_proxy_header_no_room);
    return false;
  }
  write_proxy_header(pkt.frame + data_at, pkt);
  pkt.l4[13] = pkt.tcp_flags = static_cast<uint8_t>(pkt.tcp_flags & ~core::kTcpFin);
  pkt.l4_len = header + kHeader;
  Wire<View>::set_ip_length(pkt, pkt.l4_len, true);
  pkt.frame_len = frame.len = end;
  pkt.set_l4_checksum(0);
  pkt.set_l4_checksum(Wire<View>::l4_checksum_whole(pkt));
  s.header_sent = true;
  cs.count(Counter::proxy_header_alone);
  return true;
}

// client_address: proxy_v2, a client segment other than a SYN; false: dropped (counted).
template <typename View>
bool carry_proxy_header(CoreState& cs, io::Frame& frame, View& pkt, Conn& c, ClientAddressConn& s) {
  const uint32_t seq = read32(seq_field(pkt));
  if (seq == s.client_start) {
    if (!s.header_acked && !(pkt.tcp_flags & core::kTcpRst)) return insert_proxy_header(cs, frame, pkt, c, s);
    // An RST, or a retransmission once the server has the header: after the header, if it went.
    if (s.header_sent) replace32(pkt, seq_field(pkt), seq + s.added);
    return true;
  }
  // Every later byte sits behind the header, even one that arrives before the first.
  if (at_or_after(seq, s.client_start)) replace32(pkt, seq_field(pkt), seq + s.added);
  return true;
}

// client_address: proxy_v2, a server segment: what it acknowledges, in the client's space.
template <typename View>
void acknowledge_to_client(View& pkt, ClientAddressConn& s) {
  if (!(pkt.tcp_flags & core::kTcpAck)) return;
  const uint32_t ack = read32(ack_field(pkt));
  if (at_or_after(ack, s.client_start + s.added) && s.header_sent) s.header_acked = true;
  const uint32_t mapped = to_client_space(ack, s);
  if (mapped != ack) replace32(pkt, ack_field(pkt), mapped);
  if (reinterpret_cast<const core::TcpHdr*>(pkt.l4)->header_length() == sizeof(core::TcpHdr)) return;
  const core::TcpOptions o = core::parse_tcp_options(pkt.l4);
  for (uint32_t b = 0; b < o.sack_blocks; ++b)
    for (uint32_t edge = 0; edge < 2; ++edge) {
      uint8_t* at = pkt.l4 + o.sack_offset + b * 8 + edge * 4;
      const uint32_t value = read32(at);
      if (const uint32_t client_value = to_client_space(value, s); client_value != value) replace32(pkt, at, client_value);
    }
}

}  // namespace

ClientAddress client_address_of(uint8_t service_flags) {
  if (service_flags & abi::client_address_proxy_v2) return ClientAddress::proxy_v2;
  if (service_flags & abi::client_address_toa) return ClientAddress::toa;
  return ClientAddress::none;
}

template <typename View>
void start_client_address(CoreState& cs, Conn& c, ClientAddress kind, const View& pkt) {
  c.client_address = static_cast<uint8_t>(kind);
  ClientAddressConn& s = state_of(cs, c);
  s = ClientAddressConn{};
  s.client_start = read32(pkt.l4 + 4) + 1;
  s.added = added_length<View>(kind);
}

template <typename View>
bool carry_client_address(CoreState& cs, io::Frame& frame, View& pkt, Conn& c, Direction dir) {
  ClientAddressConn& s = state_of(cs, c);
  const auto kind = static_cast<ClientAddress>(c.client_address);
  constexpr uint8_t kSynAck = core::kTcpSyn | core::kTcpAck;
  if (dir == kFromServer) {
    if ((pkt.tcp_flags & (kSynAck | core::kTcpRst)) == kSynAck) {
      s.server_start = read32(seq_field(pkt)) + 1;
      s.server_answered = true;
      clamp_mss(cs, pkt, s.added);
      return true;  // it acknowledges the client's SYN: nothing of the header
    }
    if (kind == ClientAddress::proxy_v2) acknowledge_to_client(pkt, s);
    return true;
  }
  const bool syn = (pkt.tcp_flags & (core::kTcpSyn | core::kTcpAck)) == core::kTcpSyn;
  if (reinterpret_cast<const core::TcpHdr*>(pkt.l4)->header_length() > sizeof(core::TcpHdr)) {
    // TOA is the balancer's to write; a fast-open SYN's data would precede the header.
    if (kind == ClientAddress::toa)
      blank_options(cs, pkt, Counter::toa_forged_removed, [](uint8_t k, uint32_t, uint8_t) { return k == kTcpOptToa; });
    else if (syn)
      blank_options(cs, pkt, Counter::client_fast_open_removed,
                    [&](uint8_t k, uint32_t at, uint8_t len) { return is_fast_open(pkt.l4, k, at, len); });
  }
  if (syn && !s.header_sent) {
    // The client may start again with another ISN while the server has not answered (its first
    // SYN lost on the way, or dropped by a full queue): the stream starts after the one the
    // server answers.
    const uint8_t added = s.added;
    s = ClientAddressConn{};
    s.client_start = read32(seq_field(pkt)) + 1;
    s.added = added;
  }
  if (pkt.tcp_flags & core::kTcpSyn) return true;
  if (kind == ClientAddress::proxy_v2) return carry_proxy_header(cs, frame, pkt, c, s);
  carry_toa(cs, frame, pkt, c, s);
  return true;
}

template <typename View>
void lower_reported_mtu(CoreState& cs, View& pkt, const Conn& c) {
  uint8_t* at = Wire<View>::reported_mtu(pkt);
  if (at == nullptr) return;
  const uint32_t mtu = Wire<View>::read_mtu(at), added = state_of(cs, c).added;
  // Never below what every host of the family must accept: such a client would not go lower.
  if (mtu > added + Wire<View>::kMinMtu) Wire<View>::write_mtu(at, mtu - added);
}

template <typename View>
void untranslate_quoted_client_seq(CoreState& cs, View& pkt, const Conn& c) {
  const uint32_t server_seq = quoted_seq(pkt);
  const uint32_t client_seq = to_client_space(server_seq, state_of(cs, c));
  if (client_seq != server_seq) replace_quoted_seq(pkt, client_seq);
}

#define XVS_CLIENT_ADDRESS_FOR(View)                                                                  \
  template void start_client_address<View>(CoreState&, Conn&, ClientAddress, const View&);           \
  template bool carry_client_address<View>(CoreState&, io::Frame&, View&, Conn&, Direction);         \
  template void lower_reported_mtu<View>(CoreState&, View&, const Conn&);                            \
  template void untranslate_quoted_client_seq<View>(CoreState&, View&, const Conn&);
XVS_CLIENT_ADDRESS_FOR(core::PacketView)
XVS_CLIENT_ADDRESS_FOR(core::Packet6View)
#undef XVS_CLIENT_ADDRESS_FOR

}  // namespace xvs::lb
