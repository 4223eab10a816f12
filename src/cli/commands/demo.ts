// src/cli/commands/demo.ts — `xvs demo`: builds a network-namespace topology per forwarding mode
// (src/demo), runs `xvs run` with that mode's example from config/demo/, sends real HTTP
// requests and UDP echoes through it, tears everything down and prints one table row per mode
// (or one JSON document with --json, DESIGN §6). Needs root. Exit 1 if any request or mode
// failed. Main thread.
import type { Argv } from 'yargs';

import { runDemo, type DemoRow } from '../../demo/run-demo.js';
import { MODES, type Mode } from '../../demo/topology.js';
import type { Summary } from '../../demo/traffic.js';
import { netnsUnavailable } from '../../netns/lab.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_RUNTIME, EXIT_USAGE } from '../errors.js';
import { table } from '../table.js';

interface DemoArgs {
  modes: Mode[];
  requests: number;
  concurrency: number;
  json: boolean;
}

const MAX_REQUESTS = 100_000;
const MAX_CONCURRENCY = 256;

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new CliError(`xvs: --${name} must be an integer from ${min} to ${max} (got ${value})`, EXIT_USAGE);
}

const ms = (v: number | null) => (v === null ? '-' : v.toFixed(1));
const splitText = (s: Summary) => Object.entries(s.split).map(([name, n]) => `${name} ${n}`).join(', ') || '-';

function failed(row: DemoRow): boolean {
  return Boolean(row.error) || !row.http || row.http.ok < row.http.requests || !row.udp || row.udp.ok < row.udp.requests;
}

export function demoTable(rows: DemoRow[]): string {
  const body = rows.map((r) => {
    if (r.error || !r.http || !r.udp || !r.balancer) return [r.mode, '-', '-', '-', '-', '-', '-', '-', `error: ${r.error ?? 'no result'}`];
    const drops = Object.entries(r.balancer.drops).map(([k, v]) => `${k} ${v}`).join(', ') || 'no drops';
    const problems = [...r.http.errors, ...r.udp.errors].map((e) => `; ${e}`).join('');
    return [
      r.mode,
      String(r.http.requests),
      String(r.http.ok),
      splitText(r.http),
      r.http.peers.join(' '),
      ms(r.http.p50Ms),
      ms(r.http.p99Ms),
      `${r.udp.ok}/${r.udp.requests}`,
      `${r.balancer.conn_created} conns, rx ${r.balancer.rx_packets} tx ${r.balancer.tx_packets}, ${drops}${problems}`,
    ];
  });
  return table([['mode', 'requests', 'ok', 'split', 'servers saw', 'p50 ms', 'p99 ms', 'udp echo', 'balancer'], ...body]);
}

export const demoCommand: CliCommand<DemoArgs> = {
  command: 'demo',
  describe: 'Build a namespace topology per mode, run the balancer, push real HTTP and UDP through it, print what happened (root)',
  builder: (y: Argv) =>
    y
      .option('modes', { type: 'string', array: true, choices: MODES, default: [...MODES], describe: 'forwarding modes to run' })
      .option('requests', { type: 'number', default: 100, describe: 'HTTP requests per mode, each over a fresh TCP connection' })
      .option('concurrency', { type: 'number', default: 10, describe: 'requests in flight at once' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' }) as never,
  handler: async ({ modes, requests, concurrency, json }) => {
    checkInt('requests', requests, 1, MAX_REQUESTS);
    checkInt('concurrency', concurrency, 1, MAX_CONCURRENCY);
    const why = netnsUnavailable(true);
    if (why) throw new CliError(`xvs demo: ${why}`, EXIT_RUNTIME);
    const command = `xvs demo --modes ${modes.join(' ')} --requests ${requests} --concurrency ${concurrency}${json ? ' --json' : ''}`;
    if (!json)
      process.stdout.write(
        `xvs demo: per mode, a client, a balancer and 3 real servers in network namespaces; ${requests} HTTP requests ` +
          `(${concurrency} at a time, fresh TCP connections) and UDP echoes to the VIP through xvs (AF_XDP, 2 workers)\n\n`,
      );
    const rows = await runDemo({
      modes,
      requests,
      concurrency,
      onMode: json ? undefined : (mode) => process.stdout.write(`running ${mode} (config/demo/${mode}.yaml) ...\n`),
    });
    if (json) process.stdout.write(`${JSON.stringify({ modes: rows, command })}\n`);
    else process.stdout.write(`\n${demoTable(rows)}\n\ncommand: ${command}\n`);
    const bad = rows.filter(failed);
    if (bad.length > 0) throw new CliError(`xvs demo: ${bad.map((r) => r.mode).join(', ')} did not answer every request`, EXIT_RUNTIME);
  },
};
