// src/cli/list-format.ts — `xvs list` output in ipvsadm's shapes, from the API's status
// document: the virtual server table (-n numeric ports; without it ports are named from
// /etc/services), --stats (per-worker packet, byte and connection counters) and --rate
// (per-second rates between two status samples). Pure apart from the /etc/services lookup;
// main thread of the CLI.
import type { CounterNumbers, StatusDocument } from '../api/status-document.js';
import type { ServiceStatus } from '../control/protocol.js';
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

/** --stats: the data plane's counters per worker and in total (it keeps no per-service packet counts). */
export function formatStats(doc: StatusDocument, numeric: boolean): string {
  // Conns: connections created since start (as ipvsadm's); Entries: connection-table entries now.
  const row = (who: string, c: CounterNumbers, entries: number) =>
    [who, c.conn_created, entries, c.rx_packets, c.tx_packets, c.rx_bytes, c.tx_bytes, c.pass_packets, dropped(c)].map(String);
  const rows = [['Worker', 'Conns', 'Entries', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes', 'Passed', 'Dropped']];
  for (const w of doc.workers) rows.push(row(String(w.id), w.counters, w.connections));
  rows.push(row('total', doc.counters, doc.workers.reduce((n, w) => n + w.connections, 0)));
  const reasons = COUNTERS.filter((n) => n.startsWith('drop_') && doc.counters[n] !== 0).map((n) => `${n.slice('drop_'.length)} ${doc.counters[n]}`);
  return `${formatServices(doc, numeric)}\n${table(rows)}\n${reasons.length ? `Drops: ${reasons.join(', ')}\n` : ''}`;
}

export interface Rates {
  intervalSeconds: number;
  total: RateRow;
  workers: (RateRow & { id: number })[];
}

export interface RateRow {
  cps: number;
  inpps: number;
  outpps: number;
  inbps: number;
  outbps: number;
  droppps: number;
}

function rateRow(before: CounterNumbers, after: CounterNumbers, seconds: number): RateRow {
  // Counters only grow; a restart between the samples would make a delta negative: show 0.
  const per = (d: number) => Math.max(0, Math.round(d / seconds));
  return {
    cps: per(after.conn_created - before.conn_created),
    inpps: per(after.rx_packets - before.rx_packets),
    outpps: per(after.tx_packets - before.tx_packets),
    inbps: per(after.rx_bytes - before.rx_bytes),
    outbps: per(after.tx_bytes - before.tx_bytes),
    droppps: per(dropped(after) - dropped(before)),
  };
}

/** Per-second rates between two samples taken `seconds` apart. */
export function rates(before: StatusDocument, after: StatusDocument, seconds: number): Rates {
  return {
    intervalSeconds: seconds,
    total: rateRow(before.counters, after.counters, seconds),
    workers: after.workers.map((w) => ({ id: w.id, ...rateRow(before.workers[w.id]?.counters ?? w.counters, w.counters, seconds) })),
  };
}

/** --rate: ipvsadm's rate columns, per worker and in total. */
export function formatRates(doc: StatusDocument, r: Rates, numeric: boolean): string {
  const row = (who: string, x: RateRow) => [who, x.cps, x.inpps, x.outpps, x.inbps, x.outbps, x.droppps].map(String);
  const rows = [['Worker', 'CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS', 'DropPPS']];
  for (const w of r.workers) rows.push(row(String(w.id), w));
  rows.push(row('total', r.total));
  return `${formatServices(doc, numeric)}\n${table(rows)}\n(over ${r.intervalSeconds.toFixed(2)} s)\n`;
}
