// src/control/worker/health-control.ts — the health subsystem as the control worker uses it: a probe
// pool (piscina threads) and a HealthMonitor, created when the config first asks for a check and
// closed when none is left; apply() turns the config about to be committed into what health
// allows (effectiveConfig: down servers quiescent or removed, the sorry server below quorum);
// transitions reach `onTransition` (the control worker re-commits and tells the main thread,
// which logs them). Consumes configs (file + runtime weights); produces effective configs and
// the health view for status. Runs on the control worker thread; the probes run in the pool.
import type { Config } from '../../config/types.js';
import { runAtOnce, type Steps } from '../../time-slices.js';
import { checkTargets, EffectiveConfigs, HealthMonitor, ProbePool, type HealthTransition, type HealthView } from '../../health/index.js';

export class HealthControl {
  private pool: ProbePool | undefined;
  private monitor: HealthMonitor | undefined;
  private closing: Promise<void> = Promise.resolve();
  // The config the checks follow: during a start or reload it is newer than the running one.
  private followed: Config | undefined;
  private readonly effective = new EffectiveConfigs();

  constructor(private readonly onTransition: (t: HealthTransition) => void) {}

  /** Follows `config` (start, reload, runtime weight change): checks kept, added or stopped. */
  update(config: Config): void {
    this.followed = config;
    if (checkTargets(config).length === 0) {
      this.closing = this.close();
      return;
    }
    if (!this.monitor) {
      this.pool = new ProbePool();
      this.monitor = new HealthMonitor({ runner: this.pool, onTransition: this.onTransition });
    }
    this.monitor.update(config);
  }

  /** The config to commit: `config` with the current health applied. */
  apply(config: Config): Config {
    return runAtOnce(this.applySteps(config));
  }

  /** apply() as steps (one per checked service) for runInSlices. */
  *applySteps(config: Config): Steps<Config> {
    return this.monitor ? yield* this.effective.steps(config, this.monitor) : config;
  }

  /** Whether `service` of the followed config has a sorry server (told with its transitions). */
  hasSorryServer(service: string): boolean {
    return this.followed?.services.find((s) => s.name === service)?.sorry_server !== undefined;
  }

  view(): HealthView {
    return this.monitor?.view() ?? { services: [] };
  }

  /** Stops the checks (waiting for probes in flight, each bounded by its timeout) and the pool. */
  async close(): Promise<void> {
    // Cleared before the first await: an update() meanwhile starts afresh instead of reusing them.
    const monitor = this.monitor;
    const pool = this.pool;
    this.followed = undefined;
    this.monitor = undefined;
    this.pool = undefined;
    const earlier = this.closing;
    await monitor?.stop();
    await pool?.close();
    await earlier;
  }
}
