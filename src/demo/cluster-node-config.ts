// src/demo/cluster-node-config.ts — the config file of one node of the cluster topology
// (cluster-topology.ts): the VIP's web (port 80) and echo (ECHO_PORT) services in one forwarding
// mode, bgp with the router, drain_time 2. Full-NAT draws on two local addresses (one a node
// with more nodes) and checks
// quorum 2 on both services (on the web port, so that both lose it together); the other modes
// use rr, so that only synced state, not a hash both nodes agree on, keeps a flow on its server.
// Pure; main thread.

export type ClusterMode = 'fullnat' | 'nat' | 'dr' | 'tunnel';

export interface ClusterNodeConfigOptions {
  id: number;
  mode: ClusterMode;
  nodes: readonly { id: number; address: string; address6?: string }[];
  servers: readonly { address: string; address6?: string }[];
  /** IPv6 services (VIP CLUSTER_VIP6, pool CLUSTER_LIPS6, the servers' address6) instead of IPv4 ones (fullnat only). */
  ipv6?: boolean;
  httpPort: number;
  portKeyFile: string;
  stateDir: string;
}

// The topology's addresses and numbers (cluster-topology.ts re-exports them).
export const ROUTER_ASN = 65000;
export const NODE_ASN = 65001;
export const CLUSTER_VIP = '10.99.0.10';
export const CLUSTER_LIPS = ['10.88.1.1', '10.88.1.2', '10.88.1.3', '10.88.1.4'];
export const CLUSTER_VIP6 = 'fd99::10';
export const CLUSTER_LIPS6 = ['fd88:1::1', 'fd88:1::2', 'fd88:1::3'];
export const ROUTER_FABRIC = '10.88.0.1';
export const ECHO_PORT = 9000;
/** Every node's API, on its own namespace's loopback. */
export const NODE_API = '127.0.0.1:9200';

export function clusterNodeConfig(o: ClusterNodeConfigOptions): string {
  const nodes = o.nodes.map((n) => `{ id: ${n.id}, address: ${n.address}${n.address6 && o.ipv6 ? `, address6: "${n.address6}"` : ''} }`).join(', ');
  const servers = (port: number) => o.servers.map((s) => `{ address: ${o.ipv6 ? `"${s.address6}"` : s.address}, port: ${port} }`).join(', ');
  const fullnat = o.mode === 'fullnat';
  if (o.ipv6 && !fullnat) throw new Error('the IPv6 cluster config is fullnat only');
  const vip = o.ipv6 ? `"${CLUSTER_VIP6}"` : CLUSTER_VIP;
  const pool = (o.ipv6 ? CLUSTER_LIPS6.map((l) => `"${l}"`) : CLUSTER_LIPS).slice(0, Math.max(2, o.nodes.length));
  const extra = fullnat
    ? `local_address_pool: lan, quorum: 2,
      health_check: { type: tcp, port: ${o.httpPort}, interval: 0.5, timeout: 0.5, rise: 1, fall: 1 }`
    : 'scheduler: rr';
  return `dataplane:
  backend: afxdp
  workers: 1
  interfaces: [f0]
  port_key_file: ${o.portKeyFile}
  state_dir: ${o.stateDir}
api: { listen: ${NODE_API} }
${fullnat ? `local_address_pools: { lan: [${pool.join(', ')}] }\n` : ''}services:
  - { name: web, vip: ${vip}, port: 80, forwarding: ${o.mode}, servers: [${servers(o.httpPort)}],
      ${extra} }
  - { name: echo, vip: ${vip}, port: ${ECHO_PORT}, forwarding: ${o.mode}, servers: [${servers(ECHO_PORT)}],
      ${extra} }
cluster:
  node: ${o.id}
  nodes: [${nodes}]
  bgp: { asn: ${NODE_ASN}, peers: [{ address: ${ROUTER_FABRIC}, asn: ${ROUTER_ASN} }], hold_time: 3 }
  drain_time: 2
`;
}
