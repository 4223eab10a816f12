// test/packet/ipv6.test.ts — IPv6 services from a config file through the real addon on io/mem
// (validation, model, snapshot encoder, decoder, packet path), exact frames in and out: fullnat
// through an IPv6 local-address pool (both directions), nat over UDP, dr, tunnel (ip6ip6 from
// dataplane.tunnel_source6), persistence by prefix length, and an IPv4 service of the same file
// beside them. Expected frames are built by
// test/support/packets6.ts.
import { after, before, describe } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame, type TcpFlag } from '../support/packets.js';
import { ip6Of, ip6ip6Frame, tcp6Frame, udp6Frame, type Tcp6Spec } from '../support/packets6.js';
import { CLIENT, CLIENT_MAC, LIP, VIP, portMac, rsMac, runRows, type Row } from '../support/rows.js';

const CLIENT6 = '2001:db8:c::7';
const CLIENT6_SAME_64 = '2001:db8:c::ffff:1';
const CLIENT6_OTHER_64 = '2001:db8:d::7';
const VIP6 = '2001:db8:100::10';
const VIP6_NAT = '2001:db8:100::20';
const VIP6_DR = '2001:db8:100::30';
const VIP6_TUNNEL = '2001:db8:100::40';
const TUNNEL_SOURCE6 = 'fd00:2::1';
const LIP6 = 'fd00:2::100';
const RS6 = ['fd00:2::11', 'fd00:2::12'] as const;
const RS4 = '10.0.2.11';

const config = `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], local_port_range: [1024, 65535], tunnel_source6: ${TUNNEL_SOURCE6} }
local_address_pools: { lan6: [${LIP6}], lan: [${LIP}] }
services:
  - { name: web6, vip: ${VIP6}, port: 80, forwarding: fullnat, local_address_pool: lan6, scheduler: rr,
      servers: [{ address: ${RS6[0]}, port: 8080 }, { address: ${RS6[1]}, port: 8080 }] }
  - { name: dns6, vip: ${VIP6_NAT}, port: 53, protocol: udp, forwarding: nat, scheduler: rr,
      servers: [{ address: ${RS6[0]}, port: 5353 }] }
  - { name: sticky6, vip: ${VIP6_NAT}, port: 443, forwarding: nat, scheduler: rr, persistence: { timeout: 300, netmask: 64 },
      servers: [{ address: ${RS6[0]}, port: 443 }, { address: ${RS6[1]}, port: 443 }] }
  - { name: dr6, vip: ${VIP6_DR}, port: 80, forwarding: dr, scheduler: rr, servers: [{ address: ${RS6[1]}, port: 80 }] }
  - { name: tunnel6, vip: ${VIP6_TUNNEL}, port: 80, forwarding: tunnel, scheduler: rr, servers: [{ address: ${RS6[0]}, port: 80 }] }
  - { name: web4, vip: ${VIP}, port: 80, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      servers: [{ address: ${RS4}, port: 8080 }] }
`;

const NEW = { rx_packets: 1, tx_packets: 1, conn_created: 1 };
const NEW_OWN_PORT = { ...NEW, lport_client_port: 1 };
const FORWARDED = { rx_packets: 1, tx_packets: 1 };

const fromClient = (flags: TcpFlag[], over: Partial<Tcp6Spec> = {}): Tcp6Spec => ({
  srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT6, dst: VIP6, sport: 40000, dport: 80, flags,
  payload: Buffer.from('hello'), flowLabel: 0x12345, ...over,
});
const toServer = (spec: Tcp6Spec, server: string, over: Partial<Tcp6Spec> = {}): Tcp6Spec => ({
  ...spec, srcMac: portMac(0), dstMac: rsMac(server), hopLimit: (spec.hopLimit ?? 64) - 1, ...over,
});

const rows: Row[] = [
  {
    name: 'fullnat: a SYN to the IPv6 VIP leaves from the IPv6 LIP on the client\'s own port, hop limit 63',
    input: () => tcp6Frame(fromClient(['SYN'])),
    verdict: 'tx',
    output: () => tcp6Frame(toServer(fromClient(['SYN']), RS6[0], { src: LIP6, dst: RS6[0], dport: 8080 })),
    moved: NEW_OWN_PORT,
  },
  {
    name: 'fullnat: the server\'s SYN-ACK to the LIP goes back to the client from the VIP',
    input: () => tcp6Frame({ srcMac: rsMac(RS6[0]), dstMac: portMac(0), src: RS6[0], dst: LIP6, sport: 8080, dport: 40000, flags: ['SYN', 'ACK'] }),
    verdict: 'tx',
    output: () => tcp6Frame({ srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP6, dst: CLIENT6, sport: 80, dport: 40000, flags: ['SYN', 'ACK'], hopLimit: 63 }),
    moved: FORWARDED,
  },
  {
    name: 'fullnat: the client\'s next segment follows its connection (rr would have moved on)',
    input: () => tcp6Frame(fromClient(['ACK'], { seq: 1001, ack: 1 })),
    verdict: 'tx',
    output: () => tcp6Frame(toServer(fromClient(['ACK'], { seq: 1001, ack: 1 }), RS6[0], { src: LIP6, dst: RS6[0], dport: 8080 })),
    moved: FORWARDED,
  },
  {
    name: 'fullnat: a second client port goes to the next server (rr)',
    input: () => tcp6Frame(fromClient(['SYN'], { sport: 40001 })),
    verdict: 'tx',
    output: () => tcp6Frame(toServer(fromClient(['SYN'], { sport: 40001 }), RS6[1], { src: LIP6, dst: RS6[1], dport: 8080 })),
    moved: NEW_OWN_PORT,
  },
  {
    name: 'nat: a UDP datagram keeps the client\'s address, the reply comes from the VIP',
    input: () => udp6Frame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT6, dst: VIP6_NAT, sport: 5000, dport: 53, payload: Buffer.from('query') }),
    verdict: 'tx',
    output: () => udp6Frame({ srcMac: portMac(0), dstMac: rsMac(RS6[0]), src: CLIENT6, dst: RS6[0], sport: 5000, dport: 5353, hopLimit: 63, payload: Buffer.from('query') }),
    moved: NEW,
  },
  {
    name: 'nat: the server\'s answer to the client',
    input: () => udp6Frame({ srcMac: rsMac(RS6[0]), dstMac: portMac(0), src: RS6[0], dst: CLIENT6, sport: 5353, dport: 5000, payload: Buffer.from('answer') }),
    verdict: 'tx',
    output: () => udp6Frame({ srcMac: portMac(0), dstMac: CLIENT_MAC, src: VIP6_NAT, dst: CLIENT6, sport: 53, dport: 5000, hopLimit: 63, payload: Buffer.from('answer') }),
    moved: FORWARDED,
  },
  ...(
    [
      [CLIENT6, 41000, RS6[0], 'the first client of a /64 is scheduled (rr)', NEW],
      [CLIENT6_SAME_64, 41001, RS6[0], 'another address of the same /64 gets the same server (persistence, netmask 64)', { ...NEW, persistence_hits: 1 }],
      [CLIENT6_OTHER_64, 41002, RS6[1], 'an address of another /64 is scheduled anew (rr moves on)', NEW],
    ] as const
  ).map(([client, sport, server, what, moved]): Row => ({
    name: `persistence: ${what}`,
    input: () => tcp6Frame(fromClient(['SYN'], { src: client, dst: VIP6_NAT, sport, dport: 443 })),
    verdict: 'tx',
    output: () => tcp6Frame(toServer(fromClient(['SYN'], { src: client, dst: VIP6_NAT, sport, dport: 443 }), server, { dst: server })),
    moved,
  })),
  {
    name: 'dr: only the MACs change; the hop limit stays',
    input: () => tcp6Frame(fromClient(['SYN'], { dst: VIP6_DR, sport: 42000, hopLimit: 1 })),
    verdict: 'tx',
    output: () => tcp6Frame({ ...fromClient(['SYN'], { dst: VIP6_DR, sport: 42000, hopLimit: 1 }), srcMac: portMac(0), dstMac: rsMac(RS6[1]) }),
    moved: NEW,
  },
  {
    name: 'tunnel: ip6ip6 from dataplane.tunnel_source6 (mem ports have no address of their own), the inner packet untouched',
    input: () => tcp6Frame(fromClient(['SYN'], { dst: VIP6_TUNNEL, sport: 42001 })),
    verdict: 'tx',
    output: () =>
      ip6ip6Frame({ srcMac: portMac(0), dstMac: rsMac(RS6[0]) }, TUNNEL_SOURCE6, RS6[0], ip6Of(tcp6Frame(fromClient(['SYN'], { dst: VIP6_TUNNEL, sport: 42001 })))),
    moved: NEW,
  },
  {
    name: 'a UDP datagram to a VIP with a zero checksum, which IPv6 forbids, is dropped as drop_ipv6_udp_zero_checksum',
    input: () => udp6Frame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT6, dst: VIP6_NAT, sport: 5001, dport: 53, zeroChecksum: true }),
    verdict: 'drop',
    moved: { rx_packets: 1, drop_ipv6_udp_zero_checksum: 1 },
  },
  {
    name: 'fullnat: hop limit 1 is not forwarded by a routed hop',
    input: () => tcp6Frame(fromClient(['SYN'], { sport: 43000, hopLimit: 1 })),
    verdict: 'drop',
    moved: { rx_packets: 1, drop_ttl_expired: 1 },
  },
  {
    name: 'the IPv4 service of the same file is unaffected',
    input: () => tcpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: ['SYN'] }),
    verdict: 'tx',
    output: () => tcpFrame({ srcMac: portMac(0), dstMac: rsMac(RS4), src: LIP, dst: RS4, sport: 40000, dport: 8080, flags: ['SYN'], ttl: 63 }),
    moved: NEW_OWN_PORT,
  },
];

describe('IPv6 services from a config file (io/mem, one arm)', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());
  runRows(() => lb, rows);
});
