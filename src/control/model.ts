// src/control/model.ts — the desired data-plane state computed from the validated config:
// ports, services with their backends and scheduler tables, LIP pools, all in the snapshot's
// terms but still readable. The control thread builds it (buildModel) and the encoder turns it
// into bytes; when only next hops move, next-hop-refresh.ts patches the last model instead
// (buildPorts is shared). Pure apart from the stable-id registry and the resolver it is given.
import type { Config, ServiceConfig } from '../config/types.js';
import { ENUMS, NO_POOL } from '../native/abi.js';
import { staticScheduler } from '../scheduler/index.js';
import type { SchedulerTables } from '../scheduler/table-cache.js';
import type { NextHopResolver } from './nexthop/types.js';
import type { StableIds } from './stable-ids.js';

export interface PortModel {
  name: string;
  mac: Uint8Array;
  mtu: number;
  address: string; // the balancer's address there: tunnel outer source, ICMP source; 0.0.0.0 = none
}

export interface BackendModel {
  address: string;
  port: number;
  portIndex: number;
  weight: number;
  backendId: number;
  upperThreshold: number;
  lowerThreshold: number;
  mac: Uint8Array; // all zero: unresolved
}

export interface ServiceModel {
  name: string;
  vip: string;
  port: number;
  protocol: number;
  forwarding: number;
  scheduler: number;
  flags: number;
  pool: number;
  serviceId: number;
  persistTimeout: number;
  persistNetmask: string; // dotted quad
  backends: BackendModel[];
  schedTable: number[]; // indices into backends
}

export interface PoolModel {
  name: string;
  lips: string[];
}

export interface DataplaneModel {
  generation: bigint;
  workers: number;
  timeouts: Config['dataplane']['timeouts'];
  ports: PortModel[];
  services: ServiceModel[];
  pools: PoolModel[];
}

export function prefixToNetmask(prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join('.');
}

function serviceKey(s: ServiceConfig): string {
  return `${s.vip}:${s.port}/${s.protocol}`;
}

function buildService(
  s: ServiceConfig,
  poolIndex: Map<string, number>,
  resolver: NextHopResolver,
  ids: StableIds,
  tables: SchedulerTables | undefined,
): ServiceModel {
  const key = serviceKey(s);
  const backends = s.servers.map((server): BackendModel => {
    const hop = resolver.resolve(server.address);
    return {
      address: server.address,
      port: server.port,
      portIndex: hop.portIndex,
      weight: server.weight,
      backendId: ids.backend(key, `${server.address}:${server.port}`),
      upperThreshold: server.upper_threshold,
      lowerThreshold: server.lower_threshold,
      mac: hop.mac,
    };
  });
  // Dynamic schedulers (and the ones not built yet) ship no table; the data plane decides.
  const scheduler = staticScheduler(s.scheduler);
  const servers = backends.map((b) => ({ key: `${b.address}:${b.port}`, weight: b.weight }));
  const schedTable = scheduler ? (tables ? tables.table(scheduler, servers) : scheduler.table(servers)) : [];
  let flags = 0;
  if (s.one_packet) flags |= ENUMS.service_flag.one_packet;
  if (s.persistence) flags |= ENUMS.service_flag.persistent;
  return {
    name: s.name,
    vip: s.vip,
    port: s.port,
    protocol: ENUMS.protocol[s.protocol],
    forwarding: ENUMS.forwarding[s.forwarding],
    scheduler: ENUMS.scheduler[s.scheduler],
    flags,
    pool: s.local_address_pool !== undefined ? (poolIndex.get(s.local_address_pool) ?? NO_POOL) : NO_POOL,
    serviceId: ids.service(key),
    persistTimeout: s.persistence ? Math.max(1, Math.ceil(s.persistence.timeout)) : 0,
    persistNetmask: prefixToNetmask(s.persistence?.netmask ?? 32),
    backends,
    schedTable,
  };
}

function wholeSeconds(t: Config['dataplane']['timeouts']): Config['dataplane']['timeouts'] {
  const up = (v: number) => Math.max(1, Math.ceil(v));
  return { tcp: up(t.tcp), tcp_fin: up(t.tcp_fin), tcp_syn: up(t.tcp_syn), udp: up(t.udp) };
}

/** The ports of `config` as the resolver sees them now (MAC, MTU, the balancer's address). */
export function buildPorts(config: Config, resolver: NextHopResolver): PortModel[] {
  return config.dataplane.interfaces.map((name, i) => ({
    name,
    mac: resolver.portMac(i),
    mtu: config.dataplane.mtu ?? resolver.portMtu?.(i) ?? 1500,
    address: resolver.portAddress(i, config.dataplane.tunnel_source),
  }));
}

export function buildModel(
  config: Config,
  generation: bigint,
  resolver: NextHopResolver,
  ids: StableIds,
  /** Tables kept from earlier builds (Dataplane keeps one); without it every table is computed. */
  tables?: SchedulerTables,
): DataplaneModel {
  const pools = Object.entries(config.local_address_pools).map(([name, lips]): PoolModel => ({ name, lips: [...lips] }));
  const poolIndex = new Map(pools.map((p, i) => [p.name, i]));
  const services = config.services.map((s) => buildService(s, poolIndex, resolver, ids, tables));
  tables?.endBuild();
  return {
    generation,
    workers: config.dataplane.workers,
    // The data plane counts whole seconds; a sub-second duration rounds up rather than to zero.
    timeouts: wholeSeconds(config.dataplane.timeouts),
    ports: buildPorts(config, resolver),
    services,
    pools,
  };
}
