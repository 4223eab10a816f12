// src/control/worker/nexthop/mem.ts — next hops for the io/mem backend, which has no kernel behind it:
// every server is one hop away on the last interface (the server arm: the only one of a
// one-arm balancer), with the locally administered MAC 02:00:a:b:c:d made from its IPv4
// address (an IPv6 address: its last four bytes); interface i has MAC 02:58:56:53:00:i+1 ("XVS"). Tests and benches build expected
// packets with the same rule (memServerMac, memPortMac).
import { isIpv6Text } from '../../../config/address.js';
import { ipv6ToBytes } from '../../../config/ipv6-address.js';
import type { NextHop, NextHopResolver } from './types.js';

export function memServerMac(address: string): Uint8Array {
  if (isIpv6Text(address)) return Uint8Array.from([0x02, 0x00, ...(ipv6ToBytes(address) ?? new Uint8Array(16)).subarray(12)]);
  return Uint8Array.from([0x02, 0x00, ...address.split('.').map(Number)]);
}

export function memPortMac(portIndex: number): Uint8Array {
  return Uint8Array.from([0x02, 0x58, 0x56, 0x53, 0x00, portIndex + 1]);
}

export class MemNextHops implements NextHopResolver {
  constructor(private readonly interfaceCount: number) {}

  resolve(address: string): NextHop {
    return { portIndex: this.interfaceCount - 1, mac: memServerMac(address) };
  }

  portMac(portIndex: number): Uint8Array {
    return memPortMac(portIndex);
  }

  // mem ports have no kernel address: only dataplane.tunnel_source gives them one.
  portAddress(_portIndex: number, tunnelSource: string | undefined): string {
    return tunnelSource ?? '0.0.0.0';
  }
}
