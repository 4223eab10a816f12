// src/scheduler/sh.ts — source hashing (IPVS sh, ip_vs_sh.c): a table of SH_TABLE_SIZE buckets
// assigned round robin over the servers in key order, each server taking `weight` consecutive
// buckets before the next one (ip_vs_sh_reassign's d_count), and around again until every bucket
// is assigned. Weights are used as they are, without dividing by their gcd, as in IPVS: a server
// of weight ≥ 256 that comes first takes every bucket. Weight-0 servers get no bucket (IPVS keeps
// one for them and refuses its clients, unless sh-fallback). The data plane indexes the table by a
// hash of the client source address. Control thread.
import { liveByKey } from './common.js';
import type { SchedulerServer, StaticScheduler } from './types.js';

/** IP_VS_SH_TAB_SIZE: 1 << IP_VS_SH_TAB_BITS (8, the kernel default). */
const SH_TABLE_SIZE = 256;

export const sourceHashing: StaticScheduler = {
  name: 'sh',
  table(servers: readonly SchedulerServer[]): number[] {
    const live = liveByKey(servers);
    if (live.length === 0) return [];
    const out: number[] = [];
    let p = 0;
    let count = 0;
    for (let bucket = 0; bucket < SH_TABLE_SIZE; bucket++) {
      const server = live[p]!;
      out.push(server);
      if (++count >= servers[server]!.weight) {
        p = (p + 1) % live.length;
        count = 0;
      }
    }
    return out;
  },
  length: (servers) => (servers.some((s) => s.weight > 0) ? SH_TABLE_SIZE : 0),
};
