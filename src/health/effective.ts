// src/health/effective.ts — what the data plane should get, given the configured services and
// the health view: a down server gets weight 0 when its check has inhibit_on_failure (IPVS
// quiescent: its existing connections continue, it gets no new ones) and is removed from the
// service otherwise; a service below quorum is served by its sorry server alone (weight 1), or,
// without one, by the servers that are still up. Services without any health check are returned
// untouched (the same objects). A server the view does not know yet (a reload the monitor has not
// seen) is in its check's initial_state. Pure (EffectiveConfigs adds a per-service memo); runs on
// the control thread before each commit.
import type { Config, ServerConfig, ServiceConfig } from '../config/types.js';
import { runAtOnce, type Steps } from '../time-slices.js';
import { nextQuorumMet } from './quorum.js';
import { serverKey } from '../config/keys.js';
import { checkOf, isChecked } from './targets.js';
import type { HealthState, HealthView, ServiceHealth } from './types.js';

/** Servers that count toward quorum: up, and taking new connections (weight > 0). */
export function aliveCount(servers: readonly ServerConfig[], stateOf: (server: ServerConfig) => HealthState): number {
  return servers.filter((server) => server.weight > 0 && stateOf(server) === 'up').length;
}

function effectiveService(service: ServiceConfig, health: ServiceHealth | undefined): ServiceConfig {
  const states = new Map(health?.servers.map((s) => [s.server, s.state]));
  const stateOf = (server: ServerConfig): HealthState => {
    const check = checkOf(service, server);
    if (!check) return 'up';
    return states.get(serverKey(server)) ?? check.initial_state;
  };
  const quorumMet =
    health?.quorumMet ??
    nextQuorumMet(undefined, aliveCount(service.servers, stateOf), { quorum: service.quorum, hysteresis: service.quorum_hysteresis });

  if (!quorumMet && service.sorry_server) {
    const sorry: ServerConfig = { ...service.sorry_server, weight: 1, upper_threshold: 0, lower_threshold: 0 };
    return { ...service, servers: [sorry] };
  }
  const servers = service.servers.flatMap((server): ServerConfig[] => {
    if (stateOf(server) === 'up') return [server];
    return checkOf(service, server)?.inhibit_on_failure ? [{ ...server, weight: 0 }] : [];
  });
  return { ...service, servers };
}

/** What EffectiveConfigs needs of the monitor: one service at a time, and whether it changed. */
export interface ServiceHealthSource {
  serviceHealth(name: string): ServiceHealth | undefined;
  serviceVersion(name: string): number | undefined;
}

/**
 * effectiveConfig for a thread that commits often (the control worker, on every transition and
 * weight change): a checked service whose input object and health version are those of the last
 * call keeps its last effective service, the same object — so a transition in one service costs
 * that service, and the model build (model.ts) reuses the others by identity.
 */
export class EffectiveConfigs {
  private last = new Map<string, { input: ServiceConfig; version: number | undefined; output: ServiceConfig }>();

  apply(config: Config, source: ServiceHealthSource): Config {
    return runAtOnce(this.steps(config, source));
  }

  /** apply() as steps (one per checked service) for runInSlices. */
  *steps(config: Config, source: ServiceHealthSource): Steps<Config> {
    const next = new Map<string, { input: ServiceConfig; version: number | undefined; output: ServiceConfig }>();
    let anyChecked = false;
    const services: ServiceConfig[] = [];
    for (const service of config.services) {
      if (!isChecked(service)) {
        services.push(service);
        continue;
      }
      anyChecked = true;
      const version = source.serviceVersion(service.name);
      const kept = this.last.get(service.name);
      const output =
        kept && kept.input === service && kept.version === version
          ? kept.output
          : effectiveService(service, source.serviceHealth(service.name));
      next.set(service.name, { input: service, version, output });
      services.push(output);
      yield;
    }
    this.last = next;
    return anyChecked ? { ...config, services } : config;
  }
}

/**
 * The config to commit: `config` with health applied. May leave a service with no server at all
 * (every server down and removed, no sorry server): the data plane then drops its new connections.
 */
export function effectiveConfig(config: Config, view: HealthView): Config {
  const byName = new Map(view.services.map((s) => [s.name, s]));
  return new EffectiveConfigs().apply(config, { serviceHealth: (name) => byName.get(name), serviceVersion: () => undefined });
}
