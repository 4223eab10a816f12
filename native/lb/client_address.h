// native/lb/client_address.h — the client's address behind Full-NAT, per service
// (`client_address`), as DPVS gives it to servers, for IPv4 and IPv6 clients:
//
//   toa       the TOA option (kind 254; length 8: client port, client IPv4 address; length 20:
//             client port, client IPv6 address, DPVS's IPv6 form) in the client's segments that
//             acknowledge nothing of the server's data yet (the ACK completing the handshake, the
//             first requests), where a server's TOA kernel module reads it; a TOA option the
//             client sent itself is blanked (NOPs).
//   proxy_v2  a PROXY protocol v2 header (28 bytes for IPv4, 52 for IPv6) at the start of the
//             stream, in every client segment there until the server acknowledges it: the ACK
//             completing the handshake (servers that speak first get it before their banner), the
//             first data and its retransmissions, a FIN with nothing before it. The client's
//             sequence numbers move up by the header's length towards the server and the server's
//             acknowledgements and SACK blocks move back, for the connection's life. Fast Open
//             options in client SYNs are blanked (SYN data would precede the header); a SYN with
//             a new ISN before the server answered starts the stream afresh.
//
// Both grow client segments: the server's SYN-ACK has its MSS option lowered by what is added,
// and so has the MTU of a "fragmentation needed" (ICMPv6 "packet too big") from the server side,
// so a client that follows them always leaves room. A segment without room anyway (frame, MTU) is
// replaced by the header alone and the client sends its data again when the server's ACK leaves
// it unacknowledged; a segment without room for TOA leaves without it (counted). Inserted bytes
// are at even offsets, so checksums are updated (RFC 1624), never recomputed: a corrupt segment
// stays corrupt for its receiver to drop.
//
// Runs on the owning worker, from lb/process.cc, before the state machine and the mode's
// translation (addresses still as the client sent them). `View` is the family's parsed view
// (core::PacketView, core::Packet6View). Connections carrying a client address are not handed to
// the XDP fast path, the SYN proxy does not answer for their services, and they are not synced
// to other nodes (their translation state is not in the sync record).
#pragma once
#include <cstdint>

#include "core/parse.h"
#include "core/parse6.h"
#include "io/frame.h"
#include "lb/conn.h"

namespace xvs::lb {

struct CoreState;

// Conn::client_address.
enum class ClientAddress : uint8_t { none = 0, toa = 1, proxy_v2 = 2 };

inline constexpr uint8_t kTcpOptToa = 254;
inline constexpr uint8_t kTcpOptFastOpen = 34;
inline constexpr uint32_t kToaIpv4Length = 8;
inline constexpr uint32_t kToaIpv6Length = 20;
inline constexpr uint32_t kProxyV2Ipv4Length = 28;
inline constexpr uint32_t kProxyV2Ipv6Length = 52;

// Beside each connection-table entry (by index) that has Conn::client_address set. Sequence
// numbers in host order.
struct ClientAddressConn {
  uint32_t client_start;  // the client's ISN + 1: its first byte's sequence number
  uint32_t server_start;  // the server's ISN + 1, once server_answered
  uint8_t added;          // what a client segment carries besides its own: the option's or the header's length
  bool server_answered;   // the server's SYN-ACK came
  bool header_sent;       // proxy_v2: the header went out (in front of data, a FIN, or alone)
  bool header_acked;      // proxy_v2: the server acknowledged all of it
};

// The service flags' client address (abi::ServiceFlag client_address_*).
ClientAddress client_address_of(uint8_t service_flags);

// A new connection of a client_address service, made for the client's SYN in `pkt`.
template <typename View>
void start_client_address(CoreState& cs, Conn& c, ClientAddress kind, const View& pkt);

// One segment of such a connection in direction `dir`, before the state machine and the mode's
// translation (a segment the header replaces leaves without its FIN); false when
// it is dropped (counted: drop_proxy_header_no_room).
template <typename View>
bool carry_client_address(CoreState& cs, io::Frame& frame, View& pkt, Conn& c, Direction dir);

// An ICMP "fragmentation needed" (ICMPv6 "packet too big") from the server side reports the MTU
// of a path the balancer's additions travel too: the client hears it lowered by what is added, so
// that its segments with the additions still fit (the error's checksum is computed afresh by the
// translation).
template <typename View>
void lower_reported_mtu(CoreState& cs, View& pkt, const Conn& c);

// An ICMP error from the server side quotes a segment as the server got it: its sequence number
// goes back to the client's space before the error is translated for the client.
template <typename View>
void untranslate_quoted_client_seq(CoreState& cs, View& pkt, const Conn& c);

}  // namespace xvs::lb
