// src/health/state.ts — the rise/fall state machine of one (service, server) check: it starts in
// initial_state; an up server goes down after `fall` consecutive failed probes, a down server
// comes up after `rise` consecutive successful ones. Pure; consumes probe results, produces the
// next state and, when the state flips, the transition's facts. Runs wherever the monitor runs
// (the control thread).
import type { HealthState, ProbeResult } from './types.js';

export interface CheckState {
  state: HealthState;
  successes: number; // consecutive successful probes, 0 after a failure
  failures: number; // consecutive failed probes, 0 after a success
}

export interface Thresholds {
  rise: number;
  fall: number;
}

export interface StateChange {
  from: HealthState;
  to: HealthState;
  reason: string;
  latencyMs: number;
}

export function initialCheckState(initial: HealthState): CheckState {
  return { state: initial, successes: 0, failures: 0 };
}

/** The state after `result`; `change` is set only when the server flipped up or down. */
export function recordProbe(
  current: CheckState,
  result: ProbeResult,
  { rise, fall }: Thresholds,
): { next: CheckState; change?: StateChange } {
  const successes = result.ok ? current.successes + 1 : 0;
  const failures = result.ok ? 0 : current.failures + 1;
  let state = current.state;
  if (state === 'up' && failures >= fall) state = 'down';
  else if (state === 'down' && successes >= rise) state = 'up';
  const next = { state, successes, failures };
  if (state === current.state) return { next };
  return { next, change: { from: current.state, to: state, reason: result.reason, latencyMs: result.latencyMs } };
}
