// src/bench/veth/cases/nft-dnat.ts — case "nft-dnat": Linux forwarding with an nftables DNAT
// rule VIP:port -> server (conntrack), the usual kernel answer to "balance a VIP on one
// server". Conntrack's software UDP checksum check is turned off
// (net.netfilter.nf_conntrack_checksum=0): veth frames from XDP carry no checksum status, and a
// real NIC would have verified the checksum already. Skipped when `nft` is missing (Debian
// package nftables). The sink must see the frames rewritten to the server. Main thread.
import { spawnSync } from 'node:child_process';

import { SINK_ADDR, VIP, VIP_PORT } from '../topology.js';
import { nftForwarding } from './kernel-forwarding.js';
import type { BenchCase } from './types.js';

const TABLE = 'xvs_bench';

export const nftDnat: BenchCase = {
  name: 'nft-dnat',
  describe: 'Linux forwarding + nftables DNAT (conntrack)',
  unavailable() {
    const r = spawnSync('nft', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return r.error || r.status !== 0 ? 'install nftables (nft is missing)' : undefined;
  },
  async setup({ topo }) {
    const undo = nftForwarding(topo, TABLE, [
      `table ip ${TABLE} {`,
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      `    ip daddr ${VIP} udp dport ${VIP_PORT} dnat to ${SINK_ADDR}`,
      '  }',
      '}',
    ]);
    return {
      expect: 'server',
      async teardown() {
        undo();
        return { notes: [] };
      },
    };
  },
};
