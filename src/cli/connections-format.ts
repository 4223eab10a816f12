// src/cli/connections-format.ts — `xvs list -c`: connection entries as ipvsadm 1.31's list_conn
// prints them, line by line as GET /connections/stream delivers them ("%-3s %-6s %-11s %-18s
// %-18s %s": pro, expire as mm:ss, state, source, virtual, destination); persistence templates
// show as state NONE with their server, as in IPVS. With --wide, xvs's two extra columns: the
// local address the server replies to (the LIP in fullnat, as DPVS prints it) and the worker
// that owns the entry. Also the table of a GET /connections document. Pure apart from the
// /etc/services lookup (without -n); main thread of the CLI.
import type { ConnectionEntry, WorkerConnections } from '../native/addon.js';
import { portName } from './port-names.js';
import { table } from './table.js';

export interface ConnectionsDocument {
  limit: number;
  total: number;
  shown: number;
  workers: WorkerConnections[];
}

function expire(seconds: number): string {
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

/** IPVS's state names: tcp_established → ESTABLISHED, udp → UDP, a template → NONE. */
export function stateName(e: ConnectionEntry): string {
  if (e.template) return 'NONE';
  return e.state.replace(/^tcp_/, '').toUpperCase();
}

function endpoint(text: string | undefined, protocol: 'tcp' | 'udp', numeric: boolean): string {
  if (text === undefined) return '-';
  if (numeric) return text;
  const i = text.lastIndexOf(':');
  return `${text.slice(0, i)}:${portName(Number(text.slice(i + 1)), protocol)}`;
}

export function formatConnections(doc: ConnectionsDocument, numeric: boolean): string {
  const rows = [['pro', 'expire', 'state', 'source', 'virtual', 'destination', 'local', 'worker']];
  for (const w of doc.workers)
    for (const e of w.entries)
      rows.push([
        e.protocol.toUpperCase(),
        expire(e.expiresIn),
        stateName(e),
        endpoint(e.client, e.protocol, numeric),
        endpoint(e.virtual, e.protocol, numeric),
        endpoint(e.server, e.protocol, numeric),
        endpoint(e.local, e.protocol, numeric),
        String(w.worker),
      ]);
  const lines = [`IPVS connection entries (xvs: ${doc.total} in ${doc.workers.length} worker${doc.workers.length === 1 ? '' : 's'})`, table(rows)];
  if (doc.shown < doc.total) lines.push(`(${doc.shown} of ${doc.total} shown: at most ${doc.limit} per worker; --limit shows more)`);
  return `${lines.join('\n')}\n`;
}

/** list_conn's title lines. */
export const CONNECTIONS_TITLE = `IPVS connection entries\npro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} destination\n`;
/** With --persistent-conn, ipvsadm names the persistence engine's columns (xvs has none: the lines stay as they are). */
export const CONNECTIONS_TITLE_PERSISTENT = `IPVS connection entries\npro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} ${'destination'.padEnd(18)} ${'pe name'.padEnd(16)} pe_data\n`;
export const CONNECTIONS_TITLE_WIDE = `IPVS connection entries\npro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} ${'destination'.padEnd(18)} ${'local'.padEnd(18)} worker\n`;

/** print_conn's line for one entry of the stream; `wide` adds local and worker. */
export function connectionLine(e: ConnectionEntry & { worker: number }, numeric: boolean, wide: boolean): string {
  const head = `${e.protocol.toUpperCase().padEnd(3)} ${expire(e.expiresIn).padEnd(6)} ${stateName(e).padEnd(11)} ${endpoint(e.client, e.protocol, numeric).padEnd(18)} ${endpoint(e.virtual, e.protocol, numeric).padEnd(18)}`;
  const destination = endpoint(e.server, e.protocol, numeric);
  if (!wide) return `${head} ${destination}\n`;
  return `${head} ${destination.padEnd(18)} ${endpoint(e.local, e.protocol, numeric).padEnd(18)} ${e.worker}\n`;
}

