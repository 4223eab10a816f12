// src/control/worker/weight-overrides.ts — runtime weight changes (`xvs weight`, `xvs drain`, POST
// /weight, /drain) kept as a layer over the configured weights: (service name, "address:port")
// → weight. The control worker owns it; effective() gives the config the model is built from.
// Drain is weight 0: quiescent in IPVS terms — no new connections, existing ones continue.
//
// On reload the file is authoritative for what it changes, and only for that: an override stays
// while its service still lists the server with the same configured weight as when the override
// was set; it is dropped (and reported) when the server left the service or the file now gives
// it another weight. Why: a server drained for maintenance must not take traffic again because
// an unrelated part of the file was reloaded, yet an operator who edits that server's weight in
// the file has said something newer than the runtime command, and a file reload must win there.
// Setting a server back to its configured weight removes its override.
import { serverInServiceKey, serverKey, serviceKey } from '../../config/keys.js';
import type { Config, ServerConfig, ServiceConfig } from '../../config/types.js';

export interface WeightOverride {
  service: string;
  server: string; // address:port
  weight: number;
  /** The file's weight when the override was set: a reload that changes it ends the override. */
  configuredWeight: number;
}

export class NotFoundError extends Error {
  readonly code = 'XVS_ENOENT';
}

/** The service named `ref` (its name, or "vip:port/proto" as ipvsadm writes it); throws NotFoundError. */
export function findService(config: Config, ref: string): ServiceConfig {
  const found = config.services.find((s) => s.name === ref || serviceKey(s) === ref);
  if (!found)
    throw new NotFoundError(
      `no service ${JSON.stringify(ref)}: name one by its name or as vip:port/proto (configured: ${config.services.map((s) => s.name).join(', ') || 'none'})`,
    );
  return found;
}

export function findServer(service: ServiceConfig, ref: string): ServerConfig {
  const found = service.servers.find((s) => serverKey(s) === ref);
  if (!found)
    throw new NotFoundError(
      `service ${service.name} has no server ${JSON.stringify(ref)} (its servers: ${service.servers.map(serverKey).join(', ') || 'none'})`,
    );
  return found;
}

export class WeightOverrides {
  // key: serverInServiceKey(service name, serverKey)
  private readonly entries = new Map<string, WeightOverride>();

  list(): WeightOverride[] {
    return [...this.entries.values()];
  }

  get(service: string, server: string): WeightOverride | undefined {
    return this.entries.get(serverInServiceKey(service, server));
  }

  /**
   * The overrides as they would be with `weight` for `serverRef` of `serviceRef` (resolved in
   * `configured`; throws NotFoundError), without changing this one: the caller commits first
   * and adopts the result only if the commit succeeded.
   */
  with(configured: Config, serviceRef: string, serverRef: string, weight: number): WeightOverrides {
    const service = findService(configured, serviceRef);
    const server = findServer(service, serverRef);
    const next = this.copy();
    const key = serverInServiceKey(service.name, serverKey(server));
    if (weight === server.weight) next.entries.delete(key);
    else next.entries.set(key, { service: service.name, server: serverKey(server), weight, configuredWeight: server.weight });
    return next;
  }

  /**
   * `configured` with every override's weight in place of the file's. Services without an
   * override are the same objects (the model build reuses them by identity).
   */
  effective(configured: Config): Config {
    if (this.entries.size === 0) return configured;
    const overridden = new Set(this.list().map((o) => o.service));
    return {
      ...configured,
      services: configured.services.map((s) =>
        !overridden.has(s.name)
          ? s
          : {
              ...s,
              servers: s.servers.map((srv) => {
                const o = this.entries.get(serverInServiceKey(s.name, serverKey(srv)));
                return o ? { ...srv, weight: o.weight } : srv;
              }),
            },
      ),
    };
  }

  /** The overrides that survive a reload to `next` (see the header), and the ones it ends, as readable lines. */
  reconciled(next: Config): { kept: WeightOverrides; dropped: string[] } {
    const kept = new WeightOverrides();
    const dropped: string[] = [];
    for (const [key, o] of this.entries) {
      const server = next.services.find((s) => s.name === o.service)?.servers.find((srv) => serverKey(srv) === o.server);
      if (!server) dropped.push(`${o.service} ${o.server}: no longer configured`);
      else if (server.weight !== o.configuredWeight)
        dropped.push(`${o.service} ${o.server}: the file changed its weight from ${o.configuredWeight} to ${server.weight}; runtime weight ${o.weight} dropped`);
      else kept.entries.set(key, o);
    }
    return { kept, dropped };
  }

  private copy(): WeightOverrides {
    const out = new WeightOverrides();
    for (const [k, v] of this.entries) out.entries.set(k, v);
    return out;
  }
}
