// src/cli/commands/list.ts — `xvs list [-n] [--stats | --rate] [-c] [--json]`: ipvsadm-style
// listings of a running instance, from GET /status of its API. --rate takes two samples
// --interval seconds apart and prints the per-second differences (no rate state is kept in the
// server). -c lists the workers' connection entries (GET /connections, at most --limit per
// worker). --json prints one JSON document: the status, plus `rates` with --rate; with -c the
// connections document. --cluster prints the cluster view (nodes, BGP sessions, announced
// routes). Main thread.
import type { StatusDocument } from '../../api/status-document.js';
import { CONNECTIONS_LIMIT_MAX } from '../../control/protocol.js';
import { apiTarget, callApi, withApiOptions, type ApiArgs } from '../api-client.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_USAGE } from '../errors.js';
import { formatCluster } from '../cluster-format.js';
import { formatConnections, type ConnectionsDocument } from '../connections-format.js';
import { formatRates, formatServices, formatStats, rates } from '../list-format.js';

interface ListArgs extends ApiArgs {
  numeric: boolean;
  limit: number;
  stats: boolean;
  rate: boolean;
  connection: boolean;
  cluster: boolean;
  json: boolean;
  interval: number;
}

export const listCommand: CliCommand<ListArgs> = {
  command: 'list',
  describe: 'List the virtual services and real servers of a running instance (ipvsadm -L style)',
  builder: (y) =>
    withApiOptions(
      y
        .option('numeric', { alias: 'n', type: 'boolean', default: false, describe: 'numeric ports (no /etc/services names)' })
        .option('stats', { type: 'boolean', default: false, describe: 'connections, packets and bytes per service and server, then per worker' })
        .option('rate', { type: 'boolean', default: false, describe: 'the same as per-second rates over --interval' })
        .option('interval', { type: 'number', default: 1, describe: 'seconds between the two samples of --rate' })
        .option('connection', { alias: 'c', type: 'boolean', default: false, describe: 'list the connection entries (ipvsadm -Lc)' })
        .option('cluster', { type: 'boolean', default: false, describe: 'the cluster: nodes, BGP sessions, announced routes' })
        .option('limit', { type: 'number', default: 1000, describe: 'with -c: at most this many entries per worker' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON document' }),
    ) as never,
  handler: async (args) => {
    // Checked here, not with yargs' conflicts(): that counts an option's default as given.
    if (args.stats && args.rate) throw new CliError('xvs: --stats and --rate cannot be combined', EXIT_USAGE);
    if (!(args.interval > 0 && args.interval <= 60))
      throw new CliError(`xvs: --interval must be a number of seconds above 0 and at most 60 (got ${args.interval})`, EXIT_USAGE);
    const target = apiTarget(args);
    if (args.connection) {
      if (args.stats || args.rate) throw new CliError('xvs: -c lists connections; it does not combine with --stats or --rate', EXIT_USAGE);
      if (!(Number.isInteger(args.limit) && args.limit >= 1 && args.limit <= CONNECTIONS_LIMIT_MAX))
        throw new CliError(`xvs: --limit must be an integer from 1 to ${CONNECTIONS_LIMIT_MAX} (got ${args.limit})`, EXIT_USAGE);
      const doc = await callApi<ConnectionsDocument>(target, 'GET', `/connections?limit=${args.limit}`);
      process.stdout.write(args.json ? `${JSON.stringify(doc)}
` : formatConnections(doc, args.numeric));
      return;
    }
    const first = await callApi<StatusDocument>(target, 'GET', '/status');
    if (args.cluster) {
      if (args.stats || args.rate) throw new CliError('xvs: --cluster does not combine with --stats or --rate', EXIT_USAGE);
      process.stdout.write(args.json ? `${JSON.stringify(first.cluster ?? null)}\n` : formatCluster(first));
      return;
    }
    if (!args.rate) {
      if (args.json) process.stdout.write(`${JSON.stringify(first)}\n`);
      else process.stdout.write(args.stats ? formatStats(first, args.numeric) : formatServices(first, args.numeric));
      return;
    }
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, args.interval * 1000));
    const second = await callApi<StatusDocument>(target, 'GET', '/status');
    const r = rates(first, second, (performance.now() - started) / 1000);
    if (args.json) process.stdout.write(`${JSON.stringify({ ...second, rates: r })}\n`);
    else process.stdout.write(formatRates(second, r, args.numeric));
  },
};
