// native/lb/syn_proxy.cc — see syn_proxy.h. Segments the proxy builds are small and rare (one
// per handshake): their checksums are computed whole; segments it only translates get RFC 1624
// updates. Written once over the address family (lb/family.h), instantiated for IPv4 and IPv6.
// Runs on the data-plane workers.
#include "lb/syn_proxy.h"

#include <cstddef>
#include <cstring>

#include "core/checksum.h"
#include "core/tcp_options.h"
#include "lb/load.h"
#include "lb/tcp_edit.h"
#include "lb/tcp_state.h"
#include "lb/traffic.h"
#include "lb/translate.h"

namespace xvs::lb {
namespace {

using abi::Counter;
using core::htonl;
using core::htons;
using core::ntohl;
using core::ntohs;

constexpr uint8_t kHopLimit = 64;
constexpr uint16_t kNoStash = ProxyStash::kNone;

template <typename View>
core::TcpHdr* tcp_of(View& pkt) { return reinterpret_cast<core::TcpHdr*>(pkt.l4); }
ProxiedConn& proxied(CoreState& cs, const Conn& c) { return cs.proxy.conns[cs.conns.index_of(&c)]; }

// A window as one side scales it (<< left) re-expressed as the other reads it (>> right),
// rounded down and capped: never more room than the receiver has.
uint16_t rescale_window(uint16_t window, uint8_t left, uint8_t right) {
  if (left == right) return window;
  const uint32_t bytes = (static_cast<uint32_t>(window) << left) >> right;
  if (bytes == 0 && window != 0) return 1;  // an open window stays open (a zero window stalls the sender)
  return bytes > 0xffff ? 0xffff : static_cast<uint16_t>(bytes);
}

// The IP header of a segment the proxy builds, per family: `reset` writes a new header in place
// (IPv4: no options, DF; IPv6: no extension headers; hop limit 64) and moves the TCP header
// right behind it (its fields are all written afterwards); `finish` sets the lengths and the
// checksums once the TCP header and options are written.
template <typename F>
struct BuiltIp;

template <>
struct BuiltIp<V4> {
  static constexpr uint32_t kHeader = sizeof(core::Ipv4Hdr);
  static void reset(core::PacketView& pkt) {
    core::Ipv4Hdr* ip = pkt.ip;
    ip->version_ihl = 0x45;
    ip->tos = 0;
    ip->id = 0;
    ip->frag_off = htons(core::kIpFlagDontFragment);
    ip->ttl = kHopLimit;
    pkt.l4_offset = pkt.l3_offset + kHeader;
    pkt.l4 = pkt.frame + pkt.l4_offset;
  }
  static void set_addresses(core::PacketView& pkt, uint32_t saddr, uint32_t daddr) {
    pkt.ip->saddr = saddr;
    pkt.ip->daddr = daddr;
  }
  static void finish(core::PacketView& pkt, uint32_t tcp_len) {
    pkt.ip->total_length = htons(static_cast<uint16_t>(kHeader + tcp_len));
    pkt.ip->checksum = core::ipv4_header_checksum(pkt.ip);
    pkt.set_l4_checksum(core::ipv4_l4_checksum(pkt.ip, pkt.l4, tcp_len));
  }
  static uint16_t default_mss() { return kDefaultMss4; }
  static void reparse(io::Frame& frame, core::PacketView& pkt) { core::parse_packet(frame.data, frame.len, pkt); }
};

template <>
struct BuiltIp<V6> {
  static constexpr uint32_t kHeader = sizeof(core::Ipv6Hdr);
  static void reset(core::Packet6View& pkt) {
    core::Ipv6Hdr* ip = pkt.ip;
    ip->version_class = 0x60;
    ip->class_flow[0] = ip->class_flow[1] = ip->class_flow[2] = 0;
    ip->next_header = core::kIpProtoTcp;
    ip->hop_limit = kHopLimit;
    pkt.l4_offset = pkt.l3_offset + kHeader;
    pkt.l4 = pkt.frame + pkt.l4_offset;
  }
  static void set_addresses(core::Packet6View& pkt, const core::Ipv6Address& saddr, const core::Ipv6Address& daddr) {
    saddr.store(pkt.ip->saddr);
    daddr.store(pkt.ip->daddr);
  }
  static void finish(core::Packet6View& pkt, uint32_t tcp_len) {
    pkt.ip->payload_length = htons(static_cast<uint16_t>(tcp_len));
    pkt.set_l4_checksum(core::ipv6_l4_checksum(pkt.ip, core::kIpProtoTcp, pkt.l4, tcp_len));
  }
  static uint16_t default_mss() { return kDefaultMss6; }
  static void reparse(io::Frame& frame, core::Packet6View& pkt) {
    core::parse_ipv6(frame.data, frame.len, ipv6_header_offset(frame.data, frame.len), pkt);
  }
};

// Writes the TCP header of a segment the proxy builds (options, if any, already written behind
// it), then lengths and checksums.
template <typename F>
void finish_segment(io::Frame& frame, typename F::View& pkt, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                    uint8_t flags, uint16_t window, uint32_t options_len) {
  core::TcpHdr* t = tcp_of(pkt);
  const uint32_t tcp_len = sizeof(core::TcpHdr) + options_len;
  t->sport = sport;
  t->dport = dport;
  t->seq = htonl(seq);
  t->ack_seq = htonl(ack);
  t->data_offset_reserved = static_cast<uint8_t>((tcp_len / 4) << 4);
  t->flags = flags;
  t->window = htons(window);
  t->checksum = 0;
  t->urgent = 0;
  pkt.l4_len = tcp_len;
  pkt.tcp_flags = flags;
  pkt.frame_len = frame.len = pkt.l4_offset + tcp_len;
  BuiltIp<F>::finish(pkt, tcp_len);
}

// Whether a segment the proxy builds (the largest: a SYN with every option) fits in `frame`.
template <typename F>
bool built_segment_fits(const io::Frame& frame, const typename F::View& pkt) {
  const uint32_t needed = pkt.l3_offset + BuiltIp<F>::kHeader + sizeof(core::TcpHdr) + core::kMaxHandshakeOptions;
  return needed <= frame.len || needed <= frame.capacity;
}

// The SYN the server gets, in place of the client segment in `pkt` (addresses as the client
// sends them: the mode's translation follows): the client's ISN and the options its cookie kept.
template <typename F>
void make_server_syn(io::Frame& frame, typename F::View& pkt, const ProxiedConn& p) {
  const uint16_t sport = pkt.sport(), dport = pkt.dport();
  BuiltIp<F>::reset(pkt);
  const uint32_t options =
      core::write_handshake_options(pkt.l4 + sizeof(core::TcpHdr), p.options.mss, p.options.wscale, p.options.sack);
  // A SYN's window is never scaled: the client's in bytes, as far as 16 bits go.
  const uint8_t client_scale = p.options.wscale == core::kNoWscale ? 0 : p.options.wscale;
  finish_segment<F>(frame, pkt, sport, dport, p.client_isn, 0, core::kTcpSyn, rescale_window(p.client_window, client_scale, 0),
                    options);
}

void move_state(CoreState& cs, Conn& c, ConnState next) {
  account_state(cs, c, next);
  cs.conns.touch(&c, next, cs.now, timeout_of(cs.snapshot->timeouts, next));
}

// A client segment of an established proxied connection, as the server must see it: its
// acknowledgement and SACK blocks in the server's sequence space, its window as the server reads it.
template <typename View>
void translate_from_client(View& pkt, const ProxiedConn& p) {
  if (pkt.tcp_flags & core::kTcpAck) replace32(pkt, ack_field(pkt), read32(ack_field(pkt)) - p.seq_delta);
  if (p.to_server_shift != 0) replace16(pkt, window_field(pkt), rescale_window(ntohs(core::load16(window_field(pkt))), p.to_server_shift, 0));
  if (tcp_of(pkt)->header_length() == sizeof(core::TcpHdr)) return;
  const core::TcpOptions o = core::parse_tcp_options(pkt.l4);
  for (uint32_t b = 0; b < o.sack_blocks; ++b)
    for (uint32_t edge = 0; edge < 2; ++edge) {
      uint8_t* at = pkt.l4 + o.sack_offset + b * 8 + edge * 4;
      replace32(pkt, at, read32(at) - p.seq_delta);
    }
}

// Where a segment the proxy writes for the server, in place of a server segment in family F,
// goes from and to. As the client would send it (`direct` false: the mode's translation
// follows), but under NAT64: the frame is then the server's family (IPv4) and the client's is
// not, so it is written as the server gets it, from the LIP, and sent from here (`direct`).
template <typename F>
struct ServerBound {
  typename F::Addr saddr, daddr;
  uint16_t sport, dport;
  bool direct;
};
template <typename F>
ServerBound<F> server_bound(CoreState& cs, const Conn& c) {
  if constexpr (!F::kIpv6) {
    if (c.nat64) {
      const ConnTuple& server = c.tuple[kFromServer];
      return {server.daddr, server.saddr, server.dport, server.sport, true};
    }
  }
  const auto client = F::tuple(cs.conns, c, kFromClient);
  return {client.saddr, client.daddr, client.sport, client.dport, false};
}

// A segment written as the server gets it (a ServerBound `direct` one), sent and counted as the
// packet path counts what it forwards to the server.
ProxyStep send_to_server(CoreState& cs, io::Frame& frame, core::PacketView& pkt, Conn& c) {
  const Egress out = egress(cs, c, kFromClient);
  if (out.mac == nullptr) {
    cs.count(Counter::drop_neighbor_unresolved);
    return {true, true, kFromClient, Verdict::drop};
  }
  rewrite_macs(pkt.eth, cs.snapshot->ports[out.port].mac.bytes, out.mac);
  frame.port = out.port;
  count_forwarded(cs, backend_of(cs, c), kFromClient, V4::ip_bytes(pkt));
  return {true, true, kFromClient, Verdict::tx};
}

// What a segment built for the server becomes: translated by the mode after, or sent now.
template <typename F>
ProxyStep to_server(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, const ServerBound<F>& to) {
  if constexpr (!F::kIpv6)
    if (to.direct) return send_to_server(cs, frame, pkt, c);
  return {false, true, kFromClient, Verdict::tx};
}

// An RST from the client side's tuple to the server at `seq`, in place of the server segment in
// `pkt`.
template <typename F>
ProxyStep reset_server(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, uint32_t seq) {
  const ServerBound<F> to = server_bound<F>(cs, c);
  BuiltIp<F>::reset(pkt);
  BuiltIp<F>::set_addresses(pkt, to.saddr, to.daddr);
  finish_segment<F>(frame, pkt, to.sport, to.dport, seq, 0, core::kTcpRst, 0, 0);
  return to_server<F>(cs, frame, pkt, c, to);
}

// Under NAT64 the client's held segment is IPv6 in a server frame's (IPv4) handling: it is
// tracked and translated for the server here, as the IPv6 path would (its flags through the
// state machine — it may carry a FIN —, the sequence space, then NAT64).
ProxyStep release_held_nat64(CoreState& cs, io::Frame& frame, Conn& c, const ProxiedConn& p) {
  core::Packet6View held{};
  BuiltIp<V6>::reparse(frame, held);
  const uint32_t ip_bytes = V6::ip_bytes(held);
  const ConnState next = next_tcp_state(c.state, TcpTable::input, held.tcp_flags);
  if (next != c.state) move_state(cs, c, next);
  translate_from_client(held, p);
  const Verdict v = path::translate_nat64<V6>(cs, frame, held, c, kFromClient);
  if (v == Verdict::tx) count_forwarded(cs, backend_of(cs, c), kFromClient, ip_bytes);
  return {true, true, kFromClient, v};
}

// The server's SYN-ACK (`first`: the first one, which ends the pending state). The server gets
// what completes its handshake, in the same frame: the client's held data segment, or an ACK.
template <typename F>
ProxyStep server_handshake(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, ProxiedConn& p, bool first) {
  const uint32_t server_isn = read32(seq_field(pkt));
  if (first) {
    const core::TcpOptions o = core::parse_tcp_options(pkt.l4);
    p.server_answered = true;
    p.seq_delta = p.isn - server_isn;
    const bool client_scales = p.options.wscale != core::kNoWscale;
    p.server_shift = client_scales && o.wscale != core::kNoWscale ? o.wscale : 0;
    p.to_server_shift = client_scales && o.wscale == core::kNoWscale ? p.options.wscale : 0;
    move_state(cs, c, ConnState::tcp_established);
    if (p.stash != kNoStash) {
      const uint16_t slot = p.stash;
      p.stash = kNoStash;
      const uint32_t len = cs.proxy.stash.length(slot);
      if (len <= frame.capacity) {
        std::memcpy(frame.data, cs.proxy.stash.bytes(slot), len);
        frame.len = len;
        cs.proxy.stash.release(slot);
        if constexpr (!F::kIpv6)
          if (c.nat64) return release_held_nat64(cs, frame, c, p);
        // It parsed when it was held; it is translated like any client segment now.
        BuiltIp<F>::reparse(frame, pkt);
        translate_from_client(pkt, p);
        return {false, false, kFromClient, Verdict::tx};
      }
      cs.proxy.stash.release(slot);  // the client sends it again
    }
  }
  const ServerBound<F> to = server_bound<F>(cs, c);
  BuiltIp<F>::reset(pkt);
  BuiltIp<F>::set_addresses(pkt, to.saddr, to.daddr);
  const uint16_t window = rescale_window(p.client_window, p.to_server_shift, 0);
  finish_segment<F>(frame, pkt, to.sport, to.dport, p.client_isn + 1, server_isn + 1, core::kTcpAck, window, 0);
  return to_server<F>(cs, frame, pkt, c, to);
}

}  // namespace

bool proxy_answers_syn(const CoreState& cs, const abi::ServiceRecord& svc) {
  if (svc.flags & abi::syn_proxy_on) return true;
  if (!(svc.flags & abi::syn_proxy_auto)) return false;
  const Snapshot& snap = *cs.snapshot;
  return cs.half_open[&svc - snap.services.data()] >= snap.half_open.proxy_above;
}

bool proxy_checks_ack(const CoreState& cs, const abi::ServiceRecord& svc) {
  if (!(svc.flags & (abi::syn_proxy_on | abi::syn_proxy_auto))) return false;
  for (uint32_t w = 0; w < cs.workers; ++w) {
    const uint32_t sent_at = load_relaxed(cs.proxy.cookie_clocks[w].sent_at);
    // Signed: the workers' clocks may differ by a tick, and another worker's may be ahead.
    if (sent_at != 0 && static_cast<int32_t>(cs.now + 1 - sent_at) < static_cast<int32_t>(2 * kCookiePeriod)) return true;
  }
  return false;
}

template <typename F>
Verdict answer_syn(CoreState& cs, io::Frame& frame, typename F::View& pkt) {
  const Snapshot& snap = *cs.snapshot;
  const core::TcpOptions offered = core::parse_tcp_options(pkt.l4);
  const uint8_t our_wscale = offered.wscale == core::kNoWscale ? core::kNoWscale : kProxyWscale;
  if (!built_segment_fits<F>(frame, pkt)) {
    cs.count(Counter::drop_no_room);
    return Verdict::drop;
  }
  const typename F::Addr saddr = F::saddr(pkt), daddr = F::daddr(pkt);
  const uint16_t sport = pkt.sport(), dport = pkt.dport();
  const uint32_t client_isn = read32(seq_field(pkt));
  const CookieOptions kept{offered.mss != 0 ? offered.mss : BuiltIp<F>::default_mss(), offered.wscale, offered.sack_permitted};
  const uint32_t cookie = cs.proxy.cookies.make(cs.now, saddr, daddr, sport, dport, client_isn, kept);

  core::copy_mac(pkt.eth->dst, pkt.eth->src);
  core::copy_mac(pkt.eth->src, snap.ports[frame.port].mac.bytes);
  BuiltIp<F>::reset(pkt);
  BuiltIp<F>::set_addresses(pkt, daddr, saddr);
  // proxy_mss fits IPv4 headers into every port's MTU; IPv6's are 20 bytes longer.
  const auto mss = static_cast<uint16_t>(snap.proxy_mss - (BuiltIp<F>::kHeader - BuiltIp<V4>::kHeader));
  const uint32_t options = core::write_handshake_options(pkt.l4 + sizeof(core::TcpHdr), mss, our_wscale, offered.sack_permitted);
  // A window of one segment: what the client sends before the server has answered is one
  // segment, which the stash holds (ProxyStash).
  finish_segment<F>(frame, pkt, dport, sport, cookie, client_isn + 1, core::kTcpSyn | core::kTcpAck, mss, options);
  uint32_t& sent_at = cs.proxy.cookie_clocks[cs.id].sent_at;
  if (sent_at != cs.now + 1) store_relaxed(sent_at, cs.now + 1);
  cs.count(Counter::syn_proxy_cookie_sent);
  return Verdict::tx;
}

template <typename F>
bool check_cookie(CoreState& cs, const typename F::View& pkt, CookieOptions& out) {
  const uint32_t client_isn = read32(pkt.l4 + 4) - 1;
  const uint32_t cookie = read32(pkt.l4 + 8) - 1;
  return cs.proxy.cookies.check(cs.now, F::saddr(pkt), F::daddr(pkt), pkt.sport(), pkt.dport(), client_isn, cookie, out);
}

template <typename F>
bool server_syn_fits(const io::Frame& frame, const typename F::View& pkt) {
  return built_segment_fits<F>(frame, pkt);
}

template <typename F>
void open_proxied(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, const CookieOptions& options) {
  ProxiedConn& p = proxied(cs, c);
  p = ProxiedConn{};
  p.client_isn = read32(seq_field(pkt)) - 1;
  p.isn = read32(ack_field(pkt)) - 1;
  p.client_window = ntohs(core::load16(window_field(pkt)));
  p.options = options;
  p.client_shift = options.wscale == core::kNoWscale ? 0 : kProxyWscale;
  p.stash = kNoStash;
  if (tcp_payload_of(pkt) > 0) {
    p.stash = cs.proxy.stash.put(frame.data, frame.len);
    if (p.stash != kNoStash) cs.count(Counter::syn_proxy_stashed);
  }
  c.flags |= kSynProxied;
  make_server_syn<F>(frame, pkt, p);
  move_state(cs, c, ConnState::tcp_syn_sent);
  cs.count(Counter::syn_proxy_accepted);
}

template <typename F>
ProxyStep proxied_segment(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, Direction dir) {
  ProxiedConn& p = proxied(cs, c);
  const uint8_t flags = pkt.tcp_flags;
  constexpr uint8_t kSynAck = core::kTcpSyn | core::kTcpAck;
  if (c.state == ConnState::tcp_syn_sent) {
    // The server has not answered the balancer's SYN yet.
    if (dir == kFromServer) {
      if ((flags & (kSynAck | core::kTcpRst)) == kSynAck && read32(ack_field(pkt)) == p.client_isn + 1)
        return server_handshake<F>(cs, frame, pkt, c, p, true);
      if ((flags & (kSynAck | core::kTcpRst)) == core::kTcpAck) {
        // A challenge ACK: the server still holds the tuple (TIME_WAIT, or a connection it
        // thinks alive) and took the SYN for a stray. No client sees it to reset it, so the
        // balancer does; the client's next retransmission sends the SYN again.
        cs.count(Counter::syn_proxy_server_reset);
        return reset_server<F>(cs, frame, pkt, c, read32(ack_field(pkt)));
      }
      if (flags & core::kTcpRst) {
        // The server refuses: the client learns it at the sequence number it expects from us.
        replace32(pkt, seq_field(pkt), p.isn + 1);
        release_proxied(cs, c);
        move_state(cs, c, ConnState::tcp_close);
        return {false, true, dir, Verdict::tx};
      }
    } else if (flags & core::kTcpRst) {
      // The client gives up. Its acknowledgement names the cookie, not the server's ISN, which
      // is not known yet: the RST goes without one (a SYN_RECV server checks only its sequence).
      if (flags & core::kTcpAck) {
        // Data offset and flags share one 16-bit word of the checksum.
        const uint16_t old_word = core::load16(pkt.l4 + 12);
        tcp_of(pkt)->flags = pkt.tcp_flags = static_cast<uint8_t>(flags & ~core::kTcpAck);
        pkt.set_l4_checksum(core::checksum_replace16(pkt.l4_checksum(), old_word, core::load16(pkt.l4 + 12)));
        replace32(pkt, ack_field(pkt), 0);
      }
      release_proxied(cs, c);
      move_state(cs, c, ConnState::tcp_close);
      return {false, true, dir, Verdict::tx};
    } else if (!(flags & core::kTcpSyn)) {
      if (tcp_payload_of(pkt) > 0 && p.stash == kNoStash) {
        p.stash = cs.proxy.stash.put(frame.data, frame.len);
        if (p.stash != kNoStash) {
          cs.count(Counter::syn_proxy_stashed);
          return {true, true, dir, Verdict::drop};  // held, not lost: no drop reason
        }
      }
      // A retransmission: the client has waited, so the server may not have had the SYN.
      if (!built_segment_fits<F>(frame, pkt)) {
        cs.count(Counter::drop_no_room);
        return {true, true, dir, Verdict::drop};
      }
      make_server_syn<F>(frame, pkt, p);
      cs.count(Counter::syn_proxy_syn_resent);
      return {false, true, dir, Verdict::tx};
    }
    cs.count(Counter::drop_syn_proxy_pending);
    return {true, true, dir, Verdict::drop};
  }
  if (dir == kFromServer) {
    // A SYN-ACK again: the server missed what completed its handshake; it gets an ACK. One that
    // comes after the pending state ended otherwise (the client reset) completes nothing.
    if ((flags & (kSynAck | core::kTcpRst)) == kSynAck) {
      if (p.server_answered) return server_handshake<F>(cs, frame, pkt, c, p, false);
      cs.count(Counter::drop_syn_proxy_pending);
      return {true, true, dir, Verdict::drop};
    }
    replace32(pkt, seq_field(pkt), read32(seq_field(pkt)) + p.seq_delta);
    if (p.server_shift != p.client_shift)
      replace16(pkt, window_field(pkt), rescale_window(ntohs(core::load16(window_field(pkt))), p.server_shift, p.client_shift));
    return {false, false, dir, Verdict::tx};
  }
  translate_from_client(pkt, p);
  return {false, false, dir, Verdict::tx};
}

template <typename F>
bool proxy_restarts(CoreState& cs, const Conn& c, const typename F::View& pkt) {
  return (c.flags & kSynProxied) && c.state == ConnState::tcp_syn_sent && read32(pkt.l4 + 4) != proxied(cs, c).client_isn;
}

template <typename F>
void untranslate_quoted_seq(CoreState& cs, typename F::View& pkt, const Conn& c) {
  replace_quoted_seq(pkt, quoted_seq(pkt) - proxied(cs, c).seq_delta);
}

void release_proxied(CoreState& cs, Conn& c) {
  if (!(c.flags & kSynProxied)) return;
  ProxiedConn& p = proxied(cs, c);
  cs.proxy.stash.release(p.stash);
  p.stash = kNoStash;
}

// Both families' instances (the packet path's V4 and V6).
#define XVS_SYN_PROXY_FOR(F)                                                                                         \
  template Verdict answer_syn<F>(CoreState&, io::Frame&, F::View&);                                                  \
  template bool check_cookie<F>(CoreState&, const F::View&, CookieOptions&);                                         \
  template bool server_syn_fits<F>(const io::Frame&, const F::View&);                                                \
  template void open_proxied<F>(CoreState&, io::Frame&, F::View&, Conn&, const CookieOptions&);                      \
  template ProxyStep proxied_segment<F>(CoreState&, io::Frame&, F::View&, Conn&, Direction);                         \
  template bool proxy_restarts<F>(CoreState&, const Conn&, const F::View&);                                          \
  template void untranslate_quoted_seq<F>(CoreState&, F::View&, const Conn&);
XVS_SYN_PROXY_FOR(V4)
XVS_SYN_PROXY_FOR(V6)
#undef XVS_SYN_PROXY_FOR

}  // namespace xvs::lb
