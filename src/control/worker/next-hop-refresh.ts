// src/control/worker/next-hop-refresh.ts — a committed model brought up to date with the kernel's next
// hops: which servers a change concerns (every one, or those depending on the neighbours named),
// their fresh next hops from the resolver, and the next model — the last one with only ports
// and backends' (port, MAC) replaced — or nothing when no next hop moved. Nothing else in a
// model depends on next hops (scheduler tables, ids and pools come from the config), so the
// model is patched instead of rebuilt and no scheduler table is recomputed; services whose next
// hops all stayed are kept as they were. Pure apart from the
// resolver's kernel queries; the control thread runs it (Dataplane.refreshNextHops).
import type { Config } from '../../config/types.js';
import { buildPorts, type BackendModel, type DataplaneModel, type PortModel } from './model.js';
import type { NextHop, NextHopResolver } from './nexthop/types.js';

/** What to re-resolve: every server (links: re-read the interfaces first), or the servers depending on some neighbours. */
export type NextHopScope = { kind: 'all'; links: boolean } | { kind: 'neighbours'; addresses: ReadonlySet<string> };

export const EVERYTHING: NextHopScope = { kind: 'all', links: true };

/** The distinct server addresses of a model that `scope` concerns. */
export function serversConcerned(model: DataplaneModel, scope: NextHopScope, resolver: NextHopResolver): string[] {
  const servers = new Set(model.services.flatMap((s) => s.backends.map((b) => b.address)));
  if (scope.kind === 'all') return [...servers];
  return [...servers].filter((address) => {
    if (scope.addresses.has(address)) return true;
    const neighbour = resolver.neighbourOf?.(address);
    return neighbour !== undefined && scope.addresses.has(neighbour);
  });
}

/**
 * Re-resolves what `scope` concerns and returns the next model (generation `generation`), or
 * undefined when every port and next hop is as in `last`.
 */
export function refreshedModel(
  config: Config,
  last: DataplaneModel,
  scope: NextHopScope,
  resolver: NextHopResolver,
  generation: bigint,
): DataplaneModel | undefined {
  if (scope.kind === 'all' && scope.links) resolver.refreshLinks?.();
  const hops = new Map<string, NextHop>();
  for (const address of serversConcerned(last, scope, resolver)) hops.set(address, resolver.resolve(address));
  const ports = buildPorts(config, resolver);
  let changed = ports.some((p, i) => !samePort(p, last.ports[i]));
  // Services none of whose next hops moved stay the same objects: the encoder reuses their bytes.
  const services = last.services.map((s) => {
    let backends: BackendModel[] | undefined;
    s.backends.forEach((b, j) => {
      const hop = hops.get(b.address);
      if (!hop || (hop.portIndex === b.portIndex && sameMac(hop.mac, b.mac))) return;
      backends ??= [...s.backends];
      backends[j] = { ...b, portIndex: hop.portIndex, mac: hop.mac };
    });
    if (!backends) return s;
    changed = true;
    return { ...s, backends };
  });
  return changed ? { ...last, generation, ports, services } : undefined;
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function samePort(a: PortModel, b: PortModel | undefined): boolean {
  return b !== undefined && sameMac(a.mac, b.mac) && a.mtu === b.mtu && a.address === b.address && a.name === b.name;
}
