// src/scheduler/table-cache.ts — scheduler tables kept between builds: a table depends only on
// the scheduler and its servers' keys and weights in order, so a rebuild after a health change
// or a reload recomputes the tables of the services that changed and reuses the others' (a Maglev
// table of 1 000 servers takes milliseconds; 100 of them would stall the control thread on every
// transition). Entries a build did not use are dropped when it ends. Control thread.
import type { SchedulerServer, StaticScheduler } from './types.js';

export class SchedulerTables {
  private entries = new Map<string, number[]>();
  private used = new Map<string, number[]>();
  hits = 0;
  misses = 0;

  /** The scheduler's table for `servers`, computed or reused. Callers must not modify it. */
  table(scheduler: StaticScheduler, servers: readonly SchedulerServer[]): number[] {
    let key = scheduler.name;
    for (const s of servers) key += `\n${s.key}*${s.weight}`;
    let table = this.used.get(key) ?? this.entries.get(key);
    if (table) this.hits++;
    else {
      table = scheduler.table(servers);
      this.misses++;
    }
    this.used.set(key, table);
    return table;
  }

  /** Ends a build: keeps exactly the tables it used. */
  endBuild(): void {
    this.entries = this.used;
    this.used = new Map();
  }
}
