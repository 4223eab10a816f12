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

interface RawAddon {
  Engine: new (options: EngineOptions) => NativeEngine;
  layout(): NativeLayout;
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
