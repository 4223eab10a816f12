// src/cli/commands/bench-cluster.ts — `xvs bench cluster`: what connection sync costs and absorbs
// (src/bench/cluster/sync.ts, io/mem, no root) and, with --failover, what a node's death costs
// a cluster behind a BIRD router (src/bench/cluster/failover.ts, namespaces, root and BIRD 2).
// A table, or one JSON document with --json (DESIGN §6), ending with the command. Main thread.
// Prints figures, asserts nothing.
import type { Argv } from 'yargs';

import { runFailoverBench, type FailoverResult } from '../../bench/cluster/failover.js';
import { runSyncBench, type SyncBenchResult } from '../../bench/cluster/sync.js';
import type { ClusterMode } from '../../demo/cluster-topology.js';
import { netnsUnavailable } from '../../netns/lab.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_USAGE } from '../errors.js';
import { table } from '../table.js';

interface ClusterArgs {
  connections: number;
  records: number;
  failover: boolean;
  mode: ClusterMode;
  rounds: number;
  json: boolean;
}

const LIMITS = { connections: 100_000, records: 4_000_000, rounds: 20 } as const;

function checkInt(name: keyof typeof LIMITS, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > LIMITS[name])
    throw new CliError(`xvs: --${name} must be an integer from 1 to ${LIMITS[name]} (got ${value})`, EXIT_USAGE);
}

const k = (v: number) => `${(v / 1000).toFixed(0)} k`;
const ms = (v: number | null) => (v === null ? '-' : `${v}`);

export function humanClusterReport(sync: SyncBenchResult, failover: FailoverResult | undefined, command: string): string {
  const lines = [
    'xvs bench cluster: connection sync between nodes (io/mem engines, one worker each; UDP over loopback)',
    '',
    `records: ${sync.record_bytes} bytes each; a Full-NAT connection's life (SYN .. FIN both ways) queues ${sync.records_per_connection.toFixed(1)} records, ` +
      `${sync.wire_bytes_per_connection.toFixed(0)} bytes on the wire with its share of datagram, UDP and IPv4 headers`,
    `install, handed straight to the engine: ${k(sync.install.records_per_s)} records/s (${sync.install.records} records in ${sync.install.seconds.toFixed(2)} s)`,
    `through the network (a sender thread, signed datagrams, the node's ClusterSync; receive buffer ${(sync.receive_buffer / 1048576).toFixed(0)} MiB):`,
    table([
      ['offered', 'installed', 'records/s', 'lost datagrams', 'refused', 'invalid'],
      ...sync.network.map((n) => [
        n.offered_records_per_s ? `${k(n.offered_records_per_s)}/s` : 'unpaced',
        `${n.installed}/${n.sent}`,
        k(n.records_per_s),
        String(n.lost_datagrams),
        String(n.refused),
        String(n.invalid),
      ]),
    ]),
  ];
  if (failover) {
    lines.push(
      '',
      `failover, ${failover.mode}: SIGKILL of node 1 of 2 under load (24 long-lived connections, a new one every 10 ms), BIRD 2 router with ECMP; ms after the kill`,
      table([
        ['round', 'withdrawn', 'new failed', 'last failed started', 'first answered', 'new answered', 'established failed'],
        ...failover.rounds.map((r) => [
          String(r.round),
          String(r.withdrawn_ms),
          String(r.new_failed),
          ms(r.last_failed_ms),
          ms(r.first_answered_ms),
          String(r.new_answered),
          `${r.established_failed}/${r.established}`,
        ]),
      ]),
    );
  }
  lines.push('', `command: ${command}`, '');
  return lines.join('\n');
}

export const benchClusterCommand: CliCommand<ClusterArgs> = {
  command: 'cluster',
  describe: 'Connection sync: bytes per connection, records/s one node absorbs; --failover: a node killed under load behind a BGP router',
  builder: (y: Argv) =>
    y
      .option('connections', { type: 'number', default: 5000, describe: `connections whose life is synced (1..${LIMITS.connections})` })
      .option('records', { type: 'number', default: 300_000, describe: `records installed and sent (1..${LIMITS.records})` })
      .option('failover', { type: 'boolean', default: false, describe: 'also kill a node under load behind a BIRD router (root, BIRD 2)' })
      .option('mode', { type: 'string', default: 'fullnat', choices: ['fullnat', 'nat', 'dr', 'tunnel'], describe: 'forwarding mode of the failover run' })
      .option('rounds', { type: 'number', default: 3, describe: `failover rounds (1..${LIMITS.rounds})` })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' }) as never,
  handler: async ({ connections, records, failover, mode, rounds, json }) => {
    checkInt('connections', connections);
    checkInt('records', records);
    checkInt('rounds', rounds);
    if (failover) {
      const why = netnsUnavailable(true);
      if (why) throw new CliError(`xvs: --failover needs network namespaces: ${why}`);
    }
    const command = `xvs bench cluster --connections ${connections} --records ${records}${failover ? ` --failover --mode ${mode} --rounds ${rounds}` : ''}${json ? ' --json' : ''}`;
    const progress = !json && process.stderr.isTTY;
    if (progress) process.stderr.write('running sync ...\n');
    const sync = await runSyncBench({ connections, records });
    const fail = failover
      ? await runFailoverBench({ mode, rounds, onRound: progress ? (r) => process.stderr.write(`failover round ${r.round}: withdrawn in ${r.withdrawn_ms} ms\n`) : undefined })
      : undefined;
    if (json) {
      const cases = [
        { case: 'sync-install', records_per_s: sync.install.records_per_s },
        ...sync.network.map((n) => ({ case: `sync-network-${n.offered_records_per_s || 'unpaced'}`, ...n })),
        ...(fail ? fail.rounds.map((r) => ({ case: `failover-${fail.mode}-${r.round}`, ...r })) : []),
      ];
      process.stdout.write(`${JSON.stringify({ cases, record_bytes: sync.record_bytes, records_per_connection: sync.records_per_connection, wire_bytes_per_connection: sync.wire_bytes_per_connection, command })}\n`);
    } else process.stdout.write(humanClusterReport(sync, fail, command));
  },
};
