// src/control/worker/dpdk-eal.ts — the EAL arguments a DPDK engine starts with: the operator's
// dataplane.dpdk.eal as written, or, left out, hugepages — and when the host has no free ones, a
// refusal that says how to reserve them or how to run without (--no-huge): net_af_xdp on
// ordinary pages loses full-size frames (measured: bulk TCP transfers stall), so running without
// is the operator's explicit choice, never a silent default. Control worker thread.
import fs from 'node:fs';

import type { DpdkConfig } from '../../config/types.js';

/** Free hugepages of the default size, from /proc/meminfo (0 when unreadable). */
export function freeHugepages(meminfo = '/proc/meminfo'): number {
  try {
    const m = /^HugePages_Free:\s+(\d+)/m.exec(fs.readFileSync(meminfo, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function dpdkEal(dpdk: DpdkConfig | undefined, hugepages = freeHugepages()): string[] {
  if (dpdk?.eal) return [...dpdk.eal];
  if (hugepages > 0) return [];
  throw Object.assign(
    new Error(
      'dataplane.dpdk.eal: the host has no free hugepages for DPDK: reserve them (echo 512 > /proc/sys/vm/nr_hugepages, ' +
        'and a hugetlbfs mount at /dev/hugepages), or run on ordinary pages with dataplane.dpdk.eal: [--no-huge, -m, "512"] ' +
        '(small packets only: net_af_xdp then loses full-size frames)',
    ),
    { code: 'XVS_EINVAL' },
  );
}
