// test/packet/workers.test.ts — two workers (queue q is worker q): a connection lives on one
// worker (DESIGN §4). fullnat: the local port names the owner (port mod workers); nat: both
// directions carry the client's address and port, owner = (host-order address XOR host-order
// port) mod workers; a packet arriving on the other worker is handed over (`redirected`) and the
// owner forwards it from its own queue, as on AF_XDP. Thresholds are enforced per worker as a
// share (threshold / workers, rounded up).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame, type TcpSpec } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, LIP, portMac, rsMac, runRows, type Row } from '../support/rows.js';

const NAT = '203.0.113.11', FNAT = '203.0.113.13', DR = '203.0.113.10';
const NAT_RS = '10.0.2.21', FNAT_RS = '10.0.2.41', A = '10.0.2.11', B = '10.0.2.12';
const config = `
dataplane: { backend: mem, workers: 2, interfaces: [mem0], conn_table_size: 1024 }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: nat, vip: ${NAT}, port: 80, forwarding: nat, scheduler: rr, servers: [{ address: ${NAT_RS}, port: 8080 }] }
  - { name: fnat, vip: ${FNAT}, port: 80, forwarding: fullnat, local_address_pool: lan, scheduler: rr, servers: [{ address: ${FNAT_RS}, port: 8080 }] }
  - { name: dr, vip: ${DR}, port: 80, forwarding: dr, scheduler: rr, servers: [{ address: ${A}, port: 80, upper_threshold: 2 }, { address: ${B}, port: 80 }] }
`;

/** The nat owner rule, computed independently of the data plane. */
const natOwner = (address: string, port: number, workers: number) =>
  (((address.split('.').reduce((a, b) => a * 256 + Number(b), 0) ^ port) >>> 0) % workers);

const c = (dst: string, sport: number, over: Partial<TcpSpec> = {}): TcpSpec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst, sport, dport: 80, flags: ['SYN'], ...over,
});
const natIn = (sport: number) => tcpFrame(c(NAT, sport));
const natOut = (sport: number) => tcpFrame({ ...c(NAT_RS, sport), srcMac: portMac(0), dstMac: rsMac(NAT_RS), dport: 8080, ttl: 63 });
const natReply = (dport: number) =>
  tcpFrame({ srcMac: rsMac(NAT_RS), dstMac: portMac(0), src: NAT_RS, dst: CLIENT, sport: 8080, dport, flags: ['SYN', 'ACK'] });
const natBack = (dport: number) =>
  tcpFrame({ srcMac: portMac(0), dstMac: CLIENT_MAC, src: NAT, dst: CLIENT, sport: 80, dport, flags: ['SYN', 'ACK'], ttl: 63 });
const fnatReply = (lport: number) =>
  tcpFrame({ srcMac: rsMac(FNAT_RS), dstMac: portMac(0), src: FNAT_RS, dst: LIP, sport: 8080, dport: lport, flags: ['SYN', 'ACK'] });
const fnatBack = (dport: number) =>
  tcpFrame({ srcMac: portMac(0), dstMac: CLIENT_MAC, src: FNAT, dst: CLIENT, sport: 80, dport, flags: ['SYN', 'ACK'], ttl: 63 });
const drOut = (sport: number, rs: string) => tcpFrame({ ...c(DR, sport), srcMac: portMac(0), dstMac: rsMac(rs) });

const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1 };
const FOLLOW = { rx_packets: 1, tx_packets: 1 };
// Received by one worker, handed over, forwarded by its owner.
const NEW_HANDED = { ...NEW, redirected: 1 };
const FOLLOW_HANDED = { ...FOLLOW, redirected: 1 };
const q = (queue: number) => ({ port: 0, queue });

it('the test clients fall on known workers: port 40000 on worker 1, 40001 on worker 0', () => {
  assert.equal(natOwner(CLIENT, 40000, 2), 1);
  assert.equal(natOwner(CLIENT, 40001, 2), 0);
});

const rows: Row[] = [
  { name: 'nat: a SYN of client port 40000 (owner 1) arriving on worker 0 is handed to worker 1, which opens the connection', input: () => natIn(40000), on: q(0), verdict: 'tx', output: () => natOut(40000), outQueue: 1, moved: NEW_HANDED },
  { name: 'nat: its next packet on worker 1 follows the connection there', input: () => natIn(40000), on: q(1), verdict: 'tx', output: () => natOut(40000), outQueue: 1, moved: FOLLOW },
  { name: "nat: the server's reply to port 40000 arriving on worker 0 is handed to worker 1 and reaches the client", input: () => natReply(40000), on: q(0), verdict: 'tx', output: () => natBack(40000), outQueue: 1, moved: FOLLOW_HANDED },
  { name: "nat: the server's reply to port 40000 on worker 1 reaches the client", input: () => natReply(40000), on: q(1), verdict: 'tx', output: () => natBack(40000), outQueue: 1, moved: FOLLOW },
  { name: 'nat: a SYN of client port 40001 (owner 0) on worker 0 opens its connection there', input: () => natIn(40001), on: q(0), verdict: 'tx', output: () => natOut(40001), outQueue: 0, moved: NEW },
  { name: "nat: the server's reply to port 40001 on worker 1 is handed to worker 0 and reaches the client", input: () => natReply(40001), on: q(1), verdict: 'tx', output: () => natBack(40001), outQueue: 0, moved: FOLLOW_HANDED },
  { name: "nat: the server's reply to port 40001 on worker 0 reaches the client", input: () => natReply(40001), on: q(0), verdict: 'tx', output: () => natBack(40001), outQueue: 0, moved: FOLLOW },
  {
    name: 'fullnat: a SYN on worker 0 gets worker 0\'s first local port, 1024 (even)',
    input: () => tcpFrame(c(FNAT, 40000)), on: q(0), verdict: 'tx',
    output: () => tcpFrame({ ...c(FNAT_RS, 40000), srcMac: portMac(0), dstMac: rsMac(FNAT_RS), src: LIP, sport: 1024, dport: 8080, ttl: 63 }), moved: NEW,
  },
  {
    name: "fullnat: a SYN on worker 1 gets worker 1's first local port, 1025 (odd)",
    input: () => tcpFrame(c(FNAT, 40001)), on: q(1), verdict: 'tx',
    output: () => tcpFrame({ ...c(FNAT_RS, 40001), srcMac: portMac(0), dstMac: rsMac(FNAT_RS), src: LIP, sport: 1025, dport: 8080, ttl: 63 }), moved: NEW,
  },
  { name: 'fullnat: the reply to LIP:1025 arriving on worker 0 is handed to worker 1 and reaches the client', input: () => fnatReply(1025), on: q(0), verdict: 'tx', output: () => fnatBack(40001), outQueue: 1, moved: FOLLOW_HANDED },
  { name: 'fullnat: the reply to LIP:1024 arriving on worker 1 is handed to worker 0 and reaches the client', input: () => fnatReply(1024), on: q(1), verdict: 'tx', output: () => fnatBack(40000), outQueue: 0, moved: FOLLOW_HANDED },
  { name: 'fullnat: the reply to LIP:1025 on worker 1 reaches the client', input: () => fnatReply(1025), on: q(1), verdict: 'tx', output: () => fnatBack(40001), outQueue: 1, moved: FOLLOW },
  { name: 'fullnat: the reply to LIP:1024 on worker 0 reaches the client', input: () => fnatReply(1024), on: q(0), verdict: 'tx', output: () => fnatBack(40000), outQueue: 0, moved: FOLLOW },
  { name: 'fullnat: a reply to a free local port of worker 0, on worker 0, passes to the kernel', input: () => fnatReply(1026), on: q(0), verdict: 'pass', moved: { rx_packets: 1, pass_packets: 1 } },
  { name: 'fullnat: a reply to a free local port of worker 0, on worker 1, is handed to worker 0, which passes it', input: () => fnatReply(1026), on: q(1), verdict: 'pass', outQueue: 0, moved: { rx_packets: 1, redirected: 1, pass_packets: 1 } },
  // dr: A's upper threshold 2 is a share of 1 per worker; rr on worker 1 starts half-way (at B)
  { name: 'dr: worker 0 gives its first connection to A, which reaches its share of the threshold (1)', input: () => tcpFrame(c(DR, 41000)), on: q(0), verdict: 'tx', output: () => drOut(41000, A), moved: NEW },
  { name: 'dr: worker 0 gives its second connection to B, and A is skipped from now on there', input: () => tcpFrame(c(DR, 41001)), on: q(0), verdict: 'tx', output: () => drOut(41001, B), moved: NEW },
  { name: 'dr: worker 0 gives its third connection to B too, where rr alone would pick A', input: () => tcpFrame(c(DR, 41002)), on: q(0), verdict: 'tx', output: () => drOut(41002, B), moved: NEW },
  { name: 'dr: worker 1 starts its rr at B', input: () => tcpFrame(c(DR, 41003)), on: q(1), verdict: 'tx', output: () => drOut(41003, B), moved: NEW },
  { name: 'dr: worker 1 still has its own share of A', input: () => tcpFrame(c(DR, 41004)), on: q(1), verdict: 'tx', output: () => drOut(41004, A), moved: NEW },
  { name: 'dr: worker 1, its share of A used up, gives the next connection to B', input: () => tcpFrame(c(DR, 41005)), on: q(1), verdict: 'tx', output: () => drOut(41005, B), moved: NEW },
];

describe('two workers', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());
  runRows(() => lb, rows);
  it('each worker holds its own connections: 1 nat + 1 fullnat + 3 dr on each', () => {
    assert.deepEqual(lb.connections(), [5, 5]);
  });
});
