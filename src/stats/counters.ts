// src/stats/counters.ts — turns the engine's per-worker counter blocks (worker-major
// BigUint64Array, order of abi.COUNTERS) into named totals and per-worker records. Pure; runs
// wherever counters are read (control thread, tests, CLI).
import { COUNTERS, type CounterName } from '../native/abi.js';

export type CounterSet = Record<CounterName, bigint>;

export function emptyCounters(): CounterSet {
  return Object.fromEntries(COUNTERS.map((name) => [name, 0n])) as CounterSet;
}

export function perWorker(block: BigUint64Array, workers: number): CounterSet[] {
  const out: CounterSet[] = [];
  for (let w = 0; w < workers; w++) {
    const set = emptyCounters();
    COUNTERS.forEach((name, i) => (set[name] = block[w * COUNTERS.length + i] ?? 0n));
    out.push(set);
  }
  return out;
}

export function sumCounters(sets: readonly CounterSet[]): CounterSet {
  const total = emptyCounters();
  for (const set of sets) for (const name of COUNTERS) total[name] += set[name];
  return total;
}

/** Only the non-zero entries, as numbers: for logs and JSON. */
export function nonZero(set: CounterSet): Partial<Record<CounterName, number>> {
  const out: Partial<Record<CounterName, number>> = {};
  for (const name of COUNTERS) if (set[name] !== 0n) out[name] = Number(set[name]);
  return out;
}
