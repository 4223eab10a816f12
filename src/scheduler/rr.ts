// src/scheduler/rr.ts — round robin (IPVS rr): every server with a non-zero weight once per
// cycle, in configuration order; the data plane walks the table ('sequence'). Ignores keys.
// Control thread.
import type { SchedulerServer, StaticScheduler } from './types.js';

export const roundRobin: StaticScheduler = {
  name: 'rr',
  table(servers: readonly SchedulerServer[]): number[] {
    const out: number[] = [];
    servers.forEach((s, i) => {
      if (s.weight > 0) out.push(i);
    });
    return out;
  },
  length: (servers) => servers.filter((s) => s.weight > 0).length,
};
