// src/cli/cluster-format.ts — `xvs list --cluster`: this node's view of its cluster from the
// status document — the nodes, connection sync with each peer, each BGP session with its state,
// and what this node announces.
// Pure; main thread.
import type { StatusDocument } from '../api/status-document.js';
import { table } from './table.js';

export function formatCluster(doc: StatusDocument): string {
  const c = doc.cluster;
  if (!c) return 'not a cluster node (no cluster section in the config)\n';
  const out: string[] = [`Cluster node ${c.node} (${c.nodes.length} node${c.nodes.length === 1 ? '' : 's'})`];
  out.push(table([['Node', 'Address', ''], ...c.nodes.map((n) => [String(n.id), n.address, n.self ? 'this node' : ''])]));
  if (c.sync) {
    const s = c.sync;
    const invalid = Object.entries(s.invalid).map(([reason, n]) => `${reason} ${n}`);
    out.push('', `Connection sync, UDP port ${s.port}: sent ${s.sent.records} records in ${s.sent.datagrams} datagrams${invalid.length ? `; refused datagrams: ${invalid.join(', ')}` : ''}`);
    out.push(
      table([
        ['Peer', 'Address', 'Records', 'Datagrams', 'Lost', 'Refused', 'LastSeen', 'Lag', 'Table'],
        ...s.peers.map((p) => [
          String(p.node),
          p.address,
          String(p.records),
          String(p.datagrams),
          String(p.lost),
          String(p.refused),
          p.lastSeenMs === undefined ? '-' : `${(p.lastSeenMs / 1000).toFixed(1)}s`,
          p.lagMs === undefined ? '-' : `${p.lagMs}ms`,
          p.tableReceived ? 'received' : 'not received',
        ]),
      ]),
    );
  }
  if (!c.bgp) {
    out.push('BGP: not configured (cluster.bgp)');
    return `${out.join('\n')}\n`;
  }
  out.push('', `BGP AS ${c.bgp.asn}${c.bgp.restarts ? `, speaker restarted ${c.bgp.restarts} times` : ''}`);
  out.push(table([['Peer', 'AS', 'State', 'Since'], ...c.bgp.sessions.map((s) => [s.peer, String(s.asn), s.info || s.state, s.since])]));
  out.push('', `Announced (${c.bgp.announced.length})`);
  if (c.bgp.announced.length) out.push(table([['Prefix', 'Kind'], ...c.bgp.announced.map((r) => [r.prefix, r.kind])]));
  return `${out.join('\n')}\n`;
}
