// src/control/nexthop/index.ts — the next-hop resolver for a backend name. afxdp and dpdk
// resolve through the kernel's tables (netlink) once those backends exist.
import type { BackendName } from '../../config/types.js';
import { MemNextHops } from './mem.js';
import type { NextHopResolver } from './types.js';

export function nextHopResolver(backend: BackendName, interfaceCount: number): NextHopResolver {
  switch (backend) {
    case 'mem':
      return new MemNextHops(interfaceCount);
    case 'afxdp':
    case 'dpdk':
      throw Object.assign(new Error(`backend ${backend} has no next-hop resolver yet (available: mem)`), {
        code: 'XVS_ENOTSUP',
      });
  }
}

export type { NextHop, NextHopResolver } from './types.js';
