// src/cli/commands/list.ts — `xvs list`: ipvsadm -L's listings of a running instance, from GET
// /status of its API, in ipvsadm's exact format (src/cli/ipvsadm-format.ts): -n, --stats,
// --rate (two samples --interval seconds apart: no rate state is kept in the server), --exact,
// --thresholds, --persistent-conn, --timeout, --sort/--nosort, one service with -t/-u VIP:PORT; --workers adds
// xvs's per-worker counters. -c lists every connection entry as ipvsadm -Lc does, streamed (GET
// /connections/stream; --json: one JSON object per line; --wide: local address and worker too),
// or with --limit N a sample of N per worker (GET /connections). --json prints one JSON document:
// the status, plus `rates` with --rate. --cluster prints the cluster view (nodes, BGP sessions,
// announced routes). Main thread.
import { once } from 'node:events';

import type { StatusDocument } from '../../api/status-document.js';
import { hostPort } from '../../config/address.js';
import { canonicalIpv6 } from '../../config/ipv6-address.js';
import { CONNECTIONS_LIMIT_MAX } from '../../control/protocol.js';
import { apiTarget, callApi, streamApi, withApiOptions, type ApiArgs, type ApiTarget } from '../api-client.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_USAGE } from '../errors.js';
import { formatCluster } from '../cluster-format.js';
import { CONNECTIONS_TITLE, CONNECTIONS_TITLE_PERSISTENT, CONNECTIONS_TITLE_WIDE, connectionLine, formatConnections, type ConnectionsDocument } from '../connections-format.js';
import type { ConnectionEntry } from '../../native/addon.js';
import { formatRates, formatServices, formatStats, rates, type ListView } from '../list-format.js';
import type { Config } from '../../config/types.js';
import type { ServiceStatus } from '../../control/protocol.js';

interface ListArgs extends ApiArgs {
  numeric: boolean;
  exact: boolean;
  thresholds: boolean;
  'persistent-conn': boolean;
  timeout: boolean;
  sort: boolean;
  nosort: boolean;
  workers: boolean;
  'tcp-service'?: string;
  'udp-service'?: string;
  limit?: number;
  wide: boolean;
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
        .option('tcp-service', { alias: 't', type: 'string', describe: 'list this TCP service only (VIP:PORT)' })
        .option('udp-service', { alias: 'u', type: 'string', describe: 'list this UDP service only (VIP:PORT)' })
        .option('exact', { type: 'boolean', default: false, describe: 'with --stats or --rate: whole numbers, not K, M, G, T' })
        .option('thresholds', { type: 'boolean', default: false, describe: "each server's upper and lower connection thresholds" })
        .option('persistent-conn', { type: 'boolean', default: false, describe: "each server's persistence templates (PersistConn) with its weight and connections" })
        .option('timeout', { type: 'boolean', default: false, describe: 'the connection timeouts (tcp tcpfin udp), as ipvsadm -L --timeout' })
        .option('nosort', { type: 'boolean', default: false, describe: "the configuration's order instead of ipvsadm's (protocol, address, port)" })
        .option('sort', { type: 'boolean', default: false, describe: 'does nothing (sorted is the default), as in ipvsadm' })
        .option('workers', { type: 'boolean', default: false, describe: "with --stats or --rate: the data plane's counters per worker after the table" })
        .option('stats', { type: 'boolean', default: false, describe: 'connections, packets and bytes per service and server, then per worker' })
        .option('rate', { type: 'boolean', default: false, describe: 'the same as per-second rates over --interval' })
        .option('interval', { type: 'number', default: 1, describe: 'seconds between the two samples of --rate' })
        .option('connection', { alias: 'c', type: 'boolean', default: false, describe: 'list the connection entries (ipvsadm -Lc)' })
        .option('cluster', { type: 'boolean', default: false, describe: 'the cluster: nodes, BGP sessions, announced routes' })
        .option('limit', { type: 'number', describe: 'with -c: a sample of at most this many entries per worker, with the totals (one document)' })
        .option('wide', { type: 'boolean', default: false, describe: "with -c: also where the server replies (the LIP in fullnat) and the owning worker" })
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
      if (args.limit !== undefined) {
        if (!(Number.isInteger(args.limit) && args.limit >= 1 && args.limit <= CONNECTIONS_LIMIT_MAX))
          throw new CliError(`xvs: --limit must be an integer from 1 to ${CONNECTIONS_LIMIT_MAX} (got ${args.limit})`, EXIT_USAGE);
        const doc = await callApi<ConnectionsDocument>(target, 'GET', `/connections?limit=${args.limit}`);
        process.stdout.write(args.json ? `${JSON.stringify(doc)}\n` : formatConnections(doc, args.numeric));
        return;
      }
      await listEveryConnection(target, args);
      return;
    }
    if ([args.stats, args.rate, args.thresholds, args['persistent-conn'], args.timeout].filter(Boolean).length > 1)
      throw new CliError('xvs: --stats, --rate, --thresholds, --persistent-conn and --timeout are one listing each: choose one', EXIT_USAGE);
    if (args['tcp-service'] !== undefined && args['udp-service'] !== undefined) throw new CliError('xvs: -t and -u name one service: give one of them', EXIT_USAGE);
    const wanted = args['tcp-service'] !== undefined ? parseService('tcp', args['tcp-service']) : args['udp-service'] !== undefined ? parseService('udp', args['udp-service']) : undefined;
    if (args.timeout) {
      const { config } = await callApi<{ config: Config }>(target, 'GET', '/config');
      const t = config.dataplane.timeouts;
      process.stdout.write(args.json ? `${JSON.stringify({ tcp: t.tcp, tcpfin: t.tcp_fin, udp: t.udp })}\n` : `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcp_fin} ${t.udp}\n`);
      return;
    }
    const first = await callApi<StatusDocument>(target, 'GET', '/status');
    if (args.cluster) {
      if (args.stats || args.rate) throw new CliError('xvs: --cluster does not combine with --stats or --rate', EXIT_USAGE);
      process.stdout.write(args.json ? `${JSON.stringify(first.cluster ?? null)}\n` : formatCluster(first));
      return;
    }
    const view = (doc: StatusDocument): ListView => ({
      kind: args.stats ? 'stats' : args.rate ? 'rate' : args.thresholds ? 'thresholds' : args['persistent-conn'] ? 'persistent' : 'plain',
      numeric: args.numeric,
      exact: args.exact,
      sort: !args.nosort,
      workers: args.workers,
      ...(wanted ? { only: findService(doc, wanted) } : {}),
    });
    if (!args.rate) {
      const v = view(first);
      if (args.json) process.stdout.write(`${JSON.stringify(v.only ?? first)}\n`);
      else process.stdout.write(args.stats ? formatStats(first, v) : formatServices(first, v));
      return;
    }
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, args.interval * 1000));
    const second = await callApi<StatusDocument>(target, 'GET', '/status');
    const r = rates(first, second, (performance.now() - started) / 1000);
    if (args.json) process.stdout.write(`${JSON.stringify({ ...second, rates: r })}\n`);
    else process.stdout.write(formatRates(second, r, view(second)));
  },
};

interface WantedService {
  protocol: ServiceStatus['protocol'];
  vip: string;
  port: number;
}

/** -t/-u's VIP:PORT or [VIP]:PORT (ipvsadm's service-address, numeric). */
function parseService(protocol: ServiceStatus['protocol'], text: string): WantedService {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9a-fA-F:.]+)\]):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  const v6 = m?.[2] !== undefined ? canonicalIpv6(m[2]) : undefined;
  if (!m || port < 1 || port > 65535 || (m[1] !== undefined ? m[1].split('.').some((o) => Number(o) > 255) : v6 === undefined))
    throw new CliError(
      `xvs: -${protocol === 'tcp' ? 't' : 'u'} wants VIP:PORT such as 203.0.113.10:80 or [2001:db8::10]:80 (got ${JSON.stringify(text)})`,
      EXIT_USAGE,
    );
  return { protocol, vip: m[1] ?? v6!, port };
}

function findService(doc: StatusDocument, w: WantedService): ServiceStatus {
  const found = doc.services.find((s) => s.protocol === w.protocol && s.vip === w.vip && s.port === w.port);
  // ipvsadm's words for the same case.
  if (!found) throw new CliError(`xvs: No such service: ${w.protocol.toUpperCase()} ${hostPort(w.vip, w.port)}`);
  return found;
}

/** Written as it arrives; a full pipe holds the stream (and the server's pages) back. */
async function out(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** ipvsadm -Lc: every entry, as the server streams it page by page. */
async function listEveryConnection(target: ApiTarget, args: ListArgs): Promise<void> {
  if (!args.json) await out(args.wide ? CONNECTIONS_TITLE_WIDE : args['persistent-conn'] ? CONNECTIONS_TITLE_PERSISTENT : CONNECTIONS_TITLE);
  await streamApi(target, '/connections/stream', (line) =>
    out(args.json ? `${line}\n` : connectionLine(JSON.parse(line) as ConnectionEntry & { worker: number }, args.numeric, args.wide)),
  );
}
