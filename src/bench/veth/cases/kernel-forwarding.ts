// src/bench/veth/cases/kernel-forwarding.ts — the balancer namespace's kernel as the forwarder
// (what a user would run instead of xvs): ip_forward on for the duration of a case and off
// again after (so the xvs cases never see a second, kernel copy of their traffic). Shared by
// nft-dnat.ts and linux-forward.ts. Main thread.
import type { VethTopology } from '../topology.js';

export function kernelForwarding(topo: VethTopology, on: boolean): void {
  topo.lab.sysctl(topo.balancer, 'net.ipv4.ip_forward', on ? 1 : 0);
}
