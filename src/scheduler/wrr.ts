// src/scheduler/wrr.ts — weighted round robin with the IPVS sequence (ip_vs_wrr.c): the current
// weight steps down from the maximum by the gcd of all weights, and each pass picks the servers
// whose weight reaches it. One full cycle is sum(weights)/gcd entries, so every server appears
// exactly weight/gcd times and heavier servers are interleaved, not bunched. The data plane walks
// the table ('sequence'). Ignores keys: IPVS wrr follows configuration order. Control thread.
import { gcd } from './common.js';
import type { SchedulerServer, StaticScheduler } from './types.js';

export const weightedRoundRobin: StaticScheduler = {
  name: 'wrr',
  table(servers: readonly SchedulerServer[]): number[] {
    const weights = servers.map((s) => s.weight);
    const live = weights.filter((w) => w > 0);
    if (live.length === 0) return [];
    const step = live.reduce(gcd);
    const max = Math.max(...live);
    const length = live.reduce((sum, w) => sum + w, 0) / step;
    const out: number[] = [];
    let current = 0;
    let i = -1;
    while (out.length < length) {
      i = (i + 1) % weights.length;
      if (i === 0) {
        current -= step;
        if (current <= 0) current = max;
      }
      if ((weights[i] ?? 0) >= current) out.push(i);
    }
    return out;
  },
  length(servers: readonly SchedulerServer[]): number {
    const live = servers.map((s) => s.weight).filter((w) => w > 0);
    return live.length === 0 ? 0 : live.reduce((sum, w) => sum + w, 0) / live.reduce(gcd);
  },
};
