// test/packet/reload.test.ts — configuration changes on a running engine (MemHarness.reload): a
// removed server's connections are expired at their next packet (IPVS expire_nodest_conn), a
// quiescent (weight 0) server's continue, added services work at once, untouched services keep
// their connections; a persistence template whose server turned quiescent is replaced.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame, type TcpFlag } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, VIP, expectExchange, portMac, rsMac } from '../support/rows.js';

const OTHER = '203.0.113.20', ADDED = '203.0.113.30';
const A = '10.0.2.11', B = '10.0.2.12', C = '10.0.2.13', D = '10.0.2.14', E = '10.0.2.15';
const config = (web: string, extra = '') => `
dataplane: { backend: mem, interfaces: [mem0], conn_table_size: 1024 }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: nat, scheduler: rr, servers: [${web}] }
  - { name: other, vip: ${OTHER}, port: 80, forwarding: nat, scheduler: rr, servers: [{ address: ${C}, port: 8080 }] }
${extra}`;
const rs = (address: string, weight = 1) => `{ address: ${address}, port: 8080, weight: ${weight} }`;

const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1 };
const FOLLOW = { rx_packets: 1, tx_packets: 1 };

describe('reload of a nat service', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config(`${rs(A)}, ${rs(B)}`))));
  after(() => lb?.close());

  const client = (sport: number, flags: TcpFlag[], vip = VIP) =>
    ({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: vip, sport, dport: 80, flags });
  /** The client's segment, expected at `server` (DNATed to :8080, TTL 63). */
  const expectAt = (sport: number, flags: TcpFlag[], server: string, moved: Record<string, number>, vip = VIP) => {
    const input = tcpFrame(client(sport, flags, vip));
    const output = tcpFrame({ ...client(sport, flags, server), srcMac: portMac(0), dstMac: rsMac(server), dport: 8080, ttl: 63 });
    expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved });
  };
  const expectDrop = (input: Buffer, counter: string) =>
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, [counter]: 1 } });

  it('rr spreads four connections over A and B; the other service has one on C', () => {
    expectAt(40001, ['SYN'], A, NEW);
    expectAt(40002, ['SYN'], B, NEW);
    expectAt(40003, ['SYN'], A, NEW);
    expectAt(40004, ['SYN'], B, NEW);
    expectAt(40001, ['SYN'], C, NEW, OTHER);
    assert.deepEqual(lb.connections(), [5]);
  });
  it('a reload removes B; the engine runs generation 2 and keeps every entry until it is used', async () => {
    await lb.reload(config(rs(A)));
    assert.equal(lb.dataplane.status().generation, 2n);
    assert.deepEqual(lb.connections(), [5]);
  });
  it("B's reply on its connection is dropped as drop_backend_removed, and the connection goes", () => {
    expectDrop(tcpFrame({ srcMac: rsMac(B), dstMac: portMac(0), src: B, dst: CLIENT, sport: 8080, dport: 40002, flags: ['SYN', 'ACK'] }), 'drop_backend_removed');
    assert.deepEqual(lb.connections(), [4]);
  });
  it("that client's next segment finds no connection: drop_tcp_no_conn", () => expectDrop(tcpFrame(client(40002, ['ACK'])), 'drop_tcp_no_conn'));
  it("a retransmitted SYN on B's other connection is scheduled anew, to A, without a drop", () => {
    expectAt(40004, ['SYN'], A, NEW);
    assert.deepEqual(lb.connections(), [4]);
  });
  it("A's connection is untouched by the reload", () => expectAt(40001, ['ACK'], A, FOLLOW));
  it("the other service's connection is untouched by the reload", () => expectAt(40001, ['ACK'], C, FOLLOW, OTHER));

  it('a reload makes A quiescent (weight 0), adds D, and adds a service', async () => {
    await lb.reload(config(`${rs(A, 0)}, ${rs(D)}`, `  - { name: added, vip: ${ADDED}, port: 80, forwarding: nat, scheduler: rr, servers: [${rs(E)}] }`));
    assert.equal(lb.dataplane.status().generation, 3n);
  });
  it("A's existing connection continues on the quiescent A", () => expectAt(40001, ['ACK'], A, FOLLOW));
  it('new connections avoid A: D, and D again', () => {
    expectAt(40005, ['SYN'], D, NEW);
    expectAt(40006, ['SYN'], D, NEW);
  });
  it('the added service takes connections at once', () => expectAt(40001, ['SYN'], E, NEW, ADDED));
  it("the other service's connection survives this reload too", () => expectAt(40001, ['ACK'], C, FOLLOW, OTHER));
});

describe('reload with persistence (dr, rr over A and B)', () => {
  let lb: MemHarness;
  const dr = (a: number) => `
dataplane: { backend: mem, interfaces: [mem0], conn_table_size: 1024 }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: dr, scheduler: rr, persistence: { timeout: 300 }, servers: [{ address: ${A}, port: 80, weight: ${a} }, { address: ${B}, port: 80 }] }
`;
  before(async () => (lb = await MemHarness.start(dr(1))));
  after(() => lb?.close());
  const expectAt = (sport: number, flags: TcpFlag[], server: string, moved: Record<string, number>) => {
    const s = { srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport, dport: 80, flags };
    const input = tcpFrame(s);
    expectExchange(lb.send(input), input, { verdict: 'tx', output: tcpFrame({ ...s, srcMac: portMac(0), dstMac: rsMac(server) }), port: 0, moved });
  };

  it('the client is scheduled to A and gets a template', () => expectAt(40000, ['SYN'], A, NEW));
  it('its second connection sticks to A', () => expectAt(40001, ['SYN'], A, { ...NEW, persistence_hits: 1 }));
  it('after a reload making A quiescent, its next connection goes to B: the template is replaced, no hit', async () => {
    await lb.reload(dr(0));
    expectAt(40002, ['SYN'], B, NEW);
  });
  it('its connections on A continue', () => expectAt(40000, ['ACK'], A, FOLLOW));
  it('its next connection sticks to B through the new template', () => expectAt(40003, ['SYN'], B, { ...NEW, persistence_hits: 1 }));
});
