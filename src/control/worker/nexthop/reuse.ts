// src/control/worker/nexthop/reuse.ts — next hops for a rebuild (a reload, a health transition, a
// runtime weight): servers the last committed model already reaches with a resolved MAC keep that
// next hop; only new or unresolved servers ask the underlying resolver (for afxdp: a netlink
// query each — 100 000 of them per rebuild otherwise). The last model stays current without
// this: the route monitor re-resolves and patches it on every kernel change (next-hop-refresh.ts).
// Control thread.
import type { DataplaneModel } from '../model.js';
import type { NextHop, NextHopResolver } from './types.js';

export function reusingNextHops(resolver: NextHopResolver, last: DataplaneModel | undefined): NextHopResolver {
  if (!last) return resolver;
  // Made at the first resolve: a build that reuses every service asks for none.
  let known: Map<string, NextHop> | undefined;
  const knownHops = () => {
    if (known) return known;
    known = new Map();
    for (const s of last.services)
      for (const b of s.backends) if (b.mac.some((x) => x !== 0)) known.set(b.address, { portIndex: b.portIndex, mac: b.mac });
    return known;
  };
  return {
    resolve: (address) => knownHops().get(address) ?? resolver.resolve(address),
    portMac: (i) => resolver.portMac(i),
    portAddress: (i, tunnelSource) => resolver.portAddress(i, tunnelSource),
    ...(resolver.portMtu ? { portMtu: (i: number) => resolver.portMtu!(i) } : {}),
    ...(resolver.whyUnresolved ? { whyUnresolved: (address: string) => resolver.whyUnresolved!(address) } : {}),
  };
}
