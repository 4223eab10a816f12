// src/control/worker/nexthop/index.ts — the next-hop resolver for a backend name: mem is synthetic,
// afxdp asks the kernel's route and neighbour tables (netlink); dpdk will too once it exists.
import type { BackendName } from '../../../config/types.js';
import { AfxdpNextHops } from './afxdp.js';
import { MemNextHops } from './mem.js';
import type { NextHopResolver } from './types.js';

export function nextHopResolver(backend: BackendName, interfaces: readonly string[]): NextHopResolver {
  switch (backend) {
    case 'mem':
      return new MemNextHops(interfaces.length);
    case 'afxdp':
      return new AfxdpNextHops(interfaces);
    case 'dpdk':
      throw Object.assign(new Error(`backend ${backend} has no next-hop resolver yet (available: afxdp, mem)`), {
        code: 'XVS_ENOTSUP',
      });
  }
}

export type { NextHop, NextHopResolver } from './types.js';
