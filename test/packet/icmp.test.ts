// test/packet/icmp.test.ts — ICMP errors about tracked connections: translated for nat and fullnat
// in both directions (outer header, quoted packet, ICMP checksum), routed by the quoted header for
// dr and tunnel; errors about unknown flows pass; and the tunnel MTU check that answers with
// ICMP fragmentation-needed.
import { after, before, describe } from 'node:test';

import { chooseLocal, share, tempKeyFile } from '../support/local-port.js';
import { MemHarness } from '../support/mem-harness.js';
import { ICMP, PROTO, UNREACH, icmpFrame, ipOf, ipipFrame, quote, tcpFrame, udpFrame, type IcmpSpec, type TcpSpec } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, LIP, ROUTER_MAC, TUNNEL_SOURCE, portMac, rsMac, runRows, type Row } from '../support/rows.js';

const DR = '203.0.113.10', NAT = '203.0.113.11', TUN = '203.0.113.12', FNAT = '203.0.113.13';
const DR_RS = '10.0.2.11', NAT_RS = '10.0.2.21', TUN_RS = '10.0.3.31', FNAT_RS = '10.0.2.41';
const ROUTER = '192.0.2.1'; // a router on the clients' side
const DATA = Buffer.from('some datagram payload');

// The fullnat TCP connection keeps its client's port (40000); the fullnat UDP query comes from
// port 53, below the local ports, so its local port is a keyed hash: of this key file's key.
const keyFile = tempKeyFile();
after(() => keyFile.remove());
const DNS_CLIENT_PORT = 53;
const fnatDnsPort = chooseLocal(keyFile.key, share(0, 1), [LIP], { src: CLIENT, dst: '203.0.113.13', sport: DNS_CLIENT_PORT, dport: 53, protocol: PROTO.udp })!.port;

const config = (mtu = '') => `
dataplane: { backend: mem, interfaces: [mem0], local_port_range: [1024, 65535], conn_table_size: 4096, tunnel_source: ${TUNNEL_SOURCE}, port_key_file: ${keyFile.path} ${mtu} }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: dr, vip: ${DR}, port: 80, forwarding: dr, scheduler: rr, servers: [{ address: ${DR_RS}, port: 80 }] }
  - { name: nat, vip: ${NAT}, port: 80, forwarding: nat, scheduler: rr, servers: [{ address: ${NAT_RS}, port: 8080 }] }
  - { name: nat-dns, vip: ${NAT}, port: 53, protocol: udp, forwarding: nat, scheduler: rr, servers: [{ address: ${NAT_RS}, port: 5353 }] }
  - { name: tun, vip: ${TUN}, port: 80, forwarding: tunnel, scheduler: rr, servers: [{ address: ${TUN_RS}, port: 80 }] }
  - { name: tun-dns, vip: ${TUN}, port: 53, protocol: udp, forwarding: tunnel, scheduler: rr, servers: [{ address: ${TUN_RS}, port: 53 }] }
  - { name: fnat, vip: ${FNAT}, port: 80, forwarding: fullnat, scheduler: rr, local_address_pool: lan, servers: [{ address: ${FNAT_RS}, port: 8080 }] }
  - { name: fnat-dns, vip: ${FNAT}, port: 53, protocol: udp, forwarding: fullnat, scheduler: rr, local_address_pool: lan, servers: [{ address: ${FNAT_RS}, port: 5353 }] }
`;

/** A TCP packet as some hop saw it: what an ICMP error quotes. */
const seg = (src: string, dst: string, sport: number, dport: number, ttl = 63): Buffer =>
  tcpFrame({ srcMac: CLIENT_MAC, dstMac: CLIENT_MAC, src, dst, sport, dport, flags: ['SYN'], seq: 7777, ttl });
const dgram = (src: string, dst: string, sport: number, dport: number, ttl = 63): Buffer =>
  udpFrame({ srcMac: CLIENT_MAC, dstMac: CLIENT_MAC, src, dst, sport, dport, payload: DATA, ttl });
const syn = (dst: string, over: Partial<TcpSpec> = {}): TcpSpec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst, sport: 40000, dport: 80, flags: ['SYN'], seq: 7777, ...over,
});
const error = (over: Omit<IcmpSpec, 'type' | 'code'> & Partial<IcmpSpec>): Buffer =>
  icmpFrame({ type: ICMP.destUnreachable, code: UNREACH.port, ...over });
/** Frag-needed announcing MTU 1400 (rest of header: unused 16 bits, MTU 16 bits). */
const FRAG_1400 = { type: ICMP.destUnreachable, code: UNREACH.fragNeeded, rest: 1400 };
const TIME_EXCEEDED = { type: ICMP.timeExceeded, code: 0 };

const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1 };
const NEW_OWN_PORT = { ...NEW, lport_client_port: 1 }; // fullnat, keeping the client's port
const FORWARDED = { rx_packets: 1, tx_packets: 1, icmp_forwarded: 1 };
const PASS = { rx_packets: 1, pass_packets: 1 };

const fromServer = (rs: string) => ({ srcMac: rsMac(rs), dstMac: portMac(0) });
const toServer = (rs: string) => ({ srcMac: portMac(0), dstMac: rsMac(rs) });
const fromRouter = { srcMac: ROUTER_MAC, dstMac: portMac(0) };
const toClient = { srcMac: portMac(0), dstMac: CLIENT_MAC };

const rows: Row[] = [
  // ---- nat
  { name: 'nat: a client SYN opens CLIENT:40000 -> server:8080', input: () => tcpFrame(syn(NAT)), verdict: 'tx', output: () => tcpFrame({ ...syn(NAT_RS), ...toServer(NAT_RS), dport: 8080, ttl: 63 }), moved: NEW },
  {
    name: "nat: the server's frag-needed about it reaches the client from the VIP, quoting CLIENT:40000 -> VIP:80, MTU kept, TTL − 1",
    input: () => error({ ...fromServer(NAT_RS), src: NAT_RS, dst: CLIENT, ...FRAG_1400, body: quote(seg(CLIENT, NAT_RS, 40000, 8080)) }),
    verdict: 'tx',
    output: () => error({ ...toClient, src: NAT, dst: CLIENT, ttl: 63, ...FRAG_1400, body: quote(seg(CLIENT, NAT, 40000, 80)) }),
    moved: FORWARDED,
  },
  {
    name: "nat: a client-side router's time-exceeded about a reply reaches the server (outer source kept, as IPVS), quoting server:8080 -> CLIENT:40000",
    input: () => error({ ...fromRouter, src: ROUTER, dst: NAT, ...TIME_EXCEEDED, body: quote(seg(NAT, CLIENT, 80, 40000, 1)) }),
    verdict: 'tx',
    output: () => error({ ...toServer(NAT_RS), src: ROUTER, dst: NAT_RS, ttl: 63, ...TIME_EXCEEDED, body: quote(seg(NAT_RS, CLIENT, 8080, 40000, 1)) }),
    moved: FORWARDED,
  },
  { name: 'nat: a UDP query opens CLIENT:5000 -> server:5353', input: () => udpFrame({ ...syn(NAT), sport: 5000, dport: 53, payload: DATA }), verdict: 'tx', output: () => udpFrame({ ...syn(NAT_RS), ...toServer(NAT_RS), sport: 5000, dport: 5353, ttl: 63, payload: DATA }), moved: NEW },
  {
    name: "nat: the server's port-unreachable about it is translated, the quoted UDP checksum included",
    input: () => error({ ...fromServer(NAT_RS), src: NAT_RS, dst: CLIENT, body: quote(dgram(CLIENT, NAT_RS, 5000, 5353)) }),
    verdict: 'tx',
    output: () => error({ ...toClient, src: NAT, dst: CLIENT, ttl: 63, body: quote(dgram(CLIENT, NAT, 5000, 53)) }),
    moved: FORWARDED,
  },
  {
    name: 'nat: an error with TTL 1 about a tracked connection is dropped as drop_ttl_expired',
    input: () => error({ ...fromServer(NAT_RS), src: NAT_RS, dst: CLIENT, ttl: 1, body: quote(dgram(CLIENT, NAT_RS, 5000, 5353)) }),
    verdict: 'drop', moved: { rx_packets: 1, drop_ttl_expired: 1 },
  },
  // ---- fullnat
  { name: "fullnat: a client SYN opens LIP:40000 (the client's port) -> server:8080", input: () => tcpFrame(syn(FNAT)), verdict: 'tx', output: () => tcpFrame({ ...syn(FNAT_RS), ...toServer(FNAT_RS), src: LIP, sport: 40000, dport: 8080, ttl: 63 }), moved: NEW_OWN_PORT },
  {
    name: "fullnat: the server's frag-needed to the LIP reaches the client from the VIP, quoting CLIENT:40000 -> VIP:80",
    input: () => error({ ...fromServer(FNAT_RS), src: FNAT_RS, dst: LIP, ...FRAG_1400, body: quote(seg(LIP, FNAT_RS, 40000, 8080)) }),
    verdict: 'tx',
    output: () => error({ ...toClient, src: FNAT, dst: CLIENT, ttl: 63, ...FRAG_1400, body: quote(seg(CLIENT, FNAT, 40000, 80)) }),
    moved: FORWARDED,
  },
  {
    name: "fullnat: a client-side router's time-exceeded about a reply reaches the server as LIP -> server, quoting server:8080 -> LIP:40000",
    input: () => error({ ...fromRouter, src: ROUTER, dst: FNAT, ...TIME_EXCEEDED, body: quote(seg(FNAT, CLIENT, 80, 40000, 1)) }),
    verdict: 'tx',
    output: () => error({ ...toServer(FNAT_RS), src: LIP, dst: FNAT_RS, ttl: 63, ...TIME_EXCEEDED, body: quote(seg(FNAT_RS, LIP, 8080, 40000, 1)) }),
    moved: FORWARDED,
  },
  {
    name: 'fullnat: a UDP query from client port 53 (below the local ports) opens LIP:<keyed hash of its tuple> -> server:5353',
    input: () => udpFrame({ ...syn(FNAT), sport: DNS_CLIENT_PORT, dport: 53, payload: DATA }),
    verdict: 'tx',
    output: () => udpFrame({ ...syn(FNAT_RS), ...toServer(FNAT_RS), src: LIP, sport: fnatDnsPort, dport: 5353, ttl: 63, payload: DATA }),
    moved: NEW,
  },
  {
    name: "fullnat: the server's port-unreachable about it reaches the client quoting CLIENT:53 -> VIP:53 with the UDP checksum fixed",
    input: () => error({ ...fromServer(FNAT_RS), src: FNAT_RS, dst: LIP, body: quote(dgram(LIP, FNAT_RS, fnatDnsPort, 5353)) }),
    verdict: 'tx',
    output: () => error({ ...toClient, src: FNAT, dst: CLIENT, ttl: 63, body: quote(dgram(CLIENT, FNAT, DNS_CLIENT_PORT, 53)) }),
    moved: FORWARDED,
  },
  {
    name: "fullnat: a client-side router's port-unreachable about the answer reaches the server quoting server:5353 -> LIP:<that port>",
    input: () => error({ ...fromRouter, src: ROUTER, dst: FNAT, body: quote(dgram(FNAT, CLIENT, 53, DNS_CLIENT_PORT)) }),
    verdict: 'tx',
    output: () => error({ ...toServer(FNAT_RS), src: LIP, dst: FNAT_RS, ttl: 63, body: quote(dgram(FNAT_RS, LIP, 5353, fnatDnsPort)) }),
    moved: FORWARDED,
  },
  // ---- dr and tunnel: the server replies directly; errors about its replies come to the VIP
  { name: 'dr: a client SYN opens a connection to the server', input: () => tcpFrame(syn(DR)), verdict: 'tx', output: () => tcpFrame({ ...syn(DR), ...toServer(DR_RS) }), moved: NEW },
  {
    name: "dr: a router's time-exceeded about the server's reply goes to the server's MAC untouched, TTL kept",
    input: () => error({ ...fromRouter, src: ROUTER, dst: DR, ...TIME_EXCEEDED, body: quote(seg(DR, CLIENT, 80, 40000, 1)) }),
    verdict: 'tx',
    output: () => error({ ...toServer(DR_RS), src: ROUTER, dst: DR, ...TIME_EXCEEDED, body: quote(seg(DR, CLIENT, 80, 40000, 1)) }),
    moved: FORWARDED,
  },
  {
    name: 'dr: the same error with TTL 1 is still forwarded, TTL 1 (dr is not a routed hop)',
    input: () => error({ ...fromRouter, src: ROUTER, dst: DR, ttl: 1, ...TIME_EXCEEDED, body: quote(seg(DR, CLIENT, 80, 40000, 1)) }),
    verdict: 'tx',
    output: () => error({ ...toServer(DR_RS), src: ROUTER, dst: DR, ttl: 1, ...TIME_EXCEEDED, body: quote(seg(DR, CLIENT, 80, 40000, 1)) }),
    moved: FORWARDED,
  },
  {
    name: 'dr: the same error with TTL 0 is dropped as drop_ttl_expired',
    input: () => error({ ...fromRouter, src: ROUTER, dst: DR, ttl: 0, ...TIME_EXCEEDED, body: quote(seg(DR, CLIENT, 80, 40000, 1)) }),
    verdict: 'drop', moved: { rx_packets: 1, drop_ttl_expired: 1 },
  },
  { name: 'tunnel: a client SYN opens a connection to the server', input: () => tcpFrame(syn(TUN)), verdict: 'tx', output: () => ipipFrame({ ...toServer(TUN_RS), src: TUNNEL_SOURCE, dst: TUN_RS }, ipOf(tcpFrame(syn(TUN)))), moved: NEW },
  {
    name: "tunnel: a router's frag-needed about the server's reply is IPIP-encapsulated to the server, the error untouched inside",
    input: () => error({ ...fromRouter, src: ROUTER, dst: TUN, ttl: 60, ...FRAG_1400, body: quote(seg(TUN, CLIENT, 80, 40000)) }),
    verdict: 'tx',
    output: () =>
      ipipFrame({ ...toServer(TUN_RS), src: TUNNEL_SOURCE, dst: TUN_RS, ttl: 60 }, ipOf(error({ ...fromRouter, src: ROUTER, dst: TUN, ttl: 60, ...FRAG_1400, body: quote(seg(TUN, CLIENT, 80, 40000)) }))),
    moved: FORWARDED,
  },
  // ---- not about a tracked connection
  { name: 'an error quoting a flow no connection matches passes to the kernel', input: () => error({ ...fromRouter, src: ROUTER, dst: NAT, body: quote(seg(NAT, CLIENT, 80, 41111)) }), verdict: 'pass', moved: PASS },
  { name: 'an error to an address that is no VIP passes to the kernel', input: () => error({ ...fromRouter, src: ROUTER, dst: '10.9.9.9', body: quote(seg('10.9.9.9', CLIENT, 80, 40000)) }), verdict: 'pass', moved: PASS },
  {
    name: 'an error quoting an ICMP echo passes to the kernel',
    input: () => error({ ...fromRouter, src: ROUTER, dst: NAT, body: quote(icmpFrame({ ...syn(NAT), src: NAT, dst: CLIENT, type: ICMP.echoRequest, code: 0, body: Buffer.alloc(8) })) }),
    verdict: 'pass', moved: PASS,
  },
  {
    name: 'a truncated error about a tracked connection (quoting 4 bytes of ports) is dropped as drop_bad_icmp',
    input: () => error({ ...fromServer(NAT_RS), src: NAT_RS, dst: CLIENT, body: quote(dgram(CLIENT, NAT_RS, 5000, 5353), 4) }),
    verdict: 'drop', moved: { rx_packets: 1, drop_bad_icmp: 1 },
  },
];

describe('ICMP errors about tracked connections (one arm)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config())));
  after(() => lb?.close());
  runRows(() => lb, rows);
});

// ---- tunnel MTU: dataplane.mtu 600 leaves 580 bytes for the inner packet
const big = (payload: number, over: Partial<TcpSpec> = {}) =>
  tcpFrame(syn(TUN, { flags: ['ACK'], dontFragment: true, payload: Buffer.alloc(payload, 0x61), ...over }));
const fragNeeded = (input: Buffer) =>
  icmpFrame({ ...toClient, src: TUNNEL_SOURCE, dst: CLIENT, ttl: 64, id: 0, dontFragment: true, type: ICMP.destUnreachable, code: UNREACH.fragNeeded, rest: 580, body: quote(input) });

const mtuRows: Row[] = [
  { name: 'tunnel, MTU 600: a small SYN is encapsulated', input: () => tcpFrame(syn(TUN)), verdict: 'tx', output: () => ipipFrame({ ...toServer(TUN_RS), src: TUNNEL_SOURCE, dst: TUN_RS }, ipOf(tcpFrame(syn(TUN)))), moved: NEW },
  {
    name: 'tunnel, MTU 600: a 580-byte packet with DF fits exactly once encapsulated (600 bytes)',
    input: () => big(540), verdict: 'tx',
    output: () => ipipFrame({ ...toServer(TUN_RS), src: TUNNEL_SOURCE, dst: TUN_RS, dontFragment: true }, ipOf(big(540))),
    moved: { rx_packets: 1, tx_packets: 1 },
  },
  {
    name: 'tunnel, MTU 600: a 581-byte packet with DF gets ICMP frag-needed back from tunnel_source announcing MTU 580',
    input: () => big(541), verdict: 'tx', output: () => fragNeeded(big(541)),
    moved: { rx_packets: 1, tx_packets: 1, icmp_frag_needed_sent: 1 },
  },
  { name: 'tunnel, MTU 600: a 581-byte packet without DF is dropped as drop_tunnel_mtu (xvs does not fragment)', input: () => big(541, { dontFragment: false }), verdict: 'drop', moved: { rx_packets: 1, drop_tunnel_mtu: 1 } },
  {
    name: 'tunnel, MTU 600: a new 1000-byte UDP datagram with DF opens its connection and gets frag-needed back',
    input: () => udpFrame({ ...syn(TUN), sport: 5000, dport: 53, dontFragment: true, payload: Buffer.alloc(1000, 0x62) }),
    verdict: 'tx',
    output: () => fragNeeded(udpFrame({ ...syn(TUN), sport: 5000, dport: 53, dontFragment: true, payload: Buffer.alloc(1000, 0x62) })),
    moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, icmp_frag_needed_sent: 1 },
  },
  {
    name: 'tunnel, MTU 600: an ICMP error too big for the tunnel is dropped as drop_tunnel_mtu even with DF: no ICMP error about an ICMP error',
    input: () => error({ ...fromRouter, src: ROUTER, dst: TUN, dontFragment: true, ...FRAG_1400, body: quote(tcpFrame({ ...syn(CLIENT), src: TUN, sport: 80, dport: 40000, payload: Buffer.alloc(600) }), 560) }),
    verdict: 'drop',
    moved: { rx_packets: 1, drop_tunnel_mtu: 1 },
  },
];

describe('tunnel MTU (dataplane.mtu 600)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config(', mtu: 600'))));
  after(() => lb?.close());
  runRows(() => lb, mtuRows);
});

// ---- two arms: errors leave on the other side's port
const twoArm = config().replace('interfaces: [mem0]', 'interfaces: [mem0, mem1]');
const twoArmRows: Row[] = [
  { name: 'two arms, nat: a client SYN on mem0 leaves on mem1', input: () => tcpFrame(syn(NAT)), verdict: 'tx', outPort: 1, output: () => tcpFrame({ ...syn(NAT_RS), srcMac: portMac(1), dstMac: rsMac(NAT_RS), dport: 8080, ttl: 63 }), moved: NEW },
  {
    name: "two arms, nat: the server's port-unreachable arriving on mem1 reaches the client out of mem0",
    input: () => error({ srcMac: rsMac(NAT_RS), dstMac: portMac(1), src: NAT_RS, dst: CLIENT, body: quote(seg(CLIENT, NAT_RS, 40000, 8080)) }), on: { port: 1 },
    verdict: 'tx', outPort: 0,
    output: () => error({ ...toClient, src: NAT, dst: CLIENT, ttl: 63, body: quote(seg(CLIENT, NAT, 40000, 80)) }),
    moved: FORWARDED,
  },
  {
    name: "two arms, nat: a client-side router's error arriving on mem0 reaches the server out of mem1",
    input: () => error({ ...fromRouter, src: ROUTER, dst: NAT, ...TIME_EXCEEDED, body: quote(seg(NAT, CLIENT, 80, 40000, 1)) }),
    verdict: 'tx', outPort: 1,
    output: () => error({ srcMac: portMac(1), dstMac: rsMac(NAT_RS), src: ROUTER, dst: NAT_RS, ttl: 63, ...TIME_EXCEEDED, body: quote(seg(NAT_RS, CLIENT, 8080, 40000, 1)) }),
    moved: FORWARDED,
  },
];

describe('ICMP errors, two arms (clients on mem0, servers on mem1)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(twoArm)));
  after(() => lb?.close());
  runRows(() => lb, twoArmRows);
});
