// native/lb/syn_proxy.h — the SYN proxy of nat and fullnat TCP services (RFC 4987 3.6; DPVS's
// synproxy): the balancer answers a client's SYN itself with a SYN cookie and stores nothing; the
// client's ACK proves the cookie, and only then is a connection made and a SYN sent to the
// server, with the options the cookie kept; the server's SYN-ACK completes the server's side
// (the client's first data segment, held meanwhile, or an ACK), and for the connection's life
// sequence numbers (server to client), acknowledgements and SACK blocks (client to server) and
// windows (where the two sides scale differently) are translated. lb/process.cc calls these at
// its steps; each rewrites the frame in place as the packet from the client (or server) side it
// stands for, and process.cc's mode translation then does the rest. `F` is the address family
// of the segment in hand (lb/family.h: V4 or V6). Under NAT64 (an IPv6 client, an IPv4 server)
// what the proxy writes for the server while handling a server segment is written as the server
// gets it and sent by the proxy itself (the step is `done`). Runs on the data-plane workers with
// their CoreState.
#pragma once
#include <cstdint>

#include "core/parse.h"
#include "io/frame.h"
#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/family.h"
#include "lb/process.h"
#include "lb/syn_cookie.h"

namespace xvs::lb {

// The window scale the balancer announces to clients that offer one (Linux's usual shift).
inline constexpr uint8_t kProxyWscale = 7;

// Whether a SYN for `svc` is answered with a cookie now: syn_proxy on, or auto with the
// service's half-open connections on this worker at dataplane.syn_proxy_above or more.
bool proxy_answers_syn(const CoreState& cs, const abi::ServiceRecord& svc);
// Whether an ACK without a connection for `svc` is read as the answer to a cookie: the service
// has a SYN proxy and this worker has sent a cookie recently enough for one to be valid.
bool proxy_checks_ack(const CoreState& cs, const abi::ServiceRecord& svc);

// Turns the client's SYN in `frame` into the cookie SYN-ACK back to it (sent on the arrival port).
template <typename F>
Verdict answer_syn(CoreState& cs, io::Frame& frame, typename F::View& pkt);
// Whether the client's ACK in `pkt` answers a cookie of this worker's; its options if so.
template <typename F>
bool check_cookie(CoreState& cs, const typename F::View& pkt, CookieOptions& out);
// Whether the SYN towards the server fits in `frame`.
template <typename F>
bool server_syn_fits(const io::Frame& frame, const typename F::View& pkt);
// `c` was just made for the client's ACK in `frame`, whose cookie carried `options`: holds the
// ACK's data if it has any, and turns the frame into the SYN for the server (as the client would
// send it to the VIP). The connection is then SYN_SENT (IPVS's state for it: the server's SYN-ACK
// is awaited).
template <typename F>
void open_proxied(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, const CookieOptions& options);

// What proxied_segment() made of a segment of a proxied connection: either a final verdict, or a
// segment to translate in direction `dir` (the frame may now stand for a segment of the other
// side), whose state the proxy has already moved if `tracked`.
struct ProxyStep {
  bool done;
  bool tracked;
  Direction dir;
  Verdict verdict;
};
template <typename F>
ProxyStep proxied_segment(CoreState& cs, io::Frame& frame, typename F::View& pkt, Conn& c, Direction dir);

// Whether the client's bare SYN in `pkt` starts a new connection on the tuple of `c`, a proxied
// connection whose server has not answered yet: another ISN, the client gave the old one up.
template <typename F>
bool proxy_restarts(CoreState& cs, const Conn& c, const typename F::View& pkt);

// An ICMP error from the client side quotes a server segment as the client got it: its sequence
// number goes back to the server's space before the error is translated for the server.
template <typename F>
void untranslate_quoted_seq(CoreState& cs, typename F::View& pkt, const Conn& c);

// The connection goes: gives back what it holds beside its entry (a stashed segment).
void release_proxied(CoreState& cs, Conn& c);

}  // namespace xvs::lb
