// src/bench/dataplane.ts — `xvs bench dataplane`, TypeScript half. For each case
// (dataplane-cases.ts: its config through the real loader, model and encoder, and its template
// frames) it calls the addon's benchDataplane, which runs lb::process in timed loops on this
// thread (native/bench/dataplane_bench.h). Produces typed results: medians and bests of the
// repetitions, the copy cost, memory per connection, and each IPv6 case's ratio to its IPv4
// counterpart from interleaved rounds; a case the data plane cannot run yet is reported as
// skipped with the reason, never with a figure. Main thread (it blocks while a case runs).
import { ConfigError } from '../config/types.js';
import { benchDataplane, type DataplaneBenchRaw } from '../native/addon.js';
import {
  CASES,
  DATAPLANE_CASES,
  IPV6_COUNTERPARTS,
  snapshotFor,
  templates,
  type CaseSpec,
  type DataplaneCaseName,
} from './dataplane-cases.js';
import { describeMachine, type Machine } from './machine.js';

export {
  DATAPLANE_CASES,
  IPV6_COUNTERPARTS,
  MAX_FLOWS,
  TARGETS,
  caseConfig,
  lipsFor,
  type DataplaneCaseName,
} from './dataplane-cases.js';

const SEED = 1;

export interface DataplaneBenchOptions {
  flows: number;
  packets: number;
  repeat: number;
  cases?: readonly DataplaneCaseName[];
  /** Rounds of each IPv6 case against its IPv4 counterpart (both selected) after the cases:
   * IPv4, IPv6, IPv6, IPv4, so that both meet the same minute of the machine; 0 or absent: none. */
  rounds?: number;
  /** Called before each case starts (progress output). */
  onCase?: (name: DataplaneCaseName) => void;
}

/** An IPv6 case against its IPv4 counterpart, from interleaved rounds (DataplaneBenchOptions.rounds). */
export interface Ipv4Ratio {
  against: DataplaneCaseName;
  /** Per round: the IPv6 runs' ns/packet over the IPv4 runs' (each run its best repetition). */
  median: number;
  min: number;
  max: number;
  rounds: number;
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
  /** IPv6 cases, with rounds: ns/packet against the IPv4 counterpart's, measured interleaved. */
  ipv4_ratio?: Ipv4Ratio;
  /** Why the rounds gave no ipv4_ratio: a run in them that failed or was skipped. */
  ipv4_ratio_error?: string;
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
  /** DataplaneBenchOptions.rounds (0: none). */
  rounds: number;
  conn_table_size: number;
  /** What the figures were measured on, and which SipHash batch (core/siphash_batch.h) the data
   * path used there: null when no case ran. */
  machine: Machine & { hash_batch: string | null };
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
    rounds: options.rounds ?? 0,
    conn_table_size: connTableSize,
    machine: { ...describeMachine(), hash_batch: null },
  };
  for (const name of options.cases ?? DATAPLANE_CASES) {
    options.onCase?.(name);
    const { result, raw } = runCase(name, options, connTableSize, bench);
    report.cases.push(result);
    if (raw && report.bytes_per_connection === null) report.bytes_per_connection = raw.bytesPerConnection;
    if (raw && report.machine.hash_batch === null) report.machine.hash_batch = raw.hashBatch ?? null;  // an addon older than the field has none
    if (result.rss_bytes_per_connection !== undefined) report.rss_bytes_per_connection = result.rss_bytes_per_connection;
  }
  for (const result of report.cases) {
    const ratio = ipv4Ratio(result, report.cases, options, connTableSize, bench);
    if (ratio && 'error' in ratio) result.ipv4_ratio_error = ratio.error;
    else if (ratio) result.ipv4_ratio = ratio;
  }
  return report;
}

/** The rounds of `ipv6` against its IPv4 counterpart: undefined when none are asked for or
 * either case has no figure from the cases' run. A run without a figure ends the rounds (at 1 M
 * flows each run costs a table fill) and is the answer, with its reason. Only figures of one
 * round compare: this VM's speed moves by up to 1.7 × between minutes. */
function ipv4Ratio(ipv6: DataplaneCaseResult, measured: readonly DataplaneCaseResult[], options: DataplaneBenchOptions,
  connTableSize: number, bench: BenchFunction): Ipv4Ratio | { error: string } | undefined {
  const against = IPV6_COUNTERPARTS[ipv6.case];
  const rounds = options.rounds ?? 0;
  if (!against || !Number.isInteger(rounds) || rounds < 1 || ipv6.ns_per_packet === null) return undefined;
  if ((measured.find((c) => c.case === against)?.ns_per_packet ?? null) === null) return undefined;
  // A run's best repetition, unrounded (the ratios' ranges are as narrow as 0.1 ns in 40), or why it has none.
  const best = (name: DataplaneCaseName): number | string => {
    options.onCase?.(name);
    const { result, raw } = runCase(name, options, connTableSize, bench);
    if (result.ns_per_packet === null || !raw) return `${name}: ${result.error ?? result.skipped ?? 'no figure'}`;
    return Math.min(...raw.nsPerPacket);
  };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; ++r) {
    const runs: number[] = [];
    for (const name of [against, ipv6.case, ipv6.case, against]) {
      const ns = best(name);
      if (typeof ns === 'string') return { error: `round ${r + 1} of ${rounds}: ${ns}` };
      runs.push(ns);
    }
    const [a1, b1, b2, a2] = runs as [number, number, number, number];
    ratios.push((b1 + b2) / (a1 + a2));
  }
  return { against, median: round(median(ratios), 3), min: round(Math.min(...ratios), 3), max: round(Math.max(...ratios), 3), rounds };
}
