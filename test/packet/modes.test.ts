// test/packet/modes.test.ts — the four forwarding modes × TCP, UDP × both directions, on a one-arm
// balancer (clients and servers behind mem0) and a two-arm one (clients on mem0, servers on
// mem1): exact frames out, the port they leave on, the counters they move. The fullnat TCP
// connection keeps its client's port as its local port; the fullnat UDP query comes from port 53,
// below the local ports, so its local port is a keyed hash (of a key file the test writes) and
// differs from the client's: both ports are rewritten, both ways.
import { after, before, describe } from 'node:test';

import { chooseLocal, share, tempKeyFile } from '../support/local-port.js';
import { MemHarness } from '../support/mem-harness.js';
import { PROTO, ipOf, ipipFrame, tcpFrame, udpFrame, type TcpSpec } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, LIP, TUNNEL_SOURCE, portMac, rsMac, runRows, type Row } from '../support/rows.js';

const DR_VIP = '203.0.113.10', NAT_VIP = '203.0.113.11', TUN_VIP = '203.0.113.12', FNAT_VIP = '203.0.113.13';
const DR_RS = '10.0.2.11', NAT_RS = '10.0.2.21', TUN_RS = '10.0.3.31', FNAT_RS = '10.0.2.41';
const GET = Buffer.from('GET / HTTP/1.0\r\n\r\n');
const QUERY = Buffer.from('query'), ANSWER = Buffer.from('answer');

const keyFile = tempKeyFile();
after(() => keyFile.remove());
const FNAT_DNS_CLIENT_PORT = 53;
const fnatDnsPort = chooseLocal(keyFile.key, share(0, 1), [LIP], { src: CLIENT, dst: FNAT_VIP, sport: FNAT_DNS_CLIENT_PORT, dport: 53, protocol: PROTO.udp })!.port;

const config = (interfaces: string) => `
dataplane: { backend: mem, interfaces: ${interfaces}, local_port_range: [1024, 65535], conn_table_size: 4096, tunnel_source: ${TUNNEL_SOURCE}, port_key_file: ${keyFile.path} }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: dr-web, vip: ${DR_VIP}, port: 80, forwarding: dr, scheduler: rr, servers: [{ address: ${DR_RS}, port: 80 }] }
  - { name: dr-dns, vip: ${DR_VIP}, port: 53, protocol: udp, forwarding: dr, scheduler: rr, servers: [{ address: ${DR_RS}, port: 53 }] }
  - { name: nat-web, vip: ${NAT_VIP}, port: 80, forwarding: nat, scheduler: rr, servers: [{ address: ${NAT_RS}, port: 8080 }] }
  - { name: nat-dns, vip: ${NAT_VIP}, port: 53, protocol: udp, forwarding: nat, scheduler: rr, servers: [{ address: ${NAT_RS}, port: 5353 }] }
  - { name: tun-web, vip: ${TUN_VIP}, port: 80, forwarding: tunnel, scheduler: rr, servers: [{ address: ${TUN_RS}, port: 80 }] }
  - { name: tun-dns, vip: ${TUN_VIP}, port: 53, protocol: udp, forwarding: tunnel, scheduler: rr, servers: [{ address: ${TUN_RS}, port: 53 }] }
  - { name: fnat-web, vip: ${FNAT_VIP}, port: 80, forwarding: fullnat, scheduler: rr, local_address_pool: lan, servers: [{ address: ${FNAT_RS}, port: 8080 }] }
  - { name: fnat-dns, vip: ${FNAT_VIP}, port: 53, protocol: udp, forwarding: fullnat, scheduler: rr, local_address_pool: lan, servers: [{ address: ${FNAT_RS}, port: 5353 }] }
`;

const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1 };
const FOLLOW = { rx_packets: 1, tx_packets: 1 };

/** The rows for a balancer whose clients are on port 0 and servers on port `S` (0: one arm, 1: two arms). */
function rows(S: 0 | 1): Row[] {
  const inC = { port: 0 }, inS = { port: S };
  // Client side: frames from the client to the balancer's port 0, and back out of port 0.
  const c = (dst: string, over: Partial<TcpSpec> = {}): TcpSpec => ({
    srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst, sport: 40000, dport: 80, flags: ['SYN'], ...over,
  });
  const toClient = (src: string, over: Partial<TcpSpec> = {}): TcpSpec => ({
    srcMac: portMac(0), dstMac: CLIENT_MAC, src, dst: CLIENT, sport: 80, dport: 40000, flags: ['SYN', 'ACK'], ttl: 63, ...over,
  });
  // Server side: out of port S to the server's MAC, and from the server to port S.
  const toServer = (rs: string, over: Partial<TcpSpec>): TcpSpec => ({
    srcMac: portMac(S), dstMac: rsMac(rs), src: CLIENT, dst: rs, sport: 40000, dport: 80, flags: ['SYN'], ...over,
  });
  const fromServer = (rs: string, over: Partial<TcpSpec>): TcpSpec => ({
    srcMac: rsMac(rs), dstMac: portMac(S), src: rs, dst: CLIENT, sport: 80, dport: 40000, flags: ['SYN', 'ACK'], ...over,
  });
  const arm = S === 0 ? 'one-arm' : 'two-arm';
  return [
    // ---- dr
    {
      name: `${arm} dr: a client SYN to VIP:80 leaves for the server's MAC with addresses, ports and TTL 64 untouched`,
      input: () => tcpFrame(c(DR_VIP)), on: inC, verdict: 'tx', outPort: S,
      output: () => tcpFrame(toServer(DR_RS, { dst: DR_VIP })),
      moved: NEW,
    },
    {
      name: `${arm} dr: the client's ACK with data follows the connection to the same server, no new connection`,
      input: () => tcpFrame(c(DR_VIP, { flags: ['ACK', 'PSH'], seq: 1001, ack: 5001, payload: GET })), on: inC, verdict: 'tx', outPort: S,
      output: () => tcpFrame(toServer(DR_RS, { dst: DR_VIP, flags: ['ACK', 'PSH'], seq: 1001, ack: 5001, payload: GET })),
      moved: FOLLOW,
    },
    {
      name: `${arm} dr: a UDP datagram to VIP:53 goes to the server's MAC unchanged otherwise`,
      input: () => udpFrame({ ...c(DR_VIP), sport: 5000, dport: 53, payload: QUERY }), on: inC, verdict: 'tx', outPort: S,
      output: () => udpFrame({ ...toServer(DR_RS, { dst: DR_VIP }), sport: 5000, dport: 53, payload: QUERY }),
      moved: NEW,
    },
    {
      name: `${arm} dr: a server's reply from the VIP is not the balancer's to forward: it passes to the kernel`,
      input: () => tcpFrame(fromServer(DR_RS, { src: DR_VIP })), on: inS, verdict: 'pass',
      moved: { rx_packets: 1, pass_packets: 1 },
    },
    // ---- nat
    {
      name: `${arm} nat: a client SYN to VIP:80 is DNATed to server:8080 with TTL 63`,
      input: () => tcpFrame(c(NAT_VIP)), on: inC, verdict: 'tx', outPort: S,
      output: () => tcpFrame(toServer(NAT_RS, { dport: 8080, ttl: 63 })),
      moved: NEW,
    },
    {
      name: `${arm} nat: the server's SYN-ACK from :8080 is SNATed back to VIP:80 -> client with TTL 63`,
      input: () => tcpFrame(fromServer(NAT_RS, { sport: 8080, seq: 5000, ack: 1001 })), on: inS, verdict: 'tx', outPort: 0,
      output: () => tcpFrame(toClient(NAT_VIP, { seq: 5000, ack: 1001 })),
      moved: FOLLOW,
    },
    {
      name: `${arm} nat: the client's ACK with data is DNATed on the same connection`,
      input: () => tcpFrame(c(NAT_VIP, { flags: ['ACK', 'PSH'], seq: 1001, ack: 5001, payload: GET })), on: inC, verdict: 'tx', outPort: S,
      output: () => tcpFrame(toServer(NAT_RS, { dport: 8080, ttl: 63, flags: ['ACK', 'PSH'], seq: 1001, ack: 5001, payload: GET })),
      moved: FOLLOW,
    },
    {
      name: `${arm} nat: a UDP query to VIP:53 is DNATed to server:5353 with a valid UDP checksum`,
      input: () => udpFrame({ ...c(NAT_VIP), sport: 5000, dport: 53, payload: QUERY }), on: inC, verdict: 'tx', outPort: S,
      output: () => udpFrame({ ...toServer(NAT_RS, {}), sport: 5000, dport: 5353, ttl: 63, payload: QUERY }),
      moved: NEW,
    },
    {
      name: `${arm} nat: the UDP answer from server:5353 is SNATed back to VIP:53 -> client:5000`,
      input: () => udpFrame({ ...fromServer(NAT_RS, {}), sport: 5353, dport: 5000, payload: ANSWER }), on: inS, verdict: 'tx', outPort: 0,
      output: () => udpFrame({ ...toClient(NAT_VIP), sport: 53, dport: 5000, payload: ANSWER }),
      moved: FOLLOW,
    },
    {
      name: `${arm} nat: a server packet of no connection passes to the kernel`,
      input: () => tcpFrame(fromServer(NAT_RS, { sport: 8080, dport: 40999, flags: ['ACK'] })), on: inS, verdict: 'pass',
      moved: { rx_packets: 1, pass_packets: 1 },
    },
    // ---- tunnel
    {
      name: `${arm} tunnel: a client SYN (TOS 0x28, DF, TTL 50) is IPIP-encapsulated from tunnel_source to the server, TOS/DF/TTL/id copied`,
      input: () => tcpFrame(c(TUN_VIP, { tos: 0x28, dontFragment: true, ttl: 50, id: 0x4242 })), on: inC, verdict: 'tx', outPort: S,
      output: () =>
        ipipFrame(
          { srcMac: portMac(S), dstMac: rsMac(TUN_RS), src: TUNNEL_SOURCE, dst: TUN_RS, tos: 0x28, dontFragment: true, ttl: 50, id: 0x4242 },
          ipOf(tcpFrame(c(TUN_VIP, { tos: 0x28, dontFragment: true, ttl: 50, id: 0x4242 }))),
        ),
      moved: NEW,
    },
    {
      name: `${arm} tunnel: the client's next segment is encapsulated on the same connection, inner packet byte for byte`,
      input: () => tcpFrame(c(TUN_VIP, { flags: ['ACK', 'PSH'], payload: GET })), on: inC, verdict: 'tx', outPort: S,
      output: () =>
        ipipFrame({ srcMac: portMac(S), dstMac: rsMac(TUN_RS), src: TUNNEL_SOURCE, dst: TUN_RS }, ipOf(tcpFrame(c(TUN_VIP, { flags: ['ACK', 'PSH'], payload: GET })))),
      moved: FOLLOW,
    },
    {
      name: `${arm} tunnel: a UDP datagram without DF is encapsulated with DF clear in the outer header`,
      input: () => udpFrame({ ...c(TUN_VIP), sport: 5000, dport: 53, payload: QUERY }), on: inC, verdict: 'tx', outPort: S,
      output: () =>
        ipipFrame({ srcMac: portMac(S), dstMac: rsMac(TUN_RS), src: TUNNEL_SOURCE, dst: TUN_RS }, ipOf(udpFrame({ ...c(TUN_VIP), sport: 5000, dport: 53, payload: QUERY }))),
      moved: NEW,
    },
    // ---- fullnat
    {
      name: `${arm} fullnat: a client SYN becomes LIP:40000 (the client's port) -> server:8080 with TTL 63`,
      input: () => tcpFrame(c(FNAT_VIP)), on: inC, verdict: 'tx', outPort: S,
      output: () => tcpFrame(toServer(FNAT_RS, { src: LIP, sport: 40000, dport: 8080, ttl: 63 })),
      moved: { ...NEW, lport_client_port: 1 },
    },
    {
      name: `${arm} fullnat: the server's SYN-ACK to LIP:40000 becomes VIP:80 -> client:40000`,
      input: () => tcpFrame(fromServer(FNAT_RS, { sport: 8080, dst: LIP, dport: 40000 })), on: inS, verdict: 'tx', outPort: 0,
      output: () => tcpFrame(toClient(FNAT_VIP)),
      moved: FOLLOW,
    },
    {
      name: `${arm} fullnat: a UDP query from client port 53 becomes LIP:<keyed hash> -> server:5353`,
      input: () => udpFrame({ ...c(FNAT_VIP), sport: FNAT_DNS_CLIENT_PORT, dport: 53, payload: QUERY }), on: inC, verdict: 'tx', outPort: S,
      output: () => udpFrame({ ...toServer(FNAT_RS, {}), src: LIP, sport: fnatDnsPort, dport: 5353, ttl: 63, payload: QUERY }),
      moved: NEW,
    },
    {
      name: `${arm} fullnat: the UDP answer to that local port becomes VIP:53 -> client:53`,
      input: () => udpFrame({ ...fromServer(FNAT_RS, {}), sport: 5353, dst: LIP, dport: fnatDnsPort, payload: ANSWER }), on: inS, verdict: 'tx', outPort: 0,
      output: () => udpFrame({ ...toClient(FNAT_VIP), sport: 53, dport: FNAT_DNS_CLIENT_PORT, payload: ANSWER }),
      moved: FOLLOW,
    },
    {
      name: `${arm} fullnat: a packet to the LIP on a port no connection holds passes to the kernel`,
      input: () => tcpFrame(fromServer(FNAT_RS, { sport: 8080, dst: LIP, dport: 2000, flags: ['ACK'] })), on: inS, verdict: 'pass',
      moved: { rx_packets: 1, pass_packets: 1 },
    },
  ];
}

describe('forwarding modes, one arm (clients and servers behind mem0)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config('[mem0]'))));
  after(() => lb?.close());
  runRows(() => lb, rows(0));
});

describe('forwarding modes, two arms (clients on mem0, servers on mem1)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config('[mem0, mem1]'))));
  after(() => lb?.close());
  runRows(() => lb, rows(1));
});
