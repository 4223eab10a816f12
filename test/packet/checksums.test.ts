// test/packet/checksums.test.ts — the incremental checksum updates at their edges, on a nat
// service: TCP options, odd lengths, full-size frames, UDP checksums that compute to zero (sent
// as 0xffff, RFC 768) in either direction, and ICMP errors whose quoted packet carries its own
// TCP/UDP checksum or has an odd length. Expected frames are computed from scratch.
import { after, before, describe } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { ICMP, UNREACH, icmpFrame, quote, tcpFrame, udpFrame, type FrameSpec, type TcpSpec } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, VIP, portMac, rsMac, runRows, type Row } from '../support/rows.js';

const RS = '10.0.2.21';
const config = `
dataplane: { backend: mem, interfaces: [mem0], conn_table_size: 1024 }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: nat, scheduler: rr, servers: [{ address: ${RS}, port: 8080 }] }
  - { name: dns, vip: ${VIP}, port: 53, protocol: udp, forwarding: nat, scheduler: rr, servers: [{ address: ${RS}, port: 5353 }] }
`;

const tcpIn = (over: Partial<TcpSpec> = {}): TcpSpec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: ['SYN'], ...over,
});
const tcpOut = (over: Partial<TcpSpec> = {}): TcpSpec => ({ ...tcpIn(over), srcMac: portMac(0), dstMac: rsMac(RS), dst: RS, dport: 8080, ttl: 63 });
const udpIn = (sport: number, payload: Uint8Array, over: Partial<FrameSpec> = {}): FrameSpec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport, dport: 53, payload, ...over,
});
const udpOut = (sport: number, payload: Uint8Array, over: Partial<FrameSpec> = {}): FrameSpec => ({
  ...udpIn(sport, payload, over), srcMac: portMac(0), dstMac: rsMac(RS), dst: RS, dport: 5353, ttl: 63,
});

/** A 2-byte payload for which the UDP checksum of `spec` computes to 0 (and is sent as 0xffff). */
function zeroSumPayload(spec: (payload: Uint8Array) => FrameSpec): Buffer {
  for (let w = 0; w < 0x10000; w++) {
    const payload = Buffer.from([w >> 8, w & 0xff]);
    const frame = udpFrame(spec(payload));
    if (frame.readUInt16BE(14 + 20 + 6) === 0xffff) return payload;
  }
  throw new Error('no payload makes the checksum 0');
}
const zeroAfter = zeroSumPayload((p) => udpOut(5001, p));
const zeroBefore = zeroSumPayload((p) => udpIn(5002, p));
const zeroReply = zeroSumPayload((p) => ({ srcMac: CLIENT_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, ttl: 63, sport: 53, dport: 5001, payload: p }));

const MSS_SACK_WS = Uint8Array.from([2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 1, 1]);
const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1 };
const FOLLOW = { rx_packets: 1, tx_packets: 1 };
const FORWARDED = { rx_packets: 1, tx_packets: 1, icmp_forwarded: 1 };
const fromServer = { srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: CLIENT };
const toClient = { srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, ttl: 63 };

const rows: Row[] = [
  {
    name: 'a SYN with MSS, SACK-permitted and window-scale options is DNATed with its options intact',
    input: () => tcpFrame(tcpIn({ tcpOptions: MSS_SACK_WS })), verdict: 'tx',
    output: () => tcpFrame(tcpOut({ tcpOptions: MSS_SACK_WS })), moved: NEW,
  },
  {
    name: 'a full-size 1500-byte segment is DNATed with a correct checksum',
    input: () => tcpFrame(tcpIn({ flags: ['ACK'], payload: Buffer.alloc(1460, 0x5a) })), verdict: 'tx',
    output: () => tcpFrame(tcpOut({ flags: ['ACK'], payload: Buffer.alloc(1460, 0x5a) })), moved: FOLLOW,
  },
  {
    name: 'a segment with an odd number of payload bytes is DNATed with a correct checksum',
    input: () => tcpFrame(tcpIn({ flags: ['ACK'], payload: Buffer.from('odd') })), verdict: 'tx',
    output: () => tcpFrame(tcpOut({ flags: ['ACK'], payload: Buffer.from('odd') })), moved: FOLLOW,
  },
  {
    name: 'a UDP datagram whose translated checksum computes to 0 leaves with 0xffff, never 0 (RFC 768)',
    input: () => udpFrame(udpIn(5001, zeroAfter)), verdict: 'tx', output: () => udpFrame(udpOut(5001, zeroAfter)), moved: NEW,
  },
  {
    name: 'a UDP datagram arriving with 0xffff (a checksum computing to 0) is translated to the right checksum',
    input: () => udpFrame(udpIn(5002, zeroBefore)), verdict: 'tx', output: () => udpFrame(udpOut(5002, zeroBefore)), moved: NEW,
  },
  {
    name: "an ICMP error quoting the server's whole TCP header has the quoted TCP checksum translated too",
    input: () => icmpFrame({ ...fromServer, type: ICMP.destUnreachable, code: UNREACH.port, body: quote(tcpFrame(tcpOut()), 20) }),
    verdict: 'tx',
    output: () => icmpFrame({ ...toClient, type: ICMP.destUnreachable, code: UNREACH.port, body: quote(tcpFrame({ ...tcpIn(), ttl: 63 }), 20) }),
    moved: FORWARDED,
  },
  {
    name: 'an ICMP error of odd length (9 quoted bytes after the header) gets a correct ICMP checksum',
    input: () => icmpFrame({ ...fromServer, type: ICMP.timeExceeded, code: 0, body: quote(tcpFrame(tcpOut()), 9) }),
    verdict: 'tx',
    output: () => icmpFrame({ ...toClient, type: ICMP.timeExceeded, code: 0, body: quote(tcpFrame({ ...tcpIn(), ttl: 63 }), 9) }),
    moved: FORWARDED,
  },
  {
    name: 'a UDP datagram sent without a checksum opens its flow',
    input: () => udpFrame(udpIn(5003, Buffer.from('q'), { noChecksum: true })), verdict: 'tx',
    output: () => udpFrame(udpOut(5003, Buffer.from('q'), { noChecksum: true })), moved: NEW,
  },
  {
    name: 'an ICMP error quoting that datagram keeps the quoted checksum at 0 (none)',
    input: () => icmpFrame({ ...fromServer, type: ICMP.destUnreachable, code: UNREACH.port, body: quote(udpFrame(udpOut(5003, Buffer.from('q'), { noChecksum: true })), 9) }),
    verdict: 'tx',
    output: () => icmpFrame({ ...toClient, type: ICMP.destUnreachable, code: UNREACH.port, body: quote(udpFrame({ ...udpIn(5003, Buffer.from('q'), { noChecksum: true }), ttl: 63 }), 9) }),
    moved: FORWARDED,
  },
  {
    name: "the server's UDP answer with a checksum computing to 0 after SNAT leaves with 0xffff",
    input: () => udpFrame({ ...fromServer, sport: 5353, dport: 5001, payload: zeroReply }),
    verdict: 'tx',
    output: () => udpFrame({ ...toClient, sport: 53, dport: 5001, payload: zeroReply }),
    moved: FOLLOW,
  },
];

describe('checksum edges (nat, one arm)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());
  runRows(() => lb, rows);
});
