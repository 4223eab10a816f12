// test/fuzz/make_seeds.cc — writes the seed corpus of the fuzz targets (test/fuzz/corpus/<name>/)
// from the encoders the targets decode with: packet_path scripts that open, use and close
// connections in every forwarding mode (SYN proxy handshakes, persistence, one-packet UDP,
// Full-NAT pools, redirects between workers, reloads, expiry, a SYN flood, a full table, port
// exhaustion and reuse), snapshots of the fuzz topology's variants and of the unit tests' single
// modes (and a few broken ones), and rtnetlink answers and notifications as the kernel sends
// them. Run: build-fuzz/xvs_fuzz_seeds test/fuzz/corpus (scripts/fuzz.mjs --seeds).
#include <linux/neighbour.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <string>
#include <vector>

#include "byte_reader.h"
#include "fuzz_topology.h"
#include "packet_script.h"
#include "snapshot_fixture.h"

namespace xvs::fuzz {
namespace {

namespace fs = std::filesystem;

void save(const fs::path& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (bytes.size() > 4096) std::fprintf(stderr, "warning: seed %s is %zu bytes\n", name.c_str(), bytes.size());
}

// ---- packet_path scripts ----------------------------------------------------------------------

// Service indices in fuzz_topology.h.
enum : uint8_t { kFullnatWeb, kFullnatDns, kFullnatTls, kNatWeb, kNatDns, kDrWeb, kDrDns, kTunnelWeb, kTunnelDns, kFullnatProxyV2, kFullnatToa };
// IPv6 ops only: the NAT64 services after the IPv6 ones (services64()).
enum : uint8_t { kNat64Web = 11, kNat64Dns = 12, kNat64Proxied = 13 };

PacketOp client(uint8_t service, uint8_t flags, uint16_t cport = 0, uint8_t who = 0, uint16_t payload = 0) {
  PacketOp p;
  p.source = static_cast<uint8_t>(who << 2);
  p.target = static_cast<uint8_t>(service << 2);
  p.tcp_flags = flags;
  p.sport = cport;
  p.payload = payload;
  p.options = flags == core::kTcpSyn ? 0x47 : 0;  // MSS, window scale 4, SACK-permitted
  return p;
}
AnswerOp reply(uint8_t pick = 0, uint8_t flags = 0, uint16_t payload = 0, uint8_t worker = 0) {
  AnswerOp a;
  a.worker = worker;
  a.pick = pick;
  a.choice = AnswerChoice{flags, 0, payload, 7000, 5};
  return a;
}
ErrorOp error(uint8_t pick, uint8_t kind, uint8_t quote, uint8_t from = 0) { return ErrorOp{0, pick, kind, quote, from}; }
ClockOp clock(uint8_t how, uint32_t amount) { return ClockOp{how, amount}; }

// A TCP connection opened, used and closed by answers to what the balancer sent: the client's
// SYN, the server's SYN-ACK (or the client's cookie ACK), data both ways, FIN both ways.
void tcp_exchange(ByteWriter& w, uint8_t service) {
  client(service, core::kTcpSyn).write(w);
  reply(0).write(w);                   // SYN-ACK from the server (or the client's ACK of a cookie)
  reply(0).write(w);                   // the ACK completing the handshake (or the server's SYN-ACK)
  reply(1, 1, 300).write(w);           // data
  reply(0, 1, 700).write(w);           // data back
  error(0, 1, 2).write(w);             // fragmentation needed, quoting all of it
  error(1, 0, 0, 1).write(w);          // port unreachable from a router, header + 8
  reply(0, 2).write(w);                // FIN
  reply(0, 2).write(w);                // FIN back
  reply(0, 6).write(w);                // last ACK
}

// The same where the server answers the client directly (dr, tunnel): the client answers what
// the server sent it, which passed the balancer only as far as the script is concerned.
void direct_exchange(ByteWriter& w, uint8_t service) {
  constexpr uint8_t kReceived = 0x80;  // answer the n-th newest frame received, not sent
  client(service, core::kTcpSyn).write(w);
  reply(0).write(w);                   // the server's SYN-ACK (passes: not the balancer's)
  reply(kReceived).write(w);           // the client's ACK of it
  reply(kReceived | 1, 1, 500).write(w);  // the client's data (answering the SYN-ACK again)
  reply(0, 1, 900).write(w);           // the server's data
  reply(kReceived, 6).write(w);        // the client's ACK of it
  error(0, 1, 2, 1).write(w);          // fragmentation needed from a router, quoting all of it
  error(0, 2, 0, 3).write(w);          // time exceeded quoting the outer IPIP header
  error(kReceived | 3, 3, 1, 1).write(w);  // host unreachable about the server's data, towards the server
  reply(kReceived | 4, 2).write(w);    // the client's FIN
  reply(0, 2).write(w);                // the server's FIN
  reply(kReceived, 6).write(w);        // last ACK
}

std::vector<uint8_t> script(ScriptHeader h, const std::function<void(ByteWriter&)>& body) {
  ByteWriter w;
  h.write(w);
  body(w);
  return w.out;
}

void packet_path_seeds(const fs::path& dir) {
  // One worker, 512 connections, clock at 1000.
  const ScriptHeader one{0x08, 0, 0};
  const uint8_t services[] = {kFullnatWeb, kFullnatTls, kNatWeb, kDrWeb, kTunnelWeb};
  const char* names[] = {"fullnat_syn_proxy", "fullnat_persistent", "nat_tcp", "dr_tcp", "tunnel_tcp"};
  for (size_t i = 0; i < 5; ++i) save(dir, std::string(names[i]), script(one, [&](ByteWriter& w) {
    if (services[i] == kDrWeb || services[i] == kTunnelWeb) direct_exchange(w, services[i]);
    else tcp_exchange(w, services[i]);
    clock(1, 14).write(w);  // 900 s: established ones expire
    SafePointOp{}.write(w);
  }));
  // IPv6: the same exchanges to the IPv6 services (services6(), protocol bit 7 of the op).
  const auto ipv6 = [](PacketOp p) {
    p.protocol |= 0x80;
    p.options = 0;
    return p;
  };
  save(dir, "ipv6_every_mode", script(one, [&](ByteWriter& w) {
    constexpr uint8_t kReceived = 0x80;  // answer the n-th newest frame received, not sent
    for (uint8_t service : {kFullnatWeb, kNatWeb}) {  // (fullnat's behind the SYN proxy)
      ipv6(client(service, core::kTcpSyn)).write(w);
      reply(0).write(w);                // SYN-ACK from the server (or the client's ACK of a cookie)
      reply(0).write(w);                // the handshake's ACK (or the server's SYN-ACK)
      reply(1, 1, 300).write(w);        // data
      reply(0, 1, 700).write(w);        // data back
      error(0, 1, 2).write(w);          // packet too big, quoting all of it
      error(1, 0, 0, 1).write(w);       // port unreachable from a router
      reply(0, 2).write(w);             // FIN
      reply(0, 2).write(w);             // FIN back
      reply(0, 6).write(w);             // last ACK
    }
    for (uint8_t service : {kDrWeb, kTunnelWeb}) {
      ipv6(client(service, core::kTcpSyn)).write(w);
      reply(0).write(w);
      reply(kReceived).write(w);
      reply(kReceived | 1, 1, 1400).write(w);  // big enough for the tunnel's packet-too-big
      error(0, 2, 0, 3).write(w);
    }
    for (uint8_t s : {kFullnatDns, kNatDns, kDrDns, kTunnelDns}) {
      ipv6(client(s, 0, 1, 0, 64)).write(w);
      reply(0, 0, 100).write(w);
      error(0, 0, 2).write(w);
      ResendOp{0, 2}.write(w);
    }
    PacketOp fragment = ipv6(client(kFullnatWeb, core::kTcpSyn, 9));
    fragment.ip = 8;  // a first fragment
    fragment.write(w);
    PacketOp persistent = ipv6(client(kFullnatTls, core::kTcpSyn, 3, 1));
    persistent.write(w);
    reply(0).write(w);
    clock(1, 14).write(w);
    SafePointOp{}.write(w);
  }));
  // NAT64: IPv6 clients of IPv4 servers, TCP (with the PROXY header) and UDP, errors both ways.
  save(dir, "nat64", script(one, [&](ByteWriter& w) {
    ipv6(client(kNat64Web, core::kTcpSyn)).write(w);
    reply(0).write(w);                // SYN-ACK from the IPv4 server
    reply(0).write(w);                // the handshake's ACK (the header)
    reply(1, 1, 300).write(w);        // data
    reply(0, 1, 1400).write(w);       // data back, as big as IPv4 lets it be
    error(1, 1, 2).write(w);          // an ICMPv4 error from the server side about the data to it
    error(0, 0, 0, 1).write(w);       // an ICMPv6 error from a router on the client side
    reply(0, 2).write(w);             // FIN
    reply(0, 2).write(w);             // FIN back
    reply(0, 6).write(w);             // last ACK
    ipv6(client(kNat64Dns, 0, 1, 0, 64)).write(w);
    reply(0, 0, 100).write(w);
    error(0, 0, 2).write(w);
    clock(1, 14).write(w);
    SafePointOp{}.write(w);
  }));
  // NAT64 behind the SYN proxy: the cookie over IPv6, the SYN and the handshake's end to the IPv4
  // server, the client's first data held until then, errors both ways.
  save(dir, "nat64_syn_proxy", script(one, [&](ByteWriter& w) {
    ipv6(client(kNat64Proxied, core::kTcpSyn)).write(w);
    reply(0).write(w);                // the client's ACK of the cookie: the SYN to the server
    reply(1, 1, 200).write(w);        // the client's first data (answering the cookie), held
    reply(0).write(w);                // the server's SYN-ACK: the held data leaves
    reply(0, 1, 1200).write(w);       // data back
    reply(0, 1, 300).write(w);        // more data to the server
    error(1, 1, 2).write(w);          // an ICMPv4 error from the server side
    error(0, 0, 0, 1).write(w);       // an ICMPv6 error from a router on the client side
    reply(0, 2).write(w);             // FIN
    reply(0, 2).write(w);             // FIN back
    reply(0, 6).write(w);             // last ACK
    clock(1, 14).write(w);
    SafePointOp{}.write(w);
  }));
  // The client's address (PROXY v2 header, TOA) for IPv4 and IPv6 clients.
  save(dir, "client_address_both_families", script(one, [&](ByteWriter& w) {
    for (uint8_t service : {kFullnatProxyV2, kFullnatToa}) {
      tcp_exchange(w, service);
      ipv6(client(service, core::kTcpSyn)).write(w);
      reply(0).write(w);                // SYN-ACK from the server
      reply(0).write(w);                // the handshake's ACK: the header or TOA
      reply(1, 1, 300).write(w);        // data
      reply(0, 1, 700).write(w);        // data back
      error(0, 1, 2).write(w);          // packet too big, quoting all of it
      reply(0, 2).write(w);             // FIN
      reply(0, 2).write(w);             // FIN back
      reply(0, 6).write(w);             // last ACK
    }
    clock(1, 14).write(w);
    SafePointOp{}.write(w);
  }));
  save(dir, "udp_every_mode", script(one, [&](ByteWriter& w) {
    for (uint8_t s : {kFullnatDns, kNatDns, kDrDns, kTunnelDns}) {
      client(s, 0, 1, 0, 64).write(w);
      reply(0, 0, 100).write(w);
      error(0, 0, 2).write(w);
      ResendOp{0, 2}.write(w);
    }
    clock(1, 12).write(w);
    SafePointOp{0, 2}.write(w);
  }));
  // Four workers: packets land on a worker that does not own them and are handed over.
  save(dir, "four_workers_redirects", script({0x0b, 0, 0}, [&](ByteWriter& w) {
    for (uint8_t s : {kFullnatTls, kNatWeb, kNatDns, kFullnatDns}) {
      PacketOp p = client(s, s == kNatDns || s == kFullnatDns ? 0 : core::kTcpSyn, 3, 1, 10);
      p.worker = 2;
      p.write(w);
      reply(0, 0, 0, 1).write(w);
      reply(0, 0, 0, 3).write(w);
      ErrorOp{3, 0, 0, 1, 1}.write(w);
    }
    ReloadOp{kFirstServerGone, 0x5}.write(w);  // workers 0 and 2 lag
    reply(2, 1, 40, 0).write(w);
    SafePointOp{0x5, 0}.write(w);
  }));
  // Reloads while connections live: servers removed and back, weights, services gone, next hops
  // lost, small MTU (tunnel frag-needed), other schedulers, short timeouts, another LIP.
  save(dir, "reloads_under_load", script(one, [&](ByteWriter& w) {
    for (uint8_t s : {kFullnatTls, kNatWeb, kDrWeb, kTunnelWeb, kDrDns}) {
      client(s, core::kTcpSyn, 2, 2).write(w);
      reply(0).write(w);
    }
    const int variants[] = {kFirstServerGone, 0, kWeights | kServicesGone, kUnresolved | kSmallMtu, kOtherSchedulers | kOtherLip,
                            kShortTimeouts, 0};
    for (const int v : variants) {
      ReloadOp{static_cast<uint8_t>(v), 0}.write(w);
      ResendOp{0, 1}.write(w);
      reply(1, 1, 1300).write(w);
      PacketOp big = client(kTunnelWeb, core::kTcpAck, 2, 2, 1400);
      big.ip = 4;  // DF
      big.write(w);
      clock(0, 3).write(w);
      SafePointOp{0, 1}.write(w);
    }
  }));
  // A SYN flood on the nat service: SYN proxy on auto from 2 half-open, at most 3 half-open.
  save(dir, "syn_flood_auto_proxy", script({0x08, 0x03, 0}, [&](ByteWriter& w) {
    for (uint16_t port = 8; port < 16; ++port) client(kNatWeb, core::kTcpSyn, static_cast<uint16_t>(40000 + port * 3)).write(w);
    reply(0).write(w);  // the client answers the last cookie
    reply(0).write(w);  // the server's SYN-ACK
    clock(1, 8).write(w);
    reply(2, 0).write(w);  // a late cookie ACK
  }));
  // 16 connections in a table of 16: the oldest half-open one is evicted.
  save(dir, "table_full", script({0x00, 0, 0}, [&](ByteWriter& w) {
    for (uint16_t port = 8; port < 28; ++port) client(kDrWeb, core::kTcpSyn, static_cast<uint16_t>(41000 + port)).write(w);
    BurstOp b;
    for (uint8_t i = 0; i < 8; ++i) b.items.push_back({static_cast<uint8_t>(i % 3), i, static_cast<uint8_t>(i * 37)});
    b.write(w);
  }));
  // Connection sync: two workers' entries in every mode sent back as another node would (an
  // update of what is there), with each field spoilt in turn (new entries, refusals), raw bytes;
  // then the synced entries' packets (adoption), time and expiry.
  save(dir, "sync_records", script({0x09, 0, 0}, [&](ByteWriter& w) {
    for (uint8_t s : {kFullnatWeb, kNatWeb, kDrWeb, kTunnelWeb, kFullnatDns, kFullnatTls}) {
      client(s, core::kTcpSyn, 3, 3).write(w);
      reply(0).write(w);
    }
    for (uint8_t pick = 0; pick < 8; ++pick) SyncOp{static_cast<uint8_t>(pick & 1), pick, 0, 0, {}}.write(w);
    for (uint8_t field = 1; field < 21; ++field) SyncOp{0, field, field, 0x0101u * field, {}}.write(w);
    SyncOp{0, 2, 3, 0x0200, {}}.write(w);  // another client port: a new synced connection
    SyncOp raw{0, 0, 0x80, 0, std::vector<uint8_t>(48, 0x11)};
    raw.write(w);
    for (uint8_t i = 0; i < 6; ++i) ResendOp{1, i}.write(w);
    clock(1, 14).write(w);
    SafePointOp{}.write(w);
    clock(1, 14).write(w);
    SafePointOp{}.write(w);
  }));
  // The same for IPv6 and NAT64 connections (abi::SyncRecord6), each of its 24 fields spoilt in turn.
  save(dir, "sync_records6", script({0x09, 0, 0}, [&](ByteWriter& w) {
    for (uint8_t s : {uint8_t(kNatWeb), uint8_t(kDrWeb), uint8_t(kTunnelWeb), uint8_t(kFullnatDns), uint8_t(kFullnatTls), uint8_t(kNat64Web), uint8_t(kNat64Dns)}) {
      ipv6(client(s, s == kFullnatDns || s == kNat64Dns ? 0 : core::kTcpSyn, 3, 0, 20)).write(w);
      reply(0).write(w);
    }
    for (uint8_t pick = 0; pick < 8; ++pick) SyncOp{static_cast<uint8_t>(pick & 1), pick, 0, 0, {}}.write(w);
    for (uint8_t field = 1; field < 25; ++field) SyncOp{static_cast<uint8_t>(field & 1), field, field, 0x0101u * field, {}}.write(w);
    std::vector<uint8_t> raw6(48, 0x22);
    raw6[0] = 6;  // an IPv6 record's first 48 bytes
    SyncOp{0, 0, 0x80, 0, raw6}.write(w);
    for (uint8_t i = 0; i < 6; ++i) ResendOp{1, i}.write(w);
    clock(1, 14).write(w);
    SafePointOp{}.write(w);
  }));
  // Half-open connections beyond the limit (3) of a service without a SYN proxy.
  save(dir, "half_open_limit", script({0x08, 0x02, 0}, [&](ByteWriter& w) {
    for (uint16_t port = 8; port < 14; ++port) client(kDrWeb, core::kTcpSyn, static_cast<uint16_t>(42000 + port)).write(w);
  }));
  // 18 UDP flows in a table of 16 without a half-open connection to evict: refused.
  save(dir, "table_full_udp", script({0x00, 0, 0}, [&](ByteWriter& w) {
    for (uint16_t port = 8; port < 26; ++port) client(kFullnatDns, 0, static_cast<uint16_t>(43000 + port), 1, 20).write(w);
  }));
  // Tunnel packets too big for the server port's MTU: ICMP fragmentation-needed with DF, a drop
  // without; then the MTU at 576.
  save(dir, "tunnel_mtu", script(one, [&](ByteWriter& w) {
    PacketOp big = client(kTunnelWeb, core::kTcpSyn, 1, 0, 1460);
    big.ip = 4;
    big.write(w);
    error(0, 0, 0, 0).write(w);
    big.ip = 0;
    big.write(w);
    ReloadOp{kSmallMtu, 0}.write(w);
    big = client(kTunnelDns, 0, 2, 0, 600);
    big.ip = 4;
    big.write(w);
  }));
  // Three local ports (65533-65535): the fourth client finds none; a closed connection's tuple
  // is held for its client, which comes back on the same port.
  save(dir, "local_ports_run_out", script({0x08, 0x60, 0}, [&](ByteWriter& w) {
    for (uint8_t who = 0; who < 4; ++who) {
      client(kFullnatTls, core::kTcpSyn, 5, who).write(w);
      reply(0).write(w);
    }
    reply(0, 3).write(w);  // RST
    client(kFullnatTls, core::kTcpSyn, 5, 3).write(w);
    clock(1, 4).write(w);
    SafePointOp{}.write(w);
  }));
  // A persistence template dropped while connections still name it (its server left), then the
  // client network's next templates: none may take its place in those connections' eyes.
  save(dir, "template_replaced", script(one, [&](ByteWriter& w) {
    client(kFullnatTls, core::kTcpSyn, 1).write(w);
    reply(0).write(w);                     // the server's SYN-ACK
    reply(0).write(w);                     // the client's ACK: established, 900 s
    ReloadOp{kFirstServerGone, 0}.write(w);  // its server leaves: the template is stale
    client(kFullnatTls, core::kTcpSyn, 2).write(w);  // drops it, takes its place in the table
    clock(1, 12).write(w);                 // 300 s: that half-open connection goes, its template is armed
    SafePointOp{}.write(w);
    clock(1, 12).write(w);                 // and goes too
    SafePointOp{}.write(w);
    client(kFullnatTls, core::kTcpSyn, 3).write(w);  // a new template for the same client
    clock(1, 14).write(w);                 // 900 s
    SafePointOp{}.write(w);
  }));
  // Port reuse: FIN both ways, then the client's new SYN on the same port.
  save(dir, "port_reuse", script(one, [&](ByteWriter& w) {
    client(kFullnatTls, core::kTcpSyn, 7).write(w);
    reply(0).write(w);
    reply(0).write(w);
    reply(0, 2).write(w);
    reply(0, 2).write(w);
    client(kFullnatTls, core::kTcpSyn, 7).write(w);
    reply(0).write(w);
  }));
  // The clock near its wrap, jumps of days, expiry a little at a time.
  save(dir, "clock_jumps", script({0x28, 0, 0}, [&](ByteWriter& w) {
    client(kNatWeb, core::kTcpSyn, 1).write(w);
    client(kFullnatDns, 0, 1, 1, 8).write(w);
    clock(2, 0x123456).write(w);
    SafePointOp{0, 1}.write(w);
    client(kNatWeb, core::kTcpAck, 1).write(w);
    clock(3, 0x2000).write(w);
    SafePointOp{0, 3}.write(w);
  }));
  // What is not a connection's: ARP, IPv6, a truncated IPv4 header, a fragment, TTL 1, VLAN.
  save(dir, "odd_frames", script(one, [&](ByteWriter& w) {
    RawOp arp{0, 0, std::vector<uint8_t>(42, 0)};
    arp.bytes[12] = 0x08, arp.bytes[13] = 0x06;
    arp.write(w);
    RawOp v6{0, 1, std::vector<uint8_t>(60, 0)};
    v6.bytes[12] = 0x86, v6.bytes[13] = 0xdd;
    v6.write(w);
    RawOp cut{0, 0, std::vector<uint8_t>(20, 0x45)};
    cut.bytes[12] = 0x08, cut.bytes[13] = 0x00;
    cut.write(w);
    PacketOp p = client(kNatDns, 0, 2, 0, 30);
    p.ip = 8 | 64;  // MF, VLAN
    p.write(w);
    p.ip = 1 | 64;  // TTL 1
    p.write(w);
    p.corrupt = 2;
    p.ip = 0;
    p.write(w);
  }));
}

// ---- snapshot_decode ---------------------------------------------------------------------------

void snapshot_seeds(const fs::path& dir) {
  const HeaderKnobs knobs;
  const int variants[] = {0, kWeights | kFirstServerGone, kServicesGone | kUnresolved, kSmallMtu | kOtherSchedulers, 0xff};
  for (const int v : variants)
    save(dir, "variant_" + std::to_string(v), build_variant(2, 1, static_cast<uint8_t>(v), knobs).bytes());
  save(dir, "one_worker_variant_0", build_variant(1, 1, 0, knobs).bytes());
  const abi::Forwarding modes[] = {abi::Forwarding::dr, abi::Forwarding::nat, abi::Forwarding::tunnel, abi::Forwarding::fullnat};
  const char* names[] = {"dr", "nat", "tunnel", "fullnat"};
  for (size_t i = 0; i < 4; ++i) save(dir, std::string("standard_") + names[i], test::topo::standard_mode(modes[i], 2).bytes());
  std::vector<uint8_t> cut = build_variant(2, 1, 0, knobs).bytes();
  cut.resize(cut.size() / 2);
  save(dir, "cut_in_half", cut);
  test::SnapshotBuilder empty(2, 2);
  save(dir, "empty", empty.bytes());
}

// ---- netlink_parse -----------------------------------------------------------------------------

// Netlink messages laid out as the kernel does (4-byte alignment, attributes after the header).
struct Messages {
  std::vector<uint8_t> bytes;
  Messages& add(uint16_t type, const void* header, size_t header_len, const std::vector<std::pair<uint16_t, std::vector<uint8_t>>>& attrs,
                uint16_t flags = 0) {
    const size_t start = bytes.size();
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    append(&h, sizeof h);
    append(header, header_len);
    for (const auto& [kind, data] : attrs) {
      rtattr a{static_cast<unsigned short>(RTA_LENGTH(data.size())), kind};
      append(&a, sizeof a);
      append(data.data(), data.size());
    }
    const auto len = static_cast<uint32_t>(bytes.size() - start);
    std::memcpy(bytes.data() + start, &len, 4);
    return *this;
  }
  Messages& done() {
    const int zero = 0;
    return add(NLMSG_DONE, &zero, sizeof zero, {});
  }
  void append(const void* p, size_t n) {
    bytes.insert(bytes.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    bytes.resize((bytes.size() + 3) & ~size_t{3});
  }
};

std::vector<uint8_t> address(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }

// A queried address, then each buffer as a 16-bit length and its bytes.
std::vector<uint8_t> receives(uint32_t queried, const std::vector<Messages>& buffers) {
  ByteWriter w;
  w.u32(queried);
  for (const Messages& m : buffers) w.u16(static_cast<uint16_t>(m.bytes.size())).bytes(m.bytes);
  return w.out;
}

void netlink_seeds(const fs::path& dir) {
  rtmsg unicast{};
  unicast.rtm_family = AF_INET;
  unicast.rtm_dst_len = 32;
  unicast.rtm_type = RTN_UNICAST;
  int oif = 3;
  std::vector<uint8_t> oif_bytes(4);
  std::memcpy(oif_bytes.data(), &oif, 4);
  ndmsg reachable{};
  reachable.ndm_family = AF_INET;
  reachable.ndm_ifindex = 3;
  reachable.ndm_state = NUD_REACHABLE;
  const std::vector<uint8_t> mac = {2, 0xbb, 0, 0, 0, 1};
  Messages route, neighbours;
  route.add(RTM_NEWROUTE, &unicast, sizeof unicast, {{RTA_DST, address(10, 0, 2, 11)}, {RTA_OIF, oif_bytes}, {RTA_GATEWAY, address(10, 0, 2, 1)}});
  neighbours.add(RTM_NEWNEIGH, &reachable, sizeof reachable, {{NDA_DST, address(10, 0, 2, 1)}, {NDA_LLADDR, mac}}, NLM_F_MULTI);
  ndmsg failed = reachable;
  failed.ndm_state = NUD_FAILED;
  neighbours.add(RTM_NEWNEIGH, &failed, sizeof failed, {{NDA_DST, address(10, 0, 2, 9)}}, NLM_F_MULTI).done();
  save(dir, "next_hop_via_gateway", receives(test::ipv4(10, 0, 2, 11), {route, neighbours}));

  rtmsg local = unicast;
  local.rtm_type = RTN_LOCAL;
  Messages locals;
  locals.add(RTM_NEWROUTE, &local, sizeof local, {{RTA_DST, address(10, 0, 2, 1)}}, NLM_F_MULTI);
  local.rtm_dst_len = 8;
  locals.add(RTM_NEWROUTE, &local, sizeof local, {{RTA_DST, address(127, 0, 0, 1)}}, NLM_F_MULTI);
  locals.add(RTM_NEWROUTE, &unicast, sizeof unicast, {{RTA_DST, address(10, 0, 0, 0)}}, NLM_F_MULTI).done();
  save(dir, "local_routes", receives(0, {locals}));

  Messages notifications;
  ndmsg stale = reachable;
  stale.ndm_state = NUD_STALE;
  notifications.add(RTM_NEWNEIGH, &stale, sizeof stale, {{NDA_DST, address(10, 0, 2, 12)}, {NDA_LLADDR, mac}});
  notifications.add(RTM_DELNEIGH, &reachable, sizeof reachable, {{NDA_DST, address(10, 0, 2, 12)}});
  notifications.add(RTM_DELROUTE, &unicast, sizeof unicast, {{RTA_DST, address(10, 0, 3, 0)}});
  ifinfomsg link{};
  link.ifi_index = 3;
  notifications.add(RTM_NEWLINK, &link, sizeof link, {});
  ifaddrmsg addr{};
  addr.ifa_family = AF_INET;
  notifications.add(RTM_NEWADDR, &addr, sizeof addr, {{IFA_LOCAL, address(10, 0, 2, 1)}});
  save(dir, "notifications", receives(0, {notifications, notifications}));

  Messages unreachable;
  nlmsgerr err{};
  err.error = -ENETUNREACH;
  unreachable.add(NLMSG_ERROR, &err, sizeof err, {});
  save(dir, "error_answer", receives(test::ipv4(192, 0, 2, 1), {unreachable}));
}

}  // namespace
}  // namespace xvs::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (writes CORPUS_DIR/<target>/<seed>)\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  xvs::fuzz::packet_path_seeds(root / "packet_path");
  xvs::fuzz::snapshot_seeds(root / "snapshot_decode");
  xvs::fuzz::netlink_seeds(root / "netlink_parse");
  return 0;
}
