// test/packet/ttl.test.ts — TTL handling per mode: TTL 0 is never valid on the wire and is dropped
// in every mode; nat and fullnat are routed hops (TTL − 1), so TTL 1 is dropped there, new
// connection or not; dr and tunnel are not (dr keeps the TTL, tunnel copies it outwards), so
// TTL 1 is forwarded.
import { after, before, describe } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { ipOf, ipipFrame, tcpFrame, udpFrame, type TcpSpec } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, LIP, TUNNEL_SOURCE, portMac, rsMac, runRows, type Row } from '../support/rows.js';

const DR = '203.0.113.10', NAT = '203.0.113.11', TUN = '203.0.113.12', FNAT = '203.0.113.13';
const DR_RS = '10.0.2.11', NAT_RS = '10.0.2.21', TUN_RS = '10.0.3.31', FNAT_RS = '10.0.2.41';

const config = `
dataplane: { backend: mem, interfaces: [mem0], conn_table_size: 4096, tunnel_source: ${TUNNEL_SOURCE} }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: dr, vip: ${DR}, port: 80, forwarding: dr, scheduler: rr, servers: [{ address: ${DR_RS}, port: 80 }] }
  - { name: nat, vip: ${NAT}, port: 80, forwarding: nat, scheduler: rr, servers: [{ address: ${NAT_RS}, port: 8080 }] }
  - { name: nat-dns, vip: ${NAT}, port: 53, protocol: udp, forwarding: nat, scheduler: rr, servers: [{ address: ${NAT_RS}, port: 53 }] }
  - { name: tun, vip: ${TUN}, port: 80, forwarding: tunnel, scheduler: rr, servers: [{ address: ${TUN_RS}, port: 80 }] }
  - { name: fnat, vip: ${FNAT}, port: 80, forwarding: fullnat, scheduler: rr, local_address_pool: lan, servers: [{ address: ${FNAT_RS}, port: 8080 }] }
`;

const c = (dst: string, over: Partial<TcpSpec> = {}): TcpSpec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst, sport: 40000, dport: 80, flags: ['SYN'], ...over,
});
const TTL_DROP = { rx_packets: 1, drop_ttl_expired: 1 };
const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1 };
const FOLLOW = { rx_packets: 1, tx_packets: 1 };

const rows: Row[] = [
  ...[DR, NAT, TUN, FNAT].map((vip, i): Row => ({
    name: `a SYN with TTL 0 to the ${['dr', 'nat', 'tunnel', 'fullnat'][i]} VIP is dropped as drop_ttl_expired and creates nothing`,
    input: () => tcpFrame(c(vip, { ttl: 0 })),
    verdict: 'drop',
    moved: TTL_DROP,
  })),
  {
    name: 'a segment with TTL 0 to an address that is no VIP or LIP is not ours: it passes to the kernel',
    input: () => tcpFrame(c('10.9.9.9', { ttl: 0 })), verdict: 'pass', moved: { rx_packets: 1, pass_packets: 1 },
  },
  {
    name: 'a SYN with TTL 0 to the LIP is dropped as drop_ttl_expired',
    input: () => tcpFrame(c(LIP, { ttl: 0, dport: 1024 })), verdict: 'drop', moved: TTL_DROP,
  },
  {
    name: 'a SYN with TTL 1 to the dr VIP is forwarded with TTL 1: dr is not a routed hop',
    input: () => tcpFrame(c(DR, { ttl: 1 })), verdict: 'tx',
    output: () => tcpFrame({ ...c(DR, { ttl: 1 }), srcMac: portMac(0), dstMac: rsMac(DR_RS) }),
    moved: NEW,
  },
  {
    name: 'a SYN with TTL 1 to the tunnel VIP is encapsulated with TTL 1 inside and out',
    input: () => tcpFrame(c(TUN, { ttl: 1 })), verdict: 'tx',
    output: () => ipipFrame({ srcMac: portMac(0), dstMac: rsMac(TUN_RS), src: TUNNEL_SOURCE, dst: TUN_RS, ttl: 1 }, ipOf(tcpFrame(c(TUN, { ttl: 1 })))),
    moved: NEW,
  },
  { name: 'a SYN with TTL 1 to the nat VIP is dropped as drop_ttl_expired: it would leave with TTL 0', input: () => tcpFrame(c(NAT, { ttl: 1 })), verdict: 'drop', moved: TTL_DROP },
  { name: 'a SYN with TTL 1 to the fullnat VIP is dropped as drop_ttl_expired', input: () => tcpFrame(c(FNAT, { ttl: 1 })), verdict: 'drop', moved: TTL_DROP },
  {
    name: 'a SYN with TTL 2 to the nat VIP leaves with TTL 1',
    input: () => tcpFrame(c(NAT, { ttl: 2 })), verdict: 'tx',
    output: () => tcpFrame({ ...c(NAT_RS, { ttl: 1 }), srcMac: portMac(0), dstMac: rsMac(NAT_RS), dport: 8080 }),
    moved: NEW,
  },
  {
    name: 'a segment with TTL 1 on that nat connection is dropped as drop_ttl_expired too',
    input: () => tcpFrame(c(NAT, { flags: ['ACK'], ttl: 1 })), verdict: 'drop', moved: TTL_DROP,
  },
  {
    name: "a server's reply with TTL 1 on that nat connection is dropped as drop_ttl_expired",
    input: () => tcpFrame({ srcMac: rsMac(NAT_RS), dstMac: portMac(0), src: NAT_RS, dst: CLIENT, sport: 8080, dport: 40000, flags: ['SYN', 'ACK'], ttl: 1 }),
    verdict: 'drop', moved: TTL_DROP,
  },
  {
    name: "a server's reply with TTL 0 on that nat connection is dropped as drop_ttl_expired",
    input: () => tcpFrame({ srcMac: rsMac(NAT_RS), dstMac: portMac(0), src: NAT_RS, dst: CLIENT, sport: 8080, dport: 40000, flags: ['SYN', 'ACK'], ttl: 0 }),
    verdict: 'drop', moved: TTL_DROP,
  },
  {
    name: "a server's reply with TTL 2 on that nat connection reaches the client with TTL 1",
    input: () => tcpFrame({ srcMac: rsMac(NAT_RS), dstMac: portMac(0), src: NAT_RS, dst: CLIENT, sport: 8080, dport: 40000, flags: ['SYN', 'ACK'], ttl: 2 }),
    verdict: 'tx',
    output: () => tcpFrame({ srcMac: portMac(0), dstMac: CLIENT_MAC, src: NAT, dst: CLIENT, sport: 80, dport: 40000, flags: ['SYN', 'ACK'], ttl: 1 }),
    moved: FOLLOW,
  },
  {
    name: 'a UDP datagram with TTL 1 to the nat VIP is dropped as drop_ttl_expired',
    input: () => udpFrame({ ...c(NAT, { ttl: 1 }), sport: 5000, dport: 53 }), verdict: 'drop', moved: TTL_DROP,
  },
  {
    name: 'a segment with TTL 1 on the established dr connection is forwarded with TTL 1',
    input: () => tcpFrame(c(DR, { flags: ['ACK'], ttl: 1 })), verdict: 'tx',
    output: () => tcpFrame({ ...c(DR, { flags: ['ACK'], ttl: 1 }), srcMac: portMac(0), dstMac: rsMac(DR_RS) }),
    moved: FOLLOW,
  },
];

describe('TTL per forwarding mode (one arm)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());
  runRows(() => lb, rows);
});
