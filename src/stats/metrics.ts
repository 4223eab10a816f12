// src/stats/metrics.ts — GET /metrics: a status document in the Prometheus text format. First
// node_exporter's IPVS series (node-ipvs-metrics.ts), then xvs's own: build and service info,
// reloads, snapshot generations, every data-plane counter per worker (named from the ABI's
// counter list, so a counter added there appears here; drops share one family by reason), the
// XDP fast path, per server what IPVS has no series for (configured weight, next hop, health,
// ipvsadm --stats traffic: summed over workers), cluster state; last prom-client's process
// metrics. Per-server series carry {service, server}; xvs_service_info joins them, and the
// node_ipvs ones, to the service's name. Names: README "Metrics".
// Main thread: each scrape asks the control worker for a fresh status; nothing here is state
// of its own but the reload history the run loop records.
import { collectDefaultMetrics, Registry } from 'prom-client';

import type { StatusDocument } from '../api/status-document.js';
import type { ServerStatus } from '../control/protocol.js';
import { ABI_VERSION, COUNTERS, type CounterName } from '../native/abi.js';
import { xvsVersion } from '../version.js';
import { Exposition, joinLabels, labelSet, type MetricType } from './exposition.js';
import { backendLabels, ipvsProto, writeNodeIpvs } from './node-ipvs-metrics.js';
import type { ReloadHistory } from './reload-history.js';

/** Counters that are not drops keep their ABI name: xvs_<name>_total{worker}. */
export function counterMetricName(name: CounterName): string {
  return `xvs_${name}_total`;
}

/**
 * Every drop shares one metric with the reason as a label: drop_tx_full → reason="tx_full"
 * (the ABI's drop list plus the hand-over's drop_handover_full).
 */
export function dropReason(name: CounterName): string | undefined {
  return name.startsWith('drop_') ? name.slice('drop_'.length) : undefined;
}

const NOT_DROPS = COUNTERS.filter((n) => dropReason(n) === undefined);
const DROPS = COUNTERS.filter((n) => dropReason(n) !== undefined);

export interface MetricsOptions {
  /** dataplane.backend (start-only): a label of xvs_build_info. */
  backend: string;
  reloads: ReloadHistory;
}

type Server = ServerStatus;
/** A per-server family: its samples for one server (label set, extra labels → value), none when it does not apply. */
type ServerSamples = (s: Server, sample: (extra: string, value: number) => void) => void;

const PER_SERVER: [string, MetricType, string, ServerSamples][] = [
  ['xvs_server_configured_weight', 'gauge', 'Weight in the config file (node_ipvs_backend_weight is the one in use)', (s, add) => add('', s.configuredWeight)],
  ['xvs_server_next_hop_resolved', 'gauge', '1 when the next hop towards the server is resolved', (s, add) => add('', s.nextHopResolved ? 1 : 0)],
  ['xvs_server_up', 'gauge', 'Health checks: 1 up, 0 down (servers of services without checks are absent)', (s, add) => s.health !== 'unchecked' && add('', s.health === 'up' ? 1 : 0)],
  [
    'xvs_health_probes_total',
    'counter',
    'Health probes since the check was (re)configured, by result (ok, failed, error: could not run)',
    (s, add) => {
      if (!s.checks) return;
      add('{result="ok"}', s.checks.checks - s.checks.failures);
      add('{result="failed"}', s.checks.failures);
      add('{result="error"}', s.checks.errors);
    },
  ],
  ['xvs_health_transitions_total', 'counter', 'Up/down transitions since the check was (re)configured', (s, add) => s.checks && add('', s.checks.transitions)],
  ['xvs_server_connections_total', 'counter', 'Connections scheduled to the server since it was configured (ipvsadm Conns)', (s, add) => add('', s.traffic.conns)],
  [
    'xvs_server_packets_total',
    'counter',
    'Packets forwarded for the server, direction in (client side) or out (server side)',
    (s, add) => {
      add('{direction="in"}', s.traffic.inPackets);
      add('{direction="out"}', s.traffic.outPackets);
    },
  ],
  [
    'xvs_server_bytes_total',
    'counter',
    'Bytes (IP length as received) forwarded for the server, direction in or out',
    (s, add) => {
      add('{direction="in"}', s.traffic.inBytes);
      add('{direction="out"}', s.traffic.outBytes);
    },
  ],
];

export class MetricsExporter {
  private readonly processRegistry = new Registry();
  private lastBytes = 0;

  constructor(private readonly options: MetricsOptions) {
    collectDefaultMetrics({ register: this.processRegistry });
    // Gauges whose names end in _total fail `promtool check metrics`; the per-type gauges
    // nodejs_active_handles etc. carry the same counts.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.processRegistry.removeSingleMetric(name);
  }

  get contentType(): string {
    return this.processRegistry.contentType;
  }

  /** The exposition (UTF-8 text) with every xvs value taken from `doc`. */
  async render(doc: StatusDocument): Promise<Buffer> {
    const out = new Exposition(this.lastBytes + (this.lastBytes >> 3));
    writeNodeIpvs(out, doc, doc.services.map(backendLabels));
    this.writeEngine(out, doc);
    writeServices(out, doc);
    writeCluster(out, doc);
    const bytes = out.raw(await this.processRegistry.metrics()).bytes();
    this.lastBytes = bytes.length;
    return bytes;
  }

  private writeEngine(out: Exposition, doc: StatusDocument): void {
    const { reloads } = this.options;
    out.family('xvs_build_info', 'gauge', 'Always 1; labels: the xvs version, its ABI version, Node.js version and data-plane backend');
    out.sample(labelSet({ version: xvsVersion(), abi: ABI_VERSION, node: process.version, backend: this.options.backend }), 1);
    out.family('xvs_reloads_total', 'counter', 'Reloads (SIGHUP, POST /reload) by result: success, failure (the running configuration stayed)');
    out.sample('{result="success"}', reloads.successes).sample('{result="failure"}', reloads.failures);
    out.family('xvs_config_last_reload_successful', 'gauge', '1 unless the last reload failed').sample('', reloads.lastOk ? 1 : 0);
    out.family('xvs_config_last_reload_success_timestamp_seconds', 'gauge', 'When the running configuration was loaded (start or the last successful reload), Unix time');
    out.sample('', reloads.lastSuccessMs / 1000);
    out.family('xvs_generation', 'gauge', 'Committed snapshot generation').sample('', doc.generation);
    out.family(
      'xvs_fast_path_total',
      'counter',
      'The XDP fast path (dataplane.fast_path): packets and bytes it forwarded itself, stale (matched an entry of an older snapshot: left to a worker), uncounted (forwarded without a per-server count)',
    );
    for (const [counter, value] of Object.entries(doc.fastPath ?? {})) out.sample(labelSet({ counter }), value);
    const workers = doc.workers.map((w) => ({ w, labels: labelSet({ worker: w.id }) }));
    for (const name of NOT_DROPS) {
      out.family(counterMetricName(name), 'counter', `Data-plane counter ${name}, per worker`);
      for (const { w, labels } of workers) out.sample(labels, w.counters[name]);
    }
    out.family('xvs_dropped_packets_total', 'counter', 'Packets the data plane dropped, per worker and reason');
    for (const { w, labels } of workers) for (const name of DROPS) out.sample(joinLabels(labels, labelSet({ reason: dropReason(name)! })), w.counters[name]);
    out.family('xvs_worker_up', 'gauge', '1 while the data-plane worker runs');
    for (const { w, labels } of workers) out.sample(labels, w.running ? 1 : 0);
    out.family('xvs_worker_generation', 'gauge', 'Snapshot generation the worker forwards with');
    for (const { w, labels } of workers) out.sample(labels, w.seenGeneration);
    out.family('xvs_worker_connection_entries', 'gauge', "Entries in the worker's connection table");
    for (const { w, labels } of workers) out.sample(labels, w.connections);
  }
}

function writeServices(out: Exposition, doc: StatusDocument): void {
  const services = doc.services.map((s) => ({ s, labels: labelSet({ service: s.name }) }));
  out.family('xvs_service_info', 'gauge', "Always 1: a service's name with its node_ipvs labels (local_address, local_port, proto), scheduler and forwarding method");
  for (const { s } of services)
    out.sample(labelSet({ service: s.name, local_address: s.vip, local_port: s.port, proto: ipvsProto(s.protocol), scheduler: s.scheduler, forwarding: s.forwarding }), 1);
  out.family('xvs_service_quorum_met', 'gauge', 'Health checks: 1 while the service has quorum, 0 while its sorry server takes new connections');
  for (const { s, labels } of services) if (s.quorumMet !== undefined) out.sample(labels, s.quorumMet ? 1 : 0);
  // A server's label set is escaped once; every family below reuses it.
  const servers = services.map(({ s }) => s.servers.map((srv) => labelSet({ service: s.name, server: srv.server })));
  for (const [name, type, help, samples] of PER_SERVER) {
    out.family(name, type, help);
    services.forEach(({ s }, i) =>
      s.servers.forEach((srv, j) => {
        const labels = servers[i]![j]!;
        samples(srv, (extra, value) => out.sample(joinLabels(labels, extra), value));
      }),
    );
  }
}

function writeCluster(out: Exposition, doc: StatusDocument): void {
  const bgp = doc.cluster?.bgp;
  out.family('xvs_cluster_bgp_session_established', 'gauge', 'cluster.bgp: 1 while the BGP session with the router is established');
  for (const session of bgp?.sessions ?? []) out.sample(labelSet({ peer: session.peer }), session.established ? 1 : 0);
  out.family('xvs_cluster_announced_routes', 'gauge', 'cluster.bgp: routes this node announces, by kind (vip, local_address, backup_local_address)');
  if (bgp) for (const kind of ['vip', 'local_address', 'backup_local_address'] as const) out.sample(labelSet({ kind }), bgp.announced.filter((r) => r.kind === kind).length);
  out.family('xvs_cluster_bgp_speaker_restarts_total', 'counter', 'cluster.bgp: times the BGP speaker (BIRD) exited on its own and was restarted');
  if (bgp) out.sample('', bgp.restarts);
  const sync = doc.cluster?.sync;
  out.family('xvs_cluster_sync_sent_total', 'counter', 'Connection sync: datagrams and records sent to every peer (unit)');
  if (sync) out.sample('{unit="datagrams"}', sync.sent.datagrams).sample('{unit="records"}', sync.sent.records);
  const peers = (sync?.peers ?? []).map((p) => ({ p, labels: labelSet({ peer: p.address }) }));
  out.family('xvs_cluster_sync_received_total', 'counter', 'Connection sync: datagrams and records received from the peer (unit)');
  for (const { p, labels } of peers) out.sample(joinLabels(labels, '{unit="datagrams"}'), p.datagrams).sample(joinLabels(labels, '{unit="records"}'), p.records);
  out.family('xvs_cluster_sync_lost_datagrams_total', 'counter', "Connection sync: the peer's datagrams that never arrived (gaps in its sequence)");
  for (const { p, labels } of peers) out.sample(labels, p.lost);
  out.family('xvs_cluster_sync_refused_records_total', 'counter', "Connection sync: the peer's records the workers' rings had no room for");
  for (const { p, labels } of peers) out.sample(labels, p.refused);
  out.family('xvs_cluster_sync_lag_seconds', 'gauge', "Connection sync: the peer's clock at sending to ours at receiving, last datagram (includes clock skew)");
  for (const { p, labels } of peers) if (p.lagMs !== undefined) out.sample(labels, p.lagMs / 1000);
  out.family('xvs_cluster_sync_last_seen_seconds', 'gauge', 'Connection sync: seconds since the last datagram from the peer');
  for (const { p, labels } of peers) if (p.lastSeenMs !== undefined) out.sample(labels, p.lastSeenMs / 1000);
  out.family('xvs_cluster_sync_invalid_datagrams_total', 'counter', 'Connection sync: datagrams refused, by reason (mac: not signed with our key; sender: not a node)');
  for (const [reason, n] of Object.entries(sync?.invalid ?? {})) out.sample(labelSet({ reason }), n);
}
