// src/cli/commands/bench.ts — `xvs bench <benchmark>`: `dataplane` runs the real packet path
// on io/mem-style frames on this thread and prints a table (or one JSON document with --json,
// DESIGN §6) ending with the command that produced it; `veth` (bench-veth.ts) pushes generated
// traffic through namespaces. Main thread; the dataplane run blocks it. Benchmarks print figures and targets; they never assert a time.
import type { Argv } from 'yargs';

import {
  IPV6_COUNTERPARTS,
  MAX_FLOWS,
  TARGETS,
  runDataplaneBench,
  type DataplaneBenchReport,
  type DataplaneCaseResult,
} from '../../bench/dataplane.js';
import { machineText } from '../../bench/machine.js';
import type { CliCommand } from '../command.js';
import { benchChurnCommand } from './bench-churn.js';
import { benchClusterCommand } from './bench-cluster.js';
import { benchControlCommand } from './bench-control.js';
import { benchLatencyCommand } from './bench-latency.js';
import { benchMetricsCommand } from './bench-metrics.js';
import { benchVethCommand } from './bench-veth.js';
import { CliError, EXIT_RUNTIME, EXIT_USAGE } from '../errors.js';
import { table } from '../table.js';

interface DataplaneArgs {
  json: boolean;
  flows: number;
  packets: number;
  repeat: number;
  rounds: number;
}

const DEFAULTS = { flows: 1_000_000, packets: 2_000_000, repeat: 5, rounds: 3 } as const;
const MAX_PACKETS = 1e10;
const MAX_REPEAT = 1000;
const MAX_ROUNDS = 100;

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new CliError(`xvs: --${name} must be an integer from ${min} to ${max} (got ${value})`, EXIT_USAGE);
}

const fmt = (v: number | null | undefined, digits: number): string => (v === null || v === undefined ? '-' : v.toFixed(digits));

function cpsText(c: DataplaneCaseResult): string {
  if (c.cps === undefined) return '';
  if (c.cps === null) return '-';
  return `${(c.cps / 1e6).toFixed(2)} M (${((c.cps_best ?? c.cps) / 1e6).toFixed(2)} M)`;
}

function notes(c: DataplaneCaseResult): string {
  if (c.skipped) return `skipped: ${c.skipped}`;
  if (c.error) return `error: ${c.error}`;
  const parts = c.workers
    ? [`${c.workers} workers, Mpps summed, ns/packet per worker${c.scaling !== undefined ? `; ${fmt(c.scaling, 2)} × one worker alone (${fmt(c.mpps_alone, 2)} Mpps, same run)` : ''}`]
    : [`incl. ${fmt(c.copy_ns_per_packet, 1)} ns restore`];
  const r = c.ipv4_ratio;
  if (r) {
    const rounds = `${r.rounds} interleaved round${r.rounds === 1 ? '' : 's'}`;
    parts.push(`${fmt(r.median, 3)} × ${r.against} per packet, ${rounds} (${fmt(r.min, 3)}–${fmt(r.max, 3)})`);
  }
  if (c.ipv4_ratio_error) parts.push(`no ratio to IPv4: ${c.ipv4_ratio_error}`);
  if (c.target) parts.push(c.target);
  return parts.join('; ');
}

export function humanReport(report: DataplaneBenchReport, command: string): string {
  const lines = [
    'xvs bench dataplane: lb::process on one core, 60-byte TCP frames restored from templates in memory',
    `${report.flows} flows, conn table ${report.conn_table_size}, ${report.packets} packets x ${report.repeat} repetitions; ` +
      'figures: median (best) of the repetitions',
    '',
    table([
      ['case', 'Mpps', 'ns/packet', 'CPS', 'notes'],
      ...report.cases.map((c) => [
        c.case,
        fmt(c.mpps, 2),
        c.ns_per_packet === null ? '-' : `${fmt(c.ns_per_packet, 1)} (${fmt(c.ns_per_packet_best, 1)})`,
        cpsText(c) || '-',
        notes(c),
      ]),
    ]),
    '',
    `memory per connection: ${report.bytes_per_connection ?? '-'} bytes (connection table arrays, both directions), ` +
      `${report.rss_bytes_per_connection ?? '-'} bytes RSS growth building and filling the fullnat table; ` +
      `target ≤ ${TARGETS.bytes_per_connection}`,
    `machine: ${machineText(report.machine)}; hash batch ${report.machine.hash_batch ?? '-'}`,
    `command: ${command}`,
  ];
  return lines.join('\n') + '\n';
}

const dataplaneCommand: CliCommand<DataplaneArgs> = {
  command: 'dataplane',
  describe: 'The real data path on io/mem frames, one core: ns/packet, Mpps, new connections/s, bytes per connection',
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' })
      .option('flows', { type: 'number', default: DEFAULTS.flows, describe: 'connections in the table (established cases)' })
      .option('packets', { type: 'number', default: DEFAULTS.packets, describe: 'timed packets per repetition and case' })
      .option('repeat', { type: 'number', default: DEFAULTS.repeat, describe: 'repetitions per case' })
      .option('rounds', {
        type: 'number',
        default: DEFAULTS.rounds,
        describe: `rounds of ${Object.keys(IPV6_COUNTERPARTS).join(' and ')} against their IPv4 counterparts, interleaved (IPv4, IPv6, IPv6, IPv4) after the cases; 0: none`,
      }) as never,
  handler: async ({ json, flows, packets, repeat, rounds }) => {
    checkInt('flows', flows, 1, MAX_FLOWS);
    checkInt('packets', packets, 1, MAX_PACKETS);
    checkInt('repeat', repeat, 1, MAX_REPEAT);
    checkInt('rounds', rounds, 0, MAX_ROUNDS);
    const command =
      `xvs bench dataplane${json ? ' --json' : ''} --flows ${flows} --packets ${packets} --repeat ${repeat} --rounds ${rounds}`;
    const progress = !json && process.stderr.isTTY;
    const report = runDataplaneBench({
      flows,
      packets,
      repeat,
      rounds,
      onCase: progress ? (name) => process.stderr.write(`running ${name} ...\n`) : undefined,
    });
    if (json) process.stdout.write(`${JSON.stringify({ ...report, targets: TARGETS, command })}\n`);
    else process.stdout.write(humanReport(report, command));
    const failed = report.cases.flatMap((c) => [
      ...(c.error ? [`${c.case} failed: ${c.error}`] : []),
      ...(c.ipv4_ratio_error ? [`${c.case}'s rounds against IPv4 failed: ${c.ipv4_ratio_error}`] : []),
    ]);
    if (failed.length > 0) throw new CliError(`xvs bench dataplane: ${failed.join('; ')}`, EXIT_RUNTIME);
  },
};

export const benchCommand: CliCommand = {
  command: 'bench',
  describe:
    'Benchmarks: dataplane (the packet path on one core), veth (generated traffic through namespaces), control (large tables), churn, latency, cluster, metrics (a scrape of a large table); see bench/README.md',
  builder: (y: Argv) =>
    y
      .command(dataplaneCommand.command, dataplaneCommand.describe, dataplaneCommand.builder, dataplaneCommand.handler)
      .command(benchVethCommand.command, benchVethCommand.describe, benchVethCommand.builder, benchVethCommand.handler)
      .command(benchControlCommand.command, benchControlCommand.describe, benchControlCommand.builder, benchControlCommand.handler)
      .command(benchChurnCommand.command, benchChurnCommand.describe, benchChurnCommand.builder, benchChurnCommand.handler)
      .command(benchLatencyCommand.command, benchLatencyCommand.describe, benchLatencyCommand.builder, benchLatencyCommand.handler)
      .command(benchClusterCommand.command, benchClusterCommand.describe, benchClusterCommand.builder, benchClusterCommand.handler)
      .command(benchMetricsCommand.command, benchMetricsCommand.describe, benchMetricsCommand.builder, benchMetricsCommand.handler)
      .demandCommand(1, 'name a benchmark: dataplane, veth, control, churn, latency, cluster, metrics') as never,
  handler: async () => {},
};
