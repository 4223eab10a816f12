// src/cluster/announcements.ts — what a running node announces to its routers: every VIP of
// which at least one service has quorum (a service without health checks always has it), its
// own share of every local-address pool, and the other nodes' shares as backups (announced with
// a longer AS path, so that the routers use them only when their owner is gone). A node whose
// data plane is not running announces nothing. Consumes the running config and the health view;
// produces the route list the BGP speaker announces (bgp-speaker.ts). Pure; control worker thread.
import type { Config } from '../config/types.js';
import type { HealthView } from '../health/index.js';
import { isIpv6Text } from '../config/address.js';
import { localAddressShare } from './shares.js';

export type RouteKind = 'vip' | 'local_address' | 'backup_local_address';

export interface Route {
  /** address/32, or address/128 for an IPv6 one */
  prefix: string;
  kind: RouteKind;
}

export function announcements(config: Config, health: HealthView): Route[] {
  const cluster = config.cluster;
  if (!cluster) return [];
  const lostQuorum = new Set(health.services.filter((s) => !s.quorumMet).map((s) => s.name));
  const vips = new Set<string>();
  for (const s of config.services) if (!lostQuorum.has(s.name)) vips.add(s.vip);
  const host = (address: string) => `${address}/${isIpv6Text(address) ? 128 : 32}`;
  const routes: Route[] = [...vips].map((vip) => ({ prefix: host(vip), kind: 'vip' as const }));
  for (const pool of Object.values(config.local_address_pools)) {
    const own = new Set(localAddressShare(cluster, pool));
    for (const address of pool)
      routes.push({ prefix: host(address), kind: own.has(address) ? 'local_address' : 'backup_local_address' });
  }
  return routes;
}

/** One line per change between two route lists, for the log: "+10.0.0.1/32 (vip)", "-...". */
export function routeChanges(before: readonly Route[], after: readonly Route[]): string[] {
  const key = (r: Route) => `${r.prefix} (${r.kind})`;
  const was = new Set(before.map(key));
  const is = new Set(after.map(key));
  return [...[...was].filter((k) => !is.has(k)).map((k) => `-${k}`), ...[...is].filter((k) => !was.has(k)).map((k) => `+${k}`)];
}
