// test/packet/thresholds.test.ts — upper/lower connection thresholds (IPVS ip_vs_dest overload):
// a server at its upper threshold takes no new connections until its connections fall below the
// lower threshold (default ¾ of the upper). One worker, so the per-worker share is the whole
// threshold. Connections leave by expiry (tcp_syn 10, tcp 50): SYN-only ones go first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame, type TcpFlag } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, VIP, expectExchange, portMac, rsMac } from '../support/rows.js';

const A = '10.0.2.11', B = '10.0.2.12', C = '10.0.2.13';
const config = (servers: string, scheduler = 'rr') => `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], conn_table_size: 1024, timeouts: { tcp: 50, tcp_fin: 20, tcp_syn: 10, udp: 30 } }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: dr, scheduler: ${scheduler}, servers: [${servers}] }
`;

const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1 };

/** Sends the client's segment from `sport` and expects it at `server` (null: dropped as drop_no_backend). */
function expectAt(lb: MemHarness, sport: number, flags: TcpFlag[], server: string | null, moved: Record<string, number> = NEW) {
  const s = { srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport, dport: 80, flags };
  const input = tcpFrame(s);
  if (server === null) {
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, drop_no_backend: 1 } });
    return;
  }
  expectExchange(lb.send(input), input, { verdict: 'tx', output: tcpFrame({ ...s, srcMac: portMac(0), dstMac: rsMac(server) }), port: 0, moved });
}

/** Five connections under rr: A (established), B, A (A reaches 2 and overloads), B, B. */
function fill(lb: () => MemHarness) {
  it('rr fills A to its upper threshold of 2 (one of them ESTABLISHED); then A is skipped', () => {
    expectAt(lb(), 40001, ['SYN'], A);
    expectAt(lb(), 40001, ['ACK'], A, { rx_packets: 1, tx_packets: 1 });
    expectAt(lb(), 40002, ['SYN'], B);
    expectAt(lb(), 40003, ['SYN'], A);
    expectAt(lb(), 40004, ['SYN'], B);
    expectAt(lb(), 40005, ['SYN'], B);
    assert.deepEqual(lb().connections(), [5]);
  });
  it('after tcp_syn the four SYN-only connections expire; A keeps its ESTABLISHED one', () => {
    assert.deepEqual(lb().advance(15).moved, { conn_expired: 4 });
    assert.deepEqual(lb().connections(), [1]);
  });
}

describe('upper threshold 2, default lower threshold (¾ of it)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config(`{ address: ${A}, port: 80, upper_threshold: 2 }, { address: ${B}, port: 80 }`))));
  after(() => lb?.close());
  fill(() => lb);
  it('with 1 connection (1 × 4 < 2 × 3) A takes new connections again: rr gives it the next one', () => {
    expectAt(lb, 40006, ['SYN'], A);
  });
});

describe('upper threshold 2, lower threshold 1', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config(`{ address: ${A}, port: 80, upper_threshold: 2, lower_threshold: 1 }, { address: ${B}, port: 80 }`))));
  after(() => lb?.close());
  fill(() => lb);
  it('with 1 connection (not below 1) A stays overloaded: its rr turn goes to B', () => {
    expectAt(lb, 40006, ['SYN'], B);
  });
  it('once its ESTABLISHED connection expires too (tcp 50), A takes the next one', () => {
    assert.deepEqual(lb.advance(60).moved, { conn_expired: 2 });
    expectAt(lb, 40007, ['SYN'], A);
  });
});

describe('thresholds on every server', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config(`{ address: ${A}, port: 80, upper_threshold: 1 }`))));
  after(() => lb?.close());
  it('a service whose only server is at its threshold drops a new SYN as drop_no_backend', () => {
    expectAt(lb, 40001, ['SYN'], A);
    expectAt(lb, 40002, ['SYN'], null);
  });
  it('its existing connection still forwards', () => {
    expectAt(lb, 40001, ['ACK'], A, { rx_packets: 1, tx_packets: 1 });
  });
});

describe('fo with an overloaded heaviest server', () => {
  let lb: MemHarness;
  before(async () =>
    (lb = await MemHarness.start(
      config(`{ address: ${A}, port: 80, weight: 1 }, { address: ${B}, port: 80, weight: 5, upper_threshold: 1 }, { address: ${C}, port: 80, weight: 3 }`, 'fo'),
    )));
  after(() => lb?.close());
  it('fo sends the first connection to B (weight 5), then fails over to C (weight 3) while B is at its threshold', () => {
    expectAt(lb, 40001, ['SYN'], B);
    expectAt(lb, 40002, ['SYN'], C);
    expectAt(lb, 40003, ['SYN'], C);
  });
  it('when B has no connection left, fo returns to it', () => {
    assert.deepEqual(lb.advance(15).moved, { conn_expired: 3 });
    expectAt(lb, 40004, ['SYN'], B);
  });
});
