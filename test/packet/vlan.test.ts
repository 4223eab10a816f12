// test/packet/vlan.test.ts — frames behind one 802.1Q tag are processed like untagged ones and
// leave with the tag (TCI, priority bits included) as it came, in every mode: rewrites, IPIP
// encapsulation (the tag stays in front of the outer header), frag-needed and ICMP errors.
import { after, before, describe } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { ICMP, UNREACH, icmpFrame, ipOf, ipipFrame, quote, tcpFrame, type TcpSpec } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, LIP, TUNNEL_SOURCE, portMac, rsMac, runRows, type Row } from '../support/rows.js';

const DR = '203.0.113.10', NAT = '203.0.113.11', TUN = '203.0.113.12', FNAT = '203.0.113.13';
const DR_RS = '10.0.2.11', NAT_RS = '10.0.2.21', TUN_RS = '10.0.3.31', FNAT_RS = '10.0.2.41';
const TCI = 0xa064; // priority 5, VLAN 100

const config = `
dataplane: { backend: mem, interfaces: [mem0], local_port_range: [1024, 65535], conn_table_size: 1024, tunnel_source: ${TUNNEL_SOURCE}, mtu: 600 }
local_address_pools: { lan: [${LIP}] }
services:
  - { name: dr, vip: ${DR}, port: 80, forwarding: dr, scheduler: rr, servers: [{ address: ${DR_RS}, port: 80 }] }
  - { name: nat, vip: ${NAT}, port: 80, forwarding: nat, scheduler: rr, servers: [{ address: ${NAT_RS}, port: 8080 }] }
  - { name: tun, vip: ${TUN}, port: 80, forwarding: tunnel, scheduler: rr, servers: [{ address: ${TUN_RS}, port: 80 }] }
  - { name: fnat, vip: ${FNAT}, port: 80, forwarding: fullnat, scheduler: rr, local_address_pool: lan, servers: [{ address: ${FNAT_RS}, port: 8080 }] }
`;

const c = (dst: string, over: Partial<TcpSpec> = {}): TcpSpec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), vlan: TCI, src: CLIENT, dst, sport: 40000, dport: 80, flags: ['SYN'], ...over,
});
const out = (rs: string) => ({ srcMac: portMac(0), dstMac: rsMac(rs), vlan: TCI });
const toClient = { srcMac: portMac(0), dstMac: CLIENT_MAC, vlan: TCI };
const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1 };
const FOLLOW = { rx_packets: 1, tx_packets: 1 };
const bigAck = () => tcpFrame(c(TUN, { flags: ['ACK'], dontFragment: true, payload: Buffer.alloc(600, 0x61) }));

const rows: Row[] = [
  { name: 'dr: a tagged SYN leaves for the server with its tag and TCI unchanged', input: () => tcpFrame(c(DR)), verdict: 'tx', output: () => tcpFrame({ ...c(DR), ...out(DR_RS) }), moved: NEW },
  { name: 'nat: a tagged SYN is DNATed behind its tag', input: () => tcpFrame(c(NAT)), verdict: 'tx', output: () => tcpFrame({ ...c(NAT_RS), ...out(NAT_RS), dport: 8080, ttl: 63 }), moved: NEW },
  {
    name: "nat: the server's tagged SYN-ACK is SNATed behind its tag",
    input: () => tcpFrame({ srcMac: rsMac(NAT_RS), dstMac: portMac(0), vlan: TCI, src: NAT_RS, dst: CLIENT, sport: 8080, dport: 40000, flags: ['SYN', 'ACK'] }),
    verdict: 'tx',
    output: () => tcpFrame({ ...toClient, src: NAT, dst: CLIENT, sport: 80, dport: 40000, flags: ['SYN', 'ACK'], ttl: 63 }),
    moved: FOLLOW,
  },
  {
    name: "nat: the server's tagged port-unreachable is translated behind its tag",
    input: () => icmpFrame({ srcMac: rsMac(NAT_RS), dstMac: portMac(0), vlan: TCI, src: NAT_RS, dst: CLIENT, type: ICMP.destUnreachable, code: UNREACH.port, body: quote(tcpFrame({ ...c(NAT_RS), dport: 8080, ttl: 63 })) }),
    verdict: 'tx',
    output: () => icmpFrame({ ...toClient, src: NAT, dst: CLIENT, ttl: 63, type: ICMP.destUnreachable, code: UNREACH.port, body: quote(tcpFrame({ ...c(NAT), ttl: 63 })) }),
    moved: { rx_packets: 1, tx_packets: 1, icmp_forwarded: 1 },
  },
  {
    name: 'tunnel: a tagged SYN is encapsulated with the tag kept in front of the outer IPv4 header',
    input: () => tcpFrame(c(TUN)), verdict: 'tx',
    output: () => ipipFrame({ ...out(TUN_RS), src: TUNNEL_SOURCE, dst: TUN_RS }, ipOf(tcpFrame(c(TUN)))),
    moved: NEW,
  },
  {
    name: 'tunnel: a tagged packet too big for MTU 600 with DF gets its frag-needed back behind the same tag',
    input: bigAck, verdict: 'tx',
    output: () => icmpFrame({ ...toClient, src: TUNNEL_SOURCE, dst: CLIENT, id: 0, dontFragment: true, type: ICMP.destUnreachable, code: UNREACH.fragNeeded, rest: 580, body: quote(bigAck()) }),
    moved: { rx_packets: 1, tx_packets: 1, icmp_frag_needed_sent: 1 },
  },
  {
    name: "fullnat: a tagged SYN becomes LIP:40000 (the client's port) -> server behind its tag",
    input: () => tcpFrame(c(FNAT)), verdict: 'tx',
    output: () => tcpFrame({ ...c(FNAT_RS), ...out(FNAT_RS), src: LIP, sport: 40000, dport: 8080, ttl: 63 }),
    moved: { ...NEW, lport_client_port: 1 },
  },
  {
    name: "fullnat: the server's tagged SYN-ACK to LIP:40000 comes back to the client behind its tag",
    input: () => tcpFrame({ srcMac: rsMac(FNAT_RS), dstMac: portMac(0), vlan: TCI, src: FNAT_RS, dst: LIP, sport: 8080, dport: 40000, flags: ['SYN', 'ACK'] }),
    verdict: 'tx',
    output: () => tcpFrame({ ...toClient, src: FNAT, dst: CLIENT, sport: 80, dport: 40000, flags: ['SYN', 'ACK'], ttl: 63 }),
    moved: FOLLOW,
  },
  {
    name: 'a SYN behind VLAN 0 (priority tag only) is processed too',
    input: () => tcpFrame(c(DR, { vlan: 0, sport: 40001 })), verdict: 'tx',
    output: () => tcpFrame({ ...c(DR, { sport: 40001 }), ...out(DR_RS), vlan: 0 }),
    moved: NEW,
  },
];

describe('one 802.1Q tag, every mode (one arm, MTU 600)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());
  runRows(() => lb, rows);
});
