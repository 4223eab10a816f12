// src/scheduler/fo.ts — weighted fail-over (IPVS fo, ip_vs_fo.c): every new connection goes to the
// available server with the highest weight. The table lists the servers with weight > 0 by
// decreasing weight, equal weights in configuration order (ip_vs_fo_schedule keeps the first of
// equals); the data plane takes the first entry whose server is not overloaded ('ordered').
// Control thread.
import type { SchedulerServer, StaticScheduler } from './types.js';

export const weightedFailover: StaticScheduler = {
  name: 'fo',
  table(servers: readonly SchedulerServer[]): number[] {
    const live: number[] = [];
    servers.forEach((s, i) => {
      if (s.weight > 0) live.push(i);
    });
    return live.sort((i, j) => servers[j]!.weight - servers[i]!.weight || i - j);
  },
  length: (servers) => servers.filter((s) => s.weight > 0).length,
};
