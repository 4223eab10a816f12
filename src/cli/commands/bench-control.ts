// src/cli/commands/bench-control.ts — `xvs bench control`: the control plane's cost of a large
// table (src/bench/control.ts): parse, cold build, encode, commit, and the changes committed
// while running (time to commit, event loop held), per scheduler; a table, or one JSON
// document with --json (DESIGN §6), ending with the command. Main thread; the run blocks it. Prints figures, asserts nothing.
import type { Argv } from 'yargs';

import { BENCH_SLICE_MS, CONTROL_SCHEDULERS, runControlBench, type ChangeName, type ControlCaseResult } from '../../bench/control.js';
import { SCHEDULERS, type SchedulerName } from '../../config/types.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_USAGE } from '../errors.js';
import { table } from '../table.js';

interface ControlArgs {
  services: number;
  servers: number;
  schedulers: string[];
  json: boolean;
}

const LIMITS = { services: 1000, servers: 10_000 } as const;

function checkInt(name: keyof typeof LIMITS, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > LIMITS[name])
    throw new CliError(`xvs: --${name} must be an integer from 1 to ${LIMITS[name]} (got ${value})`, EXIT_USAGE);
}

const f = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

const CHANGES: Record<ChangeName, string> = {
  weight: 'one weight',
  server_down: 'server down',
  shared_server_down: 'shared server down',
  reload_unchanged: 'reload (unchanged)',
};

export function humanControlReport(results: ControlCaseResult[], services: number, servers: number, command: string): string {
  const changeNames = Object.keys(CHANGES) as ChangeName[];
  return [
    `xvs bench control: ${services} services x ${servers} servers (${services * servers} servers), io/mem engine, one worker; milliseconds`,
    '',
    table([
      ['scheduler', 'parse YAML', 'parse JSON', 'build (cold)', 'encode', 'commit', 'snapshot'],
      ...results.map((r) => [
        r.case,
        f(r.parse_yaml_ms),
        f(r.parse_json_ms),
        f(r.build_cold_ms),
        f(r.encode_ms),
        f(r.commit_ms),
        `${(r.snapshot_bytes / 1e6).toFixed(1)} MB`,
      ]),
    ]),
    '',
    `Changes while running, each built in ${BENCH_SLICE_MS} ms slices as the control worker does: total / event loop held at most (slices)`,
    'one weight = one server of one service (`xvs weight`); server down = one server of one service fails its check;',
    'shared server down = a server in every service fails its check; reload (unchanged) = the same file parsed again',
    '',
    table([
      ['scheduler', ...changeNames.map((c) => CHANGES[c])],
      ...results.map((r) => [
        r.case,
        ...changeNames.map((c) => {
          const x = r.changes.find((change) => change.change === c);
          return x ? `${f(x.total_ms)} / ${f(x.held_ms)} (${x.slices})` : '-';
        }),
      ]),
    ]),
    '',
    `command: ${command}`,
    '',
  ].join('\n');
}

export const benchControlCommand: CliCommand<ControlArgs> = {
  command: 'control',
  describe: 'The control plane on a large table: parse, build, encode, commit, and what a change while running costs',
  builder: (y: Argv) =>
    y
      .option('services', { type: 'number', default: 100, describe: `services (1..${LIMITS.services})` })
      .option('servers', { type: 'number', default: 1000, describe: `servers per service (1..${LIMITS.servers})` })
      .option('schedulers', { type: 'string', array: true, default: [...CONTROL_SCHEDULERS], choices: SCHEDULERS, describe: 'schedulers to measure' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' }) as never,
  handler: async ({ services, servers, schedulers, json }) => {
    checkInt('services', services);
    checkInt('servers', servers);
    const command = `xvs bench control --services ${services} --servers ${servers} --schedulers ${schedulers.join(' ')}${json ? ' --json' : ''}`;
    const progress = !json && process.stderr.isTTY;
    const results = await runControlBench({
      services,
      servers,
      schedulers: schedulers as SchedulerName[],
      onCase: progress ? (s) => process.stderr.write(`running ${s} ...\n`) : undefined,
    });
    if (json) process.stdout.write(`${JSON.stringify({ cases: results, services, servers, command })}\n`);
    else process.stdout.write(humanControlReport(results, services, servers, command));
  },
};
