// test/packet/workers.test.ts — two workers (queue q is worker q): a connection lives on one
// worker (DESIGN §4). fullnat: the local port names the owner (port mod workers): the client's own
// port when it is in the receiving worker's share, else a keyed hash into that share (the key of a
// port_key_file the test writes, test/support/local-port.ts); nat: both
// directions carry the client's address and port, owner = (host-order address XOR host-order
// port) mod workers; a packet arriving on the other worker is handed over (`redirected`) and the
// owner forwards it from its own queue, as on AF_XDP. Thresholds are enforced per worker as a
// share (threshold / workers, rounded up).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { chooseLocal, share, tempKeyFile } from '../support/local-port.js';
import { MemHarness } from '../support/mem-harness.js';
import { PROTO, tcpFrame, type TcpSpec } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, LIP, portMac, rsMac, runRows, type Row } from '../support/rows.js';

const NAT = '203.0.113.11', FNAT = '203.0.113.13', DR = '203.0.113.10';
const NAT_RS = '10.0.2.21', FNAT_RS = '10.0.2.41', A = '10.0.2.11', B = '10.0.2.12';
const keyFile = tempKeyFile();
after(() => keyFile.remove());
// Client port 40003 is odd, worker 1's: a SYN of it on worker 0 gets a hashed port of worker 0's share.
const HASHED_CLIENT_PORT = 40003;
const hashedPort = chooseLocal(keyFile.key, share(0, 2), [LIP], { src: CLIENT, dst: FNAT, sport: HASHED_CLIENT_PORT, dport: 80, protocol: PROTO.tcp })!.port;
const config = `
dataplane: { backend: mem, workers: 2, interfaces: [mem0], local_port_range: [1024, 65535], conn_table_size: 1024, port_key_file: ${keyFile.path} }
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
const NEW_OWN_PORT = { ...NEW, lport_client_port: 1 }; // fullnat: the client's port kept
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
    name: "fullnat: a SYN of client port 40000 (even: worker 0's share) on worker 0 keeps its port: LIP:40000",
    input: () => tcpFrame(c(FNAT, 40000)), on: q(0), verdict: 'tx',
    output: () => tcpFrame({ ...c(FNAT_RS, 40000), srcMac: portMac(0), dstMac: rsMac(FNAT_RS), src: LIP, sport: 40000, dport: 8080, ttl: 63 }), outQueue: 0, moved: NEW_OWN_PORT,
  },
  {
    name: "fullnat: a SYN of client port 40001 (odd: worker 1's share) on worker 1 keeps its port: LIP:40001",
    input: () => tcpFrame(c(FNAT, 40001)), on: q(1), verdict: 'tx',
    output: () => tcpFrame({ ...c(FNAT_RS, 40001), srcMac: portMac(0), dstMac: rsMac(FNAT_RS), src: LIP, sport: 40001, dport: 8080, ttl: 63 }), outQueue: 1, moved: NEW_OWN_PORT,
  },
  {
    name: "fullnat: a SYN of client port 40003 (odd: worker 1's share) on worker 0 gets an even port of worker 0's share, a keyed hash of its tuple",
    input: () => tcpFrame(c(FNAT, HASHED_CLIENT_PORT)), on: q(0), verdict: 'tx',
    output: () => tcpFrame({ ...c(FNAT_RS, HASHED_CLIENT_PORT), srcMac: portMac(0), dstMac: rsMac(FNAT_RS), src: LIP, sport: hashedPort, dport: 8080, ttl: 63 }), outQueue: 0, moved: NEW,
  },
  { name: 'fullnat: the reply to LIP:40001 arriving on worker 0 is handed to worker 1 and reaches the client', input: () => fnatReply(40001), on: q(0), verdict: 'tx', output: () => fnatBack(40001), outQueue: 1, moved: FOLLOW_HANDED },
  { name: 'fullnat: the reply to LIP:40000 arriving on worker 1 is handed to worker 0 and reaches the client', input: () => fnatReply(40000), on: q(1), verdict: 'tx', output: () => fnatBack(40000), outQueue: 0, moved: FOLLOW_HANDED },
  { name: 'fullnat: the reply to LIP:40001 on worker 1 reaches the client', input: () => fnatReply(40001), on: q(1), verdict: 'tx', output: () => fnatBack(40001), outQueue: 1, moved: FOLLOW },
  { name: 'fullnat: the reply to LIP:40000 on worker 0 reaches the client', input: () => fnatReply(40000), on: q(0), verdict: 'tx', output: () => fnatBack(40000), outQueue: 0, moved: FOLLOW },
  { name: 'fullnat: the reply to the hashed port arriving on worker 1 is handed to worker 0 and reaches client port 40003', input: () => fnatReply(hashedPort), on: q(1), verdict: 'tx', output: () => fnatBack(HASHED_CLIENT_PORT), outQueue: 0, moved: FOLLOW_HANDED },
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
  it('each worker holds its own connections: 1 nat + 3 dr on each, 2 fullnat on worker 0 and 1 on worker 1', () => {
    assert.deepEqual(lb.connections(), [6, 5]);
  });
});
