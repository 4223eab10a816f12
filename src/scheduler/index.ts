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

export { MH_TABLE_SIZE, maglevTable } from './mh.js';
export type { SchedulerServer, StaticScheduler } from './types.js';
