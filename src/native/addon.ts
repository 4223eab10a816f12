// src/native/addon.ts — loads the compiled addon (build/Release/xvs.node), checks its ABI
// against the mirror in abi.ts, and gives it a typed face. Runs on whichever thread imports it:
// the control worker, tests and benchmarks. Only this module touches the raw addon object.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

import { AbiMismatchError, compareAbi, type NativeLayout } from './abi.js';

export interface EngineOptions {
  backend: 'mem' | 'afxdp' | 'dpdk';
  workers: number;
  cpus?: number[];
  interfaces: string[];
  connTableSize: number;
  memFrames?: number;
}

export interface WorkerStatus {
  id: number;
  running: boolean;
  seenGeneration: bigint;
  connections: number;
}

export interface EngineStatus {
  running: boolean;
  generation: bigint;
  retiredSnapshots: number;
  workers: WorkerStatus[];
}

export interface MemFrame {
  verdict: 'tx' | 'pass';
  port: number;
  queue: number;
  data: Buffer;
}

/** The native engine. Every method must be called from the thread that created it. */
export interface NativeEngine {
  start(): void;
  stop(): void;
  /** Returns the committed generation. Throws an Error with `code` (XVS_ESNAPSHOT, XVS_ENOTSUP, ...). */
  commit(snapshot: Uint8Array): bigint;
  reclaim(): number;
  /** workers x counters, worker-major, in the order of abi.COUNTERS. */
  counters(): BigUint64Array;
  status(): EngineStatus;
  settle(timeoutMs?: number): boolean;
  advanceClock(seconds: number): void;
  memInject(port: number, queue: number, frame: Uint8Array): boolean;
  memCollect(): MemFrame[];
}

/** Parameters of benchDataplane (native/bench/dataplane_bench.h). */
export interface DataplaneBenchParams {
  workload: 'established' | 'new';
  connTableSize: number;
  flows: number;
  /** Timed packets per repetition. */
  packets: number;
  repeat: number;
  seed?: number;
  /** established: half the visits are server replies (modes whose replies cross the balancer). */
  replies?: boolean;
  /** Ethernet/IPv4/TCP frames: client->VIP SYN and ACK, server->balancer ACK (addresses replaced per flow). */
  templates: { syn: Uint8Array; ack?: Uint8Array; reply?: Uint8Array };
}

/** What benchDataplane returns: raw figures, one entry per repetition where it says so. */
export interface DataplaneBenchRaw {
  packets: number;
  flows: number;
  /** Per repetition: restore the frame from its template + lb::process. */
  nsPerPacket: number[];
  /** Per repetition: the restore alone. */
  copyNsPerPacket: number[];
  verdicts: { tx: number; pass: number; drop: number };
  connCreated: number;
  connections: number;
  fillSeconds: number;
  bytesPerConnection: number;
  /** Resident set size in bytes; zeros when not measured. */
  rss: { before: number; built: number; filled: number };
  /** The core's non-zero counters after the last repetition. */
  counters: Record<string, number>;
  /** Set when the data path did not forward what it should have: the figures are not valid. */
  problem?: string;
}

interface RawAddon {
  Engine: new (options: EngineOptions) => NativeEngine;
  layout(): NativeLayout;
  benchDataplane(snapshot: Uint8Array, params: DataplaneBenchParams): DataplaneBenchRaw;
}

let loaded: RawAddon | undefined;

function packageRoot(): string {
  // dist/src/native/addon.js -> package root three levels up (src/native/addon.ts under tsc rootDir ".").
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('xvs: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export function loadAddon(): RawAddon {
  if (loaded) return loaded;
  const file = path.join(packageRoot(), 'build', 'Release', 'xvs.node');
  if (!fs.existsSync(file)) {
    const err = new Error(`the native addon is not built (${file} is missing): run npm install, or npm run build`);
    (err as Error & { code: string }).code = 'XVS_NO_ADDON';
    throw err;
  }
  const raw = createRequire(import.meta.url)(file) as RawAddon;
  const problems = compareAbi(raw.layout());
  if (problems.length > 0) throw new AbiMismatchError(problems);
  loaded = raw;
  return raw;
}

export function createEngine(options: EngineOptions): NativeEngine {
  return new (loadAddon().Engine)(options);
}

/**
 * Runs the data path in timed loops on this thread (blocks it for the whole run). Throws an
 * Error with `code` (XVS_ENOTSUP for a mode the data plane does not implement, XVS_EINVAL, ...).
 */
export function benchDataplane(snapshot: Uint8Array, params: DataplaneBenchParams): DataplaneBenchRaw {
  return loadAddon().benchDataplane(snapshot, params);
}
