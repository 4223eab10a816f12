// src/scheduler/types.ts — the interface of a scheduler computed in TypeScript. A static
// scheduler turns the servers' weights into a table of server indices that the data plane walks
// (rr, wrr) or indexes by hash (mh, dh, sh); it runs on the control thread whenever weights or
// health change, never on the fast path.

export interface SchedulerServer {
  weight: number; // 0 = quiescent: no new connections
}

export interface StaticScheduler {
  readonly name: string;
  /** How the data plane uses the table: walk it in order, or index it by a hash. */
  readonly use: 'sequence' | 'hash';
  /** Indices into `servers`; empty when no server may take new connections. */
  table(servers: readonly SchedulerServer[]): number[];
}
