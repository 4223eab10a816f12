// src/stats/node-ipvs-metrics.ts — the series node_exporter's IPVS collector exposes, with its
// names, types, help and labels, so that dashboards and alerts written for IPVS hosts work on
// xvs unchanged: the global totals (/proc/net/ip_vs_stats: connections, packets and bytes in and
// out, never going back when a server leaves) and per backend (/proc/net/ip_vs: ActiveConn,
// InActConn, Weight) labelled local_address, local_port, remote_address, remote_port, proto
// (TCP, UDP as IPVS writes them) and local_mark (empty: xvs has no firewall-mark services).
// Consumes a StatusDocument; writes into an Exposition. Main thread (GET /metrics).
import type { StatusDocument } from '../api/status-document.js';
import type { ServiceStatus } from '../control/protocol.js';
import { type Exposition, labelSet } from './exposition.js';

/** IPVS's protocol names (/proc/net/ip_vs), which the collector copies into `proto`. */
export function ipvsProto(protocol: ServiceStatus['protocol']): string {
  return protocol.toUpperCase();
}

/** Per server of `service`, its backend label set as node_exporter writes it. */
export function backendLabels(service: ServiceStatus): string[] {
  const proto = ipvsProto(service.protocol);
  return service.servers.map((s) =>
    labelSet({ local_address: service.vip, local_port: service.port, remote_address: s.address, remote_port: s.port, proto, local_mark: '' }),
  );
}

export function writeNodeIpvs(out: Exposition, doc: StatusDocument, backends: readonly string[][]): void {
  const totals: [string, string, number][] = [
    ['node_ipvs_connections_total', 'The total number of connections made.', doc.traffic.conns],
    ['node_ipvs_incoming_packets_total', 'The total number of incoming packets.', doc.traffic.inPackets],
    ['node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.', doc.traffic.outPackets],
    ['node_ipvs_incoming_bytes_total', 'The total amount of incoming data.', doc.traffic.inBytes],
    ['node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.', doc.traffic.outBytes],
  ];
  for (const [name, help, value] of totals) out.family(name, 'counter', help).sample('', value);
  const perBackend: [string, string, (s: ServiceStatus['servers'][number]) => number][] = [
    ['node_ipvs_backend_connections_active', 'The current active connections by local and remote address.', (s) => s.active],
    ['node_ipvs_backend_connections_inactive', 'The current inactive connections by local and remote address.', (s) => s.inactive],
    ['node_ipvs_backend_weight', 'The current backend weight by local and remote address.', (s) => s.weight],
  ];
  for (const [name, help, value] of perBackend) {
    out.family(name, 'gauge', help);
    doc.services.forEach((service, i) => service.servers.forEach((s, j) => out.sample(backends[i]![j]!, value(s))));
  }
}
