// src/health/types.ts — the shapes every part of the health subsystem shares: a probe task (what
// the pool runs), its result, server and quorum transitions, and the health view the control
// thread turns into an effective config (effective.ts). Pure types; any thread may import them.
// Everything here is structured-clone friendly (plain objects, arrays), so it can cross
// worker_threads boundaries and be printed as JSON by /status.
import type { HealthCheckConfig } from '../config/types.js';

export type HealthState = 'up' | 'down';

/** One probe: the check to run against address:port (the check's port, else the server's). */
export interface ProbeTask {
  address: string;
  port: number;
  check: HealthCheckConfig;
}

/** What one probe found. reason is short and human-readable: "connected", "HTTP 503 (expected 200)". */
export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  reason: string;
}

/** A server changed state: logged (one line) and counted by the monitor. */
export interface ServerTransition {
  kind: 'server';
  service: string;
  server: string; // "address:port" as in the config, the key of a server within its service
  from: HealthState;
  to: HealthState;
  reason: string; // of the probe that completed the rise or fall
  latencyMs: number;
  successes: number; // consecutive, at the transition
  failures: number; // consecutive, at the transition
  rise: number;
  fall: number;
}

/** A service's quorum was lost or regained (or re-evaluated after a reload). */
export interface QuorumTransition {
  kind: 'quorum';
  service: string;
  from: boolean; // quorum met before
  to: boolean; // quorum met now
  alive: number; // servers up that take new connections (weight > 0)
  quorum: number;
  hysteresis: number;
  reason: string;
}

export type HealthTransition = ServerTransition | QuorumTransition;

/** Probes, failed probes and state transitions of one server since its check was (re)configured. */
export interface HealthCounters {
  checks: number;
  failures: number;
  transitions: number;
  /** Probes the pool could not run (queue full, pool closed): they change no state. */
  errors: number;
}

export interface ServerHealth {
  server: string; // "address:port"
  state: HealthState;
  successes: number;
  failures: number;
  lastResult?: ProbeResult;
  counters: HealthCounters;
}

export interface ServiceHealth {
  name: string;
  quorum: number;
  hysteresis: number;
  quorumMet: boolean;
  alive: number; // servers up with weight > 0: what quorum counts
  up: number; // servers up, counting those without a check (always up)
  down: number;
  /** Only servers that have a health check; a server without one is always up. */
  servers: ServerHealth[];
}

/** The monitor's current opinion, per checked service. Services without any check are absent. */
export interface HealthView {
  services: ServiceHealth[];
}
