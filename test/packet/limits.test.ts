// test/packet/limits.test.ts — what happens at the limits: a Full-NAT local address whose 64512
// ports are all in use on the worker (drop_lport_exhausted), and a full connection table
// (drop_conn_table_full); in both cases live connections keep forwarding and nothing is evicted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { decodeFrame, tcpFrame, type TcpFlag, type TcpSpec } from '../support/packets.js';
import { CLIENT_MAC, LIP, VIP, expectExchange, portMac, rsMac } from '../support/rows.js';

const RS = '10.0.2.11';
const config = (forwarding: 'fullnat' | 'dr', tableSize: number) => `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], conn_table_size: ${tableSize} }
local_address_pools: { lan: [${LIP}] }
services:
  - name: web
    vip: ${VIP}
    port: 80
    forwarding: ${forwarding}
    scheduler: rr
    ${forwarding === 'fullnat' ? 'local_address_pool: lan' : ''}
    servers: [{ address: ${RS}, port: 80 }]
`;

/** Client number i (0..65535): a distinct source address per client, one connection each. */
const client = (i: number, flags: TcpFlag[] = ['SYN']): TcpSpec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), src: `198.18.${i >> 8}.${i & 0xff}`, dst: VIP, sport: 40000, dport: 80, flags,
});
const fnatOut = (i: number, lport: number, flags: TcpFlag[] = ['SYN']) =>
  tcpFrame({ ...client(i, flags), srcMac: portMac(0), dstMac: rsMac(RS), src: LIP, dst: RS, sport: lport, ttl: 63 });
const fromServer = (lport: number, flags: TcpFlag[]) =>
  tcpFrame({ srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: LIP, sport: 80, dport: lport, flags });
const toClient = (i: number, flags: TcpFlag[]) =>
  tcpFrame({ srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP, dst: client(i).src, sport: 80, dport: 40000, flags, ttl: 63 });
const FOLLOW = { rx_packets: 1, tx_packets: 1 };
const NEW = { ...FOLLOW, conn_created: 1 };

/** Opens clients [from, to) in bursts; every SYN must leave. Returns the frames out. */
function openMany(lb: MemHarness, from: number, to: number) {
  const frames = Array.from({ length: to - from }, (_, k) => tcpFrame(client(from + k)));
  const ex = lb.sendBurst(frames);
  const n = to - from;
  assert.deepEqual(ex.moved, { rx_packets: n, tx_packets: n, conn_created: n });
  assert.equal(ex.out.length, n);
  return ex.out;
}

describe('fullnat local-port exhaustion (one LIP, one worker: ports 1024..65535)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config('fullnat', 131072))));
  after(() => lb?.close());

  it('64512 new connections take every local port of the LIP exactly once', () => {
    const out = openMany(lb, 0, 64512);
    const ports = out.map((f) => decodeFrame(f.data).sport).sort((a, b) => a - b);
    assert.equal(new Set(ports).size, 64512, 'all different');
    assert.deepEqual([ports[0], ports[ports.length - 1]], [1024, 65535]);
    assert.equal(out[0]!.data.toString('hex'), fnatOut(0, 1024).toString('hex'));
    assert.deepEqual(lb.connections(), [64512]);
  });
  it('the next SYN is dropped as drop_lport_exhausted and creates nothing', () => {
    const input = tcpFrame(client(64512));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, drop_lport_exhausted: 1 } });
    assert.deepEqual(lb.connections(), [64512]);
  });
  it("the first connection still forwards: the server's SYN-ACK to LIP:1024 reaches client 0", () => {
    const input = fromServer(1024, ['SYN', 'ACK']);
    expectExchange(lb.send(input), input, { verdict: 'tx', output: toClient(0, ['SYN', 'ACK']), port: 0, moved: FOLLOW });
  });
  it("client 0's ACK and then RST move its connection to ESTABLISHED and CLOSE", () => {
    for (const flags of [['ACK'], ['RST']] as TcpFlag[][]) {
      const input = tcpFrame(client(0, flags));
      expectExchange(lb.send(input), input, { verdict: 'tx', output: fnatOut(0, 1024, flags), port: 0, moved: FOLLOW });
    }
  });
  it('10 s later (CLOSE) it expires and gives local port 1024 back: the next SYN gets it', () => {
    assert.deepEqual(lb.advance(15).moved, { conn_expired: 1 });
    const input = tcpFrame(client(64513));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: fnatOut(64513, 1024), port: 0, moved: NEW });
  });
  it('and the one after that is dropped as drop_lport_exhausted again', () => {
    const input = tcpFrame(client(64514));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, drop_lport_exhausted: 1 } });
  });
});

describe('connection table full (conn_table_size 1024, dr)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config('dr', 1024))));
  after(() => lb?.close());
  const drOut = (i: number, flags: TcpFlag[] = ['SYN']) => tcpFrame({ ...client(i, flags), srcMac: portMac(0), dstMac: rsMac(RS) });

  it('1024 connections fill the table', () => {
    openMany(lb, 0, 1024);
    assert.deepEqual(lb.connections(), [1024]);
  });
  it('the next SYN is dropped as drop_conn_table_full; nothing is evicted', () => {
    const input = tcpFrame(client(1024));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, drop_conn_table_full: 1 } });
    assert.deepEqual(lb.connections(), [1024]);
  });
  it('an existing connection still forwards', () => {
    const input = tcpFrame(client(7, ['ACK']));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: drOut(7, ['ACK']), port: 0, moved: FOLLOW });
  });
});

describe('connection table full (conn_table_size 1024, fullnat)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config('fullnat', 1024))));
  after(() => lb?.close());

  it('1024 connections fill the table with local ports 1024..2047', () => {
    const out = openMany(lb, 0, 1024);
    assert.equal(out[1023]!.data.toString('hex'), fnatOut(1023, 2047).toString('hex'));
  });
  it('the next SYN is dropped as drop_conn_table_full, not drop_lport_exhausted', () => {
    const input = tcpFrame(client(1024));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, drop_conn_table_full: 1 } });
  });
  it("an existing connection's reply still forwards", () => {
    const input = fromServer(1030, ['SYN', 'ACK']);
    expectExchange(lb.send(input), input, { verdict: 'tx', output: toClient(6, ['SYN', 'ACK']), port: 0, moved: FOLLOW });
  });
  it('once one connection expires, a new one fits; port 2048, taken and given back by the drop, waits at the end of the pool: 2049', () => {
    for (const flags of [['ACK'], ['RST']] as TcpFlag[][]) assert.equal(lb.send(tcpFrame(client(6, flags))).out.length, 1);
    assert.deepEqual(lb.advance(15).moved, { conn_expired: 1 });
    const input = tcpFrame(client(1025));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: fnatOut(1025, 2049), port: 0, moved: NEW });
  });
});

describe('a pool of two local addresses (fullnat, one worker)', () => {
  const LIP2 = '10.0.2.101';
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config('fullnat', 1024).replace(`lan: [${LIP}]`, `lan: [${LIP}, ${LIP2}]`))));
  after(() => lb?.close());
  const rows: [number, string, number][] = [[0, LIP, 1024], [1, LIP2, 1024], [2, LIP, 1025], [3, LIP2, 1025]];
  for (const [i, lip, lport] of rows) {
    it(`new connection ${i + 1} takes ${lip}:${lport}: the worker alternates between the pool's addresses`, () => {
      const input = tcpFrame(client(i));
      const output = tcpFrame({ ...client(i), srcMac: portMac(0), dstMac: rsMac(RS), src: lip, dst: RS, sport: lport, ttl: 63 });
      expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved: NEW });
    });
  }
  it('a reply to the second address finds its connection', () => {
    const input = tcpFrame({ srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: LIP2, sport: 80, dport: 1025, flags: ['SYN', 'ACK'] });
    expectExchange(lb.send(input), input, { verdict: 'tx', output: toClient(3, ['SYN', 'ACK']), port: 0, moved: FOLLOW });
  });
});
