// src/bench/veth/options.ts — `xvs bench veth` options: defaults, limits and validation at the
// edge (each message names the option and its allowed range), and the command line that
// reproduces a run. Pure; used by the CLI (main thread) and the unit tests.

/** Every case, in the order they are run within a round and listed in the report. */
export const CASE_NAMES = ['xvs-fullnat', 'xvs-fullnat-dpdk', 'xvs-dr', 'io-loop', 'nft-dnat', 'nft-flowtable', 'linux-forward', 'xdp-redirect'] as const;
export type CaseName = (typeof CASE_NAMES)[number];

/** Traffic generators (src/bench/veth/generators/): XDP live frames, or dpdk-testpmd txonly. */
export const GENERATOR_NAMES = ['xdp', 'dpdk'] as const;
export type GeneratorName = (typeof GENERATOR_NAMES)[number];
/**
 * dpdk-testpmd's `--txonly-multi-flow` (DPDK 22.11) sends from 256 source addresses (the third
 * octet of the destination's varies), one UDP port: the flow count is the tool's, not ours.
 */
export const DPDK_GENERATOR_FLOWS = 256;

export interface VethOptions {
  rounds: number;
  /** Measured window per case and round, seconds. */
  seconds: number;
  /** Traffic before the window opens, seconds (connections, conntrack, ARP, caches). */
  warmup: number;
  flows: number;
  /** Frames per second offered; 0 = flat out. */
  rate: number;
  cases: CaseName[];
  generator: GeneratorName;
  /**
   * dataplane.worker_priority of the xvs cases (the worker shares the balancer core with l0's
   * NAPI thread): undefined leaves the field out, as a user's minimal config does (xvs's
   * default, DEFAULTS.worker_priority); 0 = SCHED_OTHER.
   */
  workerFifo?: number;
  json: boolean;
}

export const VETH_DEFAULTS = { rounds: 3, seconds: 3, warmup: 1, flows: 1024, rate: 0 } as const;

export const VETH_LIMITS = {
  rounds: [1, 20],
  seconds: [0.5, 60],
  warmup: [0, 30],
  // Source addresses stay in 10.201.128.0/17 (256 ports each); fullnat gets a LIP per 31 744 (FLOWS_PER_LIP).
  flows: [1, 1_048_576],
  rate: [0, 100_000_000],
  'worker-fifo': [0, 99],
} as const;

export class VethOptionError extends Error {}

function checkNumber(name: keyof typeof VETH_LIMITS, value: number, integer: boolean): void {
  const [min, max] = VETH_LIMITS[name];
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value)))
    throw new VethOptionError(`xvs: --${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${value})`);
}

/** "a,b" or ["a", "b"] → case names, in registry order; throws VethOptionError naming the unknown ones. */
export function parseCases(value: string | readonly string[] | undefined): CaseName[] {
  if (value === undefined) return [...CASE_NAMES];
  const words = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((w) => w.trim()).filter(Boolean);
  if (words.length === 0) throw new VethOptionError(`xvs: --cases needs at least one of: ${CASE_NAMES.join(', ')}`);
  const unknown = words.filter((w) => !(CASE_NAMES as readonly string[]).includes(w));
  if (unknown.length > 0) throw new VethOptionError(`xvs: --cases: unknown case ${unknown.join(', ')} (allowed: ${CASE_NAMES.join(', ')})`);
  return CASE_NAMES.filter((c) => words.includes(c));
}

export interface RawVethArgs {
  rounds?: number;
  seconds?: number;
  warmup?: number;
  flows?: number;
  rate?: number;
  cases?: string | string[];
  generator?: string;
  workerFifo?: number;
  json?: boolean;
}

function parseGenerator(value: string | undefined): GeneratorName {
  if (value === undefined) return 'xdp';
  if (!(GENERATOR_NAMES as readonly string[]).includes(value))
    throw new VethOptionError(`xvs: --generator must be one of ${GENERATOR_NAMES.join(', ')} (got ${value})`);
  return value as GeneratorName;
}

/**
 * The dpdk generator sends what dpdk-testpmd txonly sends: flat out, DPDK_GENERATOR_FLOWS flows.
 * Asking it for another rate or flow count is a usage error, not a silently different run.
 */
function checkDpdkGenerator(raw: RawVethArgs): void {
  if (raw.rate !== undefined && raw.rate !== 0)
    throw new VethOptionError('xvs: --rate: the dpdk generator (dpdk-testpmd txonly) sends flat out; leave --rate out, or use --generator xdp');
  if (raw.flows !== undefined && raw.flows !== DPDK_GENERATOR_FLOWS)
    throw new VethOptionError(
      `xvs: --flows: the dpdk generator (dpdk-testpmd --txonly-multi-flow) sends ${DPDK_GENERATOR_FLOWS} flows; leave --flows out, or use --generator xdp`,
    );
}

/** Validates parsed arguments and fills in defaults; throws VethOptionError (a usage error). */
export function validateVethOptions(raw: RawVethArgs): VethOptions {
  const generator = parseGenerator(raw.generator);
  if (generator === 'dpdk') checkDpdkGenerator(raw);
  const o: VethOptions = {
    rounds: raw.rounds ?? VETH_DEFAULTS.rounds,
    seconds: raw.seconds ?? VETH_DEFAULTS.seconds,
    warmup: raw.warmup ?? VETH_DEFAULTS.warmup,
    flows: raw.flows ?? (generator === 'dpdk' ? DPDK_GENERATOR_FLOWS : VETH_DEFAULTS.flows),
    rate: raw.rate ?? VETH_DEFAULTS.rate,
    cases: parseCases(raw.cases),
    generator,
    json: raw.json ?? false,
  };
  if (raw.workerFifo !== undefined) o.workerFifo = raw.workerFifo;
  checkNumber('rounds', o.rounds, true);
  checkNumber('seconds', o.seconds, false);
  checkNumber('warmup', o.warmup, false);
  checkNumber('flows', o.flows, true);
  checkNumber('rate', o.rate, true);
  if (o.workerFifo !== undefined) checkNumber('worker-fifo', o.workerFifo, true);
  return o;
}

/** The command line that reproduces a run with these options. */
export function vethCommandLine(o: VethOptions): string {
  const parts = ['xvs bench veth'];
  if (o.json) parts.push('--json');
  if (o.generator !== 'xdp') parts.push(`--generator ${o.generator}`);
  parts.push(`--rounds ${o.rounds}`, `--seconds ${o.seconds}`, `--warmup ${o.warmup}`, `--flows ${o.flows}`, `--rate ${o.rate}`);
  if (o.workerFifo !== undefined) parts.push(`--worker-fifo ${o.workerFifo}`);
  if (o.cases.length !== CASE_NAMES.length) parts.push(`--cases ${o.cases.join(',')}`);
  return parts.join(' ');
}
