// src/control/worker/nexthop/types.ts — where packets for an address leave, and to which MAC. One
// implementation per I/O backend (mem: synthetic and deterministic; afxdp: the kernel's route
// and neighbour tables). Used by the control thread when it builds a model and when it follows
// the kernel's changes (Dataplane.refreshNextHops).

export interface NextHop {
  portIndex: number; // index into dataplane.interfaces
  mac: Uint8Array; // 6 bytes; all zero = unresolved (the data plane drops and counts)
}

export interface NextHopResolver {
  resolve(address: string): NextHop;
  portMac(portIndex: number): Uint8Array;
  /** The balancer's IPv4 address on that port ("0.0.0.0" if it has none); tunnelSource wins. */
  portAddress(portIndex: number, tunnelSource: string | undefined): string;
  /** The balancer's IPv6 address on that port ("::" if it has none); backends without one leave it out. */
  portAddress6?(portIndex: number): string;
  /** The port's own MTU, where the backend has one (dataplane.mtu wins). */
  portMtu?(portIndex: number): number;
  /**
   * Kernel-backed resolvers only (their answers change over time): why the last resolve() of
   * `address` found no MAC, or undefined. Static resolvers leave it out.
   */
  whyUnresolved?(address: string): string | undefined;
  /**
   * Kernel-backed resolvers only: the neighbour whose entry gave `address` its MAC at its last
   * resolve() (its gateway, or the address itself when on-link); undefined without a route.
   * A neighbour change re-resolves only the addresses that depend on it.
   */
  neighbourOf?(address: string): string | undefined;
  /** Kernel-backed resolvers only: re-reads the interfaces (MAC, MTU, address) after a link change. */
  refreshLinks?(): void;
}
