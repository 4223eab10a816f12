// src/scheduler/index.ts — the registry of schedulers computed in TypeScript, by IPVS name:
// rr, wrr (walked), mh, sh, dh (indexed by hash), fo (first usable). Dynamic schedulers (lc, wlc,
// sed, nq, lblc, lblcr) decide in the data plane (native/lb/schedule.h) and have no entry here.
import type { SchedulerName } from '../config/types.js';
import { destinationHashing } from './dh.js';
import { weightedFailover } from './fo.js';
import { maglevHashing } from './mh.js';
import { roundRobin } from './rr.js';
import { sourceHashing } from './sh.js';
import type { StaticScheduler } from './types.js';
import { weightedRoundRobin } from './wrr.js';

const registry = new Map<string, StaticScheduler>(
  [roundRobin, weightedRoundRobin, maglevHashing, sourceHashing, destinationHashing, weightedFailover].map((s) => [s.name, s]),
);

export function staticScheduler(name: SchedulerName): StaticScheduler | undefined {
  return registry.get(name);
}

/**
 * The entries the scheduler tables of `services` take in one snapshot (they share one array,
 * src/native/abi.ts LIMITS.sched_entries), and the services that take most, largest first.
 */
export function schedulerTableEntries(
  services: readonly { name: string; scheduler: string; weights: readonly number[] }[],
): { total: number; largest: { name: string; entries: number }[] } {
  let total = 0;
  const each: { name: string; entries: number }[] = [];
  for (const s of services) {
    const scheduler = registry.get(s.scheduler);
    if (!scheduler) continue;
    const entries = scheduler.length(s.weights.map((weight) => ({ key: '', weight })));
    total += entries;
    each.push({ name: s.name, entries });
  }
  return { total, largest: each.sort((a, b) => b.entries - a.entries).slice(0, 3) };
}

export { MH_TABLE_SIZE, maglevTable } from './mh.js';
export type { SchedulerServer, StaticScheduler } from './types.js';
