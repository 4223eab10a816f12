// src/health/monitor.ts — HealthMonitor: runs every check of a config on its own period, feeds
// the results to the rise/fall state machines (state.ts) and each service's quorum (quorum.ts),
// and reports every transition: to a callback, as one pino line, and in per-server counters.
// Consumes Configs (update() at start and on each reload) and ProbeResults from a ProbeRunner
// (the piscina pool, pool.ts); produces HealthTransitions (logged by transition-log.ts) and
// view(), from which effective.ts computes the config to commit. Lives on the control thread:
// it only schedules timers and keeps counts; the probes run on the health worker threads.
import { performance } from 'node:perf_hooks';

import type { Config, ServiceConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { aliveCount } from './effective.js';
import type { ProbeRunner } from './pool.js';
import { nextQuorumMet } from './quorum.js';
import { initialCheckState, recordProbe, type CheckState } from './state.js';
import { serverInServiceKey, serverKey } from '../config/keys.js';
import { checkOf, checkTargets, isChecked, type CheckTarget } from './targets.js';
import { logProbeError, logQuorumTransition, logServerTransition } from './transition-log.js';
import type {
  HealthCounters,
  HealthState,
  HealthTransition,
  HealthView,
  ProbeResult,
  QuorumTransition,
  ServerTransition,
  ServiceHealth,
} from './types.js';

export interface HealthMonitorOptions {
  /** Runs the probes: a ProbePool, or a stand-in in tests. The caller owns it and closes it. */
  runner: ProbeRunner;
  /** One JSON line per transition (and per run of pool errors). */
  logger?: Logger;
  /** Called after every server or quorum transition, once the view already reflects it. */
  onTransition?: (transition: HealthTransition) => void;
  /** Start each new check at a random point of its first interval (default true), so that
   *  checks configured together do not probe in bursts. */
  jitter?: boolean;
}

interface CheckEntry {
  target: CheckTarget;
  state: CheckState;
  counters: HealthCounters;
  lastResult?: ProbeResult;
  timer?: NodeJS.Timeout;
  inFlight?: Promise<void>;
  retired: boolean;
  failingToRun: boolean; // the last probe could not run: log the next such error only once
}

interface ServiceEntry {
  config: ServiceConfig;
  quorumMet: boolean;
  /** Changes whenever what effective.ts reads of this service may have: a server or quorum transition, a reload. */
  version: number;
}


// Service versions come from one counter shared by every monitor, not one each: a monitor made
// anew (checks removed and added back) must never repeat a version an EffectiveConfigs memo has
// seen from the one before.
let lastVersion = 0;
const nextVersion = (): number => ++lastVersion;

export class HealthMonitor {
  private readonly runner: ProbeRunner;
  private readonly logger: Logger | undefined;
  private readonly onTransition: ((transition: HealthTransition) => void) | undefined;
  private readonly jitter: boolean;
  private checks = new Map<string, CheckEntry>();
  private services = new Map<string, ServiceEntry>();
  private stopped = false;

  constructor(options: HealthMonitorOptions) {
    if (!options?.runner || typeof options.runner.run !== 'function') {
      throw new TypeError('HealthMonitor needs a runner with a run(task) method (a ProbePool)');
    }
    this.runner = options.runner;
    this.logger = options.logger;
    this.onTransition = options.onTransition;
    this.jitter = options.jitter ?? true;
  }

  /**
   * Starts monitoring `config`, or moves to it on a reload: a check whose service, server and
   * probe settings are unchanged keeps its state, counters and schedule; a changed check starts
   * over from its initial_state; checks no longer configured stop. Quorum is re-evaluated for
   * every service (with hysteresis from its current state), which may emit quorum transitions.
   */
  update(config: Config): void {
    if (this.stopped) throw new Error('the health monitor is stopped; create a new one');
    const previous = this.checks;
    const next = new Map<string, CheckEntry>();
    for (const target of checkTargets(config)) {
      const key = serverInServiceKey(target.service, target.server);
      const kept = previous.get(key);
      if (kept && kept.target.signature === target.signature) {
        kept.target = target;
        next.set(key, kept);
        previous.delete(key);
      } else {
        const entry: CheckEntry = {
          target,
          state: initialCheckState(target.task.check.initial_state),
          counters: { checks: 0, failures: 0, transitions: 0, errors: 0 },
          retired: false,
          failingToRun: false,
        };
        next.set(key, entry);
        this.schedule(entry, this.jitter ? Math.random() * target.task.check.interval * 1000 : 0);
      }
    }
    for (const gone of previous.values()) this.retire(gone);
    this.checks = next;

    const services = new Map<string, ServiceEntry>();
    for (const service of config.services) {
      if (!isChecked(service)) continue;
      const known = this.services.get(service.name);
      // The same service object has the same checks, kept above with their states: same version.
      const version = known && known.config === service ? known.version : nextVersion();
      const entry: ServiceEntry = { config: service, quorumMet: known?.quorumMet ?? false, version };
      services.set(service.name, entry);
      if (known) this.evaluateQuorum(entry, 'configuration reloaded');
      else entry.quorumMet = nextQuorumMet(undefined, this.alive(service), this.quorumSettings(service));
    }
    this.services = services;
  }

  /** The current health of every checked service, in config order. */
  view(): HealthView {
    return { services: [...this.services.values()].map((s) => this.healthOf(s)) };
  }

  /** One checked service's health (undefined: not checked), without building the whole view. */
  serviceHealth(name: string): ServiceHealth | undefined {
    const entry = this.services.get(name);
    return entry && this.healthOf(entry);
  }

  /**
   * A number that changes whenever the service's server states or quorum may have (a
   * transition, a reload): equal numbers mean effective.ts would compute the same again.
   */
  serviceVersion(name: string): number | undefined {
    return this.services.get(name)?.version;
  }

  /** Stops scheduling and waits for the probes in flight (each bounded by its timeout). The
   *  runner stays open: its owner closes it afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    const inFlight: Promise<void>[] = [];
    for (const entry of this.checks.values()) {
      this.retire(entry);
      if (entry.inFlight) inFlight.push(entry.inFlight);
    }
    await Promise.allSettled(inFlight);
  }

  private retire(entry: CheckEntry): void {
    entry.retired = true;
    clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  private schedule(entry: CheckEntry, delayMs: number): void {
    entry.timer = setTimeout(() => this.probe(entry), delayMs);
  }

  /** One probe, then the next one interval after this one started: never two at once per check. */
  private probe(entry: CheckEntry): void {
    entry.timer = undefined;
    if (entry.retired) return;
    const started = performance.now();
    entry.inFlight = this.runner
      .run(entry.target.task)
      .then(
        (result) => this.record(entry, result),
        (err: unknown) => this.recordError(entry, err),
      )
      .catch((err: unknown) => {
        // A bug in recording (a logger that throws, say) must not end this check's schedule.
        this.logger?.error({ event: 'health_monitor_error', error: String(err) }, 'recording a probe result failed');
      })
      .finally(() => {
        entry.inFlight = undefined;
        if (entry.retired) return;
        const intervalMs = entry.target.task.check.interval * 1000;
        this.schedule(entry, Math.max(0, intervalMs - (performance.now() - started)));
      });
  }

  private record(entry: CheckEntry, result: ProbeResult): void {
    if (entry.retired) return; // reconfigured or stopped while the probe ran: its result is stale
    entry.failingToRun = false;
    entry.lastResult = result;
    entry.counters.checks += 1;
    if (!result.ok) entry.counters.failures += 1;
    const { rise, fall } = entry.target.task.check;
    const { next, change } = recordProbe(entry.state, result, { rise, fall });
    entry.state = next;
    if (!change) return;
    entry.counters.transitions += 1;
    const transition: ServerTransition = {
      kind: 'server',
      service: entry.target.service,
      server: entry.target.server,
      ...change,
      successes: next.successes,
      failures: next.failures,
      rise,
      fall,
    };
    if (this.logger) logServerTransition(this.logger, transition);
    this.emit(transition);
    const service = this.services.get(entry.target.service);
    if (service) {
      service.version = nextVersion();
      this.evaluateQuorum(service, `server ${transition.server} ${transition.to}`);
    }
  }

  private recordError(entry: CheckEntry, err: unknown): void {
    if (entry.retired) return;
    entry.counters.errors += 1;
    if (entry.failingToRun) return;
    entry.failingToRun = true;
    if (this.logger) logProbeError(this.logger, entry.target.service, entry.target.server, err);
  }

  private evaluateQuorum(service: ServiceEntry, reason: string): void {
    const alive = this.alive(service.config);
    const settings = this.quorumSettings(service.config);
    const met = nextQuorumMet(service.quorumMet, alive, settings);
    if (met === service.quorumMet) return;
    const transition: QuorumTransition = {
      kind: 'quorum',
      service: service.config.name,
      from: service.quorumMet,
      to: met,
      alive,
      quorum: settings.quorum,
      hysteresis: settings.hysteresis,
      reason,
    };
    service.quorumMet = met;
    service.version = nextVersion();
    if (this.logger) logQuorumTransition(this.logger, transition, service.config.sorry_server !== undefined);
    this.emit(transition);
  }

  private emit(transition: HealthTransition): void {
    if (!this.onTransition) return;
    try {
      this.onTransition(transition);
    } catch (err) {
      this.logger?.error({ event: 'health_callback_error', error: String(err) }, 'the health transition callback threw');
    }
  }

  private quorumSettings(service: ServiceConfig): { quorum: number; hysteresis: number } {
    return { quorum: service.quorum, hysteresis: service.quorum_hysteresis };
  }

  private stateOf(service: ServiceConfig, key: string): HealthState | undefined {
    return this.checks.get(serverInServiceKey(service.name, key))?.state.state;
  }

  private alive(service: ServiceConfig): number {
    return aliveCount(service.servers, (server) =>
      checkOf(service, server) ? (this.stateOf(service, serverKey(server)) ?? 'up') : 'up',
    );
  }

  private healthOf({ config, quorumMet }: ServiceEntry): ServiceHealth {
    const servers = [];
    let up = 0;
    for (const server of config.servers) {
      const entry = this.checks.get(serverInServiceKey(config.name, serverKey(server)));
      const state = entry?.state.state ?? 'up';
      if (state === 'up') up += 1;
      if (!entry) continue;
      servers.push({
        server: entry.target.server,
        state,
        successes: entry.state.successes,
        failures: entry.state.failures,
        ...(entry.lastResult ? { lastResult: { ...entry.lastResult } } : {}),
        counters: { ...entry.counters },
      });
    }
    return {
      name: config.name,
      quorum: config.quorum,
      hysteresis: config.quorum_hysteresis,
      quorumMet,
      alive: this.alive(config),
      up,
      down: config.servers.length - up,
      servers,
    };
  }
}
