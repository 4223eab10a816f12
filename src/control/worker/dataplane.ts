// src/control/worker/dataplane.ts — one running data plane seen from TypeScript: the native
// engine handle plus what is needed to turn configs into snapshots (stable ids, next hops, the
// generation counter). Must live on one thread: the control worker in `xvs run`, the test
// thread in packet tests. Every change reaches the engine by one path, commit(): the model
// (built in time slices, reusing the last one's unchanged services: model.ts) is encoded (in
// slices, reusing unchanged services' bytes: snapshot-encoder.ts) and committed, the native
// decoding running on a libuv pool thread, so the owning thread's event loop keeps turning
// during a large rebuild. apply() builds from a config (the first one may wait briefly for the
// kernel to resolve next hops); refreshNextHops(scope), called when the kernel notifies a change
// (nexthop/follow.ts), patches the last model and commits only when a next hop changed. Callers
// run one of them at a time (the control worker queues them: commit-queue.ts).
import { setTimeout as delay } from 'node:timers/promises';

import type { Config } from '../../config/types.js';
import { DEFAULTS } from '../../config/defaults.js';
import type { SavedPortHolds } from '../protocol.js';
import {
  createEngine,
  loadAddon,
  type BackendDescription,
  type ServerCounterRows,
  type EngineStatus,
  type NativeEngine,
  type WorkerConnections,
} from '../../native/addon.js';
import { SchedulerTables } from '../../scheduler/table-cache.js';
import { perWorker, sumCounters, type CounterSet } from '../../stats/counters.js';
import { modelSteps, type DataplaneModel } from './model.js';
import { EVERYTHING, refreshedModel, type NextHopScope } from './next-hop-refresh.js';
import { nextHopResolver } from './nexthop/index.js';
import { dpdkEal } from './dpdk-eal.js';
import { portKey } from './port-key.js';
import { syncEnabled, type SyncEngine } from '../../cluster/sync-node.js';
import { reusingNextHops } from './nexthop/reuse.js';
import type { NextHopResolver } from './nexthop/types.js';
import { SnapshotEncoder } from './snapshot-encoder.js';
import { StableIds } from './stable-ids.js';
import { runInSlices, type SliceStats, type Steps } from '../../time-slices.js';

// A worker answers at its next safe point (it polls its control ring every few bursts, or is
// woken from poll()); longer means it is stuck, and the listing says so rather than wait.
const CONNECTIONS_TIMEOUT_MS = 1000;

export interface ApplyOptions {
  sliceMs?: number;
  waitForNextHopsMs?: number;
  stats?: SliceStats;
}

export interface DataplaneCounters {
  total: CounterSet;
  workers: CounterSet[];
}

/** One committed snapshot: what it holds and what encoding and committing it took. */
export interface CommitReport {
  generation: bigint;
  services: number;
  servers: number;
  snapshotBytes: number;
  encodeMs: number;
  /** The addon's decode and the hand-over to the workers. */
  commitMs: number;
}

export class Dataplane {
  private generation = 0n;
  private readonly ids = new StableIds();
  private readonly tables = new SchedulerTables();
  private readonly encoder = new SnapshotEncoder();
  private readonly resolver: NextHopResolver;
  private started = false;
  private lastConfig: Config | undefined;
  private lastModel: DataplaneModel | undefined;
  /** Told after each commit what it cost (the log's debug detail). */
  onCommitted?: (c: CommitReport) => void;

  private constructor(
    readonly engine: NativeEngine,
    private readonly workers: number,
    backend: Config['dataplane']['backend'],
    interfaces: readonly string[],
    resolver: NextHopResolver | undefined,
    private readonly extraWarnings: string[],
  ) {
    try {
      this.resolver = resolver ?? nextHopResolver(backend, interfaces, engine);
    } catch (err) {
      engine.close();
      throw err;
    }
  }

  /**
   * Creates the engine for `config.dataplane` (not started, nothing committed). resolver: next
   * hops from elsewhere than the backend's own resolver (tests: a fake kernel on io/mem).
   * forwardOnly: the bench-only I/O loop without lb::process (`xvs bench veth`).
   */
  static create(config: Config, options: { memFrames?: number; resolver?: NextHopResolver; forwardOnly?: boolean } = {}): Dataplane {
    const d = config.dataplane;
    const key = portKey(config);
    // A build without DPDK is said first: how to get it matters before how to configure it.
    if (d.backend === 'dpdk') loadAddon('dpdk');
    const eal = d.backend === 'dpdk' ? dpdkEal(d.dpdk) : undefined;
    const engine = createEngine({
      backend: d.backend,
      workers: d.workers,
      ...(d.cpus ? { cpus: d.cpus } : {}),
      workerPriority: d.worker_priority ?? DEFAULTS.worker_priority,
      workerPriorityBestEffort: d.worker_priority === undefined,
      fastPath: d.fast_path === 'xdp',
      sync: syncEnabled(config),
      syncRefreshSeconds: config.cluster?.sync.refresh_period ?? 0,
      interfaces: d.interfaces,
      connTableSize: d.conn_table_size,
      portKey: key.key,
      localPorts: d.local_port_range,
      ...(options.memFrames ? { memFrames: options.memFrames } : {}),
      ...(eal ? { dpdk: { driver: d.dpdk?.driver ?? 'af_xdp', devices: d.dpdk?.devices ?? [], eal } } : {}),
      ...(options.forwardOnly ? { forwardOnly: true } : {}),
    });
    const warnings = key.warning ? [key.warning] : [];
    return new Dataplane(engine, d.workers, d.backend, d.interfaces, options.resolver, warnings);
  }

  /**
   * Builds, encodes and commits the snapshot for `config`; resolves to the model it committed.
   * Servers the last model reaches keep their next hop (nexthop/reuse.ts).
   * sliceMs: give the event loop a turn about this often while building and encoding (default:
   * never). waitForNextHopsMs: with a kernel-backed resolver, rebuild until every next hop
   * resolved or this much time passed (the resolver has asked the kernel to resolve the missing
   * ones). stats: counts the slices taken.
   */
  async apply(config: Config, options: ApplyOptions = {}): Promise<DataplaneModel> {
    const sliceMs = options.sliceMs ?? Number.POSITIVE_INFINITY;
    let model = await runInSlices(this.buildSteps(config), sliceMs, options.stats);
    const deadline = Date.now() + (options.waitForNextHopsMs ?? 0);
    while (this.unresolvedIn(model).length > 0 && Date.now() < deadline) {
      await delay(20);
      model = await runInSlices(this.buildSteps(config), sliceMs, options.stats);
    }
    return this.commit(config, model, sliceMs, options.stats);
  }

  /** Servers whose next hop has no MAC in the last committed model, with the reason. */
  unresolvedNextHops(): string[] {
    return this.lastModel ? this.unresolvedIn(this.lastModel) : [];
  }

  /**
   * Kernel-backed resolvers: re-resolves the servers `scope` concerns (default: all of them,
   * interfaces re-read) and commits the last config anew if a port or next hop changed (a
   * neighbour resolved, moved or failed; a route moved). Resolves to the new model, if any.
   */
  async refreshNextHops(scope: NextHopScope = EVERYTHING, sliceMs = Number.POSITIVE_INFINITY): Promise<DataplaneModel | undefined> {
    if (!this.resolver.whyUnresolved || !this.lastConfig || !this.lastModel) return undefined;
    const next = refreshedModel(this.lastConfig, this.lastModel, scope, this.resolver, this.generation + 1n);
    return next ? this.commit(this.lastConfig, next, sliceMs) : undefined;
  }

  /** Before start: the previous run's held Full-NAT tuples; returns how many are still held. */
  restorePortHolds(saved: SavedPortHolds): number {
    return this.engine.restorePortHolds(saved.bytes, Math.max(0, (Date.now() - saved.savedAtMs) / 1000));
  }

  /** After stop: the tuples this run's servers may still hold. */
  portHolds(): SavedPortHolds {
    return { bytes: this.engine.portHolds(), savedAtMs: Date.now() };
  }

  start(): void {
    this.engine.start();
    this.started = true;
  }

  /** Stops the workers (if started) and releases the backend: XDP programs, sockets. */
  stop(): void {
    if (this.started) this.engine.stop();
    else this.engine.close();
    this.started = false;
  }

  /** Backend dpdk: runs xvs's neighbour table's timers; the neighbours whose MAC changed since the last call. */
  neighbourChanges(): string[] {
    return this.engine.neighbourChanges();
  }

  describe(): BackendDescription {
    const native = this.engine.describe();
    return this.extraWarnings.length > 0 ? { ...native, warnings: [...native.warnings, ...this.extraWarnings] } : native;
  }

  counters(): DataplaneCounters {
    const workers = perWorker(this.engine.counters(), this.workers);
    return { total: sumCounters(workers), workers };
  }

  /** The engine's status; with backend dpdk, xvs's neighbour table too (what `ip neigh` shows elsewhere). */
  status(): EngineStatus {
    const status = this.engine.status();
    return this.engine.hostPorts() ? { ...status, neighbours: this.engine.neighbours() } : status;
  }

  /** Per server and worker: IPVS ActiveConn / InActConn and traffic (ipvsadm --stats), read from the workers' counter blocks. */
  serverCounters(): ServerCounterRows {
    return this.engine.serverCounters();
  }

  get workerCount(): number {
    return this.workers;
  }

  /** Up to `limit` connection-table entries per worker (`xvs list -c`); the workers answer within a millisecond or so. */
  connections(limit: number): WorkerConnections[] {
    return this.engine.connections(limit, CONNECTIONS_TIMEOUT_MS);
  }

  /** One page of every worker's table (`xvs list -c` of every entry): from starts[w] on, -1 for a worker that is done. */
  connectionsPage(starts: number[], limit: number): WorkerConnections[] {
    return this.engine.connections(limit, CONNECTIONS_TIMEOUT_MS, starts);
  }

  /** Connection sync (src/cluster/sync-node.ts): the engine's side. */
  get sync(): SyncEngine {
    return this.engine;
  }

  /**
   * Publishes to every worker the other workers' per-server loads, which the dynamic schedulers
   * add to their own: call at a bounded interval (the staleness bound of the cluster-wide view).
   */
  publishPeerLoads(): void {
    this.engine.publishPeerLoads();
  }

  /** The model of the last commit (undefined before the first). */
  committedModel(): DataplaneModel | undefined {
    return this.lastModel;
  }

  private buildSteps(config: Config): Steps<DataplaneModel> {
    const previous = this.lastConfig && this.lastModel ? { config: this.lastConfig, model: this.lastModel } : undefined;
    const resolver = reusingNextHops(this.resolver, this.lastModel);
    return modelSteps(config, this.generation + 1n, resolver, this.ids, this.tables, previous);
  }

  /** The one way a model reaches the engine: encoded in slices, decoded by the addon off this thread. */
  private async commit(config: Config, model: DataplaneModel, sliceMs: number, stats?: SliceStats): Promise<DataplaneModel> {
    const started = performance.now();
    const bytes = await runInSlices(this.encoder.steps(model), sliceMs, stats);
    const encoded = performance.now();
    await this.engine.commit(bytes);
    this.onCommitted?.({
      generation: model.generation,
      services: model.services.length,
      servers: model.services.reduce((n, s) => n + s.backends.length, 0),
      snapshotBytes: bytes.length,
      encodeMs: encoded - started,
      commitMs: performance.now() - encoded,
    });
    this.generation = model.generation;
    this.lastConfig = config;
    this.lastModel = model;
    return model;
  }

  private unresolvedIn(model: DataplaneModel): string[] {
    const why = this.resolver.whyUnresolved;
    if (!why) return [];
    const out = new Set<string>();
    for (const s of model.services)
      for (const b of s.backends)
        if (b.mac.every((x) => x === 0)) out.add(`${b.address}: ${why.call(this.resolver, b.address) ?? 'unresolved'}`);
    return [...out];
  }
}

