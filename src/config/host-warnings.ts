// src/config/host-warnings.ts — what a valid config gets wrong on this host, one line each:
// a Full-NAT local address that is an interface's primary address (the host's own connections
// leave from it), and a local_port_range that overlaps the host's ephemeral ports. `xvs check`
// prints these after configWarnings; `xvs run` logs them at start. Reads the host's interfaces
// and net.ipv4.ip_local_port_range (readHostFacts); the rules are pure. Main thread.
//
// Why it matters: the steering program hands TCP/UDP to a LIP on a port of local_port_range to
// the data plane, which cannot give it back to the kernel (native/bpf/steer.bpf.c). A connection
// the host itself opens from that address gets its replies on one of its ephemeral ports; if
// that port is in the range, the reply never reaches the host.
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

import type { Config } from './types.js';

export interface HostFacts {
  /** IPv4 addresses per interface, primary (the kernel lists it first) first. */
  interfaces: Record<string, string[]>;
  /** net.ipv4.ip_local_port_range, when readable. */
  ephemeralPorts?: [number, number];
}

export function readHostFacts(): HostFacts {
  const interfaces: Record<string, string[]> = {};
  for (const [name, addresses] of Object.entries(networkInterfaces()))
    interfaces[name] = (addresses ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address);
  let ephemeralPorts: [number, number] | undefined;
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(a) && Number.isInteger(b)) ephemeralPorts = [a!, b!];
  } catch {
    // not Linux, or no procfs: nothing to compare with
  }
  return { interfaces, ...(ephemeralPorts ? { ephemeralPorts } : {}) };
}

export function hostWarnings(config: Config, host: HostFacts = readHostFacts()): string[] {
  const warnings: string[] = [];
  const [first, last] = config.dataplane.local_port_range;
  const usedPools = new Set(config.services.filter((s) => s.forwarding === 'fullnat').map((s) => s.local_address_pool));
  const hostAddress = new Map<string, { ifname: string; primary: boolean }>();
  for (const [ifname, addresses] of Object.entries(host.interfaces))
    addresses.forEach((address, i) => hostAddress.set(address, { ifname, primary: i === 0 }));
  const ephemeral = host.ephemeralPorts;
  const overlaps = ephemeral !== undefined && ephemeral[0] <= last && first <= ephemeral[1];
  for (const [pool, lips] of Object.entries(config.local_address_pools)) {
    if (!usedPools.has(pool)) continue;
    for (const lip of lips) {
      const on = hostAddress.get(lip);
      if (on?.primary) {
        warnings.push(
          `local_address_pools.${pool}: ${lip} is the primary address of ${on.ifname}: the host's own connections leave ` +
            `from it, and their replies reach the host only on ports outside local_port_range ${first}..${last}` +
            (ephemeral ? ` (its ephemeral ports are ${ephemeral[0]}..${ephemeral[1]}${overlaps ? ', which overlap it' : ''})` : '') +
            `; give the pool an address of its own (a secondary address)`,
        );
      } else if (on && overlaps) {
        warnings.push(
          `dataplane.local_port_range ${first}..${last} overlaps this host's ephemeral ports ${ephemeral[0]}..${ephemeral[1]} ` +
            `(net.ipv4.ip_local_port_range) and ${lip} (pool ${pool}) is an address of ${on.ifname}: replies to connections ` +
            `the host opens from it would go to the data plane; move one of the two ranges`,
        );
      }
    }
  }
  return warnings;
}
