// src/cluster/bird-config.ts — the BIRD 2 configuration a node's BGP speaker runs: one eBGP
// session per configured router from the node's own address, exporting two static route sets —
// the node's own routes (VIPs with quorum, its share of the local addresses) as they are, and
// the other nodes' local addresses with the node's AS prepended once more (a longer AS path: the
// routers prefer the owner's announcement and fall back to these when it is withdrawn). Nothing
// is imported and nothing reaches the kernel's tables: BIRD here only speaks. Timers are short
// so that a restarted node is back within seconds. Consumes ClusterConfig and routes; produces
// the file text. IPv6 routes (/128) ride the same sessions in an ipv6 channel whose next hop is the
// node's address6. Pure; runs on the control worker thread.
import type { BgpPeerConfig, ClusterConfig } from '../config/types.js';
import type { Route } from './announcements.js';

export const OWN_ROUTES = 'xvs_own';
export const BACKUP_ROUTES = 'xvs_backup';

/** The BIRD protocol name of a peer: "peer_10_88_0_1". */
export function peerProtocolName(peer: BgpPeerConfig): string {
  return `peer_${peer.address.replace(/\./g, '_')}`;
}

// One static protocol per route set and family (a BIRD channel is of one family): IPv6 ones are
// named with a 6 (xvs_own6), and exist only where the node announces IPv6.
function staticProtocol(name: string, family: 'ipv4' | 'ipv6', prefixes: readonly string[]): string {
  const routes = prefixes.map((p) => `  route ${p} blackhole;\n`).join('');
  return `protocol static ${name} {\n  ${family};\n${routes}}\n`;
}

export function birdConfig(cluster: ClusterConfig, routes: readonly Route[]): string {
  const bgp = cluster.bgp;
  if (!bgp) throw new Error('cluster.bgp is not set');
  const self = cluster.nodes.find((n) => n.id === cluster.node);
  if (!self) throw new Error(`cluster.node ${cluster.node} is not in cluster.nodes`);
  const of = (backup: boolean, ipv6: boolean) =>
    routes.filter((r) => (r.kind === 'backup_local_address') === backup && r.prefix.includes(':') === ipv6).map((r) => r.prefix);
  // IPv6 routes go over the same sessions (multiprotocol BGP, RFC 4760) with the node's IPv6
  // address as their next hop: the session's own address is IPv4.
  const ipv6 = self.address6 !== undefined;
  const statics =
    staticProtocol(OWN_ROUTES, 'ipv4', of(false, false)) +
    staticProtocol(BACKUP_ROUTES, 'ipv4', of(true, false)) +
    (ipv6 ? staticProtocol(`${OWN_ROUTES}6`, 'ipv6', of(false, true)) + staticProtocol(`${BACKUP_ROUTES}6`, 'ipv6', of(true, true)) : '');
  const peers = bgp.peers
    .map(
      (p) => `protocol bgp ${peerProtocolName(p)} from xvs_peer {\n  neighbor ${p.address} as ${p.asn};\n}\n`,
    )
    .join('');
  return `# Written by xvs for cluster node ${cluster.node}; rewritten on every change of what it announces.
log stderr { warning, error, fatal };
router id ${self.address};
protocol device { }
${statics}
filter xvs_export {
  if proto = "${OWN_ROUTES}" || proto = "${OWN_ROUTES}6" then accept;
  if proto = "${BACKUP_ROUTES}" || proto = "${BACKUP_ROUTES}6" then { bgp_path.prepend(${bgp.asn}); accept; }
  reject;
}
template bgp xvs_peer {
  local ${self.address} as ${bgp.asn};
  hold time ${bgp.hold_time};
  keepalive time ${Math.max(1, Math.floor(bgp.hold_time / 3))};
  connect retry time 1;
  error wait time 1, 5;
  ipv4 { import none; export filter xvs_export; };${ipv6 ? `\n  ipv6 { import none; export filter xvs_export; next hop address ${self.address6}; };` : ''}
}
${peers}`;
}
