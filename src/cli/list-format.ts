// src/cli/list-format.ts — `xvs list` output in ipvsadm's shapes, from the API's status
// document: the virtual server table (-n numeric ports; without it ports are named from
// /etc/services), --stats (connections, packets and bytes per service and server as ipvsadm
// prints them, exact, then per worker with the drops) and --rate (the same as per-second rates
// between two status samples). Pure apart from the /etc/services lookup; main thread of the CLI.
import type { CounterNumbers, StatusDocument } from '../api/status-document.js';
import type { ServiceStatus, Traffic } from '../control/protocol.js';
import { COUNTERS } from '../native/abi.js';
import { portName } from './port-names.js';
import { table } from './table.js';

// ipvsadm's names for the forwarding methods (FullNat as DPVS prints it).
const FORWARD: Record<ServiceStatus['forwarding'], string> = { dr: 'Route', nat: 'Masq', tunnel: 'Tunnel', fullnat: 'FullNat' };

function endpoint(address: string, port: number, protocol: 'tcp' | 'udp', numeric: boolean): string {
  return `${address}:${numeric ? port : portName(port, protocol)}`;
}

function serviceFlags(s: ServiceStatus): string {
  if (!s.persistence) return '';
  const mask = s.persistence.netmask === 32 ? '' : ` mask ${netmask(s.persistence.netmask)}`;
  return ` persistent ${s.persistence.timeout}${mask}`;
}

function netmask(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (m >>> shift) & 0xff).join('.');
}

function banner(doc: StatusDocument): string {
  return `xvs (generation ${doc.generation}, ${doc.workers.length} worker${doc.workers.length === 1 ? '' : 's'}, ${doc.running ? 'running' : 'stopped'})`;
}

/** ipvsadm -L [-n]: one line per virtual service, one "->" line per real server. */
export function formatServices(doc: StatusDocument, numeric: boolean): string {
  const lines = [
    banner(doc),
    'Prot LocalAddress:Port Scheduler Flags',
    `  -> ${'RemoteAddress:Port'.padEnd(28)} Forward Weight ActiveConn InActConn`,
  ];
  for (const s of doc.services) {
    lines.push(`${s.protocol.toUpperCase().padEnd(4)} ${endpoint(s.vip, s.port, s.protocol, numeric)} ${s.scheduler}${serviceFlags(s)}`);
    for (const srv of s.servers)
      lines.push(
        `  -> ${endpoint(srv.address, srv.port, s.protocol, numeric).padEnd(28)} ${FORWARD[s.forwarding].padEnd(7)} ${String(srv.weight).padEnd(6)} ${String(srv.active).padEnd(10)} ${srv.inactive}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

function dropped(c: CounterNumbers): number {
  return COUNTERS.filter((n) => n.startsWith('drop_')).reduce((sum, n) => sum + c[n], 0);
}

/** ipvsadm -L --stats / --rate shape: a service line, then "->" lines for its servers; `cells` gives the figures. */
function perServerTable<T>(
  doc: StatusDocument,
  numeric: boolean,
  columns: string[],
  service: (s: ServiceStatus) => T,
  server: (s: ServiceStatus, server: ServiceStatus['servers'][number]) => T,
  cells: (x: T) => (string | number)[],
): string {
  const rows = [['Prot LocalAddress:Port', ...columns], ['  -> RemoteAddress:Port', ...columns.map(() => '')]];
  for (const s of doc.services) {
    rows.push([`${s.protocol.toUpperCase().padEnd(4)} ${endpoint(s.vip, s.port, s.protocol, numeric)}`, ...cells(service(s)).map(String)]);
    for (const srv of s.servers) rows.push([`  -> ${endpoint(srv.address, srv.port, s.protocol, numeric)}`, ...cells(server(s, srv)).map(String)]);
  }
  return table(rows);
}

const trafficCells = (t: Traffic) => [t.conns, t.inPackets, t.outPackets, t.inBytes, t.outBytes];

/**
 * --stats: per service and server, connections, packets and bytes since each was configured
 * (ipvsadm --stats --exact); then the data plane's counters per worker and in total, and the
 * drop reasons that are not zero.
 */
export function formatStats(doc: StatusDocument, numeric: boolean): string {
  const services = perServerTable(doc, numeric, ['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'], (s) => s.traffic, (_, srv) => srv.traffic, trafficCells);
  // Conns: connections created since start (as ipvsadm's); Entries: connection-table entries now.
  const row = (who: string, c: CounterNumbers, entries: number) =>
    [who, c.conn_created, entries, c.rx_packets, c.tx_packets, c.rx_bytes, c.tx_bytes, c.pass_packets, dropped(c)].map(String);
  const rows = [['Worker', 'Conns', 'Entries', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes', 'Passed', 'Dropped']];
  for (const w of doc.workers) rows.push(row(String(w.id), w.counters, w.connections));
  rows.push(row('total', doc.counters, doc.workers.reduce((n, w) => n + w.connections, 0)));
  const reasons = COUNTERS.filter((n) => n.startsWith('drop_') && doc.counters[n] !== 0).map((n) => `${n.slice('drop_'.length)} ${doc.counters[n]}`);
  return `${banner(doc)}\n${services}\n\n${table(rows)}\n${reasons.length ? `Drops: ${reasons.join(', ')}\n` : ''}`;
}

/** Per-second rates of a Traffic (ipvsadm --rate's columns). */
export interface TrafficRate {
  cps: number;
  inpps: number;
  outpps: number;
  inbps: number;
  outbps: number;
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

/** --rate: ipvsadm's rate columns per service and server, then per worker and in total (with drops). */
export function formatRates(doc: StatusDocument, r: Rates, numeric: boolean): string {
  const byKey = new Map(r.services.map((s) => [s.key, { rate: s.rate, servers: new Map(s.servers.map((x) => [x.server, x.rate])) }]));
  const zero: TrafficRate = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
  const cells = (x: TrafficRate) => [x.cps, x.inpps, x.outpps, x.inbps, x.outbps];
  const services = perServerTable(
    doc,
    numeric,
    ['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'],
    (s) => byKey.get(s.key)?.rate ?? zero,
    (s, srv) => byKey.get(s.key)?.servers.get(srv.server) ?? zero,
    cells,
  );
  const row = (who: string, x: RateRow) => [who, ...cells(x), x.droppps].map(String);
  const rows = [['Worker', 'CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS', 'DropPPS']];
  for (const w of r.workers) rows.push(row(String(w.id), w));
  rows.push(row('total', r.total));
  return `${banner(doc)}\n${services}\n\n${table(rows)}\n(over ${r.intervalSeconds.toFixed(2)} s)\n`;
}
