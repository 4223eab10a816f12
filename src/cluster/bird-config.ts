// src/cluster/bird-config.ts — the BIRD 2 configuration a node's BGP speaker runs: one eBGP
// session per configured router from the node's own address, exporting two static route sets —
// the node's own routes (VIPs with quorum, its share of the local addresses) as they are, and
// the other nodes' local addresses with the node's AS prepended once more (a longer AS path: the
// routers prefer the owner's announcement and fall back to these when it is withdrawn). Nothing
// is imported and nothing reaches the kernel's tables: BIRD here only speaks. Timers are short
// so that a restarted node is back within seconds. Consumes ClusterConfig and routes; produces
// the file text. Pure; runs on the control worker thread.
import type { BgpPeerConfig, ClusterConfig } from '../config/types.js';
import type { Route } from './announcements.js';

export const OWN_ROUTES = 'xvs_own';
export const BACKUP_ROUTES = 'xvs_backup';

/** The BIRD protocol name of a peer: "peer_10_88_0_1". */
export function peerProtocolName(peer: BgpPeerConfig): string {
  return `peer_${peer.address.replace(/\./g, '_')}`;
}

function staticProtocol(name: string, prefixes: readonly string[]): string {
  const routes = prefixes.map((p) => `  route ${p} blackhole;\n`).join('');
  return `protocol static ${name} {\n  ipv4;\n${routes}}\n`;
}

export function birdConfig(cluster: ClusterConfig, routes: readonly Route[]): string {
  const bgp = cluster.bgp;
  if (!bgp) throw new Error('cluster.bgp is not set');
  const self = cluster.nodes.find((n) => n.id === cluster.node);
  if (!self) throw new Error(`cluster.node ${cluster.node} is not in cluster.nodes`);
  const own = routes.filter((r) => r.kind !== 'backup_local_address').map((r) => r.prefix);
  const backup = routes.filter((r) => r.kind === 'backup_local_address').map((r) => r.prefix);
  const peers = bgp.peers
    .map(
      (p) => `protocol bgp ${peerProtocolName(p)} from xvs_peer {\n  neighbor ${p.address} as ${p.asn};\n}\n`,
    )
    .join('');
  return `# Written by xvs for cluster node ${cluster.node}; rewritten on every change of what it announces.
log stderr { warning, error, fatal };
router id ${self.address};
protocol device { }
${staticProtocol(OWN_ROUTES, own)}${staticProtocol(BACKUP_ROUTES, backup)}
filter xvs_export {
  if proto = "${OWN_ROUTES}" then accept;
  if proto = "${BACKUP_ROUTES}" then { bgp_path.prepend(${bgp.asn}); accept; }
  reject;
}
template bgp xvs_peer {
  local ${self.address} as ${bgp.asn};
  hold time ${bgp.hold_time};
  keepalive time ${Math.max(1, Math.floor(bgp.hold_time / 3))};
  connect retry time 1;
  error wait time 1, 5;
  ipv4 { import none; export filter xvs_export; };
}
${peers}`;
}
