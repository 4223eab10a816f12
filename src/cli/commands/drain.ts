// src/cli/commands/drain.ts — `xvs drain SERVICE SERVER`: weight 0 at run time through the API
// (POST /drain): the server takes no new connections, its existing ones continue (IPVS
// quiescent). `xvs weight SERVICE SERVER W` brings it back. Main thread.
import { apiTarget, callApi, withApiOptions, type ApiArgs } from '../api-client.js';
import type { CliCommand } from '../command.js';
import { checkServer, describeWeightChange, REASON_OPTION } from './weight.js';

interface DrainArgs extends ApiArgs {
  service: string;
  server: string;
  reason?: string;
}

export const drainCommand: CliCommand<DrainArgs> = {
  command: 'drain <service> <server>',
  describe: 'Drain a server: no new connections, existing ones continue',
  builder: (y) =>
    withApiOptions(
      y
        .positional('service', { type: 'string', describe: 'service name, or vip:port/proto' })
        .positional('server', { type: 'string', describe: 'real server as address:port' })
        .option('reason', REASON_OPTION),
    ) as never,
  handler: async (args) => {
    const server = checkServer(args.server);
    const r = await callApi<Parameters<typeof describeWeightChange>[0]>(apiTarget(args), 'POST', '/drain', {
      service: args.service,
      server,
      ...(args.reason !== undefined ? { reason: args.reason } : {}),
    });
    process.stdout.write(`${describeWeightChange(r)}\n`);
  },
};
