// src/stats/metrics.ts — Prometheus exposition of a status document (prom-client): every
// data-plane counter per worker (named from the ABI's counter list, so a counter added there
// appears here), snapshot generations, per-server weights, next-hop state, IPVS connection
// counts and traffic, health (server state, probes, transitions, quorum), plus prom-client's
// default process metrics. Consumes StatusDocument; produces the text format.
// Main thread (GET /metrics): each scrape asks the control worker for a fresh status and sets
// every value from it, so nothing here is state of its own. Names: README "Metrics".
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

import type { StatusDocument } from '../api/status-document.js';
import { COUNTERS, type CounterName } from '../native/abi.js';

const DROPPED = 'xvs_dropped_packets_total';

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

export class MetricsExporter {
  private readonly registry = new Registry();
  private readonly counters = new Map<CounterName, Counter<'worker'>>();
  private readonly dropped: Counter<'worker' | 'reason'>;
  private readonly generation: Gauge;
  private readonly fastPath: Counter<'counter'>;
  private readonly workerUp: Gauge<'worker'>;
  private readonly workerGeneration: Gauge<'worker'>;
  private readonly workerEntries: Gauge<'worker'>;
  private readonly weight: Gauge<'service' | 'server'>;
  private readonly configuredWeight: Gauge<'service' | 'server'>;
  private readonly nextHop: Gauge<'service' | 'server'>;
  private readonly active: Gauge<'service' | 'server' | 'worker'>;
  private readonly serverUp: Gauge<'service' | 'server'>;
  private readonly probes: Counter<'service' | 'server' | 'result'>;
  private readonly transitions: Counter<'service' | 'server'>;
  private readonly quorum: Gauge<'service'>;
  private readonly inactive: Gauge<'service' | 'server' | 'worker'>;
  private readonly serverConns: Counter<'service' | 'server'>;
  private readonly serverPackets: Counter<'service' | 'server' | 'direction'>;
  private readonly serverBytes: Counter<'service' | 'server' | 'direction'>;
  private readonly bgpSession: Gauge<'peer'>;
  private readonly announced: Gauge<'kind'>;
  private readonly bgpRestarts: Counter;
  private readonly syncSent: Counter<'unit'>;
  private readonly syncReceived: Counter<'peer' | 'unit'>;
  private readonly syncLost: Counter<'peer'>;
  private readonly syncRefused: Counter<'peer'>;
  private readonly syncLag: Gauge<'peer'>;
  private readonly syncLastSeen: Gauge<'peer'>;
  private readonly syncInvalid: Counter<'reason'>;

  constructor() {
    const registers = [this.registry];
    for (const name of NOT_DROPS)
      this.counters.set(
        name,
        new Counter({ name: counterMetricName(name), help: `Data-plane counter ${name}, per worker`, labelNames: ['worker'], registers }),
      );
    this.dropped = new Counter({ name: DROPPED, help: 'Packets the data plane dropped, per worker and reason', labelNames: ['worker', 'reason'], registers });
    this.generation = new Gauge({ name: 'xvs_generation', help: 'Committed snapshot generation', registers });
    this.fastPath = new Counter({
      name: 'xvs_fast_path_total',
      help: 'The XDP fast path (dataplane.fast_path): packets and bytes it forwarded itself, stale (matched an entry of an older snapshot: left to a worker), uncounted (forwarded without a per-server count)',
      labelNames: ['counter'],
      registers,
    });
    this.workerUp = new Gauge({ name: 'xvs_worker_up', help: '1 while the data-plane worker runs', labelNames: ['worker'], registers });
    this.workerGeneration = new Gauge({ name: 'xvs_worker_generation', help: 'Snapshot generation the worker forwards with', labelNames: ['worker'], registers });
    this.workerEntries = new Gauge({ name: 'xvs_worker_connection_entries', help: "Entries in the worker's connection table", labelNames: ['worker'], registers });
    const server = ['service', 'server'] as const;
    this.weight = new Gauge({ name: 'xvs_server_weight', help: 'Weight in use (runtime override or configured); 0 = quiescent', labelNames: server, registers });
    this.configuredWeight = new Gauge({ name: 'xvs_server_configured_weight', help: 'Weight in the config file', labelNames: server, registers });
    this.nextHop = new Gauge({ name: 'xvs_server_next_hop_resolved', help: '1 when the next hop towards the server is resolved', labelNames: server, registers });
    const perWorker = ['service', 'server', 'worker'] as const;
    this.active = new Gauge({ name: 'xvs_server_active_connections', help: 'IPVS ActiveConn (established TCP) per worker', labelNames: perWorker, registers });
    this.inactive = new Gauge({ name: 'xvs_server_inactive_connections', help: 'IPVS InActConn (other states, UDP) per worker', labelNames: perWorker, registers });
    this.serverUp = new Gauge({ name: 'xvs_server_up', help: 'Health checks: 1 up, 0 down (servers of services without checks are absent)', labelNames: server, registers });
    this.probes = new Counter({ name: 'xvs_health_probes_total', help: 'Health probes since the check was (re)configured, by result (ok, failed, error: could not run)', labelNames: [...server, 'result'], registers });
    this.transitions = new Counter({ name: 'xvs_health_transitions_total', help: 'Up/down transitions since the check was (re)configured', labelNames: server, registers });
    this.quorum = new Gauge({ name: 'xvs_service_quorum_met', help: 'Health checks: 1 while the service has quorum, 0 while its sorry server takes new connections', labelNames: ['service'], registers });
    this.serverConns = new Counter({ name: 'xvs_server_connections_total', help: 'Connections scheduled to the server since it was configured (ipvsadm Conns)', labelNames: server, registers });
    const directed = [...server, 'direction'] as const;
    this.serverPackets = new Counter({ name: 'xvs_server_packets_total', help: 'Packets forwarded for the server, direction in (client side) or out (server side)', labelNames: directed, registers });
    this.serverBytes = new Counter({ name: 'xvs_server_bytes_total', help: 'Bytes (IP length as received) forwarded for the server, direction in or out', labelNames: directed, registers });
    this.bgpSession = new Gauge({ name: 'xvs_cluster_bgp_session_established', help: 'cluster.bgp: 1 while the BGP session with the router is established', labelNames: ['peer'], registers });
    this.announced = new Gauge({
      name: 'xvs_cluster_announced_routes',
      help: 'cluster.bgp: routes this node announces, by kind (vip, local_address, backup_local_address)',
      labelNames: ['kind'],
      registers,
    });
    this.bgpRestarts = new Counter({ name: 'xvs_cluster_bgp_speaker_restarts_total', help: 'cluster.bgp: times the BGP speaker (BIRD) exited on its own and was restarted', registers });
    this.syncSent = new Counter({ name: 'xvs_cluster_sync_sent_total', help: 'Connection sync: datagrams and records sent to every peer (unit)', labelNames: ['unit'], registers });
    this.syncReceived = new Counter({ name: 'xvs_cluster_sync_received_total', help: 'Connection sync: datagrams and records received from the peer (unit)', labelNames: ['peer', 'unit'], registers });
    this.syncLost = new Counter({ name: 'xvs_cluster_sync_lost_datagrams_total', help: "Connection sync: the peer's datagrams that never arrived (gaps in its sequence)", labelNames: ['peer'], registers });
    this.syncRefused = new Counter({ name: 'xvs_cluster_sync_refused_records_total', help: "Connection sync: the peer's records the workers' rings had no room for", labelNames: ['peer'], registers });
    this.syncLag = new Gauge({ name: 'xvs_cluster_sync_lag_seconds', help: "Connection sync: the peer's clock at sending to ours at receiving, last datagram (includes clock skew)", labelNames: ['peer'], registers });
    this.syncLastSeen = new Gauge({ name: 'xvs_cluster_sync_last_seen_seconds', help: 'Connection sync: seconds since the last datagram from the peer', labelNames: ['peer'], registers });
    this.syncInvalid = new Counter({ name: 'xvs_cluster_sync_invalid_datagrams_total', help: 'Connection sync: datagrams refused, by reason (mac: not signed with our key; sender: not a node)', labelNames: ['reason'], registers });
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text with every xvs value taken from `doc`. */
  async render(doc: StatusDocument): Promise<string> {
    // Series of servers or workers that left must not linger with their last value.
    for (const m of [...this.counters.values(), this.dropped, this.workerUp, this.workerGeneration, this.workerEntries])
      m.reset();
    for (const m of [this.weight, this.configuredWeight, this.nextHop, this.active, this.inactive, this.serverUp, this.probes, this.transitions, this.quorum])
      m.reset();
    for (const m of [this.serverConns, this.serverPackets, this.serverBytes, this.fastPath, this.bgpSession, this.announced, this.bgpRestarts]) m.reset();
    for (const m of [this.syncSent, this.syncReceived, this.syncLost, this.syncRefused, this.syncLag, this.syncLastSeen, this.syncInvalid]) m.reset();
    const sync = doc.cluster?.sync;
    if (sync) {
      this.syncSent.inc({ unit: 'datagrams' }, sync.sent.datagrams);
      this.syncSent.inc({ unit: 'records' }, sync.sent.records);
      for (const [reason, n] of Object.entries(sync.invalid)) this.syncInvalid.inc({ reason }, n);
      for (const p of sync.peers) {
        const peer = p.address;
        this.syncReceived.inc({ peer, unit: 'datagrams' }, p.datagrams);
        this.syncReceived.inc({ peer, unit: 'records' }, p.records);
        this.syncLost.inc({ peer }, p.lost);
        this.syncRefused.inc({ peer }, p.refused);
        if (p.lagMs !== undefined) this.syncLag.set({ peer }, p.lagMs / 1000);
        if (p.lastSeenMs !== undefined) this.syncLastSeen.set({ peer }, p.lastSeenMs / 1000);
      }
    }
    const bgp = doc.cluster?.bgp;
    if (bgp) {
      for (const session of bgp.sessions) this.bgpSession.set({ peer: session.peer }, session.established ? 1 : 0);
      for (const kind of ['vip', 'local_address', 'backup_local_address'] as const)
        this.announced.set({ kind }, bgp.announced.filter((r) => r.kind === kind).length);
      this.bgpRestarts.inc(bgp.restarts);
    }
    this.generation.set(doc.generation);
    if (doc.fastPath) for (const [counter, value] of Object.entries(doc.fastPath)) this.fastPath.inc({ counter }, value);
    for (const w of doc.workers) {
      const worker = String(w.id);
      for (const name of COUNTERS) {
        const reason = dropReason(name);
        if (reason) this.dropped.inc({ worker, reason }, w.counters[name]);
        else this.counters.get(name)!.inc({ worker }, w.counters[name]);
      }
      this.workerUp.set({ worker }, w.running ? 1 : 0);
      this.workerGeneration.set({ worker }, w.seenGeneration);
      this.workerEntries.set({ worker }, w.connections);
    }
    for (const s of doc.services) {
      if (s.quorumMet !== undefined) this.quorum.set({ service: s.name }, s.quorumMet ? 1 : 0);
      for (const srv of s.servers) {
        const labels = { service: s.name, server: srv.server };
        if (srv.health !== 'unchecked') this.serverUp.set(labels, srv.health === 'up' ? 1 : 0);
        if (srv.checks) {
          this.probes.inc({ ...labels, result: 'ok' }, srv.checks.checks - srv.checks.failures);
          this.probes.inc({ ...labels, result: 'failed' }, srv.checks.failures);
          this.probes.inc({ ...labels, result: 'error' }, srv.checks.errors);
          this.transitions.inc(labels, srv.checks.transitions);
        }
        this.weight.set(labels, srv.weight);
        this.configuredWeight.set(labels, srv.configuredWeight);
        this.nextHop.set(labels, srv.nextHopResolved ? 1 : 0);
        this.serverConns.inc(labels, srv.traffic.conns);
        this.serverPackets.inc({ ...labels, direction: 'in' }, srv.traffic.inPackets);
        this.serverPackets.inc({ ...labels, direction: 'out' }, srv.traffic.outPackets);
        this.serverBytes.inc({ ...labels, direction: 'in' }, srv.traffic.inBytes);
        this.serverBytes.inc({ ...labels, direction: 'out' }, srv.traffic.outBytes);
        for (const w of srv.workers) {
          this.active.set({ ...labels, worker: String(w.worker) }, w.active);
          this.inactive.set({ ...labels, worker: String(w.worker) }, w.inactive);
        }
      }
    }
    return this.registry.metrics();
  }
}
