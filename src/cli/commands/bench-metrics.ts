// src/cli/commands/bench-metrics.ts — `xvs bench metrics`: a Prometheus scrape of a large table
// (src/bench/metrics.ts): time to the last byte with and without gzip, bytes, series; a table,
// or one JSON document with --json (DESIGN §6), ending with the command. Main thread. Prints
// figures, asserts nothing.
import type { Argv } from 'yargs';

import { runMetricsBench, type MetricsBenchReport } from '../../bench/metrics.js';
import type { CliCommand } from '../command.js';
import { checkIntegerOptions } from '../integer-options.js';
import { table } from '../table.js';

interface MetricsArgs {
  services: number;
  servers: number;
  scrapes: number;
  json: boolean;
}

const LIMITS = { services: [1, 1000], servers: [1, 10_000], scrapes: [1, 1000] } as const;

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
      .option('services', { type: 'number', default: 20, describe: `services (1..${LIMITS.services[1]})` })
      .option('servers', { type: 'number', default: 1000, describe: `servers per service (1..${LIMITS.servers[1]})` })
      .option('scrapes', { type: 'number', default: 10, describe: `scrapes per encoding (1..${LIMITS.scrapes[1]})` })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' }) as never,
  handler: async ({ services, servers, scrapes, json }) => {
    checkIntegerOptions({ services, servers, scrapes }, LIMITS);
    const command = `xvs bench metrics --services ${services} --servers ${servers} --scrapes ${scrapes}${json ? ' --json' : ''}`;
    const progress = !json && process.stderr.isTTY ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
    const report = await runMetricsBench({ services, servers, scrapes, progress });
    if (json) process.stdout.write(`${JSON.stringify({ ...report, command })}\n`);
    else process.stdout.write(humanMetricsReport(report, command));
  },
};
