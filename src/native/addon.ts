// src/native/addon.ts — loads the compiled addon (build/Release/xvs.node), checks its ABI
// against the mirror in abi.ts, and gives it a typed face. Runs on whichever thread imports it:
// the control worker, tests and benchmarks. Only this module touches the raw addon object.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

import { AbiMismatchError, compareAbi, type NativeLayout } from './abi.js';
import type { DecapAttachResult, DecapCountersResult, DecapDetachResult } from './decap-types.js';
import type { PktgenParams, PktgenResult, SinkCounts } from './veth-bench-types.js';

export interface EngineOptions {
  backend: 'mem' | 'afxdp' | 'dpdk';
  workers: number;
  cpus?: number[];
  /** 0: workers at SCHED_OTHER; 1..99: at SCHED_FIFO with that priority. */
  workerPriority?: number;
  /** The priority is xvs's default: without CAP_SYS_NICE workers run at SCHED_OTHER with a warning instead of failing. */
  workerPriorityBestEffort?: boolean;
  /** dataplane.fast_path === 'xdp' (default true): established connections go to the steering program where the backend has it. */
  fastPath?: boolean;
  /** A cluster with connection sync (native/lb/sync.h): workers queue records for the other nodes (syncDrain) and take theirs (syncInstall). */
  sync?: boolean;
  /** cluster.sync.refresh_period in seconds (0 or absent: half the state's timeout). */
  syncRefreshSeconds?: number;
  interfaces: string[];
  connTableSize: number;
  /** 16 bytes: the Full-NAT local port key (src/control/worker/port-key.ts); copied by the engine. */
  portKey?: Buffer;
  /** dataplane.local_port_range, [first, last] (default [1024, 32767]). */
  localPorts?: [number, number];
  memFrames?: number;
  /** afxdp: the steering XDP program; createEngine fills in build/Release/xvs_steer.bpf.o. */
  bpfObject?: string;
  /** dataplane.dpdk (backend dpdk). */
  dpdk?: { driver: 'af_xdp' | 'af_packet'; devices: string[]; eal: string[] };
  /**
   * Benchmarks only (`xvs bench veth`, I/O loop only): workers skip lb::process and send every
   * frame to the first server's next hop (native/bench/forward_only.h). No config field sets it.
   */
  forwardOnly?: boolean;
}

export interface WorkerStatus {
  id: number;
  running: boolean;
  seenGeneration: bigint;
  connections: number;
}

/** What the steering program forwarded itself (native/abi/fast_path.h xvs_fast_counters). */
export interface FastPathTotals {
  packets: number;
  bytes: number;
  /** Packets that matched an entry of an older snapshot: left to the workers. */
  stale: number;
  /** Forwarded without a per-server count (the per-server map was full). */
  uncounted: number;
}

/** Where the backend's frames were when it shut down (afxdp; present after stop). lost != 0 is a leak. */
export interface FrameAudit {
  total: number;
  free: number;
  inRings: number;
  inFlight: number;
  lost: number;
}

/** ipvsadm --stats figures: connections scheduled, packets and bytes (IP length as received) from each side. Exact below 2^53. */
export interface Traffic {
  /** Connections scheduled (one-packet datagrams: each one). */
  conns: number;
  /** From the client side. */
  inPackets: number;
  inBytes: number;
  /** From the server side (nat, fullnat; dr and tunnel replies bypass the balancer). */
  outPackets: number;
  outBytes: number;
}

export interface EngineStatus {
  running: boolean;
  generation: bigint;
  retiredSnapshots: number;
  workers: WorkerStatus[];
  /**
   * Every server's traffic since the engine started, workers' and fast path's, servers removed
   * since included: IPVS's global statistics (/proc/net/ip_vs_stats), which never go back.
   */
  traffic: Traffic;
  /** The XDP fast path's totals (per-CPU counters summed): live while running, the last after stop; absent without it. */
  fastPath?: FastPathTotals;
  frames?: FrameAudit;
  /** Backend dpdk: xvs's own neighbour table (filled by Dataplane.status, not by the engine's status()). */
  neighbours?: NeighbourEntry[];
}

/**
 * One row per (worker, server of the committed snapshot), worker-major, in parallel arrays:
 * IPVS connection counts now (ActiveConn / InActConn) and traffic since the server was
 * configured; servers by their stable backend id.
 */
export interface ServerCounterRows {
  backendId: Uint32Array;
  worker: Uint32Array;
  active: Uint32Array;
  inactive: Uint32Array;
  /** Persistence templates bound to the server (IPVS persistconns). */
  persistent: Uint32Array;
  /** Connections scheduled to the server; packets and bytes (IP length) from the client and server sides. Exact below 2^53. */
  conns: Float64Array;
  inPackets: Float64Array;
  outPackets: Float64Array;
  inBytes: Float64Array;
  outBytes: Float64Array;
}

/** One entry of a worker's connection table (`xvs list -c`). */
export interface ConnectionEntry {
  protocol: 'tcp' | 'udp';
  /** IPVS state (tcp_established, udp, persist_template, ...). */
  state: string;
  /** A persistence template (client network → server), not a connection. */
  template: boolean;
  /** Seconds until it expires unless traffic renews it. */
  expiresIn: number;
  /** CIP:cport (templates: the client network and port 0). */
  client: string;
  /** VIP:vport. */
  virtual: string;
  /** RIP:rport (absent for templates). */
  server?: string;
  /** Where the server sends its replies: LIP:lport (fullnat) or the client (nat, dr, tunnel). */
  local?: string;
  backendId: number;
}

export interface WorkerConnections {
  worker: number;
  /** Entries in its table when listed; `entries` holds at most the limit asked. */
  total: number;
  entries: ConnectionEntry[];
  /** Pages (connections(limit, timeout, starts)): the table slot its next page starts at; -1: done. */
  next?: number;
}

export interface BackendDescription {
  /** One line: interfaces, XDP mode, copy/zero-copy, queues, UMEM. */
  backend: string;
  /** Things an operator should know (generic-XDP fallback, a replaced stale program), one line each. */
  warnings: string[];
}

/** An interface as the kernel of this network namespace sees it (linkInfo). */
export interface LinkInfo {
  ifindex: number;
  mtu: number;
  mac: Uint8Array;
  address: string | null;
  /** The first global IPv6 address (not link-local); null: none. */
  address6?: string | null;
  rxQueues: number;
  txQueues: number;
}

/** The route and neighbour towards an address (nextHop); `error` when there is no route. */
export type KernelNextHop =
  | { error: string }
  | { ifindex: number; gateway: string | null; neighbour: string; mac: Uint8Array | null; state: string };

/** One neighbour entry (IPv4 or IPv6) that changed (RouteChanges.neighbours). */
export interface NeighbourChange {
  address: string;
  ifindex: number;
  /** reachable, stale, delay, probe, permanent, noarp, incomplete, failed, none (deleted) */
  state: string;
  /** The entry's link-layer address when its state makes it usable, else null. */
  mac: Uint8Array | null;
  deleted: boolean;
}

/** What the kernel notified since the last report (RouteMonitor). */
export interface RouteChanges {
  neighbours: NeighbourChange[];
  routes: boolean;
  links: boolean;
  addresses: boolean;
  /** Notifications were lost (the socket's buffer overflowed): re-read everything. */
  overflow: boolean;
  /** The monitor failed and stopped listening; close it (overflow is set too). */
  error?: string;
}

/** An open rtnetlink subscription of this thread's network namespace. */
export interface RouteMonitor {
  /** Stops listening and releases the socket; idempotent. */
  close(): void;
  readonly closed: boolean;
}

export interface MemFrame {
  verdict: 'tx' | 'pass';
  port: number;
  queue: number;
  data: Buffer;
}

/** The native engine. Every method must be called from the thread that created it. */
export interface HostPort {
  exceptionInterface: string;
  mac: Uint8Array;
  mtu: number;
}

export interface NeighbourEntry {
  address: string;
  /** Index into dataplane.interfaces. */
  port: number;
  /** "aa:bb:cc:dd:ee:ff"; all zero while incomplete. */
  mac: string;
  state: 'incomplete' | 'reachable' | 'stale' | 'failed';
  confirmedAgoMs?: number;
}

export interface NativeEngine {
  start(): void;
  /** Stops the workers and releases the backend (XDP programs, sockets). */
  stop(): void;
  /** stop(), and also releases the backend of an engine that never started. Final. */
  close(): void;
  describe(): BackendDescription;
  /**
   * Decodes and checks the snapshot (the long part for a large one) on a libuv pool thread, then
   * publishes it on this thread; resolves to the committed generation. One commit at a time
   * (XVS_EBUSY); do not modify `snapshot` until the promise settles. Every refusal rejects with
   * `code` (XVS_ESNAPSHOT, XVS_ELIMIT, XVS_EBUSY, ...); it never throws.
   */
  commit(snapshot: Uint8Array): Promise<bigint>;
  reclaim(): number;
  /** workers x counters, worker-major, in the order of abi.COUNTERS. */
  counters(): BigUint64Array;
  status(): EngineStatus;
  /** Read from each worker's live counts (lb/load.h): monitoring values, a moment stale at most. */
  serverCounters(): ServerCounterRows;
  /** Up to `limit` entries per worker, taken at their next safe point; XVS_EBUSY if one takes longer than `timeoutMs`. */
  connections(limit: number, timeoutMs: number): WorkerConnections[];
  /** A page per worker: up to `limit` entries from table slot starts[w] on (-1: that worker is done), and each worker's `next`. */
  connections(limit: number, timeoutMs: number, starts: number[]): WorkerConnections[];
  /** Gives every worker the other workers' per-server loads (cluster-wide lc/wlc/sed/nq/lblc/lblcr). */
  publishPeerLoads(): void;
  settle(timeoutMs?: number): boolean;
  /**
   * Before start: the Full-NAT server-side tuples a previous engine's servers may still hold
   * (its portHolds() bytes, `elapsedSeconds` old); returns how many are still running. Refuses
   * bytes that are not such a list (XVS_EINVAL).
   */
  restorePortHolds(bytes: Uint8Array, elapsedSeconds: number): number;
  /** After stop: those tuples of this engine, opaque bytes for the next one (native/lb/port_holds.h). */
  portHolds(): Buffer;
  advanceClock(seconds: number): void;
  memInject(port: number, queue: number, frame: Uint8Array): boolean;
  memCollect(): MemFrame[];
  /** With `sync`: up to `maxRecords` records the workers queued for the other nodes (abi RECORDS.sync each), as bytes. */
  syncDrain(maxRecords: number): Buffer;
  /** With `sync`: other nodes' records (whole records, else XVS_EINVAL), each to the worker that would own it; `refused` found its ring full. */
  syncInstall(records: Uint8Array): { accepted: number; refused: number };
  /** With `sync`: every worker's whole table comes out through syncDrain over the next safe points (a starting peer asked). */
  syncDump(): void;
  /** Whether every worker has queued its whole table for the last syncDump() (records may still wait for syncDrain). */
  syncDumpFinished(): boolean;
  /** Backend dpdk: each port's exception interface (the host's side), MAC and MTU; undefined elsewhere. */
  hostPorts(): HostPort[] | undefined;
  /** Backend dpdk: the MAC of neighbour `address` on port `port` in xvs's own table, or null (it is solicited). */
  neighbour(address: string, port: number): Uint8Array | null;
  /** Backend dpdk: runs the neighbour table's timers; the addresses whose MAC appeared, changed or went since the last call. */
  neighbourChanges(): string[];
  /** Backend dpdk: xvs's neighbour table. */
  neighbours(): NeighbourEntry[];
}

/** Parameters of benchDataplane (native/bench/dataplane_bench.h). */
export interface DataplaneBenchParams {
  workload: 'established' | 'new' | 'cookies';
  connTableSize: number;
  flows: number;
  /** Timed packets per repetition. */
  packets: number;
  repeat: number;
  seed?: number;
  /** established: half the visits are server replies (modes whose replies cross the balancer). */
  replies?: boolean;
  /** established: run on this many threads at once, one per CPU, each its own table (default 1). */
  workers?: number;
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
  /** Per worker, its ns/packet of each repetition (one entry with one worker). */
  workerNsPerPacket: number[][];
  /** Several workers: per worker, its ns/packet of each repetition running alone (the others
   * waiting), on its own CPU in the same run; empty lists with one worker. */
  workerAloneNsPerPacket: number[][];
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
  /** The SipHash batch variant the data path runs on this CPU (core/siphash_batch.h):
   * "avx512f", "avx2" or "baseline". */
  hashBatch: string;
}

export * from './decap-types.js';
export * from './veth-bench-types.js';

interface RawAddon {
  Engine: new (options: EngineOptions) => NativeEngine;
  layout(): NativeLayout;
  benchDataplane(snapshot: Uint8Array, params: DataplaneBenchParams): DataplaneBenchRaw;
  linkInfo(name: string): LinkInfo;
  nextHop(address: string): KernelNextHop;
  solicit(address: string): void;
  RouteMonitor: new (onChanges: (changes: RouteChanges) => void) => RouteMonitor;
  attachDecap(ifname: string, objectPath: string): DecapAttachResult;
  detachDecap(ifname: string): DecapDetachResult;
  decapCounters(ifname: string): DecapCountersResult;
  serviceNotify(socketPath: string, message: string): void;

  vethPktgen(params: PktgenParams): PktgenResult;
  vethAttachSink(options: { object: string; iface: string; serverAddr: string; pinPath: string }): void;
  vethAttachRedirect(options: { object: string; iface: string; toIfindex: number; srcMac: Uint8Array; dstMac: Uint8Array }): void;
  vethReadSink(pinPath: string): SinkCounts;
  /** null when this kernel runs XDP live frames (the generator's BPF_PROG_RUN), else why not;
   * throws XVS_ESYSTEM when no XDP program loads at all. Root. */
  vethLiveFramesRefusal(): string | null;
}

/**
 * The default addon (node-gyp: AF_XDP and mem) or the DPDK variant (cmake-js, `npm run
 * build:dpdk`: the same plus the DPDK backend). Engines with backend dpdk come from the latter;
 * everything else from the former, which is always built.
 */
export type AddonVariant = 'default' | 'dpdk';
const loaded = new Map<AddonVariant, RawAddon>();

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

/** XVS_DPDK_ADDON overrides where the DPDK variant is looked for (packagers; tests of a build without it). */
export function addonPath(variant: AddonVariant = 'default'): string {
  if (variant === 'dpdk' && process.env.XVS_DPDK_ADDON) return path.resolve(process.env.XVS_DPDK_ADDON);
  return path.join(packageRoot(), variant === 'dpdk' ? 'build-dpdk' : 'build', 'Release', 'xvs.node');
}

export function loadAddon(variant: AddonVariant = 'default'): RawAddon {
  const already = loaded.get(variant);
  if (already) return already;
  const file = addonPath(variant);
  if (!fs.existsSync(file)) {
    const err =
      variant === 'dpdk'
        ? new Error(`backend 'dpdk' needs the DPDK build of the addon (${file} is missing): install DPDK (apt-get install -y libdpdk-dev) and run npm run build:dpdk`)
        : new Error(`the native addon is not built (${file} is missing): run npm install, or npm run build`);
    (err as Error & { code: string }).code = variant === 'dpdk' ? 'XVS_ENOTSUP' : 'XVS_NO_ADDON';
    throw err;
  }
  const raw = createRequire(import.meta.url)(file) as RawAddon;
  const problems = compareAbi(raw.layout());
  if (problems.length > 0) throw new AbiMismatchError(problems);
  loaded.set(variant, raw);
  return raw;
}

export function steeringProgramPath(): string {
  return bpfObjectPath('steer');
}

/** build/Release/xvs_<name>.bpf.o (built by scripts/build-bpf.mjs). */
export function bpfObjectPath(name: 'steer' | 'pktgen' | 'sink' | 'redirect'): string {
  return path.join(packageRoot(), 'build', 'Release', `xvs_${name}.bpf.o`);
}

/** The raw addon's `xvs bench veth` entry points (generator, sink and redirect programs). */
export function vethBenchNative(): Pick<
  RawAddon,
  'vethPktgen' | 'vethAttachSink' | 'vethAttachRedirect' | 'vethReadSink' | 'vethLiveFramesRefusal'
> {
  return loadAddon();
}

export function decapProgramPath(): string {
  return path.join(packageRoot(), 'build', 'Release', 'xvs_decap.bpf.o');
}

export function createEngine(options: EngineOptions): NativeEngine {
  const withProgram = options.backend === 'afxdp' && !options.bpfObject ? { ...options, bpfObject: steeringProgramPath() } : options;
  return new (loadAddon(options.backend === 'dpdk' ? 'dpdk' : 'default').Engine)(withProgram);
}

/** The kernel's view of an interface in this thread's network namespace; throws XVS_EINVAL if there is none. */
export function linkInfo(name: string): LinkInfo {
  return loadAddon().linkInfo(name);
}

/** The kernel's route and neighbour entry towards `address` (rtnetlink). */
export function kernelNextHop(address: string): KernelNextHop {
  return loadAddon().nextHop(address);
}

/** Makes the kernel resolve the neighbour towards `address` (an empty UDP datagram to port 9). */
export function solicitNeighbour(address: string): void {
  loadAddon().solicit(address);
}

/**
 * Follows the kernel's IPv4 neighbour, route, link and address changes in this thread's network
 * namespace: onChanges runs on this thread's event loop when notifications arrive (no polling).
 * Keeps the event loop alive until closed. Throws XVS_ESYSTEM if the subscription fails.
 */
export function openRouteMonitor(onChanges: (changes: RouteChanges) => void): RouteMonitor {
  return new (loadAddon().RouteMonitor)(onChanges);
}

/**
 * Runs the data path in timed loops on this thread (blocks it for the whole run). Throws an
 * Error with `code` (XVS_ENOTSUP for a mode the data plane does not implement, XVS_EINVAL, ...).
 */
export function benchDataplane(snapshot: Uint8Array, params: DataplaneBenchParams): DataplaneBenchRaw {
  return loadAddon().benchDataplane(snapshot, params);
}

/**
 * Attaches the IPIP decapsulation program to `ifname` in this thread's network namespace and
 * leaves it there (it outlives the process). Throws an Error with `code`: XVS_EINVAL (no such
 * interface), XVS_EBUSY (another XDP program holds it), XVS_ESYSTEM.
 */
export function attachDecap(ifname: string, objectPath: string = decapProgramPath()): DecapAttachResult {
  return loadAddon().attachDecap(ifname, objectPath);
}

/** Detaches the decap program from `ifname` if it is there; anything else is left alone. */
export function detachDecap(ifname: string): DecapDetachResult {
  return loadAddon().detachDecap(ifname);
}

/** The counters of the decap program on `ifname`, summed over CPUs. */
export function decapCounters(ifname: string): DecapCountersResult {
  return loadAddon().decapCounters(ifname);
}

/** One sd_notify(3) datagram to the service manager's socket ($NOTIFY_SOCKET); throws when it cannot be sent. */
export function serviceNotify(socketPath: string, message: string): void {
  loadAddon().serviceNotify(socketPath, message);
}
