// src/control/worker/nexthop/dpdk.ts — next hops for the dpdk backend. The host's routes still
// decide (the operator routes through the ports' exception interfaces, NAME.kni, as on any Linux
// host: rtnetlink through the addon), so a route's interface gives the port; the MAC comes from
// xvs's own neighbour tables in the engine (native/io/neighbour_table.h), which the workers fill
// from the ARP and IPv6 neighbour discovery they see and which solicit what they lack: no kernel
// owns these ports. An
// unresolved neighbour yields an all-zero MAC (the data plane drops those packets as
// drop_neighbor_unresolved); the control thread polls the table's changes (neighbourChanges) and
// re-resolves the servers behind a neighbour that changed. Port MAC and MTU are the DPDK ports';
// the port addresses (IPv4, IPv6) are its exception interface's. Runs on the control thread.
import { kernelNextHop, linkInfo, type HostPort, type KernelNextHop, type LinkInfo } from '../../../native/addon.js';
import type { NextHop, NextHopResolver } from './types.js';

/** The engine's side the resolver uses (NativeEngine); tests substitute their own. */
export interface HostPortsView {
  hostPorts(): HostPort[] | undefined;
  neighbour(address: string, port: number): Uint8Array | null;
}

/** The kernel queries the resolver uses; tests substitute their own. */
export interface HostRoutes {
  linkInfo(name: string): LinkInfo;
  nextHop(address: string): KernelNextHop;
}

const KERNEL: HostRoutes = { linkInfo, nextHop: kernelNextHop };
const UNRESOLVED = new Uint8Array(6);

export class DpdkNextHops implements NextHopResolver {
  private readonly ports: HostPort[];
  private links: (LinkInfo | undefined)[];
  private readonly problems = new Map<string, string>();
  private readonly neighbours = new Map<string, string>();

  constructor(
    private readonly engine: HostPortsView,
    private readonly kernel: HostRoutes = KERNEL,
  ) {
    const ports = engine.hostPorts();
    if (!ports) throw Object.assign(new Error('the engine has no DPDK ports (backend dpdk expected)'), { code: 'XVS_ESTATE' });
    this.ports = ports;
    this.links = this.readLinks();
  }

  resolve(address: string): NextHop {
    const hop = this.kernel.nextHop(address);
    if ('error' in hop) {
      this.neighbours.delete(address);
      return this.unresolved(address, 0, `no route to ${address}: ${hop.error} (with backend dpdk, routes go through the ports' exception interfaces: ${this.names()})`);
    }
    this.neighbours.set(address, hop.neighbour);
    const portIndex = this.links.findIndex((l) => l?.ifindex === hop.ifindex);
    if (portIndex < 0)
      return this.unresolved(
        address,
        0,
        `the route to ${address} leaves through interface #${hop.ifindex}, which is not the exception interface of a DPDK port (${this.names()})`,
      );
    const mac = this.engine.neighbour(hop.neighbour, portIndex);
    if (!mac) {
      const via = hop.gateway ? 'gateway' : 'neighbour';
      const asked = hop.neighbour.includes(':') ? 'neighbour solicitation' : 'ARP';
      return this.unresolved(address, portIndex, `${via} ${hop.neighbour} on ${this.ports[portIndex]!.exceptionInterface} has not answered xvs's ${asked} yet`);
    }
    this.problems.delete(address);
    return { portIndex, mac: Uint8Array.from(mac) };
  }

  portMac(portIndex: number): Uint8Array {
    return Uint8Array.from(this.port(portIndex).mac);
  }

  portMtu(portIndex: number): number {
    return this.port(portIndex).mtu;
  }

  portAddress(portIndex: number, tunnelSource: string | undefined): string {
    this.port(portIndex);
    return tunnelSource ?? this.links[portIndex]?.address ?? '0.0.0.0';
  }

  portAddress6(portIndex: number): string {
    this.port(portIndex);
    return this.links[portIndex]?.address6 ?? '::';
  }

  whyUnresolved(address: string): string | undefined {
    return this.problems.get(address);
  }

  neighbourOf(address: string): string | undefined {
    return this.neighbours.get(address);
  }

  /** Re-reads the exception interfaces (their index and address: the operator configures them after start). */
  refreshLinks(): void {
    this.links = this.readLinks();
  }

  private readLinks(): (LinkInfo | undefined)[] {
    return this.ports.map((p) => {
      try {
        return this.kernel.linkInfo(p.exceptionInterface);
      } catch {
        return undefined;
      }
    });
  }

  private names(): string {
    return this.ports.map((p) => p.exceptionInterface).join(', ');
  }

  private unresolved(address: string, portIndex: number, why: string): NextHop {
    this.problems.set(address, why);
    return { portIndex, mac: UNRESOLVED };
  }

  private port(portIndex: number): HostPort {
    const p = this.ports[portIndex];
    if (!p) throw new RangeError(`no port #${portIndex}`);
    return p;
  }
}
