// src/control/worker/status-report.ts — the per-service, per-server part of a status: what the file
// says (configured weight), what runs (the committed model's weight, next hop), which runtime
// overrides are in force, health, and the live connection counts and traffic per worker.
// Consumes the configured Config, the committed DataplaneModel, the WeightOverrides, the
// engine's ServerCounterRows and the health checks' view (state, probe counters, quorum); produces
// ServiceStatus[], each server's per-worker rows included unless perWorker is false (GET
// /metrics). Pure and linear in the number of servers (maps, no nested searches: 100 000
// servers are reported in one pass); the control worker calls it for every `status` request.
import type { Config } from '../../config/types.js';
import type { ServerCounterRows } from '../../native/addon.js';
import type { HealthView, ServiceHealth } from '../../health/index.js';
import type { DataplaneModel } from './model.js';
import type { ServerStatus, ServiceStatus, Traffic } from '../protocol.js';
import { serverKey, serviceKey } from '../../config/keys.js';
import type { WeightOverrides } from './weight-overrides.js';

type PerWorker = NonNullable<ServerStatus['workers']>;

const noTraffic = (): Traffic => ({ conns: 0, inPackets: 0, inBytes: 0, outPackets: 0, outBytes: 0 });

/** Rows for `workers` workers that have counted nothing. */
function zeroRows(workers: number): PerWorker {
  return Array.from({ length: workers }, (_, worker) => ({ worker, active: 0, inactive: 0, traffic: noTraffic() }));
}

function addTraffic(into: Traffic, t: Traffic): Traffic {
  into.conns += t.conns;
  into.inPackets += t.inPackets;
  into.inBytes += t.inBytes;
  into.outPackets += t.outPackets;
  into.outBytes += t.outBytes;
  return into;
}

/** One server's counts summed over the workers, and per worker when asked for. */
interface ServerLoads {
  active: number;
  inactive: number;
  persistent: number;
  traffic: Traffic;
  workers?: PerWorker;
}

const noLoads = (workers: number, perWorker: boolean): ServerLoads => ({
  active: 0,
  inactive: 0,
  persistent: 0,
  traffic: noTraffic(),
  ...(perWorker ? { workers: zeroRows(workers) } : {}),
});

/** backend id → its counts (every worker present in the rows, zeros where the engine has none). */
function loadsById(loads: ServerCounterRows, workers: number, perWorker: boolean): Map<number, ServerLoads> {
  const out = new Map<number, ServerLoads>();
  for (let i = 0; i < loads.backendId.length; i++) {
    const id = loads.backendId[i]!;
    let sum = out.get(id);
    if (!sum) {
      sum = noLoads(workers, perWorker);
      out.set(id, sum);
    }
    const traffic: Traffic = {
      conns: loads.conns[i]!,
      inPackets: loads.inPackets[i]!,
      inBytes: loads.inBytes[i]!,
      outPackets: loads.outPackets[i]!,
      outBytes: loads.outBytes[i]!,
    };
    sum.active += loads.active[i]!;
    sum.inactive += loads.inactive[i]!;
    sum.persistent += loads.persistent[i]!;
    addTraffic(sum.traffic, traffic);
    const row = sum.workers?.[loads.worker[i]!];
    if (row) {
      row.active = loads.active[i]!;
      row.inactive = loads.inactive[i]!;
      row.traffic = traffic;
    }
  }
  return out;
}

/** A server of a checked service without a check of its own counts as up (effectiveConfig does). */
function serverHealth(service: Map<string, ServiceHealth['servers'][number]> | undefined, server: string): Pick<ServerStatus, 'health' | 'checks'> {
  if (!service) return { health: 'unchecked' };
  const h = service.get(server);
  return h ? { health: h.state, checks: { ...h.counters } } : { health: 'up' };
}

export function serviceStatuses(
  configured: Config,
  model: DataplaneModel,
  overrides: WeightOverrides,
  loads: ServerCounterRows,
  health: HealthView = { services: [] },
  perWorker = true,
): ServiceStatus[] {
  const healthByService = new Map(health.services.map((h) => [h.name, h]));
  const runningByName = new Map(model.services.map((m) => [m.name, m]));
  const byId = loadsById(loads, model.workers, perWorker);
  return configured.services.map((s): ServiceStatus => {
    const key = serviceKey(s);
    const checked = healthByService.get(s.name);
    const checkedServers = checked && new Map(checked.servers.map((h) => [h.server, h]));
    const running = runningByName.get(s.name);
    const backends = new Map((running?.backends ?? []).map((b) => [serverKey(b), b]));
    const servers = s.servers.map((srv): ServerStatus => {
      const id = serverKey(srv);
      const b = backends.get(id);
      const counted = (b && byId.get(b.backendId)) ?? noLoads(model.workers, perWorker);
      return {
        server: id,
        address: srv.address,
        port: srv.port,
        weight: b?.weight ?? 0, // not in the running table (removed by health, or the sorry server is in use): no traffic
        configuredWeight: srv.weight,
        upperThreshold: srv.upper_threshold,
        lowerThreshold: srv.lower_threshold,
        overridden: overrides.get(s.name, id) !== undefined,
        ...serverHealth(checkedServers, id),
        nextHopResolved: b ? b.mac.some((x) => x !== 0) : false,
        active: counted.active,
        inactive: counted.inactive,
        persistent: counted.persistent,
        traffic: counted.traffic,
        ...(counted.workers ? { workers: counted.workers } : {}),
      };
    });
    return {
      name: s.name,
      key,
      vip: s.vip,
      port: s.port,
      protocol: s.protocol,
      scheduler: s.scheduler,
      forwarding: s.forwarding,
      ...(s.persistence ? { persistence: { timeout: s.persistence.timeout, netmask: s.persistence.netmask } } : {}),
      onePacket: s.one_packet,
      ...(checked ? { quorumMet: checked.quorumMet } : {}),
      active: servers.reduce((n, x) => n + x.active, 0),
      inactive: servers.reduce((n, x) => n + x.inactive, 0),
      traffic: servers.reduce((sum, x) => addTraffic(sum, x.traffic), noTraffic()),
      servers,
    };
  });
}
