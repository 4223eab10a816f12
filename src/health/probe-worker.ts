// src/health/probe-worker.ts — the entry module of the health worker threads (piscina, pool.ts):
// each task is one ProbeTask, each answer its ProbeResult. Several probes share a thread at once;
// they are I/O waits, not computation.
import { runProbe } from './probe.js';
import type { ProbeResult, ProbeTask } from './types.js';

export default function probeWorker(task: ProbeTask): Promise<ProbeResult> {
  return runProbe(task);
}
