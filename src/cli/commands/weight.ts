// src/cli/commands/weight.ts — `xvs weight SERVICE SERVER W`: set a server's weight at run time
// through the API (POST /weight); the control worker commits a new snapshot. SERVICE is a
// service name or vip:port/proto, SERVER is address:port, W 0..65535 (0 = drain). Setting the
// configured weight again removes the runtime change. Main thread.
import { serverProblem, weightProblem } from '../../api/fields.js';
import type { WeightResult } from '../../control/protocol.js';
import { apiTarget, callApi, withApiOptions, type ApiArgs } from '../api-client.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_USAGE } from '../errors.js';

interface WeightArgs extends ApiArgs {
  service: string;
  server: string;
  weight: string;
  reason?: string;
}

/** --reason: why, for xvs's log line of the change (it logs who asked, too). */
export const REASON_OPTION = { type: 'string', describe: "why, for xvs's log of the change (e.g. \"kernel upgrade\")" } as const;

type WeightReply = Omit<WeightResult, 'generation'> & { generation: number };

export function checkServer(server: string): string {
  const bad = serverProblem(server);
  if (bad) throw new CliError(`xvs: ${bad}`, EXIT_USAGE);
  return server;
}

/** One line saying what changed, for weight and drain alike. */
export function describeWeightChange(r: WeightReply): string {
  const what = r.changed ? `weight ${r.previousWeight} -> ${r.weight}` : `weight already ${r.weight}, nothing committed`;
  const configured = r.weight === r.configuredWeight ? 'the configured weight' : `configured ${r.configuredWeight}`;
  return `${r.service} ${r.server}: ${what} (${configured}), generation ${r.generation}`;
}

export const weightCommand: CliCommand<WeightArgs> = {
  command: 'weight <service> <server> <weight>',
  describe: "Set a server's weight at run time (0 drains it)",
  builder: (y) =>
    withApiOptions(
      y
        .positional('service', { type: 'string', describe: 'service name, or vip:port/proto' })
        .positional('server', { type: 'string', describe: 'real server as address:port' })
        // A string, so that "1.5" or "x" is refused with our message instead of becoming NaN.
        .positional('weight', { type: 'string', describe: 'integer 0..65535' })
        .option('reason', REASON_OPTION),
    ) as never,
  handler: async (args) => {
    const server = checkServer(args.server);
    const weight = /^\d+$/.test(args.weight) ? Number(args.weight) : NaN;
    const bad = weightProblem(weight);
    if (bad) throw new CliError(`xvs: ${bad.replace(/\(got .*?\)/, `(got ${JSON.stringify(args.weight)})`)}`, EXIT_USAGE);
    const r = await callApi<WeightReply>(apiTarget(args), 'POST', '/weight', {
      service: args.service,
      server,
      weight,
      ...(args.reason !== undefined ? { reason: args.reason } : {}),
    });
    process.stdout.write(`${describeWeightChange(r)}\n`);
  },
};
