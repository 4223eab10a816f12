// src/bench/dataplane-cases.ts — the cases of `xvs bench dataplane`: their names, targets and
// what each one runs (mode, family, workload), and what a case gives the addon: a config as a
// user would write it, loaded and encoded by the real loader, model and encoder into snapshot
// bytes, and the template frames. Main thread, once per run of a case (the cases', then each round's).
import { DEFAULTS } from '../config/defaults.js';
import { parseConfigText } from '../config/load.js';
import { buildModel } from '../control/worker/model.js';
import { MemNextHops, memPortMac, memServerMac } from '../control/worker/nexthop/mem.js';
import { encodeSnapshot } from '../control/worker/snapshot-encoder.js';
import { StableIds } from '../control/worker/stable-ids.js';
import type { DataplaneBenchParams } from '../native/addon.js';
import { tcp6Frame, tcpFrame } from './frames.js';

export const DATAPLANE_CASES = [
  'fullnat-established', 'fullnat-established-2w', 'fullnat-new', 'fullnat-syn-proxy', 'dr-established', 'tunnel-established',
  'fullnat-established-ipv6', 'fullnat-new-ipv6', 'fullnat-established-nat64',
] as const;
export type DataplaneCaseName = (typeof DATAPLANE_CASES)[number];

/** Targets on the reference machine: printed beside the figures, never asserted. */
export const TARGETS = {
  // At 1 M connections (issue 14; 60 before it).
  established_ns_per_packet: 40,
  // Two workers, each on its own CPU and table, against one (issue 14).
  two_worker_scaling: 1.9,
  new_cps: 3_000_000,
  bytes_per_connection: 160,
  // An IPv6 case against its IPv4 counterpart, per packet (issue 18).
  ipv6_over_ipv4: 1.1,
} as const;

/** Local ports one LIP gives one worker: the default local_port_range, as a user gets it. */
export const PORTS_PER_LIP = DEFAULTS.local_port_range[1] - DEFAULTS.local_port_range[0] + 1;
/** The largest --flows: the LIPs a snapshot may hold, and memory of the visit order. */
export const MAX_FLOWS = 1 << 24;

/** Each IPv6 case and the IPv4 case it is held against (TARGETS.ipv6_over_ipv4). */
export const IPV6_COUNTERPARTS: Partial<Record<DataplaneCaseName, DataplaneCaseName>> = {
  'fullnat-established-ipv6': 'fullnat-established',
  'fullnat-new-ipv6': 'fullnat-new',
};
const ipv6Target = (name: DataplaneCaseName): string =>
  `target ≤ ${TARGETS.ipv6_over_ipv4} × ${IPV6_COUNTERPARTS[name]} per packet`;

export interface CaseSpec {
  mode: 'fullnat' | 'dr' | 'tunnel';
  /** IPv6 clients, VIP, servers and LIPs instead of IPv4 ones. */
  ipv6?: boolean;
  /** With ipv6: the servers and LIPs stay IPv4 (NAT64). */
  nat64?: boolean;
  workload: 'established' | 'new' | 'cookies';
  replies: boolean;
  /** syn_proxy of the case's service: 'off' where SYN-only traffic must create connections (to auto it is a flood). */
  synProxy?: 'on' | 'off';
  /** Threads at once, one per CPU, each its own table; default 1. */
  workers?: number;
  describe: string;
  target?: string;
}

export const CASES: Readonly<Record<DataplaneCaseName, Readonly<CaseSpec>>> = {
  'fullnat-established': {
    mode: 'fullnat', workload: 'established', replies: true, synProxy: 'off',
    describe: 'ACKs of established flows, both directions, shuffled',
    target: `target ≤ ${TARGETS.established_ns_per_packet} ns/packet`,
  },
  'fullnat-established-2w': {
    mode: 'fullnat', workload: 'established', replies: true, synProxy: 'off', workers: 2,
    describe: 'the same on two workers at once, one per CPU, each its own table of --flows connections',
    target: `target ≥ ${TARGETS.two_worker_scaling} × one worker`,
  },
  'fullnat-new': {
    mode: 'fullnat', workload: 'new', replies: false, synProxy: 'off',
    describe: 'SYNs, each creating a connection (syn_proxy: off: to auto, SYNs alone are a flood)',
    target: `target ≥ ${TARGETS.new_cps / 1e6} M conn/s`,
  },
  'fullnat-syn-proxy': {
    mode: 'fullnat', workload: 'cookies', replies: false, synProxy: 'on',
    describe: 'SYNs to a syn_proxy: on service, each answered with a cookie SYN-ACK (a SYN flood)',
  },
  // dr and tunnel replies go from the server to the client directly: client side only.
  'dr-established': { mode: 'dr', workload: 'established', replies: false, describe: 'ACKs of established flows, client side, shuffled' },
  'tunnel-established': { mode: 'tunnel', workload: 'established', replies: false, describe: 'ACKs of established flows, client side, shuffled' },
  'fullnat-established-ipv6': {
    mode: 'fullnat', ipv6: true, workload: 'established', replies: true, synProxy: 'off',
    describe: 'fullnat-established over IPv6 (an IPv6 VIP, servers and LIPs)',
    target: ipv6Target('fullnat-established-ipv6'),
  },
  'fullnat-new-ipv6': {
    mode: 'fullnat', ipv6: true, workload: 'new', replies: false, synProxy: 'off',
    describe: 'fullnat-new over IPv6',
    target: ipv6Target('fullnat-new-ipv6'),
  },
  'fullnat-established-nat64': {
    mode: 'fullnat', ipv6: true, nat64: true, workload: 'established', replies: true, synProxy: 'off',
    describe: 'fullnat-established from IPv6 clients to IPv4 servers (an IPv6 VIP, IPv4 servers and LIPs: NAT64)',
  },
};

const VIP = '203.0.113.10';
const CLIENT = '198.51.100.7';
const CLIENT_MAC = Uint8Array.from([0x02, 0xcc, 0, 0, 0, 7]);
const SERVERS = ['10.0.2.11', '10.0.2.12', '10.0.2.13', '10.0.2.14'];
const TUNNEL_SOURCE = '10.0.2.1';

/** k-th local address: 10.1.0.1, 10.1.0.2, ... (250 per /24). */
function lipAddress(k: number): string {
  return `10.1.${Math.floor(k / 250)}.${(k % 250) + 1}`;
}

/** The IPv6 cases' addresses: flows and LIPs differ only in the last 32 bits (as the native loop patches them). */
const VIP6 = '2001:db8:100::10';
const CLIENT6 = '2001:db8:c::7';
const SERVERS6 = ['2001:db8:2::11', '2001:db8:2::12', '2001:db8:2::13', '2001:db8:2::14'];
function lip6Address(k: number): string {
  return `2001:db8:1::${(k + 1).toString(16)}`;
}

export function lipsFor(flows: number): number {
  return Math.max(1, Math.ceil(flows / PORTS_PER_LIP));
}

/** The config of a case, as a user would write it (JSON is YAML too). */
export function caseConfig(mode: CaseSpec['mode'], flows: number, connTableSize: number, synProxy?: 'on' | 'off', ipv6 = false,
  nat64 = false): string {
  const fullnat = mode === 'fullnat';
  const serversIpv6 = ipv6 && !nat64;
  const lips = Array.from({ length: lipsFor(flows) }, (_, k) => (serversIpv6 ? lip6Address(k) : lipAddress(k)));
  const config = {
    dataplane: {
      backend: 'mem',
      workers: 1,
      interfaces: ['mem0'],
      conn_table_size: connTableSize,
      ...(mode === 'tunnel' ? { tunnel_source: TUNNEL_SOURCE } : {}),
    },
    ...(fullnat ? { local_address_pools: { lan: lips } } : {}),
    services: [
      {
        name: `bench-${mode}`,
        vip: ipv6 ? VIP6 : VIP,
        port: 80,
        protocol: 'tcp',
        scheduler: 'rr',
        forwarding: mode,
        ...(fullnat ? { local_address_pool: 'lan' } : {}),
        ...(synProxy ? { syn_proxy: synProxy } : {}),
        servers: (serversIpv6 ? SERVERS6 : SERVERS).map((address) => ({ address, port: fullnat ? 8080 : 80 })),
      },
    ],
  };
  return JSON.stringify(config, null, 2);
}

export function snapshotFor(spec: CaseSpec, flows: number, connTableSize: number): Uint8Array {
  const config = parseConfigText(caseConfig(spec.mode, flows, connTableSize, spec.synProxy, spec.ipv6, spec.nat64),
    `xvs-bench-${spec.mode}.json`);
  const model = buildModel(config, 1n, new MemNextHops(config.dataplane.interfaces.length), new StableIds());
  return encodeSnapshot(model);
}

export function templates(spec: CaseSpec): DataplaneBenchParams['templates'] {
  const portMac = memPortMac(0);
  const client = spec.ipv6
    ? { srcMac: CLIENT_MAC, dstMac: portMac, src: CLIENT6, dst: VIP6, sport: 40000, dport: 80 }
    : { srcMac: CLIENT_MAC, dstMac: portMac, src: CLIENT, dst: VIP, sport: 40000, dport: 80 };
  const clientFrame = spec.ipv6 ? tcp6Frame : tcpFrame;
  const serversIpv6 = spec.ipv6 === true && spec.nat64 !== true;
  const server = serversIpv6 ? SERVERS6[0]! : SERVERS[0]!;
  return {
    syn: clientFrame({ ...client, flags: ['SYN'] }),
    ack: clientFrame({ ...client, flags: ['ACK'] }),
    // Addresses and ports are replaced per flow by the reverse of what its SYN became.
    reply: (serversIpv6 ? tcp6Frame : tcpFrame)({
      srcMac: memServerMac(server), dstMac: portMac, src: server, dst: serversIpv6 ? lip6Address(0) : lipAddress(0),
      sport: spec.mode === 'fullnat' ? 8080 : 80, dport: 1024, flags: ['ACK'],
    }),
  };
}
