// src/control/dataplane.ts — one running data plane seen from TypeScript: the native engine
// handle plus what is needed to turn configs into snapshots (stable ids, next hops, the
// generation counter). Must live on one thread: the control worker in `xvs run`, the test
// thread in packet tests. With a kernel-backed next-hop resolver (afxdp), the first apply waits
// briefly for neighbours to resolve, and refreshNextHops(scope) — called when the kernel
// notifies a change (nexthop/follow.ts) — re-resolves what the change concerns and commits again
// only when a next hop changed. Each build reuses the last one's unchanged services and their
// encoded records (model.ts, snapshot-encoder.ts); applyInSlices does the rest of the work in
// time slices so that the owning thread's event loop keeps turning during a large rebuild.
import type { Config } from '../config/types.js';
import {
  createEngine,
  type BackendDescription,
  type BackendLoads,
  type EngineStatus,
  type NativeEngine,
  type WorkerConnections,
} from '../native/addon.js';
import { SchedulerTables } from '../scheduler/table-cache.js';
import { perWorker, sumCounters, type CounterSet } from '../stats/counters.js';
import { modelSteps, type DataplaneModel } from './model.js';
import { EVERYTHING, refreshedModel, type NextHopScope } from './next-hop-refresh.js';
import { nextHopResolver } from './nexthop/index.js';
import { reusingNextHops } from './nexthop/reuse.js';
import type { NextHopResolver } from './nexthop/types.js';
import { SnapshotEncoder } from './snapshot-encoder.js';
import { StableIds } from './stable-ids.js';
import { runAtOnce, runInSlices, type SliceStats, type Steps } from '../time-slices.js';

// A worker answers at its next safe point (it polls its control ring every few bursts, or is
// woken from poll()); longer means it is stuck, and the listing says so rather than wait.
const CONNECTIONS_TIMEOUT_MS = 1000;

export interface DataplaneCounters {
  total: CounterSet;
  workers: CounterSet[];
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

  private constructor(
    readonly engine: NativeEngine,
    private readonly workers: number,
    backend: Config['dataplane']['backend'],
    interfaces: readonly string[],
    resolver: NextHopResolver | undefined,
  ) {
    try {
      this.resolver = resolver ?? nextHopResolver(backend, interfaces);
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
    const engine = createEngine({
      backend: d.backend,
      workers: d.workers,
      ...(d.cpus ? { cpus: d.cpus } : {}),
      ...(d.worker_priority > 0 ? { workerPriority: d.worker_priority } : {}),
      interfaces: d.interfaces,
      connTableSize: d.conn_table_size,
      ...(options.memFrames ? { memFrames: options.memFrames } : {}),
      ...(options.forwardOnly ? { forwardOnly: true } : {}),
    });
    return new Dataplane(engine, d.workers, d.backend, d.interfaces, options.resolver);
  }

  /**
   * Builds, encodes and commits the snapshot for `config`; returns the model it committed.
   * Servers the last model reaches keep their next hop (nexthop/reuse.ts).
   * waitForNextHopsMs: with a kernel-backed resolver, rebuild until every next hop resolved or
   * this much time passed (the resolver has asked the kernel to resolve the missing ones).
   */
  apply(config: Config, options: { waitForNextHopsMs?: number } = {}): DataplaneModel {
    let model = runAtOnce(this.buildSteps(config));
    const deadline = Date.now() + (options.waitForNextHopsMs ?? 0);
    while (this.unresolvedIn(model).length > 0 && Date.now() < deadline) {
      sleepSync(20);
      model = runAtOnce(this.buildSteps(config));
    }
    this.commit(config, model, runAtOnce(this.encoder.steps(model)));
    return model;
  }

  /**
   * apply() without the wait for next hops, built and encoded in slices of about `sliceMs`
   * between which the event loop runs, and committed with the native decoding on a pool thread
   * (commitAsync). The caller must not start another apply, or refreshNextHops, before this one
   * settles (the control worker queues them).
   */
  async applyInSlices(config: Config, sliceMs: number, stats?: SliceStats): Promise<DataplaneModel> {
    const model = await runInSlices(this.buildSteps(config), sliceMs, stats);
    const bytes = await runInSlices(this.encoder.steps(model), sliceMs, stats);
    await this.engine.commitAsync(bytes);
    this.committed(config, model);
    return model;
  }

  /** Servers whose next hop has no MAC in the last committed model, with the reason. */
  unresolvedNextHops(): string[] {
    return this.lastModel ? this.unresolvedIn(this.lastModel) : [];
  }

  /**
   * Kernel-backed resolvers: re-resolves the servers `scope` concerns (default: all of them,
   * interfaces re-read) and commits the last config anew if a port or next hop changed (a
   * neighbour resolved, moved or failed; a route moved). Returns the new model, if any.
   */
  refreshNextHops(scope: NextHopScope = EVERYTHING): DataplaneModel | undefined {
    if (!this.resolver.whyUnresolved || !this.lastConfig || !this.lastModel) return undefined;
    const next = refreshedModel(this.lastConfig, this.lastModel, scope, this.resolver, this.generation + 1n);
    if (next) this.commit(this.lastConfig, next, this.encoder.encode(next));
    return next;
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

  describe(): BackendDescription {
    return this.engine.describe();
  }

  counters(): DataplaneCounters {
    const workers = perWorker(this.engine.counters(), this.workers);
    return { total: sumCounters(workers), workers };
  }

  status(): EngineStatus {
    return this.engine.status();
  }

  /** Per-server connection counts on each worker (IPVS ActiveConn / InActConn). */
  backendLoads(): BackendLoads {
    return this.engine.backendLoads();
  }

  get workerCount(): number {
    return this.workers;
  }

  /** Up to `limit` connection-table entries per worker (`xvs list -c`); the workers answer within a millisecond or so. */
  connections(limit: number): WorkerConnections[] {
    return this.engine.connections(limit, CONNECTIONS_TIMEOUT_MS);
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

  private commit(config: Config, model: DataplaneModel, bytes: Uint8Array): void {
    this.engine.commit(bytes);
    this.committed(config, model);
  }

  private committed(config: Config, model: DataplaneModel): void {
    this.generation = model.generation;
    this.lastConfig = config;
    this.lastModel = model;
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

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
