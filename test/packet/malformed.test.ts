// test/packet/malformed.test.ts — every malformed-input class of abi/counters.h, each dropped
// under its own counter, and the frames xvs leaves to the kernel (not IPv4, not TCP/UDP/ICMP
// errors, fragments not for a service) per the native README policy.
import { after, before, describe } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import {
  ICMP, PROTO, UNREACH, arpFrame, cutPacket, ethernet, icmpFrame, ipOf, ipv6UdpFrame, patchIp, patchTcpDataOffset, quote,
  rawIpFrame, tcpFrame, udpFrame, type TcpSpec,
} from '../support/packets.js';
import { CLIENT, CLIENT_MAC, LIP, VIP, portMac, rsMac, runRows, type Row } from '../support/rows.js';

const RS = '10.0.2.11';
const config = `
dataplane: { backend: mem, interfaces: [mem0], local_port_range: [1024, 65535], conn_table_size: 4096 }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: fullnat, scheduler: rr, local_address_pool: lan, servers: [{ address: ${RS}, port: 8080 }] }
  - { name: dns, vip: ${VIP}, port: 53, protocol: udp, forwarding: fullnat, scheduler: rr, local_address_pool: lan, servers: [{ address: ${RS}, port: 5353 }] }
`;

const syn = (over: Partial<TcpSpec> = {}): TcpSpec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: ['SYN'], ...over,
});
/** What the fullnat service makes of a client packet: LIP:lport -> server:8080, TTL 63 (lport: the client's port, on one worker). */
const translated = (lport: number, over: Partial<TcpSpec> = {}): TcpSpec => ({
  srcMac: portMac(0), dstMac: rsMac(RS), src: LIP, dst: RS, sport: lport, dport: 8080, flags: ['SYN'], ttl: 63, ...over,
});
const dns = (over: Partial<TcpSpec> = {}) => ({ ...syn(), sport: 5000, dport: 53, payload: Buffer.from('query'), ...over });
const NOP_EOL = Uint8Array.from([1, 1, 1, 0]);

const drop = (counter: string) => ({ rx_packets: 1, [counter]: 1 });
const PASS = { rx_packets: 1, pass_packets: 1 };
// A new fullnat connection that keeps its client's port as its local port.
const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1 };

const rows: Row[] = [
  // ---- Ethernet
  { name: 'a 10-byte frame, shorter than an Ethernet header, is dropped as drop_truncated_l2', input: () => tcpFrame(syn()).subarray(0, 10), verdict: 'drop', moved: drop('drop_truncated_l2') },
  { name: 'a VLAN-tagged frame that ends inside its tag is dropped as drop_truncated_l2', input: () => tcpFrame(syn({ vlan: 5 })).subarray(0, 16), verdict: 'drop', moved: drop('drop_truncated_l2') },
  { name: 'an ARP request passes to the kernel unchanged', input: () => arpFrame({ srcMac: CLIENT_MAC, dstMac: 'ff:ff:ff:ff:ff:ff' }, CLIENT, VIP), verdict: 'pass', moved: PASS },
  { name: 'an IPv6 datagram to no service passes to the kernel unchanged', input: () => ipv6UdpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0) }, 5000, 53), verdict: 'pass', moved: PASS },
  {
    // IPv6 forbids it but for tunnels (RFC 6935): to a VIP or LIP it is dropped (test/packet/ipv6.test.ts).
    name: 'an IPv6 UDP datagram with a zero checksum to no service passes to the kernel, which judges it',
    input: () => ipv6UdpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0) }, 5000, 53, true), verdict: 'pass', moved: PASS,
  },
  {
    name: 'a frame with two VLAN tags (QinQ) passes to the kernel: xvs reads one tag',
    input: () => ethernet({ srcMac: CLIENT_MAC, dstMac: portMac(0), vlan: 5 }, 0x8100, Buffer.concat([Buffer.from([0, 6, 0x08, 0x00]), ipOf(tcpFrame(syn()))])),
    verdict: 'pass', moved: PASS,
  },
  {
    name: 'a SYN tagged with VLAN 5 is translated like any other and leaves with its tag',
    input: () => tcpFrame(syn({ vlan: 5, sport: 40100 })), verdict: 'tx',
    output: () => tcpFrame(translated(40100, { vlan: 5 })), moved: NEW,
  },
  {
    name: 'the server reply to that connection, tagged too, comes back tagged to the client',
    input: () => tcpFrame({ ...translated(40100), srcMac: rsMac(RS), dstMac: portMac(0), src: RS, dst: LIP, sport: 8080, dport: 40100, flags: ['SYN', 'ACK'], ttl: 64, vlan: 5 }),
    verdict: 'tx',
    output: () => tcpFrame({ ...syn({ sport: 80, dport: 40100 }), srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, flags: ['SYN', 'ACK'], ttl: 63, vlan: 5 }),
    moved: { rx_packets: 1, tx_packets: 1 },
  },
  // ---- IPv4 header
  { name: 'a frame that ends inside the IPv4 header is dropped as drop_truncated_ip', input: () => tcpFrame(syn()).subarray(0, 14 + 19), verdict: 'drop', moved: drop('drop_truncated_ip') },
  { name: 'an IHL of 15 (a 60-byte header) in a 40-byte packet is dropped as drop_truncated_ip', input: () => patchIp(tcpFrame(syn()), { ihl: 15 }), verdict: 'drop', moved: drop('drop_truncated_ip') },
  { name: 'an IHL of 4 (16 bytes) is dropped as drop_bad_ip_header', input: () => patchIp(tcpFrame(syn()), { ihl: 4 }), verdict: 'drop', moved: drop('drop_bad_ip_header') },
  { name: 'version 6 inside an IPv4 ethertype is dropped as drop_bad_ip_header', input: () => patchIp(tcpFrame(syn()), { version: 6 }), verdict: 'drop', moved: drop('drop_bad_ip_header') },
  { name: 'a total length beyond the end of the frame is dropped as drop_bad_ip_length', input: () => patchIp(tcpFrame(syn()), { totalLength: 41 }), verdict: 'drop', moved: drop('drop_bad_ip_length') },
  { name: 'a total length smaller than the IPv4 header is dropped as drop_bad_ip_length', input: () => patchIp(tcpFrame(syn()), { totalLength: 16 }), verdict: 'drop', moved: drop('drop_bad_ip_length') },
  {
    name: 'a frame longer than its total length (Ethernet padding) is translated with the padding kept as it was',
    input: () => Buffer.concat([udpFrame(dns()), Buffer.from([0xa5, 0xa5, 0xa5])]), verdict: 'tx',
    output: () => Buffer.concat([udpFrame({ ...translated(5000), dport: 5353, payload: Buffer.from('query') }), Buffer.from([0xa5, 0xa5, 0xa5])]),
    moved: NEW,
  },
  {
    name: 'a SYN carrying IPv4 options (IHL 6) is translated with its options kept and every checksum right',
    input: () => tcpFrame(syn({ sport: 40200, options: NOP_EOL })), verdict: 'tx',
    output: () => tcpFrame(translated(40200, { options: NOP_EOL })), moved: NEW,
  },
  {
    name: 'a UDP datagram without a checksum (0) is translated and still carries none',
    input: () => udpFrame(dns({ sport: 5001, noChecksum: true })), verdict: 'tx',
    output: () => udpFrame({ ...translated(5001), dport: 5353, payload: Buffer.from('query'), noChecksum: true }),
    moved: NEW,
  },
  // ---- L4 headers
  { name: 'a TCP segment of 10 bytes (shorter than a TCP header) is dropped as drop_truncated_l4', input: () => cutPacket(tcpFrame(syn()), 14 + 20 + 10), verdict: 'drop', moved: drop('drop_truncated_l4') },
  { name: 'a UDP datagram of 4 bytes is dropped as drop_truncated_l4', input: () => cutPacket(udpFrame(dns()), 14 + 20 + 4), verdict: 'drop', moved: drop('drop_truncated_l4') },
  {
    name: 'an ICMP message of 4 bytes is dropped as drop_truncated_l4',
    input: () => cutPacket(icmpFrame({ ...syn(), type: ICMP.echoRequest, code: 0, body: Buffer.alloc(8) }), 14 + 20 + 4),
    verdict: 'drop', moved: drop('drop_truncated_l4'),
  },
  { name: 'a TCP data offset of 4 words is dropped as drop_bad_tcp_header', input: () => patchTcpDataOffset(tcpFrame(syn()), 4), verdict: 'drop', moved: drop('drop_bad_tcp_header') },
  { name: 'a TCP data offset of 15 words in a 20-byte segment is dropped as drop_bad_tcp_header', input: () => patchTcpDataOffset(tcpFrame(syn()), 15), verdict: 'drop', moved: drop('drop_bad_tcp_header') },
  {
    name: 'an ICMP error quoting only 10 bytes is dropped as drop_bad_icmp',
    input: () => icmpFrame({ ...syn(), type: ICMP.destUnreachable, code: UNREACH.port, body: quote(tcpFrame(syn()), 8).subarray(0, 10) }),
    verdict: 'drop', moved: drop('drop_bad_icmp'),
  },
  {
    name: 'an ICMP error quoting a header of version 6 is dropped as drop_bad_icmp',
    input: () => {
      const q = Buffer.from(quote(tcpFrame(syn())));
      q[0] = 0x65;
      return icmpFrame({ ...syn(), type: ICMP.destUnreachable, code: UNREACH.port, body: q });
    },
    verdict: 'drop', moved: drop('drop_bad_icmp'),
  },
  {
    name: 'an ICMP error quoting an IPv4 header but only 4 bytes after it is dropped as drop_bad_icmp',
    input: () => icmpFrame({ ...syn(), type: ICMP.timeExceeded, code: 0, body: quote(tcpFrame(syn()), 4) }),
    verdict: 'drop', moved: drop('drop_bad_icmp'),
  },
  { name: 'an ICMP echo request to the VIP passes to the kernel', input: () => icmpFrame({ ...syn(), type: ICMP.echoRequest, code: 0, rest: 0x00010001, body: Buffer.from('ping') }), verdict: 'pass', moved: PASS },
  { name: 'a UDP datagram to a port the VIP serves only over TCP passes to the kernel', input: () => udpFrame(dns({ dport: 80 })), verdict: 'pass', moved: PASS },
  { name: 'a SYN-ACK to the VIP without a connection is dropped as drop_tcp_no_conn: only a bare SYN opens one', input: () => tcpFrame(syn({ sport: 40500, flags: ['SYN', 'ACK'] })), verdict: 'drop', moved: drop('drop_tcp_no_conn') },
  { name: 'a SYN with RST to the VIP without a connection is dropped as drop_tcp_no_conn', input: () => tcpFrame(syn({ sport: 40501, flags: ['SYN', 'RST'] })), verdict: 'drop', moved: drop('drop_tcp_no_conn') },
  { name: 'a GRE packet to the VIP passes to the kernel', input: () => rawIpFrame(syn(), PROTO.gre, Buffer.alloc(8)), verdict: 'pass', moved: PASS },
  // ---- fragments
  { name: 'a first fragment (MF set) to the VIP is dropped as drop_ip_fragment: nothing is reassembled', input: () => tcpFrame(syn({ moreFragments: true })), verdict: 'drop', moved: drop('drop_ip_fragment') },
  { name: 'a later fragment (offset 185) to the VIP is dropped as drop_ip_fragment', input: () => udpFrame(dns({ fragmentOffset: 185 })), verdict: 'drop', moved: drop('drop_ip_fragment') },
  { name: 'a fragment to the LIP is dropped as drop_ip_fragment', input: () => udpFrame(dns({ dst: LIP, fragmentOffset: 185 })), verdict: 'drop', moved: drop('drop_ip_fragment') },
  { name: 'a fragment to an address that is no VIP or LIP passes to the kernel', input: () => udpFrame(dns({ dst: '203.0.113.99', moreFragments: true })), verdict: 'pass', moved: PASS },
  { name: 'a DF-flagged SYN is no fragment: it is translated with DF kept', input: () => tcpFrame(syn({ sport: 40300, dontFragment: true })), verdict: 'tx', output: () => tcpFrame(translated(40300, { dontFragment: true })), moved: NEW },
];

describe('malformed and foreign frames (fullnat service, one arm)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());
  runRows(() => lb, rows);
});

describe('an engine started before any configuration is committed', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config, { commit: false })));
  after(() => lb?.close());
  runRows(() => lb, [
    { name: 'drops every frame as drop_no_snapshot', input: () => tcpFrame(syn()), verdict: 'drop', moved: drop('drop_no_snapshot') },
  ]);
});
