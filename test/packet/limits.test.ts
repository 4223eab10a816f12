// test/packet/limits.test.ts — what happens at the limits: a Full-NAT local address whose 64512
// ports are all in use towards one server on the worker (drop_lport_exhausted: a local port is
// unique per server, so exhaustion is per server), and a full connection table
// (drop_conn_table_full, once no half-open connection is left to evict, oldest first:
// conn_evicted); in both cases live connections keep forwarding. The SYN proxy is off here (these
// are the half-open connections it would spare; test/native/syn_proxy_test.cc and
// test/e2e/syn-flood.test.ts cover it).
// An ended connection whose server answered keeps its server-side tuple as a hold
// (timeouts.server_time_wait, 20 s here so that the SYN-only connections, 60 s, outlive it), which
// is a table entry and no other client's tuple, but its own client's when it comes back. And a pool of two LIPs: the LIP is a keyed hash
// of the client's address, the other LIP once every try on it is taken (expected tuples from
// test/support/local-port.ts, with the key of a port_key_file the test writes).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness, type Moved } from '../support/mem-harness.js';
import { chooseLocal, lipOrder, portOrder, share, tempKeyFile, TRIES_PER_LIP, type Choice, type ClientTuple } from '../support/local-port.js';
import { PROTO, decodeFrame, tcpFrame, type TcpFlag, type TcpSpec } from '../support/packets.js';
import { CLIENT_MAC, LIP, VIP, expectExchange, portMac, rsMac } from '../support/rows.js';

const RS = '10.0.2.11';
const SHARE = 64512; // ports 1024..65535: one worker's share
const HOLD = ', timeouts: { server_time_wait: 20s }';
const config = (forwarding: 'fullnat' | 'dr', tableSize: number, extra = '') => `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], local_port_range: [1024, 65535], conn_table_size: ${tableSize} ${extra} }
local_address_pools: { lan: [${LIP}] }
services:
  - name: web
    vip: ${VIP}
    port: 80
    forwarding: ${forwarding}
    scheduler: rr
    syn_proxy: off
    ${forwarding === 'fullnat' ? 'local_address_pool: lan' : ''}
    servers: [{ address: ${RS}, port: 80 }]
`;

/**
 * Client number i (0..65535): a distinct source address per client, one connection each, from
 * source port 1024 + i (clients below 64512) unless told otherwise. With one worker a client's own
 * port is its first try, so clients 0..64511 take distinct local ports at their first try.
 */
const client = (i: number, flags: TcpFlag[] = ['SYN'], sport = 1024 + (i % SHARE)): TcpSpec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), src: `198.18.${i >> 8}.${i & 0xff}`, dst: VIP, sport, dport: 80, flags,
});
const fnatOut = (spec: TcpSpec, lport: number, lip = LIP) =>
  tcpFrame({ ...spec, srcMac: portMac(0), dstMac: rsMac(RS), src: lip, dst: RS, sport: lport, ttl: 63 });
const fromServer = (lport: number, flags: TcpFlag[], lip = LIP) =>
  tcpFrame({ srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: lip, sport: 80, dport: lport, flags });
const toClient = (spec: TcpSpec, flags: TcpFlag[]) =>
  tcpFrame({ srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP, dst: spec.src, sport: 80, dport: spec.sport, flags, ttl: 63 });
const FOLLOW = { rx_packets: 1, tx_packets: 1 };
const NEW = { ...FOLLOW, conn_created: 1 };
const NEW_OWN_PORT = { ...NEW, lport_client_port: 1 };
const EXHAUSTED = { rx_packets: 1, drop_lport_exhausted: 1, lport_busy: TRIES_PER_LIP };

/** Opens clients [from, to) in bursts; every SYN must leave, from its own port. Returns the frames out. */
function openMany(lb: MemHarness, from: number, to: number) {
  const frames = Array.from({ length: to - from }, (_, k) => tcpFrame(client(from + k)));
  const ex = lb.sendBurst(frames);
  const n = to - from;
  assert.deepEqual(ex.moved, { rx_packets: n, tx_packets: n, conn_created: n, lport_client_port: n });
  assert.equal(ex.out.length, n);
  return ex.out;
}

/** Clients [from, to) complete their handshakes (ESTABLISHED: no longer half-open). */
function establishMany(lb: MemHarness, from: number, to: number) {
  const ex = lb.sendBurst(Array.from({ length: to - from }, (_, k) => tcpFrame(client(from + k, ['ACK']))));
  assert.deepEqual(ex.moved, { rx_packets: to - from, tx_packets: to - from });
}

/** The server answers client i's connection and the client then resets it: CLOSE (10 s), with kServerSeen. */
function answerThenReset(lb: MemHarness, i: number, lport: number) {
  expectExchange(lb.send(fromServer(lport, ['SYN', 'ACK'])), fromServer(lport, ['SYN', 'ACK']), {
    verdict: 'tx', output: toClient(client(i), ['SYN', 'ACK']), port: 0, moved: FOLLOW,
  });
  for (const flags of [['ACK'], ['RST']] as TcpFlag[][]) {
    const input = tcpFrame(client(i, flags));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: fnatOut(client(i, flags), lport), port: 0, moved: FOLLOW });
  }
}

describe('fullnat local-port exhaustion towards one server (one LIP, one worker: ports 1024..65535)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config('fullnat', 131072, HOLD))));
  after(() => lb?.close());

  it('64512 clients from ports 1024..65535 each keep their own port: every local port towards the server, once', () => {
    const out = openMany(lb, 0, SHARE);
    out.forEach((f, i) => {
      const d = decodeFrame(f.data);
      if (d.src !== LIP || d.dst !== RS || d.sport !== 1024 + i) assert.fail(`client ${i}: ${d.src}:${d.sport} -> ${d.dst}, expected ${LIP}:${1024 + i} -> ${RS}`);
    });
    assert.equal(out[0]!.data.toString('hex'), fnatOut(client(0), 1024).toString('hex'));
    assert.deepEqual(lb.connections(), [SHARE]);
  });
  it('the next SYN, from a port of its own (40000), finds its 64 tries taken: dropped as drop_lport_exhausted, nothing created', () => {
    const input = tcpFrame(client(SHARE, ['SYN'], 40000));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: EXHAUSTED });
    assert.deepEqual(lb.connections(), [SHARE]);
  });
  it('so is one from a port below 1024, whose tries start at a hash of its tuple', () => {
    const input = tcpFrame(client(SHARE + 1, ['SYN'], 1000));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: EXHAUSTED });
  });
  it("the first connection still forwards: the server's SYN-ACK to LIP:1024 reaches client 0", () => {
    const input = fromServer(1024, ['SYN', 'ACK']);
    expectExchange(lb.send(input), input, { verdict: 'tx', output: toClient(client(0), ['SYN', 'ACK']), port: 0, moved: FOLLOW });
  });
  it("client 0's ACK and then RST move its connection to ESTABLISHED and CLOSE", () => {
    for (const flags of [['ACK'], ['RST']] as TcpFlag[][]) {
      const input = tcpFrame(client(0, flags));
      expectExchange(lb.send(input), input, { verdict: 'tx', output: fnatOut(client(0, flags), 1024), port: 0, moved: FOLLOW });
    }
  });
  it('10 s later (CLOSE) it expires; its server answered, so LIP:1024 -> server stays held (a table entry)', () => {
    assert.deepEqual(lb.advance(15).moved, { conn_expired: 1, conn_held: 1 });
    assert.deepEqual(lb.connections(), [SHARE]);
    const [w0] = lb.dataplane.connections(SHARE + 1);
    const held = w0!.entries.filter((e) => e.state === 'tcp_port_hold');
    assert.deepEqual(held.map((e) => [e.server, e.local]), [[`${RS}:80`, `${LIP}:1024`]]);
  });
  it('a packet of the ended connection matches nothing: its ACK is dropped as drop_tcp_no_conn, and the server\'s passes', () => {
    const ack = tcpFrame(client(0, ['ACK']));
    expectExchange(lb.send(ack), ack, { verdict: 'drop', moved: { rx_packets: 1, drop_tcp_no_conn: 1 } });
    const reply = fromServer(1024, ['ACK']);
    expectExchange(lb.send(reply), reply, { verdict: 'pass', port: 0, moved: { rx_packets: 1, pass_packets: 1 } });
  });
  it('another client whose own port is 1024 does not get the held tuple: dropped as drop_lport_exhausted', () => {
    const input = tcpFrame(client(SHARE + 2, ['SYN'], 1024));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: EXHAUSTED });
  });
  it('client 0, reusing its port 1024, takes its held tuple back (lport_reclaimed)', () => {
    const input = tcpFrame(client(0));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: fnatOut(client(0), 1024), port: 0, moved: { ...NEW, lport_reclaimed: 1 } });
    assert.deepEqual(lb.connections(), [SHARE]);
  });
  it('client 1 ends the same way: its tuple LIP:1025 is held from the CLOSE expiry', () => {
    answerThenReset(lb, 1, 1025);
    assert.deepEqual(lb.advance(15).moved, { conn_expired: 1, conn_held: 1 });
  });
  it('server_time_wait (20 s) later the hold has gone, uncounted as an expiry, and gives LIP:1025 to another client', () => {
    assert.deepEqual(lb.advance(21).moved, {});
    assert.deepEqual(lb.connections(), [SHARE - 1]);
    const input = tcpFrame(client(SHARE + 3, ['SYN'], 1025));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: fnatOut(client(SHARE + 3, ['SYN'], 1025), 1025), port: 0, moved: NEW_OWN_PORT });
  });
  it('and the one after that is dropped as drop_lport_exhausted again', () => {
    const input = tcpFrame(client(SHARE + 4, ['SYN'], 40000));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: EXHAUSTED });
  });
});

describe('connection table full (conn_table_size 1024, dr)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config('dr', 1024))));
  after(() => lb?.close());
  const drOut = (i: number, flags: TcpFlag[] = ['SYN']) => tcpFrame({ ...client(i, flags), srcMac: portMac(0), dstMac: rsMac(RS) });

  it('1024 half-open connections fill the table', () => {
    const frames = Array.from({ length: 1024 }, (_, k) => tcpFrame(client(k)));
    const ex = lb.sendBurst(frames);
    assert.deepEqual(ex.moved, { rx_packets: 1024, tx_packets: 1024, conn_created: 1024 });
    assert.deepEqual(lb.connections(), [1024]);
  });
  it('the next SYN takes the place of the oldest half-open one (conn_evicted), whose ACK then finds nothing', () => {
    const input = tcpFrame(client(1024));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: drOut(1024), port: 0, moved: { ...NEW, conn_evicted: 1 } });
    assert.deepEqual(lb.connections(), [1024]);
    const ack = tcpFrame(client(0, ['ACK']));
    expectExchange(lb.send(ack), ack, { verdict: 'drop', moved: { rx_packets: 1, drop_tcp_no_conn: 1 } });
  });
  it('once every connection is established, the next SYN is dropped as drop_conn_table_full: nothing proven is evicted', () => {
    establishMany(lb, 1, 1025);
    const input = tcpFrame(client(1025));
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
  before(async () => (lb = await MemHarness.start(config('fullnat', 1024, HOLD))));
  after(() => lb?.close());

  it('1024 established connections fill the table, each keeping its client port: local ports 1024..2047', () => {
    const out = openMany(lb, 0, 1024);
    assert.equal(out[1023]!.data.toString('hex'), fnatOut(client(1023), 2047).toString('hex'));
    establishMany(lb, 0, 1024);
  });
  it('the next SYN is dropped as drop_conn_table_full, not drop_lport_exhausted', () => {
    const input = tcpFrame(client(1024));
    // Its own port was free, but the insert found no room: no connection, so no lport_client_port.
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, drop_conn_table_full: 1 } });
  });
  it("an existing connection's reply still forwards", () => {
    const input = fromServer(1030, ['SYN', 'ACK']);
    expectExchange(lb.send(input), input, { verdict: 'tx', output: toClient(client(6), ['SYN', 'ACK']), port: 0, moved: FOLLOW });
  });
  it('once a connection its server answered ends, its hold still fills the table: the next SYN is still refused', () => {
    for (const flags of [['ACK'], ['RST']] as TcpFlag[][]) assert.equal(lb.send(tcpFrame(client(6, flags))).out.length, 1);
    assert.deepEqual(lb.advance(15).moved, { conn_expired: 1, conn_held: 1 });
    assert.deepEqual(lb.connections(), [1024]);
    const input = tcpFrame(client(1024));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, drop_conn_table_full: 1 } });
  });
  it('when the hold runs out (server_time_wait) a new one fits, on its own port 2048: the refused SYNs left nothing behind', () => {
    assert.deepEqual(lb.advance(21).moved, {});
    assert.deepEqual(lb.connections(), [1023]);
    const input = tcpFrame(client(1024));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: fnatOut(client(1024), 2048), port: 0, moved: NEW_OWN_PORT });
  });
  it('with the table full again, a client reusing the port of its held tuple still gets it back: the hold makes room', () => {
    answerThenReset(lb, 7, 1031);
    assert.deepEqual(lb.advance(15).moved, { conn_expired: 1, conn_held: 1 });
    assert.deepEqual(lb.connections(), [1024]);
    const input = tcpFrame(client(7));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: fnatOut(client(7), 1031), port: 0, moved: { ...NEW, lport_reclaimed: 1 } });
    assert.deepEqual(lb.connections(), [1024]);
  });
});

describe('a pool of two local addresses (fullnat, one worker)', () => {
  const LIP2 = '10.0.2.101';
  const LIPS = [LIP, LIP2];
  const keyFile = tempKeyFile();
  const ONE = share(0, 1);
  let lb: MemHarness;
  before(async () =>
    (lb = await MemHarness.start(config('fullnat', 1024, `, port_key_file: ${keyFile.path}`).replace(`lan: [${LIP}]`, `lan: [${LIP}, ${LIP2}]`))));
  after(() => {
    lb?.close();
    keyFile.remove();
  });

  // What the test has opened, as the model sees it: (LIP, port) towards RS.
  const taken = new Set<string>();
  const tuple = (spec: TcpSpec): ClientTuple => ({ src: spec.src, dst: spec.dst, sport: spec.sport, dport: spec.dport, protocol: PROTO.tcp });
  /** Sends a SYN; it must leave on the tuple the rule gives it, with the counters that choice moves. */
  function open(spec: TcpSpec) {
    const choice = chooseLocal(keyFile.key, ONE, LIPS, tuple(spec), (lip, port) => taken.has(`${lip}:${port}`));
    assert.ok(choice, 'a tuple is free');
    const moved: Moved = { ...NEW };
    if (choice.busy > 0) moved.lport_busy = choice.busy;
    else if (choice.port === spec.sport) moved.lport_client_port = 1; // the client's own port, at the first try
    const input = tcpFrame(spec);
    expectExchange(lb.send(input), input, { verdict: 'tx', output: fnatOut(spec, choice.port, choice.lip), port: 0, moved });
    taken.add(`${choice.lip}:${choice.port}`);
    return choice;
  }

  // Six clients from port 40000: each on the LIP its address hashes to, on port 40000 when no
  // earlier client took it on that LIP, else on a further try (lport_busy).
  const clients = Array.from({ length: 6 }, (_, i) => client(i, ['SYN'], 40000));
  const chosen = new Map<string, Choice>();
  for (const [i, spec] of clients.entries()) {
    it(`client ${i} (${spec.src}:40000) gets the first free tuple on the LIP its address hashes to`, () => {
      chosen.set(spec.src, open(spec));
    });
  }
  it('the clients spread over both addresses of the pool, and two of them met on one LIP', () => {
    assert.deepEqual(new Set([...chosen.values()].map((c) => c.lip)), new Set(LIPS));
    assert.ok([...chosen.values()].some((c) => c.busy > 0), 'with six clients on two LIPs, port 40000 was taken for one of them');
  });
  it('a second connection of a client, from another port, goes to the same LIP', () => {
    for (const spec of clients.slice(0, 2)) assert.equal(open({ ...spec, sport: 40001 }).lip, chosen.get(spec.src)!.lip);
  });
  it('a reply to the second address finds its connection', () => {
    const spec = clients.find((c) => chosen.get(c.src)!.lip === LIP2)!;
    const input = fromServer(chosen.get(spec.src)!.port, ['SYN', 'ACK'], LIP2);
    expectExchange(lb.send(input), input, { verdict: 'tx', output: toClient(spec, ['SYN', 'ACK']), port: 0, moved: FOLLOW });
  });
  it('when all 64 tries on its LIP are taken towards the server, a client gets the other LIP', () => {
    // Client P from port 1000: its tries start at a hash of its tuple. P first opens a connection
    // from each port it would try (each keeps its own port, on P's LIP), then comes from port 1000.
    const p = client(100, ['SYN'], 1000);
    const [first, other] = lipOrder(keyFile.key, LIPS, p.src, p.dst);
    const tries = portOrder(keyFile.key, ONE, tuple(p));
    for (const port of tries) assert.deepEqual(open({ ...p, sport: port }), { lip: first, port, busy: 0 });
    assert.deepEqual(open(p), { lip: other, port: tries[0], busy: TRIES_PER_LIP }, 'on the other LIP its first try is free');
  });
});
