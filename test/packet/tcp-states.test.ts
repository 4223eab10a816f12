// test/packet/tcp-states.test.ts — the IPVS TCP state machine observed through expiry: each story
// drives one connection into a state, then the engine clock moves past a point where the
// connection must still live and a point where it must be gone (timeouts tcp 50, tcp_fin 20,
// tcp_syn 10, udp 30; CLOSE 10 and CLOSE_WAIT 60 as in IPVS). Margins of 5 s absorb real time.
// Then port reuse: a bare SYN on a finished connection is scheduled afresh at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame, udpFrame, type TcpFlag, type TcpSpec } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, VIP, expectExchange, portMac, rsMac } from '../support/rows.js';

const A = '10.0.2.11', B = '10.0.2.12';
const config = (forwarding: 'nat' | 'dr', servers = [A]) => `
dataplane: { backend: mem, interfaces: [mem0], conn_table_size: 1024, timeouts: { tcp: 50, tcp_fin: 20, tcp_syn: 10, udp: 30 } }
services:
  - name: web
    vip: ${VIP}
    port: 80
    forwarding: ${forwarding}
    scheduler: rr
    servers: [${servers.map((s) => `{ address: ${s}, port: 80 }`).join(', ')}]
  - { name: dns, vip: ${VIP}, port: 53, protocol: udp, forwarding: ${forwarding}, scheduler: rr, servers: [{ address: ${A}, port: 53 }] }
`;

const client = (flags: TcpFlag[], over: Partial<TcpSpec> = {}) =>
  tcpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags, ...over });
const server = (flags: TcpFlag[], rs = A) =>
  tcpFrame({ srcMac: rsMac(rs), dstMac: portMac(0), src: rs, dst: CLIENT, sport: 80, dport: 40000, flags });
const query = () => udpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport: 5000, dport: 53 });
const answer = () => udpFrame({ srcMac: rsMac(A), dstMac: portMac(0), src: A, dst: CLIENT, sport: 53, dport: 5000 });

/** A step: a frame that must be forwarded, or the clock moving on. */
type Step = Buffer | { wait: number };
const isFrame = (step: Step): step is Buffer => Buffer.isBuffer(step);
const c = (...f: TcpFlag[]) => client(f);
const s = (...f: TcpFlag[]) => server(f);
const HANDSHAKE = [c('SYN'), s('SYN', 'ACK'), c('ACK')];

interface Story {
  name: string;
  mode: 'nat' | 'dr';
  steps: () => Step[];
  /** Seconds after the last step at which the connection still lives, and at which it is gone. */
  alive: number;
  gone: number;
}

const stories: Story[] = [
  { name: 'nat: a lone client SYN (SYN_RECV) lives at +5 s and is gone by +15 s: tcp_syn 10', mode: 'nat', steps: () => [c('SYN')], alive: 5, gone: 15 },
  { name: "nat: after the server's SYN-ACK it is still SYN_RECV: gone by +15 s", mode: 'nat', steps: () => [c('SYN'), s('SYN', 'ACK')], alive: 5, gone: 15 },
  { name: 'nat: the handshake done (ESTABLISHED) it lives past tcp_syn and tcp_fin, at +40 s, and is gone by +60 s: tcp 50', mode: 'nat', steps: () => HANDSHAKE, alive: 40, gone: 60 },
  {
    name: 'nat: an established connection that keeps talking is re-armed: 40 s idle, one segment, then alive at +40 s again',
    mode: 'nat', steps: () => [...HANDSHAKE, { wait: 40 }, c('ACK', 'PSH')], alive: 40, gone: 60,
  },
  { name: "nat: the client's FIN on ESTABLISHED moves to CLOSE_WAIT (IPVS INPUT table): alive at +55 s, gone by +65 s: 60 s", mode: 'nat', steps: () => [...HANDSHAKE, c('FIN', 'ACK')], alive: 55, gone: 65 },
  { name: "nat: the server's FIN on ESTABLISHED moves to FIN_WAIT: alive at +15 s, gone by +25 s: tcp_fin 20", mode: 'nat', steps: () => [...HANDSHAKE, s('FIN', 'ACK')], alive: 15, gone: 25 },
  { name: "nat: the client's FIN after the server's moves to TIME_WAIT: gone by +25 s: tcp_fin 20", mode: 'nat', steps: () => [...HANDSHAKE, s('FIN', 'ACK'), c('ACK'), c('FIN', 'ACK')], alive: 15, gone: 25 },
  { name: "nat: the client's RST moves to CLOSE: alive at +5 s, gone by +15 s: 10 s", mode: 'nat', steps: () => [...HANDSHAKE, c('RST')], alive: 5, gone: 15 },
  { name: "nat: the server's RST moves to CLOSE: gone by +15 s", mode: 'nat', steps: () => [...HANDSHAKE, s('RST')], alive: 5, gone: 15 },
  { name: 'dr: a lone client SYN lives at +5 s and is gone by +15 s: tcp_syn 10', mode: 'dr', steps: () => [c('SYN')], alive: 5, gone: 15 },
  { name: "dr: the client's ACK after its SYN establishes it (IPVS INPUT-ONLY table): alive at +40 s, gone by +60 s", mode: 'dr', steps: () => [c('SYN'), c('ACK')], alive: 40, gone: 60 },
  { name: "dr: the client's FIN on ESTABLISHED moves to FIN_WAIT (INPUT-ONLY): alive at +15 s, gone by +25 s", mode: 'dr', steps: () => [c('SYN'), c('ACK'), c('FIN', 'ACK')], alive: 15, gone: 25 },
  { name: "dr: the client's RST moves to CLOSE: gone by +15 s", mode: 'dr', steps: () => [c('SYN'), c('ACK'), c('RST')], alive: 5, gone: 15 },
  { name: 'nat: a UDP flow lives at +25 s and is gone by +35 s: udp 30', mode: 'nat', steps: () => [query()], alive: 25, gone: 35 },
  { name: "nat: a UDP flow is re-armed by the server's answer: 20 s on, answer, alive at +25 s, gone by +35 s", mode: 'nat', steps: () => [query(), { wait: 20 }, answer()], alive: 25, gone: 35 },
  { name: 'dr: a UDP flow is gone by +35 s too', mode: 'dr', steps: () => [query()], alive: 25, gone: 35 },
];

describe('IPVS TCP states through expiry', () => {
  const open: MemHarness[] = [];
  after(() => open.forEach((h) => h.close()));

  for (const story of stories) {
    it(story.name, async () => {
      const lb = await MemHarness.start(config(story.mode));
      open.push(lb);
      for (const step of story.steps()) {
        if (isFrame(step)) {
          const ex = lb.send(step);
          assert.equal(ex.out.length, 1, 'every packet of the story is forwarded');
          assert.equal(ex.out[0]!.verdict, 'tx');
        } else {
          assert.deepEqual(lb.advance(step.wait).moved, {}, 'nothing expires during the story');
        }
      }
      assert.deepEqual(lb.connections(), [1]);
      assert.deepEqual(lb.advance(story.alive).moved, {}, `nothing expires by +${story.alive} s`);
      assert.deepEqual(lb.connections(), [1], `alive at +${story.alive} s`);
      assert.deepEqual(lb.advance(story.gone - story.alive).moved, { conn_expired: 1 }, `expired by +${story.gone} s`);
      assert.deepEqual(lb.connections(), [0]);
      lb.close();
    });
  }
});

describe('port reuse (nat, rr over two servers)', () => {
  let lb: MemHarness;
  const toServer = (rs: string, flags: TcpFlag[]) =>
    tcpFrame({ srcMac: portMac(0), dstMac: rsMac(rs), src: CLIENT, dst: rs, sport: 40000, dport: 80, flags, ttl: 63 });
  const step = (name: string, input: () => Buffer, rs: string, flags: TcpFlag[], moved: Record<string, number>) =>
    it(name, () => {
      const frame = input();
      expectExchange(lb.send(frame), frame, { verdict: 'tx', output: toServer(rs, flags), port: 0, moved });
      assert.deepEqual(lb.connections(), [1], 'one connection for the 4-tuple');
    });
  const FOLLOW = { rx_packets: 1, tx_packets: 1 };

  before(async () => (lb = await MemHarness.start(config('nat', [A, B]))));
  after(() => lb?.close());

  step('a client SYN goes to the first server', () => c('SYN'), A, ['SYN'], { ...FOLLOW, conn_created: 1 });
  step('a retransmitted SYN in SYN_RECV stays on its server: no new connection', () => c('SYN'), A, ['SYN'], FOLLOW);
  it("the server's SYN-ACK passes back", () => assert.equal(lb.send(s('SYN', 'ACK')).out.length, 1));
  step("the client's ACK establishes it", () => c('ACK'), A, ['ACK'], FOLLOW);
  step('a SYN on the ESTABLISHED connection is not a new connection: it stays on its server', () => c('SYN'), A, ['SYN'], FOLLOW);
  it("the server's FIN and the client's ACK pass", () => {
    assert.equal(lb.send(s('FIN', 'ACK')).out.length, 1);
    assert.equal(lb.send(c('ACK')).out.length, 1);
  });
  step("the client's FIN moves it to TIME_WAIT", () => c('FIN', 'ACK'), A, ['FIN', 'ACK'], FOLLOW);
  step(
    'a new bare SYN on the TIME_WAIT 4-tuple is scheduled afresh at once: conn_reused, and rr gives the second server',
    () => c('SYN'), B, ['SYN'], { ...FOLLOW, conn_created: 1, conn_reused: 1 },
  );
  step("the client's RST in SYN_RECV leaves it SYN_RECV (IPVS INPUT table)", () => c('RST'), B, ['RST'], FOLLOW);
  step('so a bare SYN now is a retransmission: it stays on the second server', () => c('SYN'), B, ['SYN'], FOLLOW);
  it("the second server's SYN-ACK passes back", () => assert.equal(lb.send(server(['SYN', 'ACK'], B)).out.length, 1));
  step("the client's ACK establishes it", () => c('ACK'), B, ['ACK'], FOLLOW);
  step("the client's RST on ESTABLISHED moves it to CLOSE", () => c('RST'), B, ['RST'], FOLLOW);
  step('a bare SYN on the CLOSE 4-tuple is scheduled afresh too: back to the first server', () => c('SYN'), A, ['SYN'], { ...FOLLOW, conn_created: 1, conn_reused: 1 });
  it('a SYN-ACK from the client side is no bare SYN: on SYN_RECV it follows the connection', () => {
    const ex = lb.send(c('SYN', 'ACK'));
    assert.deepEqual(ex.moved, FOLLOW);
    assert.equal(ex.out[0]!.data.toString('hex'), toServer(A, ['SYN', 'ACK']).toString('hex'));
  });
});
