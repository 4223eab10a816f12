// src/health/targets.ts — which checks a config asks for: a server's check is its own
// health_check, else its service's; a server with neither is always up, and a service none of
// whose servers has a check is left alone. Each check target gets a signature of everything that
// shapes its probes, so a reload can tell an unchanged check (keep its state) from a changed one
// (start over). Pure; consumed by monitor.ts and effective.ts on the control thread.
import { serverKey } from '../config/keys.js';
import type { Config, HealthCheckConfig, ServerConfig, ServiceConfig } from '../config/types.js';
import type { ProbeTask } from './types.js';

export interface CheckTarget {
  service: string;
  server: string; // serverKey() (config/keys.ts)
  task: ProbeTask;
  signature: string;
}

export function checkOf(service: ServiceConfig, server: ServerConfig): HealthCheckConfig | undefined {
  return server.health_check ?? service.health_check;
}

export function isChecked(service: ServiceConfig): boolean {
  return service.servers.some((server) => checkOf(service, server) !== undefined);
}

/** JSON with object keys sorted, so equal checks give equal strings whatever their field order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function checkTargets(config: Config): CheckTarget[] {
  const out: CheckTarget[] = [];
  for (const service of config.services) {
    for (const server of service.servers) {
      const check = checkOf(service, server);
      if (!check) continue;
      const task: ProbeTask = { address: server.address, port: check.port ?? server.port, check };
      out.push({ service: service.name, server: serverKey(server), task, signature: canonical(task) });
    }
  }
  return out;
}
