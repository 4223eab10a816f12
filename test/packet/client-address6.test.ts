// test/packet/client-address6.test.ts — `client_address` of a fullnat TCP service with an IPv6 VIP
// and IPv6 local-address pool, through the real addon on io/mem, exact frames in and out and the
// counters moved: TOA in DPVS's IPv6 form (kind 254, length 20: port, IPv6 address) and the PROXY
// protocol v2 header for TCP over IPv6 (52 bytes), with the same rules as IPv4's
// (client-address.test.ts): MSS lowered by what is added, sequence numbers and SACK blocks
// translated, the header alone when the segment is full, an ICMPv6 "packet too big" from the
// server side lowered and its quoted sequence number put back. Frames by test/support/packets6.ts.
import { after, before, describe, it } from 'node:test';

import { ipv6ToBytes } from '../../src/config/ipv6-address.js';
import { MemHarness } from '../support/mem-harness.js';
import { IPV6_FLOW, fullnatFlow, handshake as shake, sackOption, type FullnatFlow } from '../support/fullnat-flow.js';
import { ICMP6, icmp6Frame, ip6Of, tcp6Frame, type Tcp6Spec } from '../support/packets6.js';
import { CLIENT_MAC, expectExchange, portMac, rsMac } from '../support/rows.js';

const CLIENT6 = '2001:db8:c::7';
const VIP6 = '2001:db8:100::10';
const LIP6 = 'fd00:2::100';
const RS6 = 'fd00:2::11';
const CLIENT_ISN = 1000;
const SERVER_ISN = 7_000_000;
const START = CLIENT_ISN + 1;
const TOA = 20;
const HEADER = 52;

const configFor = (clientAddress: string) => `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], local_port_range: [1024, 65535] }
local_address_pools: { lan6: [${LIP6}] }
services:
  - { name: web6, vip: ${VIP6}, port: 80, forwarding: fullnat, local_address_pool: lan6, scheduler: rr,
      client_address: ${clientAddress}, servers: [{ address: ${RS6}, port: 8080 }] }
`;

const ADDRESSES = { client: CLIENT6, vip: VIP6, lip: LIP6, server: RS6, vport: 80, rport: 8080 };
const flow = (cport: number) => fullnatFlow(IPV6_FLOW, ADDRESSES, cport);
const handshake = (lb: MemHarness, f: FullnatFlow<Tcp6Spec>, added: number) => shake(lb, f, added, 1440, CLIENT_ISN, SERVER_ISN);

const ip6 = (text: string) => [...ipv6ToBytes(text)!];
const toa6 = (cport: number) => Uint8Array.from([254, TOA, cport >> 8, cport & 0xff, ...ip6(CLIENT6)]);
const proxyHeader6 = (cport: number) =>
  Buffer.from([
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x21, 0x00, 0x24,
    ...ip6(CLIENT6), ...ip6(VIP6), cport >> 8, cport & 0xff, 0, 80,
  ]);

describe('client_address: toa over IPv6 (fullnat)', () => {
  let lb: MemHarness;
  const f = flow(40000);
  before(async () => (lb = await MemHarness.start(configFor('toa'))));
  after(() => lb?.close());

  it('the SYN-ACK tells the client an MSS 20 bytes smaller', () => handshake(lb, f, TOA));

  it('the ACK completing the handshake carries the 20-byte IPv6 TOA', () => {
    const input = tcp6Frame(f.fromClient(['ACK'], START, SERVER_ISN + 1));
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: f.toServer({ ...f.fromClient(['ACK'], START, SERVER_ISN + 1), tcpOptions: toa6(f.cport) }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1, toa_added: 1 },
    });
  });

  it('so does the first request, its own options kept behind TOA', () => {
    const ts = Uint8Array.from([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
    const payload = Buffer.from('GET / HTTP/1.1\r\n\r\n');
    const input = tcp6Frame({ ...f.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), tcpOptions: ts, payload });
    const output = f.toServer({
      ...f.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), tcpOptions: Uint8Array.from([...toa6(f.cport), ...ts]), payload,
    });
    expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved: { rx_packets: 1, tx_packets: 1, toa_added: 1 } });
  });

  it('a forged TOA is blanked, and with 24 bytes of options already there is no room for ours', () => {
    const g = flow(40100);
    handshake(lb, g, TOA);
    const forged = Uint8Array.from([254, 8, 0, 1, 1, 2, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const input = tcp6Frame({ ...g.fromClient(['ACK'], START, SERVER_ISN + 1), tcpOptions: forged });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: g.toServer({ ...g.fromClient(['ACK'], START, SERVER_ISN + 1), tcpOptions: new Uint8Array(24).fill(1) }),
      port: 0, moved: { rx_packets: 1, tx_packets: 1, toa_forged_removed: 1, toa_no_room: 1 },
    });
  });
});

describe('client_address: proxy_v2 over IPv6 (fullnat)', () => {
  let lb: MemHarness;
  const f = flow(41000);
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  before(async () => (lb = await MemHarness.start(configFor('proxy_v2'))));
  after(() => lb?.close());

  it('the SYN-ACK tells the client an MSS 52 bytes smaller', () => handshake(lb, f, HEADER));

  it('the ACK completing the handshake carries the 52-byte TCP6 header', () => {
    const input = tcp6Frame(f.fromClient(['ACK'], START, SERVER_ISN + 1));
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: f.toServer({ ...f.fromClient(['ACK'], START, SERVER_ISN + 1), payload: proxyHeader6(f.cport) }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1, proxy_header_sent: 1 },
    });
  });

  it('the first data carries it too, until the server acknowledges it', () => {
    const input = tcp6Frame({ ...f.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), payload: request });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: f.toServer({ ...f.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), payload: Buffer.concat([proxyHeader6(f.cport), request]) }),
      port: 0, moved: { rx_packets: 1, tx_packets: 1, proxy_header_sent: 1 },
    });
  });

  it("the server's acknowledgements and SACK blocks move back by 52", () => {
    const sack = sackOption;
    const acked = START + HEADER + request.length;
    const input = tcp6Frame({ ...f.fromServer(['ACK'], SERVER_ISN + 1, acked), tcpOptions: sack(acked + 100, acked + 200) });
    const output = f.toClient({
      ...f.fromServer(['ACK'], SERVER_ISN + 1, acked - HEADER), tcpOptions: sack(acked + 100 - HEADER, acked + 200 - HEADER),
    });
    expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
  });

  it("the client's later bytes sit 52 bytes further on", () => {
    const next = START + request.length;
    const more = Buffer.from('more');
    const input = tcp6Frame({ ...f.fromClient(['PSH', 'ACK'], next, SERVER_ISN + 1), payload: more });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: f.toServer({ ...f.fromClient(['PSH', 'ACK'], next + HEADER, SERVER_ISN + 1), payload: more }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1 },
    });
  });

  it('an ICMPv6 packet too big from the server side: MTU lowered by 52, quoted sequence number in the client\'s space', () => {
    const seq = START + 50;
    const sentToServer = f.toServer({ ...f.fromClient(['ACK'], seq + HEADER, SERVER_ISN + 1), payload: Buffer.alloc(16, 0x61) });
    const input = icmp6Frame({
      srcMac: rsMac(RS6), dstMac: portMac(0), src: RS6, dst: LIP6, type: ICMP6.packetTooBig, code: 0, rest: 1400,
      body: ip6Of(sentToServer),
    });
    const asClientSent = tcp6Frame({ ...f.fromClient(['ACK'], seq, SERVER_ISN + 1), payload: Buffer.alloc(16, 0x61), hopLimit: 63 });
    const output = icmp6Frame({
      srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP6, dst: CLIENT6, type: ICMP6.packetTooBig, code: 0, rest: 1400 - HEADER,
      body: ip6Of(asClientSent), hopLimit: 63,
    });
    expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved: { rx_packets: 1, tx_packets: 1, icmp_forwarded: 1 } });
  });

  it('a full-sized first segment (the clamped MSS ignored) is replaced by the header alone', () => {
    const g = flow(41200);
    handshake(lb, g, HEADER);
    const big = Buffer.alloc(1440, 0x61);
    const input = tcp6Frame({ ...g.fromClient(['PSH', 'ACK', 'FIN'], START, SERVER_ISN + 1), payload: big });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: g.toServer({ ...g.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), payload: proxyHeader6(g.cport) }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1, proxy_header_alone: 1 },
    });
    const again = tcp6Frame({ ...g.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), payload: big.subarray(0, 1000) });
    const ack = tcp6Frame(g.fromServer(['ACK'], SERVER_ISN + 1, START + HEADER));
    expectExchange(lb.send(ack), ack, {
      verdict: 'tx', output: g.toClient(g.fromServer(['ACK'], SERVER_ISN + 1, START)), port: 0, moved: { rx_packets: 1, tx_packets: 1 },
    });
    expectExchange(lb.send(again), again, {
      verdict: 'tx', output: g.toServer({ ...g.fromClient(['PSH', 'ACK'], START + HEADER, SERVER_ISN + 1), payload: big.subarray(0, 1000) }),
      port: 0, moved: { rx_packets: 1, tx_packets: 1 },
    });
  });
});
