// test/packet/schedulers.test.ts — every IPVS scheduler, observed on dr services (only the
// destination MAC changes, so each output frame names its server). A row is a sequence of
// connections, each "X" (a new SYN must leave, byte for byte, for server X), "X*" (and is then
// established by the client's ACK, which builds load) or "+n" (establish the n-th connection
// of the row now).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame, type TcpSpec } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, expectExchange, portMac, rsMac, serverOf } from '../support/rows.js';

const VIP = '203.0.113.10';
const SERVERS: Record<string, string> = { A: '10.0.2.11', B: '10.0.2.12', C: '10.0.2.13' };
const DH_VIPS = Array.from({ length: 8 }, (_, i) => `203.0.113.${20 + i}`);

const svc = (name: string, port: number, scheduler: string, weights: number[], vip = VIP) =>
  `  - { name: ${name}, vip: ${vip}, port: ${port}, forwarding: dr, scheduler: ${scheduler}, servers: [${weights
    .map((w, i) => `{ address: ${Object.values(SERVERS)[i]}, port: ${port}, weight: ${w} }`)
    .join(', ')}] }`;

const config = `
dataplane: { backend: mem, interfaces: [mem0], conn_table_size: 4096 }
services:
${[
  svc('rr', 1001, 'rr', [1, 1, 1]),
  svc('wrr', 1002, 'wrr', [3, 2, 1]),
  svc('lc', 1003, 'lc', [1, 5]),
  svc('wlc', 1004, 'wlc', [1, 2]),
  svc('sed', 1005, 'sed', [1, 3]),
  svc('nq', 1006, 'nq', [1, 3]),
  svc('lblc', 1007, 'lblc', [1, 1]),
  svc('lblcr', 1008, 'lblcr', [1, 1]),
  svc('sh', 1009, 'sh', [1, 1, 1]),
  svc('mh', 1010, 'mh', [1, 1, 1]),
  svc('fo', 1011, 'fo', [1, 5, 3]),
  svc('quiescent', 1012, 'rr', [0, 1, 1]),
  svc('idle', 1013, 'wlc', [0, 0]),
  ...DH_VIPS.map((vip, i) => svc(`dh${i}`, 80, 'dh', [1, 1], vip)),
].join('\n')}
`;

const serverName = (ip: string) => Object.keys(SERVERS).find((k) => SERVERS[k] === ip) ?? ip;

describe('schedulers (dr, one arm)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());

  const spec = (port: number, sport: number, over: Partial<TcpSpec> = {}): TcpSpec => ({
    srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport, dport: port, flags: ['SYN'], ...over,
  });
  /** A new connection that must go to `server`; returns nothing, asserts the exact frame and counters. */
  const connect = (s: TcpSpec, server: string) => {
    const input = tcpFrame(s);
    const output = tcpFrame({ ...s, srcMac: portMac(0), dstMac: rsMac(server) });
    expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved: { rx_packets: 1, tx_packets: 1, conn_created: 1 } });
  };
  /** The client's ACK on an open connection: ESTABLISHED, same server. */
  const establish = (s: TcpSpec, server: string) => {
    const input = tcpFrame({ ...s, flags: ['ACK'] });
    const output = tcpFrame({ ...s, flags: ['ACK'], srcMac: portMac(0), dstMac: rsMac(server) });
    expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
  };
  /** Runs a sequence such as "A* B B +2 A" on the service at `port`. */
  const sequence = (port: number, steps: string) => {
    const opened: { s: TcpSpec; server: string }[] = [];
    for (const token of steps.split(' ')) {
      if (token.startsWith('+')) {
        const c = opened[Number(token.slice(1)) - 1]!;
        establish(c.s, c.server);
        continue;
      }
      const server = SERVERS[token[0]!]!;
      const s = spec(port, 40000 + opened.length);
      connect(s, server);
      opened.push({ s, server });
      if (token.endsWith('*')) establish(s, server);
    }
  };

  const rows: { name: string; port: number; steps: string }[] = [
    { name: 'rr takes A, B, C in turn, twice over', port: 1001, steps: 'A B C A B C' },
    { name: 'wrr with weights 3:2:1 follows the IPVS sequence A A B A B C, twice over', port: 1002, steps: 'A A B A B C A A B A B C' },
    { name: 'lc ignores weights: after an ESTABLISHED connection on A, new ones go to B until its 3 ESTABLISHED outweigh A', port: 1003, steps: 'A* B B B +2 +3 +4 A' },
    { name: 'wlc with weights 1:2 over unestablished connections goes A B B A B B A', port: 1004, steps: 'A B B A B B A' },
    { name: 'sed with weights 1:3 over ESTABLISHED connections goes B B A B B B A', port: 1005, steps: 'B* B* A* B* B* B* A*' },
    { name: 'nq with weights 1:3 first fills every idle server (A, then B), then follows sed: A B B B B B A', port: 1006, steps: 'A* B* B* B* B* B* A*' },
    { name: 'lblc keeps a destination on its server while not overloaded, then moves it to B for good', port: 1007, steps: 'A A +1 +2 B* B* B*' },
    { name: 'lblcr adds B to the destination set when A overloads, then uses the least loaded of the set', port: 1008, steps: 'A A +1 +2 B* B* A*' },
    { name: 'fo sends every connection to the heaviest server, B (weight 5)', port: 1011, steps: 'B B B B' },
    { name: 'a quiescent server (weight 0) gets no new connections: rr alternates B and C', port: 1012, steps: 'B C B C' },
  ];
  for (const row of rows) it(row.name, () => sequence(row.port, row.steps));

  it('a service whose servers are all quiescent drops a new SYN as drop_no_backend', () => {
    const input = tcpFrame(spec(1013, 40000));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, drop_no_backend: 1 } });
  });

  /** The server each client (by its last address byte) gets for a new SYN from several ports. */
  const stickiness = (port: number, hosts: number[], ports = 3): Map<number, string> => {
    const chosen = new Map<number, string>();
    for (const host of hosts) {
      const seen = new Set<string>();
      for (let k = 0; k < ports; k++) {
        const input = tcpFrame(spec(port, 50000 + k, { src: `198.51.100.${host}` }));
        const ex = lb.send(input);
        assert.equal(ex.out.length, 1);
        const server = serverOf(ex.out[0]!.data);
        expectExchange(ex, input, { verdict: 'tx', output: tcpFrame({ ...spec(port, 50000 + k, { src: `198.51.100.${host}` }), srcMac: portMac(0), dstMac: rsMac(server) }), port: 0, moved: { rx_packets: 1, tx_packets: 1, conn_created: 1 } });
        seen.add(serverName(server));
      }
      assert.equal(seen.size, 1, `client .${host} always gets the same server (got ${[...seen].join(', ')})`);
      chosen.set(host, [...seen][0]!);
    }
    return chosen;
  };
  for (const [name, port] of [['sh', 1009], ['mh', 1010]] as const) {
    it(`${name}: a client gets the same server for every connection, and 16 clients spread over more than one server`, () => {
      const chosen = stickiness(port, Array.from({ length: 16 }, (_, i) => i + 1));
      assert.ok(new Set(chosen.values()).size > 1, `16 clients all went to ${[...chosen.values()][0]}`);
    });
  }

  it('dh: every client of one destination gets its server, and 8 destinations spread over both servers', () => {
    const perVip = DH_VIPS.map((vip) => {
      const seen = new Set<string>();
      for (let host = 1; host <= 4; host++) {
        const s = spec(80, 41000, { src: `198.51.100.${host}`, dst: vip });
        const ex = lb.send(tcpFrame(s));
        assert.equal(ex.out.length, 1);
        const server = serverOf(ex.out[0]!.data);
        expectExchange(ex, tcpFrame(s), { verdict: 'tx', output: tcpFrame({ ...s, srcMac: portMac(0), dstMac: rsMac(server) }), port: 0, moved: { rx_packets: 1, tx_packets: 1, conn_created: 1 } });
        seen.add(server);
      }
      assert.equal(seen.size, 1, `every client of ${vip} gets the same server`);
      return [...seen][0]!;
    });
    assert.equal(new Set(perVip).size, 2, `destinations spread: ${perVip.join(', ')}`);
  });
});
