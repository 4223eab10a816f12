// test/packet/client-address.test.ts — `client_address` of a fullnat TCP service through the real
// addon on io/mem, exact frames in and out and the counters moved: TOA (the option on the client
// segments that acknowledge no server data yet, a forged one blanked, no room left alone) and the
// PROXY protocol v2 header (in front of the first data, again on its retransmission, alone when the
// segment is full, in front of a FIN with no data before it; sequence numbers, acknowledgements and
// SACK blocks translated for the connection's life; ICMP errors quoting a server segment), and the
// server SYN-ACK's MSS lowered by what is added. Expected frames are built by test/support/packets.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { IPV4_FLOW, fullnatFlow, handshake as shake, sackOption, type FullnatFlow } from '../support/fullnat-flow.js';
import { ICMP, UNREACH, checksumProblems, decodeFrame, icmpFrame, quote, tcpFrame, type TcpSpec } from '../support/packets.js';
import { CLIENT, LIP, VIP, expectExchange, portMac, rsMac } from '../support/rows.js';

const RS = '10.0.2.11';
const CLIENT_ISN = 1000;
const SERVER_ISN = 7_000_000;
const START = CLIENT_ISN + 1;
const HEADER = 28;

const configFor = (clientAddress: string) => `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], local_port_range: [1024, 65535] }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      client_address: ${clientAddress}, servers: [{ address: ${RS}, port: 8080 }] }
`;

const ADDRESSES = { client: CLIENT, vip: VIP, lip: LIP, server: RS, vport: 80, rport: 8080 };
const flow = (cport: number) => fullnatFlow(IPV4_FLOW, ADDRESSES, cport);

const ip = (text: string) => text.split('.').map(Number);
const toa = (cport: number) => Uint8Array.from([254, 8, cport >> 8, cport & 0xff, ...ip(CLIENT)]);
const proxyHeader = (cport: number) =>
  Buffer.from([
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c,
    ...ip(CLIENT), ...ip(VIP), cport >> 8, cport & 0xff, 0, 80,
  ]);

const handshake = (lb: MemHarness, f: FullnatFlow<TcpSpec>, added: number) => shake(lb, f, added, 1460, CLIENT_ISN, SERVER_ISN);

describe('client_address: toa (fullnat)', () => {
  let lb: MemHarness;
  const f = flow(40000);
  before(async () => (lb = await MemHarness.start(configFor('toa'))));
  after(() => lb?.close());

  it('the SYN-ACK tells the client an MSS 8 bytes smaller', () => handshake(lb, f, 8));

  it('the ACK completing the handshake carries TOA in front of its options', () => {
    const input = tcpFrame(f.fromClient(['ACK'], START, SERVER_ISN + 1));
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: f.toServer({ ...f.fromClient(['ACK'], START, SERVER_ISN + 1), tcpOptions: toa(f.cport) }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1, toa_added: 1 },
    });
  });

  it('so does the first request, its own options kept behind TOA', () => {
    const ts = Uint8Array.from([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
    const payload = Buffer.from('GET / HTTP/1.1\r\n\r\n');
    const input = tcpFrame({ ...f.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), tcpOptions: ts, payload });
    const output = f.toServer({
      ...f.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), tcpOptions: Uint8Array.from([...toa(f.cport), ...ts]), payload,
    });
    expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved: { rx_packets: 1, tx_packets: 1, toa_added: 1 } });
  });

  it('once the client acknowledges server data, segments go unchanged', () => {
    const reply = tcpFrame({ ...f.fromServer(['PSH', 'ACK'], SERVER_ISN + 1, START + 18), payload: Buffer.from('HTTP/1.1 200 OK\r\n') });
    expectExchange(lb.send(reply), reply, {
      verdict: 'tx', output: f.toClient({ ...f.fromServer(['PSH', 'ACK'], SERVER_ISN + 1, START + 18), payload: Buffer.from('HTTP/1.1 200 OK\r\n') }),
      port: 0, moved: { rx_packets: 1, tx_packets: 1 },
    });
    const ack = tcpFrame(f.fromClient(['ACK'], START + 18, SERVER_ISN + 18));
    expectExchange(lb.send(ack), ack, {
      verdict: 'tx', output: f.toServer(f.fromClient(['ACK'], START + 18, SERVER_ISN + 18)), port: 0, moved: { rx_packets: 1, tx_packets: 1 },
    });
  });

  it('a TOA option the client wrote itself is blanked', () => {
    const forged = Uint8Array.from([254, 8, 0, 1, 1, 2, 3, 4]);
    const input = tcpFrame({ ...f.fromClient(['ACK'], START + 18, SERVER_ISN + 18), tcpOptions: forged });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: f.toServer({ ...f.fromClient(['ACK'], START + 18, SERVER_ISN + 18), tcpOptions: new Uint8Array(8).fill(1) }),
      port: 0, moved: { rx_packets: 1, tx_packets: 1, toa_forged_removed: 1 },
    });
  });

  it('a forged TOA at an odd offset is blanked with a checksum that still verifies', () => {
    const g = flow(40100);
    handshake(lb, g, 8);
    // NOP, TOA, NOP NOP NOP: the option starts at an odd offset; the TOA added goes in front.
    const options = Uint8Array.from([1, 254, 8, 0, 1, 1, 2, 3, 4, 1, 1, 1]);
    const input = tcpFrame({ ...g.fromClient(['ACK'], START, SERVER_ISN + 1), tcpOptions: options });
    const blanked = new Uint8Array(12).fill(1);
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: g.toServer({ ...g.fromClient(['ACK'], START, SERVER_ISN + 1), tcpOptions: Uint8Array.from([...toa(g.cport), ...blanked]) }),
      port: 0, moved: { rx_packets: 1, tx_packets: 1, toa_forged_removed: 1, toa_added: 1 },
    });
  });

  it('behind an 802.1Q tag, in a frame with Ethernet padding, TOA goes in the same place and the padding goes', () => {
    const g = flow(40300);
    handshake(lb, g, 8);
    const tagged = { ...g.fromClient(['ACK'], START, SERVER_ISN + 1), vlan: 0xa064 };
    const input = Buffer.concat([tcpFrame(tagged), Buffer.alloc(6)]);  // 58 bytes padded to 64
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: g.toServer({ ...tagged, tcpOptions: toa(g.cport) }), port: 0, moved: { rx_packets: 1, tx_packets: 1, toa_added: 1 },
    });
  });

  it('with 36 bytes of options already there is no room: the segment leaves without TOA', () => {
    const g = flow(40200);
    handshake(lb, g, 8);
    const options = new Uint8Array(36).fill(1);
    const input = tcpFrame({ ...g.fromClient(['ACK'], START, SERVER_ISN + 1), tcpOptions: options });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: g.toServer({ ...g.fromClient(['ACK'], START, SERVER_ISN + 1), tcpOptions: options }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1, toa_no_room: 1 },
    });
  });
});

describe('client_address: proxy_v2 (fullnat)', () => {
  let lb: MemHarness;
  const f = flow(41000);
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  before(async () => (lb = await MemHarness.start(configFor('proxy_v2'))));
  after(() => lb?.close());

  it('the SYN-ACK tells the client an MSS 28 bytes smaller', () => handshake(lb, f, HEADER));

  it('the ACK completing the handshake carries the header (a server that speaks first gets it too)', () => {
    const input = tcpFrame(f.fromClient(['ACK'], START, SERVER_ISN + 1));
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: f.toServer({ ...f.fromClient(['ACK'], START, SERVER_ISN + 1), payload: proxyHeader(f.cport) }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1, proxy_header_sent: 1 },
    });
  });

  const first = () => tcpFrame({ ...f.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), payload: request });
  const firstOut = () =>
    f.toServer({ ...f.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), payload: Buffer.concat([proxyHeader(f.cport), request]) });

  it('until the server acknowledges the header, the first data segment and its retransmission carry it too', () => {
    for (let i = 0; i < 2; i++)
      expectExchange(lb.send(first()), first(), {
        verdict: 'tx', output: firstOut(), port: 0, moved: { rx_packets: 1, tx_packets: 1, proxy_header_sent: 1 },
      });
  });

  it('a server ACK of part of the header acknowledges nothing to the client', () => {
    const input = tcpFrame(f.fromServer(['ACK'], SERVER_ISN + 1, START + 10));
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: f.toClient(f.fromServer(['ACK'], SERVER_ISN + 1, START)), port: 0, moved: { rx_packets: 1, tx_packets: 1 },
    });
  });

  it("the server's acknowledgements and SACK blocks move back by the header", () => {
    const sack = sackOption;
    const acked = START + HEADER + request.length;
    const input = tcpFrame({ ...f.fromServer(['ACK'], SERVER_ISN + 1, acked), tcpOptions: sack(acked + 100, acked + 200) });
    const output = f.toClient({
      ...f.fromServer(['ACK'], SERVER_ISN + 1, acked - HEADER), tcpOptions: sack(acked + 100 - HEADER, acked + 200 - HEADER),
    });
    expectExchange(lb.send(input), input, { verdict: 'tx', output, port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
  });

  it("the client's later bytes sit behind the header; a retransmission of its first after the ACK gets none", () => {
    const next = START + request.length;
    const more = Buffer.from('more');
    const input = tcpFrame({ ...f.fromClient(['PSH', 'ACK'], next, SERVER_ISN + 1), payload: more });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: f.toServer({ ...f.fromClient(['PSH', 'ACK'], next + HEADER, SERVER_ISN + 1), payload: more }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1 },
    });
    expectExchange(lb.send(first()), first(), {
      verdict: 'tx', output: f.toServer({ ...f.fromClient(['PSH', 'ACK'], START + HEADER, SERVER_ISN + 1), payload: request }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1 },
    });
  });

  it('an ICMP error from the server side quotes a sequence number the client knows', () => {
    const quoted = tcpFrame({ ...f.fromServer(['ACK'], START + HEADER + 50, 0), src: LIP, dst: RS, sport: f.cport, dport: 8080 });
    const input = icmpFrame({
      srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: LIP, type: ICMP.destUnreachable, code: UNREACH.fragNeeded, rest: 1400,
      body: quote(quoted),
    });
    const out = lb.send(input);
    assert.equal(out.out.length, 1, 'forwarded');
    assert.deepEqual(checksumProblems(decodeFrame(out.out[0]!.data)), [], 'every checksum verifies');
    const data = out.out[0]!.data;
    // Ethernet 14 + IPv4 20 + ICMP 8 + quoted IPv4 20: the quoted TCP header, whose seq is at 4.
    assert.equal(data.readUInt32BE(14 + 20 + 8 + 20 + 4), START + 50);
    // The path's MTU, less what the balancer adds to the client's segments.
    assert.equal(data.readUInt16BE(14 + 20 + 6), 1400 - HEADER);
    assert.equal(data.subarray(14 + 12, 14 + 20).toString('hex'), Buffer.from([...ip(VIP), ...ip(CLIENT)]).toString('hex'));
  });

  it('a SYN with another ISN before the server answered starts the stream there', () => {
    const g = flow(41300);
    const first = tcpFrame(g.fromClient(['SYN'], 5000));
    assert.equal(lb.send(first).out.length, 1);
    const again = tcpFrame(g.fromClient(['SYN'], 9000));
    expectExchange(lb.send(again), again, { verdict: 'tx', output: g.toServer(g.fromClient(['SYN'], 9000)), port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
    const synAck = tcpFrame(g.fromServer(['SYN', 'ACK'], SERVER_ISN, 9001));
    assert.equal(lb.send(synAck).out.length, 1);
    const ack = tcpFrame(g.fromClient(['ACK'], 9001, SERVER_ISN + 1));
    expectExchange(lb.send(ack), ack, {
      verdict: 'tx', output: g.toServer({ ...g.fromClient(['ACK'], 9001, SERVER_ISN + 1), payload: proxyHeader(g.cport) }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1, proxy_header_sent: 1 },
    });
  });

  it('options at odd offsets (MSS after a NOP, SACK after a NOP) are rewritten with checksums that verify', () => {
    const g = flow(41400);
    const syn = tcpFrame(g.fromClient(['SYN'], CLIENT_ISN));
    assert.equal(lb.send(syn).out.length, 1);
    const oddMss = (value: number) => Uint8Array.from([1, 2, 4, value >> 8, value & 0xff, 1, 1, 1]);
    const synAck = tcpFrame({ ...g.fromServer(['SYN', 'ACK'], SERVER_ISN, START), tcpOptions: oddMss(1460) });
    expectExchange(lb.send(synAck), synAck, {
      verdict: 'tx', output: g.toClient({ ...g.fromServer(['SYN', 'ACK'], SERVER_ISN, START), tcpOptions: oddMss(1460 - HEADER) }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1, client_mss_clamped: 1 },
    });
    const oddSack = (a: number, b: number) => {
      const o = Buffer.from([1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
      o.writeUInt32BE(a >>> 0, 3);
      o.writeUInt32BE(b >>> 0, 7);
      return Uint8Array.from(o);
    };
    const at = START + HEADER;
    const input = tcpFrame({ ...g.fromServer(['ACK'], SERVER_ISN + 1, at), tcpOptions: oddSack(at + 300, at + 400) });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: g.toClient({ ...g.fromServer(['ACK'], SERVER_ISN + 1, START), tcpOptions: oddSack(START + 300, START + 400) }),
      port: 0, moved: { rx_packets: 1, tx_packets: 1 },
    });
  });

  it('a fast-open option in a client SYN is blanked: its data would reach the server before the header', () => {
    const g = flow(41500);
    const options = Uint8Array.from([2, 4, 0x05, 0xb4, 34, 2, 1, 1]);
    const input = tcpFrame({ ...g.fromClient(['SYN'], CLIENT_ISN), tcpOptions: options });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: g.toServer({ ...g.fromClient(['SYN'], CLIENT_ISN), tcpOptions: Uint8Array.from([2, 4, 0x05, 0xb4, 1, 1, 1, 1]) }),
      port: 0, moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1, client_fast_open_removed: 1 },
    });
  });

  it('a FIN with no data before it carries the header, so both sides agree where the stream ends', () => {
    const g = flow(41100);
    handshake(lb, g, HEADER);
    const input = tcpFrame(g.fromClient(['FIN', 'ACK'], START, SERVER_ISN + 1));
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: g.toServer({ ...g.fromClient(['FIN', 'ACK'], START, SERVER_ISN + 1), payload: proxyHeader(g.cport) }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1, proxy_header_sent: 1 },
    });
    const finAck = tcpFrame(g.fromServer(['FIN', 'ACK'], SERVER_ISN + 1, START + HEADER + 1));
    expectExchange(lb.send(finAck), finAck, {
      verdict: 'tx', output: g.toClient(g.fromServer(['FIN', 'ACK'], SERVER_ISN + 1, START + 1)), port: 0,
      moved: { rx_packets: 1, tx_packets: 1 },
    });
  });

  it('a full-sized first segment (the clamped MSS ignored) is replaced by the header alone', () => {
    const g = flow(41200);
    handshake(lb, g, HEADER);
    const big = Buffer.alloc(1460, 0x61);
    const input = tcpFrame({ ...g.fromClient(['PSH', 'ACK', 'FIN'], START, SERVER_ISN + 1), payload: big });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: g.toServer({ ...g.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), payload: proxyHeader(g.cport) }), port: 0,
      moved: { rx_packets: 1, tx_packets: 1, proxy_header_alone: 1 },
    });
    // The server acknowledges the header: the client's data, sent again, follows it.
    const ack = tcpFrame(g.fromServer(['ACK'], SERVER_ISN + 1, START + HEADER));
    expectExchange(lb.send(ack), ack, {
      verdict: 'tx', output: g.toClient(g.fromServer(['ACK'], SERVER_ISN + 1, START)), port: 0, moved: { rx_packets: 1, tx_packets: 1 },
    });
    const again = tcpFrame({ ...g.fromClient(['PSH', 'ACK'], START, SERVER_ISN + 1), payload: big.subarray(0, 1000) });
    expectExchange(lb.send(again), again, {
      verdict: 'tx', output: g.toServer({ ...g.fromClient(['PSH', 'ACK'], START + HEADER, SERVER_ISN + 1), payload: big.subarray(0, 1000) }),
      port: 0, moved: { rx_packets: 1, tx_packets: 1 },
    });
  });
});

describe('client_address: configuration', () => {
  it('is refused outside fullnat tcp and beside syn_proxy: on, naming the field and the fix', async () => {
    const { parseConfigText } = await import('../../src/config/load.js');
    const bad = (service: string) =>
      assert.throws(
        () => parseConfigText(`dataplane: { backend: mem, interfaces: [mem0] }\nlocal_address_pools: { lan: [${LIP}] }\nservices:\n  - ${service}\n`, 'test.yaml'),
        /client_address/,
      );
    bad(`{ name: a, vip: ${VIP}, port: 80, forwarding: nat, client_address: toa, servers: [{ address: ${RS}, port: 80 }] }`);
    bad(`{ name: a, vip: ${VIP}, port: 53, protocol: udp, forwarding: fullnat, local_address_pool: lan, client_address: proxy_v2, servers: [{ address: ${RS}, port: 53 }] }`);
    bad(`{ name: a, vip: ${VIP}, port: 80, forwarding: fullnat, local_address_pool: lan, syn_proxy: on, client_address: toa, servers: [{ address: ${RS}, port: 80 }] }`);
  });
});
