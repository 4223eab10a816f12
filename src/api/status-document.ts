// src/api/status-document.ts — the JSON document GET /status returns (and `xvs list --json`
// prints): the control worker's StatusResult with 64-bit values as JSON numbers (exact below
// 2^53, which counters reach after centuries at line rate). Consumed by the HTTP routes, the
// metrics exposition and the CLI. Pure; main thread.
import type { ClusterStatus, ServiceStatus, StatusResult } from '../control/protocol.js';
import type { CounterName } from '../native/abi.js';
import { COUNTERS } from '../native/abi.js';
import type { FastPathTotals, NeighbourEntry, Traffic } from '../native/addon.js';
import { emptyCounters, type CounterSet } from '../stats/counters.js';

export type CounterNumbers = Record<CounterName, number>;

export interface WorkerDocument {
  id: number;
  running: boolean;
  /** The snapshot generation this worker forwards with. */
  seenGeneration: number;
  /** Entries in its connection table (connections and persistence templates). */
  connections: number;
  counters: CounterNumbers;
}

export interface StatusDocument {
  running: boolean;
  /** The committed snapshot generation: each reload, weight change or next-hop change adds one. */
  generation: number;
  /** Snapshots replaced but not freed yet (a worker has not passed the newer one). */
  retiredSnapshots: number;
  /** Data-plane counters summed over the workers (names: src/native/abi.ts COUNTERS). */
  counters: CounterNumbers;
  /** Every server's traffic since start, removed servers' included (IPVS's global statistics; never goes back). */
  traffic: Traffic;
  /** What the XDP fast path forwarded itself (dataplane.fast_path: xdp on AF_XDP); absent without it. */
  fastPath?: FastPathTotals;
  /** Backend dpdk: xvs's own neighbour table (address, port index, MAC, state, ms since confirmed). */
  neighbours?: NeighbourEntry[];
  workers: WorkerDocument[];
  services: ServiceStatus[];
  /** With a cluster section: the nodes, BGP sessions and what this node announces. */
  cluster?: ClusterStatus;
}

function numbers(set: CounterSet): CounterNumbers {
  return Object.fromEntries(COUNTERS.map((name) => [name, Number(set[name])])) as CounterNumbers;
}

export function statusDocument(s: StatusResult): StatusDocument {
  return {
    running: s.engine.running,
    generation: Number(s.engine.generation),
    retiredSnapshots: s.engine.retiredSnapshots,
    counters: numbers(s.counters.total),
    traffic: s.engine.traffic,
    ...(s.engine.fastPath ? { fastPath: s.engine.fastPath } : {}),
    ...(s.engine.neighbours ? { neighbours: s.engine.neighbours } : {}),
    workers: s.engine.workers.map((w) => ({
      id: w.id,
      running: w.running,
      seenGeneration: Number(w.seenGeneration),
      connections: w.connections,
      counters: numbers(s.counters.workers[w.id] ?? emptyCounters()),
    })),
    services: s.services,
    ...(s.cluster ? { cluster: s.cluster } : {}),
  };
}
