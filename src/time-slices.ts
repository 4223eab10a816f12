// src/time-slices.ts — long control-thread work written once as a generator of small
// steps (model build: one service per step; encoding: one service's records per step) and run
// either at once (start, tests) or in time slices that give the event loop back between them,
// so that a rebuild of 100 000 servers does not hold up health results, peer-load publishing or
// the status API. Runs on whichever thread calls it (the control worker).
import { setImmediate as nextTurn } from 'node:timers/promises';

/** A unit of work that yields between steps and returns its result. */
export type Steps<T> = Generator<void, T, void>;

/** Runs every step now, on this turn of the event loop. */
export function runAtOnce<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

export interface SliceStats {
  /** Slices the work took (1: it fitted in one); added to, so one count can span several runs. */
  slices: number;
}

/**
 * Runs the steps in slices of about `budgetMs` (a slice ends after the step that crosses the
 * budget, so a single long step makes a long slice), giving the event loop a turn in between.
 */
export async function runInSlices<T>(steps: Steps<T>, budgetMs: number, stats?: SliceStats): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) {
      if (stats) stats.slices++;
      return next.value;
    }
    if (performance.now() - sliceStart >= budgetMs) {
      if (stats) stats.slices++;
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}
