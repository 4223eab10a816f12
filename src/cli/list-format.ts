// src/cli/list-format.ts — `xvs list` output from the API's status document: a banner line where
// ipvsadm prints its version, then ipvsadm's table (ipvsadm-format.ts: plain, --thresholds,
// --stats, --rate as per-second rates between two status samples), and with --workers xvs's own
// per-worker counters after it. Pure apart from the /etc/services lookup; main thread of the CLI.
import type { CounterNumbers, StatusDocument } from '../api/status-document.js';
import type { ServiceStatus, Traffic } from '../control/protocol.js';
import { COUNTERS } from '../native/abi.js';
import { serviceTable, type RateLookup, type TableKind, type TableOptions, type TrafficRate } from './ipvsadm-format.js';
import { table } from './table.js';

function banner(doc: StatusDocument): string {
  return `xvs (generation ${doc.generation}, ${doc.workers.length} worker${doc.workers.length === 1 ? '' : 's'}, ${doc.running ? 'running' : 'stopped'})`;
}

/** What `xvs list` shows: one table kind of ipvsadm's, which services, and xvs's extras. */
export interface ListView extends TableOptions {
  kind: TableKind;
  /** -t/-u VIP:PORT: that service alone, without the banner line (ipvsadm's list_service). */
  only?: ServiceStatus;
  /** --workers: the data plane's counters per worker after the table (--stats, --rate). */
  workers: boolean;
}

function listing(doc: StatusDocument, v: ListView, rate?: RateLookup): string {
  if (v.only) return serviceTable([v.only], v.kind, v, rate);
  return `${banner(doc)}\n${serviceTable(doc.services, v.kind, v, rate)}`;
}

/** ipvsadm -L, --thresholds: one line per virtual service, one "->" line per real server. */
export function formatServices(doc: StatusDocument, v: ListView): string {
  return listing(doc, v);
}

function dropped(c: CounterNumbers): number {
  return COUNTERS.filter((n) => n.startsWith('drop_')).reduce((sum, n) => sum + c[n], 0);
}

/**
 * --stats: per service and server, connections, packets and bytes since each was configured
 * (ipvsadm --stats); with --workers, then the data plane's counters per worker and in total,
 * and the drop reasons that are not zero.
 */
export function formatStats(doc: StatusDocument, v: ListView): string {
  const services = listing(doc, v);
  if (!v.workers) return services;
  // Conns: connections created since start (as ipvsadm's); Entries: connection-table entries now.
  const row = (who: string, c: CounterNumbers, entries: number) =>
    [who, c.conn_created, entries, c.rx_packets, c.tx_packets, c.rx_bytes, c.tx_bytes, c.pass_packets, dropped(c)].map(String);
  const rows = [['Worker', 'Conns', 'Entries', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes', 'Passed', 'Dropped']];
  for (const w of doc.workers) rows.push(row(String(w.id), w.counters, w.connections));
  rows.push(row('total', doc.counters, doc.workers.reduce((n, w) => n + w.connections, 0)));
  const reasons = COUNTERS.filter((n) => n.startsWith('drop_') && doc.counters[n] !== 0).map((n) => `${n.slice('drop_'.length)} ${doc.counters[n]}`);
  return `${services}\n${table(rows)}\n${reasons.length ? `Drops: ${reasons.join(', ')}\n` : ''}`;
}

export interface RateRow extends TrafficRate {
  droppps: number;
}

export interface Rates {
  intervalSeconds: number;
  total: RateRow;
  workers: (RateRow & { id: number })[];
  /** By service key; servers by address:port. */
  services: { key: string; rate: TrafficRate; servers: { server: string; rate: TrafficRate }[] }[];
}

// Counters only grow; a restart between the samples would make a delta negative: show 0.
const perSecond = (d: number, seconds: number) => Math.max(0, Math.round(d / seconds));

function trafficRate(before: Traffic, after: Traffic, seconds: number): TrafficRate {
  return {
    cps: perSecond(after.conns - before.conns, seconds),
    inpps: perSecond(after.inPackets - before.inPackets, seconds),
    outpps: perSecond(after.outPackets - before.outPackets, seconds),
    inbps: perSecond(after.inBytes - before.inBytes, seconds),
    outbps: perSecond(after.outBytes - before.outBytes, seconds),
  };
}

/** A worker's counters in Traffic's terms: every frame it received and sent, not only forwarded ones. */
function workerTraffic(c: CounterNumbers): Traffic {
  return { conns: c.conn_created, inPackets: c.rx_packets, outPackets: c.tx_packets, inBytes: c.rx_bytes, outBytes: c.tx_bytes };
}

function rateRow(before: CounterNumbers, after: CounterNumbers, seconds: number): RateRow {
  return { ...trafficRate(workerTraffic(before), workerTraffic(after), seconds), droppps: perSecond(dropped(after) - dropped(before), seconds) };
}

/** Per-second rates between two samples taken `seconds` apart; what the first lacks (added meanwhile) counts from the second. */
export function rates(before: StatusDocument, after: StatusDocument, seconds: number): Rates {
  const earlier = new Map(before.services.map((s) => [s.key, { servers: new Map(s.servers.map((x) => [x.server, x.traffic])) }]));
  return {
    intervalSeconds: seconds,
    total: rateRow(before.counters, after.counters, seconds),
    workers: after.workers.map((w) => ({ id: w.id, ...rateRow(before.workers[w.id]?.counters ?? w.counters, w.counters, seconds) })),
    services: after.services.map((s) => {
      const was = earlier.get(s.key);
      const servers = s.servers.map((x) => ({ server: x.server, rate: trafficRate(was?.servers.get(x.server) ?? x.traffic, x.traffic, seconds) }));
      // Its servers' rates summed: a server added or removed between the samples is no jump.
      const rate = servers.reduce(
        (sum, { rate: x }) => ({ cps: sum.cps + x.cps, inpps: sum.inpps + x.inpps, outpps: sum.outpps + x.outpps, inbps: sum.inbps + x.inbps, outbps: sum.outbps + x.outbps }),
        { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 },
      );
      return { key: s.key, rate, servers };
    }),
  };
}

/** --rate: ipvsadm's rate columns per service and server; with --workers, then per worker and in total (with drops). */
export function formatRates(doc: StatusDocument, r: Rates, v: ListView): string {
  const byKey = new Map(r.services.map((s) => [s.key, { rate: s.rate, servers: new Map(s.servers.map((x) => [x.server, x.rate])) }]));
  const zero: TrafficRate = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
  const lookup: RateLookup = (s, srv) => (srv ? byKey.get(s.key)?.servers.get(srv.server) : byKey.get(s.key)?.rate) ?? zero;
  const services = listing(doc, v, lookup);
  if (!v.workers) return services;
  const row = (who: string, x: RateRow) => [who, x.cps, x.inpps, x.outpps, x.inbps, x.outbps, x.droppps].map(String);
  const rows = [['Worker', 'CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS', 'DropPPS']];
  for (const w of r.workers) rows.push(row(String(w.id), w));
  rows.push(row('total', r.total));
  return `${services}\n${table(rows)}\n(over ${r.intervalSeconds.toFixed(2)} s)\n`;
}
