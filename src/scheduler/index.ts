// src/scheduler/index.ts — the registry of schedulers computed in TypeScript, by IPVS name.
// Dynamic schedulers (lc, wlc, sed, nq, lblc, lblcr) decide in the data plane and have no
// entry here; the data plane reports the ones it does not implement yet.
import type { SchedulerName } from '../config/types.js';
import { roundRobin } from './rr.js';
import type { StaticScheduler } from './types.js';
import { weightedRoundRobin } from './wrr.js';

const registry = new Map<string, StaticScheduler>([roundRobin, weightedRoundRobin].map((s) => [s.name, s]));

export function staticScheduler(name: SchedulerName): StaticScheduler | undefined {
  return registry.get(name);
}

export type { SchedulerServer, StaticScheduler } from './types.js';
