// src/bench/veth/cases/kernel-forwarding.ts — the balancer namespace's kernel as the forwarder
// (what a user would run instead of xvs): ip_forward on for the duration of a case and off
// again after (so the xvs cases never see a second, kernel copy of their traffic). Shared by
// nft-dnat.ts, nft-flowtable.ts and linux-forward.ts; nftForwarding() adds an nftables table.
// Main thread.
import fs from 'node:fs';
import path from 'node:path';

import type { VethTopology } from '../topology.js';

export function kernelForwarding(topo: VethTopology, on: boolean): void {
  topo.lab.sysctl(topo.balancer, 'net.ipv4.ip_forward', on ? 1 : 0);
}

/**
 * Loads the nftables table `table` (`rules`, one line each) into the balancer namespace and turns
 * forwarding on, with conntrack's software UDP checksum check off (veth frames from XDP carry no
 * checksum status; a real NIC would have checked it). Returns the undo; on failure undoes what it
 * did and throws.
 */
export function nftForwarding(topo: VethTopology, table: string, rules: string[]): () => void {
  const file = path.join(topo.dir, `${table}.nft`);
  fs.writeFileSync(file, `${rules.join('\n')}\n`);
  topo.lab.exec(topo.balancer, ['nft', '-f', file]);
  const removeTable = () => topo.lab.exec(topo.balancer, ['nft', 'delete', 'table', 'ip', table]);
  try {
    topo.lab.sysctl(topo.balancer, 'net.netfilter.nf_conntrack_checksum', 0);
    kernelForwarding(topo, true);
  } catch (err) {
    removeTable();
    throw err;
  }
  return () => {
    kernelForwarding(topo, false);
    removeTable();
  };
}
