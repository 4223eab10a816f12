// src/health/pool.ts — the pool of health worker threads (piscina) that run probes off the
// control thread's event loop (DESIGN §3). Consumes ProbeTasks; produces ProbeResults. Created
// and closed by whoever owns the HealthMonitor (the control worker). Concurrency is bounded:
// `threads` threads × `probesPerThread` probes in flight, at most `maxQueue` waiting; beyond that
// run() rejects, which the monitor counts as an error rather than a failed server.
import { Piscina } from 'piscina';

import type { ProbeResult, ProbeTask } from './types.js';

/** Anything that runs probes: the pool, or a stand-in in tests. */
export interface ProbeRunner {
  run(task: ProbeTask): Promise<ProbeResult>;
}

export interface ProbePoolOptions {
  threads?: number; // default 1: probes wait on the network, one thread carries many
  probesPerThread?: number; // default 64
  maxQueue?: number; // default 1024
}

export const PROBE_POOL_DEFAULTS = { threads: 1, probesPerThread: 64, maxQueue: 1024 } as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be an integer of at least 1 (got ${value})`);
  return value;
}

export class ProbePool implements ProbeRunner {
  private readonly pool: Piscina<ProbeTask, ProbeResult>;
  private closing: Promise<void> | undefined;

  constructor(options: ProbePoolOptions = {}) {
    const threads = positiveInteger('threads', options.threads ?? PROBE_POOL_DEFAULTS.threads);
    this.pool = new Piscina<ProbeTask, ProbeResult>({
      filename: new URL('./probe-worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity, // probes come every few seconds; restarting threads between them is waste
      concurrentTasksPerWorker: positiveInteger('probesPerThread', options.probesPerThread ?? PROBE_POOL_DEFAULTS.probesPerThread),
      maxQueue: positiveInteger('maxQueue', options.maxQueue ?? PROBE_POOL_DEFAULTS.maxQueue),
      // 'sync' atomics park an idle thread in Atomics.wait, freezing its event loop, and with it
      // the other probes in flight on that thread: they would time out for no fault of the server.
      atomics: 'disabled',
    });
  }

  run(task: ProbeTask): Promise<ProbeResult> {
    if (this.closing) return Promise.reject(new Error('the probe pool is closed'));
    return this.pool.run(task);
  }

  /** Stops the threads; probes still queued or running are rejected. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.pool.destroy();
    return this.closing;
  }
}
