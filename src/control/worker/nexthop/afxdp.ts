// src/control/worker/nexthop/afxdp.ts — next hops for the afxdp backend, from the kernel of the network
// namespace xvs runs in (rtnetlink through the addon): the route towards a server gives the
// egress interface (port index = its position in dataplane.interfaces) and the gateway, if any;
// the neighbour table gives the MAC of the gateway or of the server itself. An unresolved
// neighbour yields an all-zero MAC (the data plane drops those packets as
// drop_neighbor_unresolved, never sending to a wrong MAC) and makes the kernel resolve it (an
// empty UDP datagram to the discard port). It remembers which neighbour each address depends on
// (neighbourOf), so that a neighbour notification re-resolves only those addresses; the control
// thread follows the kernel's notifications (follow.ts, Dataplane.refreshNextHops) and commits
// again when a next hop changed. IPv6 servers resolve the same way (the kernel's IPv6 routes and
// neighbour discovery). Port MAC, MTU and addresses come from the interfaces, re-read
// after a link or address change (refreshLinks). Runs on the control thread.
import {
  kernelNextHop,
  linkInfo,
  solicitNeighbour,
  type KernelNextHop,
  type LinkInfo,
} from '../../../native/addon.js';
import type { NextHop, NextHopResolver } from './types.js';

/** The kernel queries the resolver uses; tests substitute their own. */
export interface KernelTables {
  linkInfo(name: string): LinkInfo;
  nextHop(address: string): KernelNextHop;
  solicit(address: string): void;
}

const KERNEL: KernelTables = { linkInfo, nextHop: kernelNextHop, solicit: solicitNeighbour };
const UNRESOLVED = new Uint8Array(6);

export class AfxdpNextHops implements NextHopResolver {
  private links: LinkInfo[];
  private readonly problems = new Map<string, string>();
  private readonly neighbours = new Map<string, string>();

  constructor(
    private readonly interfaces: readonly string[],
    private readonly kernel: KernelTables = KERNEL,
  ) {
    this.links = interfaces.map((name) => kernel.linkInfo(name));
  }

  resolve(address: string): NextHop {
    const hop = this.kernel.nextHop(address);
    if ('error' in hop) {
      this.neighbours.delete(address);
      return this.unresolved(address, 0, `no route to ${address}: ${hop.error}`);
    }
    this.neighbours.set(address, hop.neighbour);
    const portIndex = this.links.findIndex((l) => l.ifindex === hop.ifindex);
    if (portIndex < 0)
      return this.unresolved(
        address,
        0,
        `the route to ${address} leaves through interface #${hop.ifindex}, which is not in dataplane.interfaces (${this.interfaces.join(', ')})`,
      );
    if (!hop.mac) {
      this.kernel.solicit(address);
      const via = hop.gateway ? 'gateway' : 'neighbour'; // hop.neighbour is the gateway then
      return this.unresolved(address, portIndex, `${via} ${hop.neighbour} on ${this.interfaces[portIndex]} is ${hop.state}`);
    }
    this.problems.delete(address);
    return { portIndex, mac: Uint8Array.from(hop.mac) };
  }

  portMac(portIndex: number): Uint8Array {
    return Uint8Array.from(this.link(portIndex).mac);
  }

  portMtu(portIndex: number): number {
    return this.link(portIndex).mtu;
  }

  portAddress(portIndex: number, tunnelSource: string | undefined): string {
    return tunnelSource ?? this.link(portIndex).address ?? '0.0.0.0';
  }

  portAddress6(portIndex: number): string {
    return this.link(portIndex).address6 ?? '::';
  }

  whyUnresolved(address: string): string | undefined {
    return this.problems.get(address);
  }

  neighbourOf(address: string): string | undefined {
    return this.neighbours.get(address);
  }

  /**
   * Re-reads every interface. One that vanished, cannot be read or was re-created (another
   * index) keeps its last facts: the engine's sockets stay bound to the interface they were
   * made on, and routes through the new one resolve as "not in dataplane.interfaces".
   */
  refreshLinks(): void {
    this.links = this.interfaces.map((name, i) => {
      try {
        const fresh = this.kernel.linkInfo(name);
        return fresh.ifindex === this.links[i]!.ifindex ? fresh : this.links[i]!;
      } catch {
        return this.links[i]!;
      }
    });
  }

  private unresolved(address: string, portIndex: number, why: string): NextHop {
    this.problems.set(address, why);
    return { portIndex, mac: UNRESOLVED };
  }

  private link(portIndex: number): LinkInfo {
    const l = this.links[portIndex];
    if (!l) throw new RangeError(`no interface #${portIndex}`);
    return l;
  }
}
