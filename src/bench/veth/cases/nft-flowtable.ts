// src/bench/veth/cases/nft-flowtable.ts — case "nft-flowtable": nft-dnat plus an nftables
// flowtable on both arms, the kernel's own fast path for established flows: the first packets
// of a flow go through conntrack, DNAT and the forward chain, whose `flow add` rule moves the
// connection into the flowtable; from then on its packets are NATed and sent at the ingress hook,
// skipping the rest of the IP stack. It is the kernel's best answer on this path, so it is a
// peer here. Skipped when `nft` is missing. The sink must see the frames rewritten to the
// server. Main thread.
import { spawnSync } from 'node:child_process';

import { SINK_ADDR, VIP, VIP_PORT } from '../topology.js';
import { nftForwarding } from './kernel-forwarding.js';
import { nftDnat } from './nft-dnat.js';
import type { BenchCase } from './types.js';

const TABLE = 'xvs_bench_ft';

export const nftFlowtable: BenchCase = {
  name: 'nft-flowtable',
  describe: 'Linux forwarding + nftables DNAT with a flowtable (the kernel fast path)',
  unavailable() {
    const missingNft = nftDnat.unavailable?.();
    if (missingNft) return missingNft;
    // A flowtable in a throwaway network namespace (gone with the process): the kernel may lack
    // NF_FLOW_TABLE, and modules cannot always be loaded.
    const probe = spawnSync('unshare', ['-n', 'nft', '-f', '-'], {
      input: 'table ip probe {\n  flowtable ft { hook ingress priority 0; devices = { lo }; }\n}\n',
      encoding: 'utf8',
      timeout: 5000,
    });
    if (probe.status === 0) return undefined;
    return `this kernel cannot make an nftables flowtable (${(probe.stderr || String(probe.error)).trim().split('\n')[0]}): it needs CONFIG_NF_FLOW_TABLE`;
  },
  async setup({ topo }) {
    const undo = nftForwarding(topo, TABLE, [
      `table ip ${TABLE} {`,
      `  flowtable ft { hook ingress priority 0; devices = { ${topo.l0}, ${topo.l1} }; }`,
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      `    ip daddr ${VIP} udp dport ${VIP_PORT} dnat to ${SINK_ADDR}`,
      '  }',
      '  chain forward {',
      '    type filter hook forward priority filter; policy accept;',
      // A UDP flow is confirmed after its first packet: the second one is offloaded.
      // The counter sees only what did not take the flowtable (offloaded packets skip this chain).
      '    counter meta l4proto { tcp, udp } flow add @ft',
      '  }',
      '}',
    ]);
    return {
      expect: 'server',
      async teardown() {
        const notes: string[] = [];
        try {
          // Packets that took the slow path: a figure where most did measured nft-dnat instead.
          const chain = topo.lab.exec(topo.balancer, ['nft', 'list', 'chain', 'ip', TABLE, 'forward']);
          const slow = /counter packets (\d+)/.exec(chain)?.[1];
          if (slow !== undefined) notes.push(`${slow} packets through the forward chain (not offloaded)`);
        } finally {
          undo();
        }
        return { notes };
      },
    };
  },
};
