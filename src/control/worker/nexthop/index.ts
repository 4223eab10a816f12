// src/control/worker/nexthop/index.ts — the next-hop resolver for a backend name: mem is synthetic,
// afxdp asks the kernel's route and neighbour tables (netlink), dpdk the kernel's routes and xvs's
// own neighbour table in the engine.
import type { BackendName } from '../../../config/types.js';
import { AfxdpNextHops } from './afxdp.js';
import { DpdkNextHops, type HostPortsView } from './dpdk.js';
import { MemNextHops } from './mem.js';
import type { NextHopResolver } from './types.js';

export function nextHopResolver(backend: BackendName, interfaces: readonly string[], engine: HostPortsView): NextHopResolver {
  switch (backend) {
    case 'mem':
      return new MemNextHops(interfaces.length);
    case 'afxdp':
      return new AfxdpNextHops(interfaces);
    case 'dpdk':
      return new DpdkNextHops(engine);
  }
}

export type { NextHop, NextHopResolver } from './types.js';
