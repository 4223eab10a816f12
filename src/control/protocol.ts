// src/control/protocol.ts — the messages between the main thread and the control worker
// thread. The main thread relays (CLI, signals, later the HTTP API); the control worker owns
// the engine and all policy (DESIGN §3).
import type { Config } from '../config/types.js';
import type { EngineStatus } from '../native/addon.js';
import type { DataplaneCounters } from './dataplane.js';

export type ControlRequest =
  | { op: 'start'; config: Config }
  | { op: 'reload'; config: Config }
  | { op: 'status' }
  | { op: 'stop' };

export interface StartResult {
  generation: bigint;
  services: number;
  /** Servers committed without a next-hop MAC (their packets are dropped until resolved), with the reason. */
  unresolved: string[];
  /** start only: the backend's one-line description and its warnings. */
  backend?: string;
  warnings?: string[];
}

export interface StatusResult {
  engine: EngineStatus;
  counters: DataplaneCounters;
}

export interface ControlResults {
  start: StartResult;
  reload: StartResult;
  status: StatusResult;
  stop: StatusResult;
}

export interface ControlError {
  code: string;
  message: string;
}

/** Told by the control worker on its own initiative (no request id). */
export type ControlEvent =
  | { event: 'nexthops_changed'; generation: bigint; unresolved: string[] }
  | { event: 'nexthops_failed'; code: string; message: string }
  /** The kernel's notifications cannot be followed: next hops are re-resolved every second until they can. */
  | { event: 'route_monitor_failed'; code: string; message: string };

export type ControlEnvelope = { id: number; request: ControlRequest };
export type ControlReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ControlError };
