// src/scheduler/dh.ts — destination hashing (IPVS dh, ip_vs_dh.c): a table of DH_TABLE_SIZE buckets
// assigned round robin over the servers in key order, one bucket each in turn; weights other than
// 0 do not matter (ip_vs_dh_reassign ignores them). Weight-0 servers get no bucket (IPVS keeps
// one for them and refuses its clients). The data plane indexes the table by a hash of the
// packet's destination address. Control thread.
import { liveByKey } from './common.js';
import type { SchedulerServer, StaticScheduler } from './types.js';

/** IP_VS_DH_TAB_SIZE: 1 << IP_VS_DH_TAB_BITS (8, the kernel default). */
const DH_TABLE_SIZE = 256;

export const destinationHashing: StaticScheduler = {
  name: 'dh',
  table(servers: readonly SchedulerServer[]): number[] {
    const live = liveByKey(servers);
    if (live.length === 0) return [];
    return Array.from({ length: DH_TABLE_SIZE }, (_, bucket) => live[bucket % live.length]!);
  },
  length: (servers) => (servers.some((s) => s.weight > 0) ? DH_TABLE_SIZE : 0),
};
