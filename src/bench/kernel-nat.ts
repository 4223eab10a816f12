// src/bench/kernel-nat.ts — the kernel doing xvs's Full-NAT job on the demo's fullnat topology,
// for the benchmarks that compare the two (`xvs bench churn`, `xvs bench latency`): Linux
// forwarding with an nftables table that DNATs VIP:80 round-robin (conntrack, `numgen inc`) to
// the three servers and SNATs to a local address of its own (KERNEL_LIP, so that neither case
// meets the other's tuples in the servers' TIME_WAIT). Set up only while xvs is stopped, and
// removed again before it restarts. Main thread; needs root.
import fs from 'node:fs';
import path from 'node:path';

import type { Scenario } from '../demo/scenario.js';
import { VIP } from '../demo/topology.js';

// Another /32 on the balancer's server-side interface.
export const KERNEL_LIP = '10.202.0.101';
const SERVERS = ['10.202.0.11', '10.202.0.12', '10.202.0.13'];
const SERVER_PORT = 8080;
const TABLE = 'xvs_kernel_nat';

/** Adds KERNEL_LIP to the balancer (once per scenario). */
export function prepareKernelNat(s: Scenario): void {
  s.topology.lab.exec(s.topology.balancer, ['ip', 'addr', 'add', `${KERNEL_LIP}/32`, 'dev', 'l1']);
}

/** Runs `measure` with the kernel as the balancer, and takes the kernel's rules away after. */
export async function withKernelNat<T>(s: Scenario, measure: () => Promise<T>): Promise<T> {
  const { lab, balancer: ns } = s.topology;
  const rules = path.join(s.topology.dir, 'kernel-nat.nft');
  fs.writeFileSync(rules, kernelRules());
  lab.exec(ns, ['nft', '-f', rules]);
  lab.sysctl(ns, 'net.ipv4.ip_forward', 1);
  try {
    return await measure();
  } finally {
    lab.sysctl(ns, 'net.ipv4.ip_forward', 0);
    lab.exec(ns, ['nft', 'delete', 'table', 'ip', TABLE]);
  }
}

function kernelRules(): string {
  const map = SERVERS.map((a, i) => `${i} : ${a} . ${SERVER_PORT}`).join(', ');
  return [
    `table ip ${TABLE} {`,
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    `    ip daddr ${VIP} tcp dport 80 dnat ip to numgen inc mod ${SERVERS.length} map { ${map} }`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip daddr { ${SERVERS.join(', ')} } tcp dport ${SERVER_PORT} snat ip to ${KERNEL_LIP}`,
    '  }',
    '}',
    '',
  ].join('\n');
}
