// src/bench/veth/cases/xvs-fullnat-dpdk.ts — case "xvs-fullnat-dpdk": the "xvs-fullnat" case on
// the DPDK backend (its minimal config: net_af_xdp on l0 and l1, hugepages, which the case
// reserves and gives back), so that one interleaved run compares the two backends on the same
// core. The host's addresses move to l0.kni/l1.kni while it runs (xvs-process.ts). Needs the DPDK
// build of the addon. Main thread.
import fs from 'node:fs';

import { addonPath } from '../../../native/addon.js';
import { startXvsCase } from './xvs-process.js';
import type { BenchCase } from './types.js';

export const xvsFullnatDpdk: BenchCase = {
  name: 'xvs-fullnat-dpdk',
  describe: 'xvs run, fullnat, 1 worker (DPDK: net_af_xdp vdevs, hugepages)',
  unavailable: () =>
    fs.existsSync(addonPath('dpdk')) ? undefined : `the DPDK build of the addon is missing (${addonPath('dpdk')}): npm run build:dpdk`,
  setup: (env) => startXvsCase(env, 'fullnat', false, 'dpdk'),
};
