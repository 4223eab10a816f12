// src/cli/commands/bench-metrics.ts — `xvs bench metrics`: a Prometheus scrape of a large table
// (src/bench/metrics.ts): time to the last byte with and without gzip, bytes, series; a table,
// or one JSON document with --json (DESIGN §6), ending with the command. Main thread. Prints
// figures, asserts nothing.
import type { Argv } from 'yargs';

import { runMetricsBench, type MetricsBenchReport } from '../../bench/metrics.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_USAGE } from '../errors.js';
import { table } from '../table.js';

interface MetricsArgs {
  services: number;
  servers: number;
  scrapes: number;
  json: boolean;
}

const LIMITS = { services: 1000, servers: 10_000, scrapes: 1000 } as const;

function checkInt(name: keyof typeof LIMITS, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > LIMITS[name])
    throw new CliError(`xvs: --${name} must be an integer from 1 to ${LIMITS[name]} (got ${value})`, EXIT_USAGE);
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

export function humanMetricsReport(r: MetricsBenchReport, command: string): string {
  return [
    `xvs bench metrics: GET /metrics of ${r.services} services, ${r.servers} servers (mem backend, the minimal dataplane section, no health checks): ${r.series} series`,
    '',
    table([
      ['encoding', 'p50 ms', 'max ms', 'body'],
      ['gzip (as Prometheus asks)', r.gzip.p50_ms.toFixed(0), r.gzip.max_ms.toFixed(0), mb(r.gzip.bytes)],
      ['none', r.plain.p50_ms.toFixed(0), r.plain.max_ms.toFixed(0), mb(r.plain.bytes)],
    ]),
    '',
    `command: ${command}`,
    '',
  ].join('\n');
}

export const benchMetricsCommand: CliCommand<MetricsArgs> = {
  command: 'metrics',
  describe: 'A Prometheus scrape of a large table: time, bytes and series of GET /metrics',
  builder: (y: Argv) =>
    y
      .option('services', { type: 'number', default: 20, describe: `services (1..${LIMITS.services})` })
      .option('servers', { type: 'number', default: 1000, describe: `servers per service (1..${LIMITS.servers})` })
      .option('scrapes', { type: 'number', default: 10, describe: `scrapes per encoding (1..${LIMITS.scrapes})` })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' }) as never,
  handler: async ({ services, servers, scrapes, json }) => {
    checkInt('services', services);
    checkInt('servers', servers);
    checkInt('scrapes', scrapes);
    const command = `xvs bench metrics --services ${services} --servers ${servers} --scrapes ${scrapes}${json ? ' --json' : ''}`;
    const progress = !json && process.stderr.isTTY ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
    const report = await runMetricsBench({ services, servers, scrapes, progress });
    if (json) process.stdout.write(`${JSON.stringify({ ...report, command })}\n`);
    else process.stdout.write(humanMetricsReport(report, command));
  },
};
