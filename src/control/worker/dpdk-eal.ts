// src/control/worker/dpdk-eal.ts — the EAL arguments a DPDK engine starts with: the operator's
// dataplane.dpdk.eal as written, or, left out, hugepages where the host has free ones and else
// 512 MiB of ordinary pages (--no-huge), with a warning: a new user's first run works on a host
// that reserved none. Control worker thread.
import fs from 'node:fs';

import type { DpdkConfig } from '../../config/types.js';

export const NO_HUGE_EAL = ['--no-huge', '-m', '512'] as const;

/** Free hugepages of the default size, from /proc/meminfo (0 when unreadable). */
export function freeHugepages(meminfo = '/proc/meminfo'): number {
  try {
    const m = /^HugePages_Free:\s+(\d+)/m.exec(fs.readFileSync(meminfo, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function dpdkEal(dpdk: DpdkConfig | undefined, hugepages = freeHugepages()): { eal: string[]; warning?: string } {
  if (dpdk?.eal) return { eal: [...dpdk.eal] };
  if (hugepages > 0) return { eal: [] };
  return {
    eal: [...NO_HUGE_EAL],
    warning:
      'no free hugepages: DPDK runs on ordinary pages (EAL --no-huge -m 512), which costs TLB misses; reserve hugepages ' +
      '(echo 512 > /proc/sys/vm/nr_hugepages) or set dataplane.dpdk.eal to choose',
  };
}
