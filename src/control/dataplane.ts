// src/control/dataplane.ts — one running data plane seen from TypeScript: the native engine
// handle plus what is needed to turn configs into snapshots (stable ids, next hops, the
// generation counter). Must live on one thread: the control worker in `xvs run`, the test
// thread in packet tests. With a kernel-backed next-hop resolver (afxdp), the first apply waits
// briefly for neighbours to resolve, and refreshNextHops(scope) — called when the kernel
// notifies a change (nexthop/follow.ts) — re-resolves what the change concerns and commits again
// only when a next hop changed.
import type { Config } from '../config/types.js';
import {
  createEngine,
  type BackendDescription,
  type BackendLoads,
  type EngineStatus,
  type NativeEngine,
} from '../native/addon.js';
import { SchedulerTables } from '../scheduler/table-cache.js';
import { perWorker, sumCounters, type CounterSet } from '../stats/counters.js';
import { buildModel, type DataplaneModel } from './model.js';
import { EVERYTHING, refreshedModel, type NextHopScope } from './next-hop-refresh.js';
import { nextHopResolver } from './nexthop/index.js';
import { reusingNextHops } from './nexthop/reuse.js';
import type { NextHopResolver } from './nexthop/types.js';
import { encodeSnapshot } from './snapshot-encoder.js';
import { StableIds } from './stable-ids.js';

export interface DataplaneCounters {
  total: CounterSet;
  workers: CounterSet[];
}

export class Dataplane {
  private generation = 0n;
  private readonly ids = new StableIds();
  private readonly tables = new SchedulerTables();
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
    const build = () =>
      buildModel(config, this.generation + 1n, reusingNextHops(this.resolver, this.lastModel), this.ids, this.tables);
    let model = build();
    const deadline = Date.now() + (options.waitForNextHopsMs ?? 0);
    while (this.unresolvedIn(model).length > 0 && Date.now() < deadline) {
      sleepSync(20);
      model = build();
    }
    this.commit(config, model);
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
    if (next) this.commit(this.lastConfig, next);
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

  private commit(config: Config, model: DataplaneModel): void {
    this.engine.commit(encodeSnapshot(model));
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
