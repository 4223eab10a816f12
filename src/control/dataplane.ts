// src/control/dataplane.ts — one running data plane seen from TypeScript: the native engine
// handle plus what is needed to turn configs into snapshots (stable ids, next hops, the
// generation counter). Must live on one thread: the control worker in `xvs run`, the test
// thread in packet tests.
import type { Config } from '../config/types.js';
import { createEngine, type EngineStatus, type NativeEngine } from '../native/addon.js';
import { perWorker, sumCounters, type CounterSet } from '../stats/counters.js';
import { buildModel, type DataplaneModel } from './model.js';
import { nextHopResolver } from './nexthop/index.js';
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
  private readonly resolver: NextHopResolver;
  private started = false;

  private constructor(
    readonly engine: NativeEngine,
    private readonly workers: number,
    backend: Config['dataplane']['backend'],
    interfaceCount: number,
  ) {
    this.resolver = nextHopResolver(backend, interfaceCount);
  }

  /** Creates the engine for `config.dataplane` (not started, nothing committed). */
  static create(config: Config, options: { memFrames?: number } = {}): Dataplane {
    const d = config.dataplane;
    const engine = createEngine({
      backend: d.backend,
      workers: d.workers,
      ...(d.cpus ? { cpus: d.cpus } : {}),
      interfaces: d.interfaces,
      connTableSize: d.conn_table_size,
      ...(options.memFrames ? { memFrames: options.memFrames } : {}),
    });
    return new Dataplane(engine, d.workers, d.backend, d.interfaces.length);
  }

  /** Builds, encodes and commits the snapshot for `config`; returns the model it committed. */
  apply(config: Config): DataplaneModel {
    const model = buildModel(config, this.generation + 1n, this.resolver, this.ids);
    this.engine.commit(encodeSnapshot(model));
    this.generation = model.generation;
    return model;
  }

  start(): void {
    this.engine.start();
    this.started = true;
  }

  stop(): void {
    if (this.started) this.engine.stop();
    this.started = false;
  }

  counters(): DataplaneCounters {
    const workers = perWorker(this.engine.counters(), this.workers);
    return { total: sumCounters(workers), workers };
  }

  status(): EngineStatus {
    return this.engine.status();
  }
}
