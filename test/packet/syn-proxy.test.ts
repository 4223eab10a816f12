// test/packet/syn-proxy.test.ts — the SYN proxy of a fullnat service through the real addon on
// io/mem, exact frames in and out, counters moved, and what /status says: the cookie SYN-ACK
// (nothing stored), a forged ACK, the valid ACK turned into the SYN towards the server, the
// client's first data segment held, the server's SYN-ACK answered with it, and the sequence
// translation of the connection's life; the same over IPv6, beside a NAT64 service (which has no
// proxy: syn_proxy auto means off there). The cookie is a keyed hash under a secret drawn at
// engine start: the test reads it from the SYN-ACK, whose every other byte it checks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame, type TcpFlag, type TcpSpec } from '../support/packets.js';
import { tcp6Frame, type Tcp6Spec } from '../support/packets6.js';
import { CLIENT, CLIENT_MAC, LIP, VIP, expectExchange, portMac, rsMac } from '../support/rows.js';

const RS = '10.0.2.11';
const CPORT = 40000;
const CLIENT_ISN = 1000;
const SERVER_ISN = 7_000_000;
const config = `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], local_port_range: [1024, 65535] }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      syn_proxy: on, servers: [{ address: ${RS}, port: 8080 }] }
`;
// MSS 1460, SACK-permitted, window scale 7: the options the proxy answers with, in its layout.
const SYNACK_OPTIONS = Uint8Array.from([2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]);
const CLIENT_SYN_OPTIONS = Uint8Array.from([2, 4, 0x05, 0xb4, 1, 3, 3, 6, 4, 2, 1, 1]);
// What the SYN towards the server carries: MSS 1460, SACK-permitted, the client's window scale 6.
const CLIENT_SYN_OPTIONS_AS_SENT = Uint8Array.from([2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 6]);

const fromClient = (flags: TcpFlag[], seq: number, ack = 0, extra: Partial<TcpSpec> = {}): TcpSpec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport: CPORT, dport: 80, flags, seq, ack, ...extra,
});
const toServer = (spec: TcpSpec, lport: number): Buffer =>
  tcpFrame({ ...spec, srcMac: portMac(0), dstMac: rsMac(RS), src: LIP, dst: RS, sport: lport, dport: 8080, ttl: 63 });
const fromServer = (lport: number, flags: TcpFlag[], seq: number, ack: number, extra: Partial<TcpSpec> = {}): TcpSpec => ({
  srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: LIP, sport: 8080, dport: lport, flags, seq, ack, ...extra,
});
const toClient = (spec: TcpSpec): Buffer =>
  tcpFrame({ ...spec, srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: CPORT, ttl: 63 });
const seqOf = (frame: Uint8Array) => Buffer.from(frame).readUInt32BE(14 + 20 + 4);

describe('SYN proxy (fullnat, syn_proxy: on, one worker)', () => {
  let lb: MemHarness;
  let cookie = 0;
  const lport = CPORT;  // one worker, a free tuple: the client's own port
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());

  it('the SYN is answered with a cookie SYN-ACK on its own port, and nothing is stored', () => {
    const input = tcpFrame({ ...fromClient(['SYN'], CLIENT_ISN), tcpOptions: CLIENT_SYN_OPTIONS });
    const ex = lb.send(input);
    assert.equal(ex.out.length, 1);
    cookie = seqOf(ex.out[0]!.data);
    const synAck = tcpFrame({
      srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: CPORT, flags: ['SYN', 'ACK'],
      seq: cookie, ack: CLIENT_ISN + 1, window: 1460, tcpOptions: SYNACK_OPTIONS, id: 0, dontFragment: true,
    });
    expectExchange(ex, input, { verdict: 'tx', output: synAck, port: 0, moved: { rx_packets: 1, tx_packets: 1, syn_proxy_cookie_sent: 1 } });
    assert.deepEqual(lb.connections(), [0]);
  });

  it('an ACK with another number is forged: dropped, nothing stored', () => {
    const input = tcpFrame(fromClient(['ACK'], CLIENT_ISN + 1, cookie + 2));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, drop_syn_cookie_invalid: 1 } });
    assert.deepEqual(lb.connections(), [0]);
  });

  it("the client's ACK of the cookie makes the connection and the SYN towards the server", () => {
    const input = tcpFrame(fromClient(['ACK'], CLIENT_ISN + 1, cookie + 1, { window: 502 }));
    // The client's ISN, window in bytes (502 << 6), and the options its cookie kept.
    const syn = toServer({ ...fromClient(['SYN'], CLIENT_ISN, 0, { window: 502 << 6 }), tcpOptions: CLIENT_SYN_OPTIONS_AS_SENT, id: 0, dontFragment: true }, lport);
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: syn, port: 0,
      moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1, syn_proxy_accepted: 1 },
    });
    assert.deepEqual(lb.connections(), [1]);
  });

  const request = Buffer.from('GET / HTTP/1.1\r\n\r\n');
  it('the request sent right after is held until the server answers', () => {
    const input = tcpFrame(fromClient(['PSH', 'ACK'], CLIENT_ISN + 1, cookie + 1, { payload: request }));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, syn_proxy_stashed: 1 } });
  });

  it("the server's SYN-ACK is answered with the held request, in the server's sequence space", () => {
    const input = tcpFrame({ ...fromServer(lport, ['SYN', 'ACK'], SERVER_ISN, CLIENT_ISN + 1), tcpOptions: Uint8Array.from([2, 4, 0x05, 0xb4, 1, 3, 3, 7]) });
    const out = toServer(fromClient(['PSH', 'ACK'], CLIENT_ISN + 1, SERVER_ISN + 1, { payload: request }), lport);
    const ex = lb.send(input);
    expectExchange(ex, input, { verdict: 'tx', output: out, port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
  });

  it("the server's answer reaches the client in the cookie's sequence space", () => {
    const body = Buffer.from('HTTP/1.1 200 OK\r\n\r\n');
    const input = tcpFrame(fromServer(lport, ['PSH', 'ACK'], SERVER_ISN + 1, CLIENT_ISN + 1 + request.length, { payload: body, window: 500 }));
    const out = toClient(fromServer(lport, ['PSH', 'ACK'], cookie + 1, CLIENT_ISN + 1 + request.length, { payload: body, window: 500 }));
    expectExchange(lb.send(input), input, { verdict: 'tx', output: out, port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
    const ack = tcpFrame(fromClient(['ACK'], CLIENT_ISN + 1 + request.length, cookie + 1 + body.length));
    const sent = toServer(fromClient(['ACK'], CLIENT_ISN + 1 + request.length, SERVER_ISN + 1 + body.length), lport);
    expectExchange(lb.send(ack), ack, { verdict: 'tx', output: sent, port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
  });
});

describe('SYN proxy auto (the default) with dataplane.syn_proxy_above: 3', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config.replace('syn_proxy: on, ', '').replace('interfaces: [mem0]', 'interfaces: [mem0], syn_proxy_above: 3'))));
  after(() => lb?.close());
  const syn = (cport: number) => tcpFrame({ ...fromClient(['SYN'], CLIENT_ISN), sport: cport });

  it('three half-open connections are made as IPVS makes them', () => {
    for (const cport of [41000, 41001, 41002]) {
      const input = syn(cport);
      expectExchange(lb.send(input), input, {
        verdict: 'tx', output: toServer({ ...fromClient(['SYN'], CLIENT_ISN), sport: cport }, cport), port: 0,
        moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1 },
      });
    }
    assert.deepEqual(lb.connections(), [3]);
  });
  it('with three half-open connections, the next SYN is answered with a cookie and nothing is stored', () => {
    const ex = lb.send(syn(41003));
    assert.deepEqual(ex.moved, { rx_packets: 1, tx_packets: 1, syn_proxy_cookie_sent: 1 });
    assert.equal(ex.out[0]!.data.readUInt16BE(14 + 20 + 2), 41003, 'a SYN-ACK back to the client');
    assert.deepEqual(lb.connections(), [3]);
  });
  it('once a handshake completes, SYNs make connections again', () => {
    const ack = tcpFrame({ ...fromClient(['ACK'], CLIENT_ISN + 1, 1), sport: 41000 });
    assert.equal(lb.send(ack).out.length, 1);
    const ex = lb.send(syn(41004));
    assert.deepEqual(ex.moved, { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1 });
    assert.deepEqual(lb.connections(), [4]);
  });
});

describe('SYN proxy over IPv6 (fullnat, syn_proxy: on), and in front of NAT64', () => {
  const CLIENT6 = '2001:db8:c::7';
  const VIP6 = '2001:db8:100::10';
  const LIP6 = 'fd00:2::100';
  const RS6 = 'fd00:2::11';
  let lb: MemHarness;
  let cookie = 0;
  const lport = CPORT;
  // MSS 1440 (1500 less IPv6's 60 bytes of headers), SACK-permitted, window scale 7.
  const SYNACK_OPTIONS6 = Uint8Array.from([2, 4, 0x05, 0xa0, 1, 1, 4, 2, 1, 3, 3, 7]);
  const CLIENT_SYN_OPTIONS6 = Uint8Array.from([2, 4, 0x05, 0xa0, 1, 3, 3, 6, 4, 2, 1, 1]);
  const CLIENT_SYN_OPTIONS6_AS_SENT = Uint8Array.from([2, 4, 0x05, 0xa0, 1, 1, 4, 2, 1, 3, 3, 6]);
  const fromClient6 = (flags: TcpFlag[], seq: number, ack = 0, extra: Partial<Tcp6Spec> = {}): Tcp6Spec => ({
    srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT6, dst: VIP6, sport: CPORT, dport: 80, flags, seq, ack, ...extra,
  });
  const toServer6 = (spec: Tcp6Spec): Buffer =>
    tcp6Frame({ ...spec, srcMac: portMac(0), dstMac: rsMac(RS6), src: LIP6, dst: RS6, sport: lport, dport: 8080, hopLimit: 63 });
  const fromServer6 = (flags: TcpFlag[], seq: number, ack: number, extra: Partial<Tcp6Spec> = {}): Tcp6Spec => ({
    srcMac: rsMac(RS6), dstMac: portMac(0), src: RS6, dst: LIP6, sport: 8080, dport: lport, flags, seq, ack, ...extra,
  });
  const seq6Of = (frame: Uint8Array) => Buffer.from(frame).readUInt32BE(14 + 40 + 4);
  before(async () => (lb = await MemHarness.start(`
dataplane: { backend: mem, workers: 1, interfaces: [mem0], local_port_range: [1024, 65535] }
local_address_pools: { lan6: [${LIP6}], lan: [${LIP}] }
services:
  - { name: web6, vip: ${VIP6}, port: 80, forwarding: fullnat, local_address_pool: lan6, scheduler: rr,
      syn_proxy: on, servers: [{ address: ${RS6}, port: 8080 }] }
  - { name: web64, vip: ${VIP6}, port: 82, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      servers: [{ address: ${RS}, port: 8080 }] }
  - { name: web64-proxied, vip: ${VIP6}, port: 83, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      syn_proxy: on, servers: [{ address: ${RS}, port: 8080 }] }
`)));
  after(() => lb?.close());

  it('the SYN is answered with a cookie SYN-ACK in a new IPv6 header, and nothing is stored', () => {
    const input = tcp6Frame({ ...fromClient6(['SYN'], CLIENT_ISN), tcpOptions: CLIENT_SYN_OPTIONS6 });
    const ex = lb.send(input);
    assert.equal(ex.out.length, 1);
    cookie = seq6Of(ex.out[0]!.data);
    const synAck = tcp6Frame({
      srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP6, dst: CLIENT6, sport: 80, dport: CPORT, flags: ['SYN', 'ACK'],
      seq: cookie, ack: CLIENT_ISN + 1, window: 1440, tcpOptions: SYNACK_OPTIONS6,
    });
    expectExchange(ex, input, { verdict: 'tx', output: synAck, port: 0, moved: { rx_packets: 1, tx_packets: 1, syn_proxy_cookie_sent: 1 } });
    assert.deepEqual(lb.connections(), [0]);
  });

  it('a forged ACK is dropped', () => {
    const input = tcp6Frame(fromClient6(['ACK'], CLIENT_ISN + 1, cookie + 2));
    expectExchange(lb.send(input), input, { verdict: 'drop', moved: { rx_packets: 1, drop_syn_cookie_invalid: 1 } });
  });

  it("the client's ACK of the cookie makes the connection and the SYN from the IPv6 LIP", () => {
    const input = tcp6Frame(fromClient6(['ACK'], CLIENT_ISN + 1, cookie + 1, { window: 502 }));
    const syn = toServer6({ ...fromClient6(['SYN'], CLIENT_ISN, 0, { window: 502 << 6 }), tcpOptions: CLIENT_SYN_OPTIONS6_AS_SENT });
    expectExchange(lb.send(input), input, {
      verdict: 'tx', output: syn, port: 0,
      moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1, syn_proxy_accepted: 1 },
    });
  });

  it("the server's SYN-ACK is answered with an ACK; its data reaches the client in the cookie's space", () => {
    const synAck = tcp6Frame({ ...fromServer6(['SYN', 'ACK'], SERVER_ISN, CLIENT_ISN + 1), tcpOptions: Uint8Array.from([2, 4, 0x05, 0xa0, 1, 3, 3, 6]) });
    const ack = toServer6({ ...fromClient6(['ACK'], CLIENT_ISN + 1, SERVER_ISN + 1, { window: 502 }) });
    expectExchange(lb.send(synAck), synAck, { verdict: 'tx', output: ack, port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
    const body = Buffer.from('HTTP/1.1 200 OK\r\n\r\n');
    const data = tcp6Frame(fromServer6(['PSH', 'ACK'], SERVER_ISN + 1, CLIENT_ISN + 1, { payload: body, window: 500 }));
    // The server scales by 2^6, the client reads 2^7: half the number.
    const out = tcp6Frame({
      ...fromServer6(['PSH', 'ACK'], cookie + 1, CLIENT_ISN + 1, { payload: body, window: 250 }),
      srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP6, dst: CLIENT6, sport: 80, dport: CPORT, hopLimit: 63,
    });
    expectExchange(lb.send(data), data, { verdict: 'tx', output: out, port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
  });

  it('a NAT64 service with syn_proxy auto and no flood takes the SYN itself: it goes to the IPv4 server', () => {
    const ex = lb.send(tcp6Frame({ ...fromClient6(['SYN'], CLIENT_ISN), sport: 41000, dport: 82 }));
    assert.equal(ex.out.length, 1);
    assert.equal(ex.moved.syn_proxy_cookie_sent, undefined);
    assert.equal(ex.moved.conn_created, 1);
    assert.equal(ex.out[0]!.data.readUInt16BE(12), 0x0800, 'an IPv4 frame');
  });

  it('in front of NAT64 (syn_proxy: on): the cookie over IPv6, the SYN and the end of the handshake to the server over IPv4', () => {
    const cport = 41001;
    const synIn = tcp6Frame({ ...fromClient6(['SYN'], CLIENT_ISN), sport: cport, dport: 83, tcpOptions: CLIENT_SYN_OPTIONS6 });
    const answered = lb.send(synIn);
    assert.equal(answered.out.length, 1);
    const cookie64 = seq6Of(answered.out[0]!.data);
    expectExchange(answered, synIn, {
      verdict: 'tx', port: 0, moved: { rx_packets: 1, tx_packets: 1, syn_proxy_cookie_sent: 1 },
      output: tcp6Frame({
        srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP6, dst: CLIENT6, sport: 83, dport: cport, flags: ['SYN', 'ACK'],
        seq: cookie64, ack: CLIENT_ISN + 1, window: 1440, tcpOptions: SYNACK_OPTIONS6,
      }),
    });
    // The SYN the server gets: IPv6 written as the client would send it, then translated (RFC 7915:
    // DF clear for a small packet, the worker's next identification, one hop less).
    const ackIn = tcp6Frame(fromClient6(['ACK'], CLIENT_ISN + 1, cookie64 + 1, { sport: cport, dport: 83, window: 502 }));
    const opened = lb.send(ackIn);
    assert.equal(opened.out.length, 1);
    const sent = opened.out[0]!.data;
    const lport64 = sent.readUInt16BE(14 + 20);
    const serverSyn = tcpFrame({
      srcMac: portMac(0), dstMac: rsMac(RS), src: LIP, dst: RS, sport: lport64, dport: 8080, flags: ['SYN'], seq: CLIENT_ISN,
      window: 502 << 6, tcpOptions: CLIENT_SYN_OPTIONS6_AS_SENT, ttl: 63, id: sent.readUInt16BE(14 + 4),
    });
    expectExchange(opened, ackIn, {
      verdict: 'tx', output: serverSyn, port: 0,
      moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1, syn_proxy_accepted: 1 },
    });
    // The server's IPv4 SYN-ACK: answered towards the server in IPv4, written from the LIP (DF, TTL 64).
    const synAckIn = tcpFrame({
      srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: LIP, sport: 8080, dport: lport64, flags: ['SYN', 'ACK'],
      seq: SERVER_ISN, ack: CLIENT_ISN + 1, tcpOptions: Uint8Array.from([2, 4, 0x05, 0xb4, 1, 3, 3, 6]),
    });
    const ackOut = tcpFrame({
      srcMac: portMac(0), dstMac: rsMac(RS), src: LIP, dst: RS, sport: lport64, dport: 8080, flags: ['ACK'],
      seq: CLIENT_ISN + 1, ack: SERVER_ISN + 1, window: 502, ttl: 64, id: 0, dontFragment: true,
    });
    expectExchange(lb.send(synAckIn), synAckIn, { verdict: 'tx', output: ackOut, port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
    // The server's data reaches the client as IPv6 in the cookie's space.
    const body = Buffer.from('HTTP/1.1 200 OK\r\n\r\n');
    const data = tcpFrame({
      srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: LIP, sport: 8080, dport: lport64, flags: ['PSH', 'ACK'],
      seq: SERVER_ISN + 1, ack: CLIENT_ISN + 1, payload: body, window: 500, dontFragment: true,
    });
    const toClient = tcp6Frame({
      srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP6, dst: CLIENT6, sport: 83, dport: cport, flags: ['PSH', 'ACK'],
      seq: cookie64 + 1, ack: CLIENT_ISN + 1, payload: body, window: 250, hopLimit: 63,
    });
    expectExchange(lb.send(data), data, { verdict: 'tx', output: toClient, port: 0, moved: { rx_packets: 1, tx_packets: 1 } });
  });
});
