// test/packet/nat64.test.ts — NAT64 from a config file through the real addon on io/mem: an IPv6
// fullnat VIP over IPv4 servers through an IPv4 local-address pool (validation, model, snapshot
// encoder, decoder, packet path). Exact frames in and out: the IPv6 client's SYN leaves as IPv4
// from the LIP on its own port, the server's SYN-ACK comes back as IPv6 from the VIP, UDP both
// ways, a server-side "fragmentation needed" reaches the client as "packet too big" 20 bytes
// larger, and an IPv4 service of the same pool beside it. Frames by test/support/packets*.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { ICMP, UNREACH, decodeFrame, icmpFrame, ipOf, tcpFrame, udpFrame, type TcpFlag } from '../support/packets.js';
import { ICMP6, icmp6Frame, ip6Of, tcp6Frame, udp6Frame } from '../support/packets6.js';
import { CLIENT, CLIENT_MAC, LIP, VIP, portMac, rsMac, runRows, type Row } from '../support/rows.js';

const CLIENT6 = '2001:db8:c::7';
const VIP6 = '2001:db8:100::10';
const RS = '10.0.2.11';
const DNS = '10.0.2.21';

const config = `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], local_port_range: [1024, 65535] }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: web64, vip: "${VIP6}", port: 80, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      servers: [{ address: ${RS}, port: 8080 }] }
  - { name: dns64, vip: "${VIP6}", port: 53, protocol: udp, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      servers: [{ address: ${DNS}, port: 5353 }] }
  - { name: web4, vip: ${VIP}, port: 80, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      servers: [{ address: ${RS}, port: 8080 }] }
`;

const FORWARDED = { rx_packets: 1, tx_packets: 1 };
const payload = Buffer.from('hello');

const clientSyn = () =>
  tcp6Frame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT6, dst: VIP6, sport: 40000, dport: 80, flags: ['SYN'], seq: 1000, payload });
const serverSyn = () =>
  tcpFrame({
    srcMac: portMac(0), dstMac: rsMac(RS), src: LIP, dst: RS, sport: 40000, dport: 8080, flags: ['SYN'], seq: 1000, payload,
    ttl: 63, id: 1, // small: DF clear, the worker's first identification

  });
const fromServer = (flags: TcpFlag[]) =>
  tcpFrame({ srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: LIP, sport: 8080, dport: 40000, flags, seq: 7000, ack: 1001, dontFragment: true });

const rows: Row[] = [
  {
    name: 'the IPv6 client\'s SYN leaves as IPv4 from the LIP on its own port, one hop less (small: DF clear, an identification)',
    input: clientSyn,
    verdict: 'tx',
    output: serverSyn,
    moved: { ...FORWARDED, conn_created: 1, lport_client_port: 1 },
  },
  {
    name: "the server's SYN-ACK comes back to the client as IPv6 from the VIP",
    input: () => fromServer(['SYN', 'ACK']),
    verdict: 'tx',
    output: () =>
      tcp6Frame({ srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP6, dst: CLIENT6, sport: 80, dport: 40000, flags: ['SYN', 'ACK'], seq: 7000, ack: 1001, hopLimit: 63 }),
    moved: FORWARDED,
  },
  {
    name: 'a server-side "fragmentation needed" (1400) reaches the client as "packet too big" (1420), quoting its own packet',
    input: () =>
      icmpFrame({
        srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: LIP, type: ICMP.destUnreachable, code: UNREACH.fragNeeded, rest: 1400,
        body: ipOf(serverSyn()),
      }),
    verdict: 'tx',
    output: () =>
      icmp6Frame({
        srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP6, dst: CLIENT6, type: ICMP6.packetTooBig, code: 0, rest: 1420, hopLimit: 63,
        body: ip6Of(tcp6Frame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT6, dst: VIP6, sport: 40000, dport: 80, flags: ['SYN'], seq: 1000, payload, hopLimit: 63 })),
      }),
    moved: { ...FORWARDED, icmp_forwarded: 1 },
  },
  {
    name: 'UDP: the question leaves as IPv4, the answer (no checksum, as IPv4 allows) comes back as IPv6 with one',
    input: () => udp6Frame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT6, dst: VIP6, sport: 5300, dport: 53, payload }),
    verdict: 'tx',
    output: () => udpFrame({ srcMac: portMac(0), dstMac: rsMac(DNS), src: LIP, dst: DNS, sport: 5300, dport: 5353, payload, ttl: 63, id: 2 }),
    moved: { ...FORWARDED, conn_created: 1, lport_client_port: 1 },
  },
  {
    name: 'UDP: the answer',
    input: () => udpFrame({ srcMac: rsMac(DNS), dstMac: portMac(0), src: DNS, dst: LIP, sport: 5353, dport: 5300, payload, noChecksum: true }),
    verdict: 'tx',
    output: () => udp6Frame({ srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP6, dst: CLIENT6, sport: 53, dport: 5300, payload, hopLimit: 63 }),
    moved: FORWARDED,
  },
];

describe('NAT64: an IPv6 fullnat VIP over IPv4 servers (io/mem)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());
  runRows(() => lb, rows);

  it('xvs list -c shows a NAT64 connection with its IPv6 client and its IPv4 server and LIP', () => {
    const [w0] = lb.dataplane.connections(100);
    const entry = w0!.entries.find((e) => e.client === `[${CLIENT6}]:40000`);
    assert.deepEqual({ ...entry, expiresIn: undefined, backendId: undefined }, {
      protocol: 'tcp', state: 'tcp_syn_recv', template: false, expiresIn: undefined, backendId: undefined,
      client: `[${CLIENT6}]:40000`, virtual: `[${VIP6}]:80`, server: `${RS}:8080`, local: `${LIP}:40000`,
    });
  });

  it('an IPv4 client of the IPv4 service on the same port and server takes another local port of the shared pool', () => {
    const ex = lb.send(tcpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: ['SYN'] }));
    assert.deepEqual(ex.moved, { ...FORWARDED, conn_created: 1, lport_busy: 1 });
    const out = decodeFrame(ex.out[0]!.data);
    assert.equal(out.src, LIP);
    assert.equal(out.dst, RS);
    assert.notEqual(out.sport, 40000, 'LIP:40000 -> RS:8080 is the NAT64 connection\'s');
  });
});
