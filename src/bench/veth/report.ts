// src/bench/veth/report.ts — turns `xvs bench veth`'s raw samples (run.ts) into the report:
// per case the median and range of Mpps delivered to the sink over the valid rounds, the ratios
// to io-loop and nft-dnat, notes. A ratio is paired: the median over the rounds of (case in
// round r) / (reference in round r), because these VMs change speed level for tens of seconds
// and the cases of one round run close together; without a common valid round it falls back
// to the ratio of the medians; the targets (xvs-fullnat >= 90 % of io-loop and
// above nft-dnat) as met / missed / not measured; the offered rate, the cores layout and the
// command. Prints it as a table or as one JSON document (DESIGN §6). Pure; main thread and
// unit tests.
import { table } from '../../cli/table.js';
import { DEFAULTS } from '../../config/defaults.js';
import { describeMachine, machineText, type Machine } from '../machine.js';
import { GENERATORS } from './generators/index.js';
import type { CaseName, GeneratorName, VethOptions } from './options.js';
import type { CaseRun } from './run.js';
import { BALANCER_CPU, BENCH_NICE, FRAME_BYTES, GENERATOR_CPU, SINK_NAPI_PRIORITY } from './topology.js';

// Issue 14: xvs-fullnat at least the bare I/O loop's rate, and twice the kernel's best NAT path.
export const VETH_TARGETS = { fullnat_vs_io_loop: 1, fullnat_vs_kernel: 2 } as const;
/** A case that delivers this share of what was sent is limited by the generator, not by itself. */
export const GENERATOR_BOUND_SHARE = 0.9;
/** The kernel doing the balancer's job (a NAT); per round the better of them is "the kernel". */
export const KERNEL_NAT_CASES: readonly CaseName[] = ['nft-dnat', 'nft-flowtable'];

export const coresLayout = (workerFifo: number | undefined, generator: GeneratorName): string =>
  `cpu ${BALANCER_CPU}: the balancer — l0's NAPI thread (threaded NAPI, pinned, SCHED_OTHER nice ${BENCH_NICE}) and the balancer process ` +
  `(xvs: the whole process taskset to it, nice ${BENCH_NICE}; its worker thread ` +
  (workerFifo === undefined
    ? `at xvs's default priority (SCHED_FIFO ${DEFAULTS.worker_priority}): it preempts the NAPI thread when frames arrive`
    : workerFifo > 0
      ? `SCHED_FIFO ${workerFifo} (--worker-fifo): it preempts the NAPI thread when frames arrive`
      : 'SCHED_OTHER (--worker-fifo 0)') +
  ` and sleeps in poll() (need_wakeup) when its ring is empty); kernel cases: the NAPI thread does all the work. ` +
  `cpu ${GENERATOR_CPU}: the generator (${GENERATORS[generator].onCpu}, nice ${BENCH_NICE}) and the sink veth's NAPI thread (XDP count + drop, SCHED_FIFO ${SINK_NAPI_PRIORITY}: it preempts the generator).`;

/** 'generator-bound': missed, but xvs-fullnat's figure may be the generator's (a floor): no verdict. */
export type TargetStatus = 'met' | 'missed' | 'not measured' | 'generator-bound';

export interface VethCaseResult {
  case: CaseName;
  describe: string;
  /** Median over the valid rounds; null when none was valid or the case was skipped. */
  mpps: number | null;
  mpps_min: number | null;
  mpps_max: number | null;
  /** Per round, in round order; null for a void round. */
  rounds_mpps: (number | null)[];
  offered_mpps: number | null;
  /** The figure may be the generator's, not the path's: a floor for the path (markGeneratorBound). */
  generator_bound: boolean;
  ratio_io_loop: number | null;
  ratio_nft_dnat: number | null;
  /** Against the best kernel NAT case of each round (KERNEL_NAT_CASES). */
  ratio_kernel: number | null;
  notes: string;
  skipped?: string;
  error?: string;
}

export interface VethTarget {
  description: string;
  ratio: number | null;
  status: TargetStatus;
}

export interface VethReport {
  cases: VethCaseResult[];
  targets: { fullnat_vs_io_loop: VethTarget; fullnat_vs_kernel: VethTarget };
  /** xvs-fullnat-dpdk over xvs-fullnat, paired per round: the DPDK backend against AF_XDP on the same core. */
  dpdk_vs_afxdp: number | null;
  offered_mpps: number | null;
  generator: GeneratorName;
  frame_bytes: number;
  flows: number;
  rate_pps: number;
  rounds: number;
  seconds: number;
  warmup: number;
  cores: string;
  /** What the figures were measured on (bench/machine.ts). */
  machine: Machine;
  command: string;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

/** Median over the rounds where both have a figure of a[r] / b[r]; else the ratio of the medians. */
export function pairedRatio(a: readonly (number | null)[], b: readonly (number | null)[]): number | null {
  const per: number[] = [];
  for (let r = 0; r < Math.min(a.length, b.length); r++) if (a[r] != null && b[r] != null && b[r] !== 0) per.push(a[r]! / b[r]!);
  if (per.length > 0) return median(per);
  const valid = (xs: readonly (number | null)[]) => xs.filter((x): x is number => x !== null);
  return ratio(median(valid(a)), median(valid(b)));
}

function summarise(run: CaseRun): Omit<VethCaseResult, 'ratio_io_loop' | 'ratio_nft_dnat' | 'ratio_kernel'> {
  const valid = run.samples.filter((s) => s.mpps !== null);
  const mpps = valid.map((s) => s.mpps!);
  const mid = median(mpps);
  // The notes of the round closest to the median: representative counters, not a pile of them.
  const representative = valid.reduce<(typeof valid)[number] | undefined>(
    (best, s) => (best === undefined || Math.abs(s.mpps! - mid!) < Math.abs(best.mpps! - mid!) ? s : best),
    undefined,
  );
  const problems = [...new Set(run.samples.filter((s) => s.problem).map((s) => s.problem!))];
  const notes = [...(representative?.notes ?? [])];
  if (problems.length > 0 && valid.length > 0)
    notes.push(`${run.samples.length - valid.length} of ${run.samples.length} rounds void: ${problems.join('; ')}`);
  const offered = median(run.samples.filter((s) => s.offeredMpps !== null).map((s) => s.offeredMpps!));
  return {
    case: run.case,
    describe: run.describe,
    mpps: mid,
    mpps_min: mpps.length ? Math.min(...mpps) : null,
    mpps_max: mpps.length ? Math.max(...mpps) : null,
    rounds_mpps: run.samples.map((s) => s.mpps),
    offered_mpps: offered,
    generator_bound: false,
    notes: notes.join('; '),
    ...(run.skipped ? { skipped: run.skipped } : {}),
    ...(!run.skipped && valid.length === 0 ? { error: problems.join('; ') || 'no round ran' } : {}),
  };
}

/** Per round, the highest figure of any of the series (null where none has one). */
export function bestPerRound(series: readonly (readonly (number | null)[])[]): (number | null)[] {
  const length = Math.max(0, ...series.map((s) => s.length));
  return Array.from({ length }, (_, r) => {
    const figures = series.map((s) => s[r]).filter((x): x is number => x != null);
    return figures.length ? Math.max(...figures) : null;
  });
}

function target(description: string, value: number | null, pass: (r: number) => boolean, floor: boolean): VethTarget {
  return { description, ratio: value, status: value === null ? 'not measured' : pass(value) ? 'met' : floor ? 'generator-bound' : 'missed' };
}

/**
 * Marks the cases whose figure may be the generator's rather than the path's. A generator that
 * drops what the path cannot take (xdp) offers a fixed load: a case that delivered nearly all of
 * it was limited by it. One that waits for room (dpdk: AF_XDP transmit is back-pressured by the
 * veth ring) offers what the path takes, so "offered" says nothing; there a case at the run's
 * ceiling (nearly the fastest case's figure) may be limited by the generator.
 */
function markGeneratorBound(cases: ReturnType<typeof summarise>[], generator: GeneratorName): void {
  const fastest = Math.max(0, ...cases.map((c) => c.mpps ?? 0));
  const measured = cases.filter((c) => c.mpps !== null).length;
  for (const c of cases) {
    if (c.mpps === null) continue;
    let note: string | undefined;
    if (!GENERATORS[generator].backPressured) {
      if (c.offered_mpps !== null && c.offered_mpps > 0 && c.mpps >= GENERATOR_BOUND_SHARE * c.offered_mpps)
        note = `bound by the generator: ${Math.round((100 * c.mpps) / c.offered_mpps)} % of what it sent arrived`;
    } else if (measured > 1 && c.mpps >= GENERATOR_BOUND_SHARE * fastest) {
      note = `at the run's ceiling (${Math.round((100 * c.mpps) / fastest)} % of the fastest case): the generator may be the limit`;
    }
    if (note === undefined) continue;
    c.generator_bound = true;
    c.notes = c.notes ? `${note}; ${c.notes}` : note;
  }
}

export function buildVethReport(runs: readonly CaseRun[], options: VethOptions, command: string): VethReport {
  const base = runs.map(summarise);
  markGeneratorBound(base, options.generator);
  const rounds = (n: CaseName) => base.find((c) => c.case === n)?.rounds_mpps ?? [];
  const kernelBest = bestPerRound(KERNEL_NAT_CASES.map(rounds));
  const cases = base.map((c) => ({
    ...c,
    ratio_io_loop: c.mpps === null ? null : pairedRatio(c.rounds_mpps, rounds('io-loop')),
    ratio_nft_dnat: c.mpps === null ? null : pairedRatio(c.rounds_mpps, rounds('nft-dnat')),
    ratio_kernel: c.mpps === null ? null : pairedRatio(c.rounds_mpps, kernelBest),
  }));
  const fullnat = cases.find((c) => c.case === 'xvs-fullnat');
  const offered = median(cases.filter((c) => c.offered_mpps !== null).map((c) => c.offered_mpps!));
  return {
    cases,
    targets: {
      fullnat_vs_io_loop: target(
        `xvs-fullnat >= ${VETH_TARGETS.fullnat_vs_io_loop * 100} % of io-loop`,
        fullnat?.ratio_io_loop ?? null,
        (r) => r >= VETH_TARGETS.fullnat_vs_io_loop,
        fullnat?.generator_bound ?? false,
      ),
      fullnat_vs_kernel: target(
        `xvs-fullnat >= ${VETH_TARGETS.fullnat_vs_kernel} x the kernel's best (${KERNEL_NAT_CASES.join(', ')})`,
        fullnat?.ratio_kernel ?? null,
        (r) => r >= VETH_TARGETS.fullnat_vs_kernel,
        fullnat?.generator_bound ?? false,
      ),
    },
    dpdk_vs_afxdp: pairedRatio(rounds('xvs-fullnat-dpdk'), rounds('xvs-fullnat')),
    offered_mpps: offered,
    generator: options.generator,
    frame_bytes: FRAME_BYTES,
    flows: options.flows,
    rate_pps: options.rate,
    rounds: options.rounds,
    seconds: options.seconds,
    warmup: options.warmup,
    cores: coresLayout(options.workerFifo, options.generator),
    machine: describeMachine(),
    command,
  };
}

const fixed = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));
const percent = (v: number | null) => (v === null ? '-' : `${Math.round(v * 100)} %`);

function range(c: VethCaseResult): string {
  return c.mpps_min === null ? '-' : `${fixed(c.mpps_min, 2)}–${fixed(c.mpps_max, 2)}`;
}

function notesCell(c: VethCaseResult): string {
  if (c.skipped) return `skipped: ${c.skipped}`;
  if (c.error) return `error: ${c.error}`;
  return c.notes || '';
}

export function humanVethReport(r: VethReport): string {
  const offered =
    r.rate_pps === 0
      ? `flat out, ${fixed(r.offered_mpps, 2)} Mpps offered (median of all; per case: "offered")`
      : `${r.rate_pps} pps asked, ${fixed(r.offered_mpps, 2)} Mpps offered`;
  const t = (x: VethTarget) => `${x.description}: ${x.status}${x.ratio === null ? '' : ` (${percent(x.ratio)})`}`;
  const lines = [
    `xvs bench veth: ${r.frame_bytes}-byte UDP frames (64 on a wire) from ${r.flows} flows, gen ns -> balancer ns (l0 | l1) -> sink ns, one balancer core`,
    `generator: ${GENERATORS[r.generator].describe}, ${offered}; ${r.rounds} interleaved rounds of ${r.warmup} s warm-up + ${r.seconds} s measured; ` +
      'Mpps = packets/s counted at the sink; median (range) of the rounds; ratios: median of the per-round ratios',
    '',
    table([
      ['case', 'Mpps', 'range', 'vs io-loop', 'vs nft-dnat', 'vs kernel', 'offered', 'notes'],
      ...r.cases.map((c) => [
        c.case,
        fixed(c.mpps, 2),
        range(c),
        percent(c.ratio_io_loop),
        percent(c.ratio_nft_dnat),
        percent(c.ratio_kernel),
        fixed(c.offered_mpps, 2),
        notesCell(c),
      ]),
    ]),
    '',
    `targets: ${t(r.targets.fullnat_vs_io_loop)}; ${t(r.targets.fullnat_vs_kernel)}`,
    `backends: xvs-fullnat-dpdk / xvs-fullnat (DPDK against AF_XDP, same core): ${percent(r.dpdk_vs_afxdp)}` +
      (r.cases.find((c) => c.case === 'xvs-fullnat')?.generator_bound && r.dpdk_vs_afxdp !== null
        ? ' (xvs-fullnat may have been held back by the generator: the DPDK backend is at most this share)'
        : ''),
    `cores: ${r.cores}`,
    `machine: ${machineText(r.machine)}`,
    `command: ${r.command}`,
  ];
  return lines.join('\n') + '\n';
}

export function jsonVethReport(r: VethReport): string {
  return `${JSON.stringify(r)}\n`;
}
