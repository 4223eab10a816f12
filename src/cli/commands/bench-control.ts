// src/cli/commands/bench-control.ts — `xvs bench control`: the control plane's cost of a large
// table (src/bench/control.ts): parse, cold build, encode, commit, and the rebuild after one
// weight change, per scheduler; a table, or one JSON document with --json (DESIGN §6), ending
// with the command. Main thread; the run blocks it. Prints figures, asserts nothing.
import type { Argv } from 'yargs';

import { CONTROL_SCHEDULERS, runControlBench, type ControlCaseResult } from '../../bench/control.js';
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

export function humanControlReport(results: ControlCaseResult[], services: number, servers: number, command: string): string {
  return [
    `xvs bench control: ${services} services x ${servers} servers (${services * servers} servers), io/mem engine, one worker; milliseconds`,
    'rebuild = one server\'s weight changed in one service (a health transition or `xvs weight`): build with the other tables reused + encode + commit',
    '',
    table([
      ['scheduler', 'parse YAML', 'parse JSON', 'build (cold)', 'encode', 'commit', 'rebuild', 'of which build', 'snapshot'],
      ...results.map((r) => [
        r.case,
        f(r.parse_yaml_ms),
        f(r.parse_json_ms),
        f(r.build_cold_ms),
        f(r.encode_ms),
        f(r.commit_ms),
        f(r.rebuild_ms),
        f(r.rebuild_build_ms),
        `${(r.snapshot_bytes / 1e6).toFixed(1)} MB`,
      ]),
    ]),
    '',
    `command: ${command}`,
    '',
  ].join('\n');
}

export const benchControlCommand: CliCommand<ControlArgs> = {
  command: 'control',
  describe: 'The control plane on a large table: parse, build, encode, commit, and the rebuild after one weight change',
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
    const results = runControlBench({
      services,
      servers,
      schedulers: schedulers as SchedulerName[],
      onCase: progress ? (s) => process.stderr.write(`running ${s} ...\n`) : undefined,
    });
    if (json) process.stdout.write(`${JSON.stringify({ cases: results, services, servers, command })}\n`);
    else process.stdout.write(humanControlReport(results, services, servers, command));
  },
};
