// src/bench/dataplane.ts — `xvs bench dataplane`, TypeScript half. For each case it writes a
// config, loads it with the real loader (parseConfigText), turns it into snapshot bytes with
// the real model and encoder, builds the template frames and calls the addon's benchDataplane,
// which runs lb::process in timed loops on this thread (native/bench/dataplane_bench.h).
// Produces typed results: medians and bests of the repetitions, the copy cost, memory per
// connection; a case the data plane cannot run yet is reported as skipped with the reason,
// never with a figure. Main thread (it blocks while a case runs).
import { DEFAULTS } from '../config/defaults.js';
import { parseConfigText } from '../config/load.js';
import { ConfigError } from '../config/types.js';
import { buildModel } from '../control/worker/model.js';
import { MemNextHops, memPortMac, memServerMac } from '../control/worker/nexthop/mem.js';
import { encodeSnapshot } from '../control/worker/snapshot-encoder.js';
import { StableIds } from '../control/worker/stable-ids.js';
import { benchDataplane, type DataplaneBenchParams, type DataplaneBenchRaw } from '../native/addon.js';
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
const SEED = 1;

export interface DataplaneBenchOptions {
  flows: number;
  packets: number;
  repeat: number;
  cases?: readonly DataplaneCaseName[];
  /** Called before each case starts (progress output). */
  onCase?: (name: DataplaneCaseName) => void;
}

export interface DataplaneCaseResult {
  case: DataplaneCaseName;
  /** What was sent, in a few words. */
  workload: string;
  /** Million packets per second of the median repetition (restore + lb::process); null when not measured. */
  mpps: number | null;
  /** Median repetition, ns per packet, restore + lb::process. */
  ns_per_packet: number | null;
  ns_per_packet_best?: number;
  /** Median repetition of the restore loop alone: subtract it for lb::process by itself. */
  copy_ns_per_packet?: number;
  /** ns_per_packet − copy_ns_per_packet. */
  process_ns_per_packet?: number;
  /** New connections per second (median repetition); new-connection cases only. */
  cps?: number | null;
  cps_best?: number;
  /** SYNs answered with cookies per second (median repetition); the SYN-proxy case only. */
  syns_per_second?: number;
  /** Timed packets per repetition, repetitions, flows in the table (or per batch). */
  packets: number;
  repeat: number;
  flows: number;
  /** Timed packets that came out as tx, over all repetitions (must be packets × repeat). */
  forwarded?: number;
  connections?: number;
  /** Measured while filling this case's table: RSS growth / connections. */
  rss_bytes_per_connection?: number;
  target?: string;
  /** Workers run at once (several: Mpps is their sum, ns_per_packet the per-worker median). */
  workers?: number;
  /** Several workers: Mpps against one worker's, both measured in this case — each repetition
   * runs the workers together, then each alone on its CPU (the others waiting); one worker's
   * rate is the mean of those alone. Median over repetitions. */
  scaling?: number;
  /** Several workers: Mpps of one worker alone (the mean over their CPUs, median repetition). */
  mpps_alone?: number;
  /** Why there is no figure: the data plane does not implement this yet. */
  skipped?: string;
  /** Why there is no figure: the run failed (the data path did not forward, or an error). */
  error?: string;
}

export interface DataplaneBenchReport {
  cases: DataplaneCaseResult[];
  /** The connection table's arrays per connection (both directions in one lb::Conn). */
  bytes_per_connection: number | null;
  /** RSS growth per connection while building and filling the fullnat-established table. */
  rss_bytes_per_connection: number | null;
  flows: number;
  packets: number;
  repeat: number;
  conn_table_size: number;
}

interface CaseSpec {
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

const CASES: Record<DataplaneCaseName, CaseSpec> = {
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
    target: `target ≤ ${TARGETS.ipv6_over_ipv4} × fullnat-established`,
  },
  'fullnat-new-ipv6': {
    mode: 'fullnat', ipv6: true, workload: 'new', replies: false, synProxy: 'off',
    describe: 'fullnat-new over IPv6',
    target: `target ≥ ${(1 / TARGETS.ipv6_over_ipv4).toFixed(2)} × fullnat-new`,
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
export function lipAddress(k: number): string {
  return `10.1.${Math.floor(k / 250)}.${(k % 250) + 1}`;
}

/** The IPv6 cases' addresses: flows and LIPs differ only in the last 32 bits (as the native loop patches them). */
const VIP6 = '2001:db8:100::10';
const CLIENT6 = '2001:db8:c::7';
const SERVERS6 = ['2001:db8:2::11', '2001:db8:2::12', '2001:db8:2::13', '2001:db8:2::14'];
export function lip6Address(k: number): string {
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

function snapshotFor(spec: CaseSpec, flows: number, connTableSize: number): Uint8Array {
  const config = parseConfigText(caseConfig(spec.mode, flows, connTableSize, spec.synProxy, spec.ipv6, spec.nat64),
    `xvs-bench-${spec.mode}.json`);
  const model = buildModel(config, 1n, new MemNextHops(config.dataplane.interfaces.length), new StableIds());
  return encodeSnapshot(model);
}

function templates(spec: CaseSpec): DataplaneBenchParams['templates'] {
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

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (v: number, digits = 2): number => Number(v.toFixed(digits));

function figures(name: DataplaneCaseName, spec: CaseSpec, raw: DataplaneBenchRaw, base: DataplaneCaseResult): DataplaneCaseResult {
  if (raw.problem) return { ...base, error: `the data path did not forward every packet: ${raw.problem}` };
  if ((spec.workers ?? 1) > 1) {
    // Each repetition's workers ran at the same time: their rates add up.
    const repetitions = raw.workerNsPerPacket[0]?.length ?? 0;
    const mpps = Array.from({ length: repetitions }, (_, r) => raw.workerNsPerPacket.reduce((sum, w) => sum + 1e3 / w[r]!, 0));
    const perWorker = median(raw.workerNsPerPacket.flat());
    // One worker's rate: each alone on its CPU, averaged over the CPUs (they differ on shared VMs).
    const workers = raw.workerAloneNsPerPacket ?? [];
    const alone = Array.from({ length: repetitions }, (_, r) =>
      workers.length === 0 ? NaN : workers.reduce((sum, w) => sum + 1e3 / w[r]!, 0) / workers.length);
    const scaling = median(alone.map((a, r) => mpps[r]! / a));
    return {
      ...base,
      workers: spec.workers!,
      ...(Number.isFinite(scaling) ? { scaling: round(scaling, 2), mpps_alone: round(median(alone), 3) } : {}),
      mpps: round(median(mpps), 3),
      ns_per_packet: round(perWorker, 1),
      ns_per_packet_best: round(Math.min(...raw.workerNsPerPacket.flat()), 1),
      forwarded: raw.verdicts.tx,
      connections: raw.connections,
    };
  }
  const ns = median(raw.nsPerPacket);
  const copy = median(raw.copyNsPerPacket);
  const out: DataplaneCaseResult = {
    ...base,
    mpps: round(1e3 / ns, 3),
    ns_per_packet: round(ns, 1),
    ns_per_packet_best: round(Math.min(...raw.nsPerPacket), 1),
    copy_ns_per_packet: round(copy, 1),
    process_ns_per_packet: round(ns - copy, 1),
    forwarded: raw.verdicts.tx,
    connections: raw.connections,
  };
  if (spec.workload === 'cookies') out.syns_per_second = Math.round(1e9 / ns);  // all answered, none stored (checked natively)
  if (spec.workload === 'new') {
    // Every timed SYN created one connection (checked natively: otherwise `problem` is set).
    out.cps = Math.round(1e9 / ns);
    out.cps_best = Math.round(1e9 / Math.min(...raw.nsPerPacket));
  }
  if (raw.rss.filled > 0 && raw.connections > 0 && name === 'fullnat-established')
    out.rss_bytes_per_connection = round((raw.rss.filled - raw.rss.before) / raw.connections, 1);
  return out;
}

/** The native entry point; tests substitute it to exercise skipped and failed cases. */
export type BenchFunction = typeof benchDataplane;

function runCase(name: DataplaneCaseName, options: DataplaneBenchOptions, connTableSize: number, bench: BenchFunction): {
  result: DataplaneCaseResult;
  raw?: DataplaneBenchRaw;
} {
  const spec = CASES[name];
  const base: DataplaneCaseResult = {
    case: name,
    workload: spec.describe,
    mpps: null,
    ns_per_packet: null,
    ...(spec.workload === 'new' ? { cps: null } : {}),
    packets: options.packets,
    repeat: options.repeat,
    flows: options.flows,
    ...(spec.target ? { target: spec.target } : {}),
  };
  let raw: DataplaneBenchRaw;
  try {
    raw = bench(snapshotFor(spec, options.flows, connTableSize), {
      workload: spec.workload,
      connTableSize,
      flows: options.flows,
      packets: options.packets,
      repeat: options.repeat,
      seed: SEED,
      replies: spec.replies,
      ...(spec.workers ? { workers: spec.workers } : {}),
      templates: templates(spec),
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'XVS_ENOTSUP') return { result: { ...base, skipped: e.message } };
    if (err instanceof ConfigError) return { result: { ...base, error: `config rejected: ${e.message}` } };
    if (e.code === 'XVS_NO_ADDON' || e.code === 'XVS_EINVAL') throw err;
    return { result: { ...base, error: `${e.message}${e.code ? ` (${e.code})` : ''}` } };
  }
  return { result: figures(name, spec, raw, base), raw };
}

/** Runs the cases in order (fullnat-established first: its RSS figure wants a fresh process). */
export function runDataplaneBench(options: DataplaneBenchOptions, bench: BenchFunction = benchDataplane): DataplaneBenchReport {
  const connTableSize = Math.max(1024, options.flows);
  const report: DataplaneBenchReport = {
    cases: [],
    bytes_per_connection: null,
    rss_bytes_per_connection: null,
    flows: options.flows,
    packets: options.packets,
    repeat: options.repeat,
    conn_table_size: connTableSize,
  };
  for (const name of options.cases ?? DATAPLANE_CASES) {
    options.onCase?.(name);
    const { result, raw } = runCase(name, options, connTableSize, bench);
    report.cases.push(result);
    if (raw && report.bytes_per_connection === null) report.bytes_per_connection = raw.bytesPerConnection;
    if (result.rss_bytes_per_connection !== undefined) report.rss_bytes_per_connection = result.rss_bytes_per_connection;
  }
  return report;
}
