// src/cli/commands/bench-latency.ts — `xvs bench latency`: the request time of a closed-loop
// HTTP client through a Full-NAT VIP, xvs (fast path on and off) and the kernel (nftables DNAT
// + SNAT) interleaved on the demo topology (src/bench/latency/run.ts), with issue 14's targets:
// xvs's median at most the kernel's + 0.1 ms, its p99 at most twice the kernel's. A table, or one
// JSON document with --json (DESIGN §6), ending with the command. Main thread; needs root.
// Prints figures, asserts nothing.
import { LATENCY_CASES, runLatencyBench, type LatencyCase, type LatencyRound } from '../../bench/latency/run.js';
import { median } from '../../bench/veth/report.js';
import { netnsUnavailable } from '../../netns/lab.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_RUNTIME } from '../errors.js';
import { checkIntegerOptions } from '../integer-options.js';
import { table } from '../table.js';

interface LatencyArgs {
  rounds: number;
  seconds: number;
  json: boolean;
}

const LIMITS = { rounds: [1, 20], seconds: [2, 600] } as const;
export const LATENCY_TARGETS = { p50_added_ms: 0.1, p99_ratio: 2 } as const;

export function latencyCommandLine(a: Omit<LatencyArgs, 'json'>): string {
  return `sudo node bin/xvs.js bench latency --rounds ${a.rounds} --seconds ${a.seconds}`;
}

export interface LatencyVerdicts {
  /** Medians over the rounds of each case's p50 and p99, ms. */
  medians: Record<LatencyCase, { p50: number | null; p99: number | null }>;
  targets: { p50: string; p99: string };
}

export function judgeLatency(rounds: readonly LatencyRound[]): LatencyVerdicts {
  const of = (c: LatencyCase, k: 'p50' | 'p99') => median(rounds.filter((r) => r.case === c && r.summary.requests > 0).map((r) => r.summary[k]));
  const medians = Object.fromEntries(LATENCY_CASES.map((c) => [c, { p50: of(c, 'p50'), p99: of(c, 'p99') }])) as LatencyVerdicts['medians'];
  const { xvs, kernel } = medians;
  const verdict = (ok: boolean | null, text: string) => `${ok === null ? 'not measured' : ok ? 'met' : 'missed'} (${text})`;
  const p50ok = xvs.p50 === null || kernel.p50 === null ? null : xvs.p50 <= kernel.p50 + LATENCY_TARGETS.p50_added_ms;
  const p99ok = xvs.p99 === null || kernel.p99 === null ? null : xvs.p99 <= LATENCY_TARGETS.p99_ratio * kernel.p99;
  const ms = (v: number | null) => (v === null ? '-' : v.toFixed(3));
  return {
    medians,
    targets: {
      p50: verdict(p50ok, `xvs p50 ${ms(xvs.p50)} ms <= kernel p50 ${ms(kernel.p50)} + ${LATENCY_TARGETS.p50_added_ms} ms`),
      p99: verdict(p99ok, `xvs p99 ${ms(xvs.p99)} ms <= ${LATENCY_TARGETS.p99_ratio} x kernel p99 ${ms(kernel.p99)}`),
    },
  };
}

export function humanLatencyReport(rounds: readonly LatencyRound[], args: Omit<LatencyArgs, 'json'>): string {
  const ms = (v: number) => v.toFixed(3);
  const v = judgeLatency(rounds);
  return [
    'xvs bench latency: HTTP requests back to back over one keep-alive connection (curl) through a Full-NAT VIP to 3 servers;',
    `xvs (the demo config; and with fast_path: off) and the kernel (nftables DNAT + SNAT) interleaved, ${args.rounds} round(s) of ${args.seconds} s each`,
    '',
    table([
      ['case', 'round', 'requests/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'failed'],
      ...rounds.map((r) => [
        r.case,
        String(r.round),
        r.summary.perSecond.toFixed(0),
        ms(r.summary.p50),
        ms(r.summary.p90),
        ms(r.summary.p99),
        ms(r.summary.max),
        String(r.summary.failed),
      ]),
    ]),
    '',
    `targets: median ${v.targets.p50}; p99 ${v.targets.p99}`,
    '',
    latencyCommandLine(args),
  ].join('\n');
}

export const benchLatencyCommand: CliCommand<LatencyArgs> = {
  command: 'latency',
  describe: 'Request time of a closed-loop HTTP client through a Full-NAT VIP: xvs against nftables DNAT+SNAT, interleaved (root)',
  builder: (y) =>
    y
      .option('rounds', { type: 'number', default: 3, describe: 'interleaved rounds of each case' })
      .option('seconds', { type: 'number', default: 10, describe: 'load per case and round (s)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' }) as never,
  handler: async (args) => {
    checkIntegerOptions(args as unknown as Record<string, unknown>, LIMITS);
    const why = netnsUnavailable(true);
    if (why) throw new CliError(`xvs bench latency: ${why}`, EXIT_RUNTIME);
    const options = { rounds: args.rounds, seconds: args.seconds };
    const progress = !args.json && process.stderr.isTTY ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
    const rounds = await runLatencyBench({ ...options, ...(progress ? { progress } : {}) });
    process.stdout.write(
      args.json
        ? `${JSON.stringify({ rounds, ...judgeLatency(rounds), command: latencyCommandLine(options) }, null, 2)}\n`
        : `${humanLatencyReport(rounds, options)}\n`,
    );
  },
};
