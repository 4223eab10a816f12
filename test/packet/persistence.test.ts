// test/packet/persistence.test.ts — persistence templates (IPVS: a client network keeps its
// server while its template lives; timeout + netmask) and one-packet UDP scheduling (every
// datagram scheduled on its own; in nat/fullnat only its reply is tracked, then forgotten).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame, udpFrame, type FrameSpec } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, LIP, VIP, expectExchange, portMac, rsMac } from '../support/rows.js';

const A = '10.0.2.11', B = '10.0.2.12';
const TIMEOUTS = '{ tcp: 50, tcp_fin: 20, tcp_syn: 10, udp: 30 }';
const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1 };
const HIT = { ...NEW, persistence_hits: 1 };
const FOLLOW = { rx_packets: 1, tx_packets: 1 };
const servers = (port: number) => `[{ address: ${A}, port: ${port} }, { address: ${B}, port: ${port} }]`;

describe('persistence, dr, timeout 60 s, netmask 24 (rr over A and B)', () => {
  let lb: MemHarness;
  before(async () => {
    lb = await MemHarness.start(`
dataplane: { backend: mem, interfaces: [mem0], local_port_range: [1024, 65535], conn_table_size: 1024, timeouts: ${TIMEOUTS} }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: dr, scheduler: rr, persistence: { timeout: 60, netmask: 24 }, servers: ${servers(80)} }
`);
  });
  after(() => lb?.close());

  const syn = (src: string, sport = 40000) => ({ srcMac: CLIENT_MAC, dstMac: portMac(0), src, dst: VIP, sport, dport: 80, flags: ['SYN' as const] });
  const expectAt = (src: string, server: string, moved: Record<string, number>, sport = 40000) => {
    const input = tcpFrame(syn(src, sport));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: tcpFrame({ ...syn(src, sport), srcMac: portMac(0), dstMac: rsMac(server) }), port: 0, moved });
  };

  it('198.51.100.7 is scheduled to A; a template for 198.51.100.0/24 is made beside the connection', () => {
    expectAt('198.51.100.7', A, NEW);
    assert.deepEqual(lb.connections(), [2]);
  });
  it('198.51.100.8, same /24, sticks to A (a persistence hit) where rr alone would pick B', () => expectAt('198.51.100.8', A, HIT));
  it('192.0.2.5, another network, is scheduled: B', () => expectAt('192.0.2.5', B, NEW));
  it('100.64.0.9, a third network, is scheduled: A', () => expectAt('100.64.0.9', A, NEW));
  it("198.51.100.7's second connection sticks to A", () => expectAt('198.51.100.7', A, HIT, 40001));
  // A template lives while it binds connections and 60 s after the last one goes (IPVS n_control).
  it('at +30 s the five SYN-only connections have expired; the three templates live on, 60 s from then', () => {
    assert.deepEqual(lb.advance(30).moved, { conn_expired: 5 });
    assert.deepEqual(lb.connections(), [3]);
  });
  it('198.51.100.9 at +30 s still sticks to A through the /24 template', () => expectAt('198.51.100.9', A, HIT));
  it("at +70 s .9's connection has gone and all three templates are still alive", () => {
    assert.deepEqual(lb.advance(40).moved, { conn_expired: 1 });
    assert.deepEqual(lb.connections(), [3]);
  });
  it('198.51.100.10 at +70 s sticks to A', () => expectAt('198.51.100.10', A, HIT));
  it('at +140 s the two idle templates have expired (at +90 s); the /24 one lives on after .10', () => {
    assert.deepEqual(lb.advance(70).moved, { conn_expired: 3 });
    assert.deepEqual(lb.connections(), [1]);
  });
  it('at +230 s, 60 s after the last /24 connection went (processed at +140 s), everything has expired', () => {
    assert.deepEqual(lb.advance(20).moved, {});
    assert.deepEqual(lb.advance(70).moved, { conn_expired: 1 });
    assert.deepEqual(lb.connections(), [0]);
  });
  it('198.51.100.7 is then scheduled afresh and moves: rr gives B', () => expectAt('198.51.100.7', B, NEW));
});

describe('persistence while a connection lasts longer than the timeout (dr, timeout 60 s)', () => {
  let lb: MemHarness;
  before(async () => {
    lb = await MemHarness.start(`
dataplane: { backend: mem, interfaces: [mem0], local_port_range: [1024, 65535], conn_table_size: 1024 }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: dr, scheduler: rr, persistence: { timeout: 60 }, servers: ${servers(80)} }
`);
  });
  after(() => lb?.close());
  const seg = (sport: number, flags: ('SYN' | 'ACK')[]) => ({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport, dport: 80, flags });
  const expectAt = (sport: number, flags: ('SYN' | 'ACK')[], server: string, moved: Record<string, number>) => {
    const input = tcpFrame(seg(sport, flags));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: tcpFrame({ ...seg(sport, flags), srcMac: portMac(0), dstMac: rsMac(server) }), port: 0, moved });
  };
  it('the client opens an ESTABLISHED connection to A (tcp timeout 900 s)', () => {
    expectAt(40000, ['SYN'], A, NEW);
    expectAt(40000, ['ACK'], A, FOLLOW);
  });
  it('80 s later it is still talking on it', () => {
    lb.advance(80);
    expectAt(40000, ['ACK'], A, FOLLOW);
  });
  it('a new connection then still sticks to A: the template outlives its timeout while it binds a connection (IPVS n_control)', () =>
    expectAt(40001, ['SYN'], A, HIT));
  it('once both connections are reset and gone, the template lives 60 s more, then a new connection is scheduled afresh', () => {
    const rst = (sport: number) => {
      const input = tcpFrame({ ...seg(sport, ['ACK']), flags: ['RST'] });
      lb.send(input);
    };
    expectAt(40001, ['ACK'], A, FOLLOW); // established first: a RST in SYN_RECV keeps SYN_RECV (IPVS)
    rst(40000);
    rst(40001);
    lb.advance(11); // CLOSE lasts 10 s: both connections go, the template starts its 60 s
    lb.advance(61);
    expectAt(40002, ['SYN'], B, NEW);
  });
});

describe('persistence, fullnat, netmask 32', () => {
  let lb: MemHarness;
  before(async () => {
    lb = await MemHarness.start(`
dataplane: { backend: mem, interfaces: [mem0], local_port_range: [1024, 65535], conn_table_size: 1024 }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: fullnat, local_address_pool: lan, scheduler: rr, persistence: { timeout: 300 }, servers: ${servers(8080)} }
`);
  });
  after(() => lb?.close());
  const syn = (src: string, sport: number) => ({ srcMac: CLIENT_MAC, dstMac: portMac(0), src, dst: VIP, sport, dport: 80, flags: ['SYN' as const] });
  // Each connection keeps its client's port as its local port (one worker; free towards its server).
  const OWN = { lport_client_port: 1 };
  const rows = [
    { name: 'a client connection is scheduled to A from LIP:40000, its own port', src: CLIENT, sport: 40000, server: A, lport: 40000, moved: { ...NEW, ...OWN } },
    { name: 'its next connection, from another port, sticks to A from LIP:40001', src: CLIENT, sport: 40001, server: A, lport: 40001, moved: { ...HIT, ...OWN } },
    {
      name: 'a client next door (netmask 32) is scheduled on its own: B, from LIP:40000 too (free towards B)',
      src: '198.51.100.8', sport: 40000, server: B, lport: 40000, moved: { ...NEW, ...OWN },
    },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const input = tcpFrame(syn(r.src, r.sport));
      const output = tcpFrame({ ...syn(r.src, r.sport), srcMac: portMac(0), dstMac: rsMac(r.server), src: LIP, dst: r.server, sport: r.lport, dport: 8080, ttl: 63 });
      expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved: r.moved });
    });
  }
});

describe('one-packet UDP scheduling (rr over A and B)', () => {
  let lb: MemHarness;
  before(async () => {
    lb = await MemHarness.start(`
dataplane: { backend: mem, interfaces: [mem0], local_port_range: [1024, 65535], conn_table_size: 1024 }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: dr, vip: ${VIP}, port: 53, protocol: udp, one_packet: true, forwarding: dr, scheduler: rr, servers: ${servers(53)} }
  - { name: nat, vip: 203.0.113.11, port: 53, protocol: udp, one_packet: true, forwarding: nat, scheduler: rr, servers: ${servers(5353)} }
  - { name: fnat, vip: 203.0.113.12, port: 53, protocol: udp, one_packet: true, forwarding: fullnat, local_address_pool: lan, scheduler: rr, servers: ${servers(5353)} }
`);
  });
  after(() => lb?.close());

  const q = (vip: string): FrameSpec => ({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: vip, sport: 5000, dport: 53, payload: Buffer.from('query') });
  const send = (input: Buffer, output: Buffer, moved: Record<string, number>, connections: number) => {
    expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved });
    assert.deepEqual(lb.connections(), [connections]);
  };
  const answer = (rs: string, dst: string, dport: number) =>
    udpFrame({ srcMac: rsMac(rs), dstMac: portMac(0), src: rs, dst, sport: 5353, dport, payload: Buffer.from('answer') });
  const toClient = (vip: string) => udpFrame({ srcMac: portMac(0), dstMac: CLIENT_MAC, src: vip, dst: CLIENT, sport: 53, dport: 5000, ttl: 63, payload: Buffer.from('answer') });

  it('dr: three datagrams of one flow go A, B, A and leave no connection behind', () => {
    for (const rs of [A, B, A]) send(udpFrame(q(VIP)), udpFrame({ ...q(VIP), srcMac: portMac(0), dstMac: rsMac(rs) }), FOLLOW, 0);
  });
  const NAT = '203.0.113.11';
  it('nat: the first datagram goes to A; only its reply is tracked', () =>
    send(udpFrame(q(NAT)), udpFrame({ ...q(A), srcMac: portMac(0), dstMac: rsMac(A), dport: 5353, ttl: 63 }), NEW, 1));
  it('nat: the second datagram of the same flow is scheduled again: B', () =>
    send(udpFrame(q(NAT)), udpFrame({ ...q(B), srcMac: portMac(0), dstMac: rsMac(B), dport: 5353, ttl: 63 }), NEW, 2));
  it("nat: A's reply reaches the client from VIP:53 and its entry is gone", () => send(answer(A, CLIENT, 5000), toClient(NAT), FOLLOW, 1));
  it("nat: B's reply too", () => send(answer(B, CLIENT, 5000), toClient(NAT), FOLLOW, 0));
  it("nat: a second reply from A finds nothing and passes to the kernel", () => {
    const input = answer(A, CLIENT, 5000);
    expectExchange(lb.send(input), input, { verdict: 'pass', port: 0, moved: { rx_packets: 1, pass_packets: 1 } });
  });
  const FNAT = '203.0.113.12';
  const FNAT_NEW = { ...NEW, lport_client_port: 1 }; // the client's port kept as the local port
  it('fullnat: a datagram goes to A from LIP:5000, its own port', () =>
    send(udpFrame(q(FNAT)), udpFrame({ ...q(A), srcMac: portMac(0), dstMac: rsMac(A), src: LIP, sport: 5000, dport: 5353, ttl: 63 }), FNAT_NEW, 1));
  it("fullnat: A's reply to LIP:5000 reaches the client and the entry is gone", () => send(answer(A, LIP, 5000), toClient(FNAT), FOLLOW, 0));
  it('fullnat: the next datagram of the flow is scheduled again, to B, from LIP:5000 again', () =>
    send(udpFrame(q(FNAT)), udpFrame({ ...q(B), srcMac: portMac(0), dstMac: rsMac(B), src: LIP, sport: 5000, dport: 5353, ttl: 63 }), FNAT_NEW, 1));
});
