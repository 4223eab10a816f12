// src/health/effective.ts — what the data plane should get, given the configured services and
// the health view: a down server gets weight 0 when its check has inhibit_on_failure (IPVS
// quiescent: its existing connections continue, it gets no new ones) and is removed from the
// service otherwise; a service below quorum is served by its sorry server alone (weight 1), or,
// without one, by the servers that are still up. Services without any health check are returned
// untouched (the same objects). A server the view does not know yet (a reload the monitor has not
// seen) is in its check's initial_state. Pure; runs on the control thread before each commit.
import type { Config, ServerConfig, ServiceConfig } from '../config/types.js';
import { nextQuorumMet } from './quorum.js';
import { checkOf, isChecked, serverKey } from './targets.js';
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

/**
 * The config to commit: `config` with health applied. May leave a service with no server at all
 * (every server down and removed, no sorry server): the data plane then drops its new connections.
 */
export function effectiveConfig(config: Config, view: HealthView): Config {
  const byName = new Map(view.services.map((s) => [s.name, s]));
  let changed = false;
  const services = config.services.map((service) => {
    if (!isChecked(service)) return service;
    changed = true;
    return effectiveService(service, byName.get(service.name));
  });
  return changed ? { ...config, services } : config;
}
