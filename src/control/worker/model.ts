// src/control/worker/model.ts — the desired data-plane state computed from the validated config:
// ports, services with their backends and scheduler tables, LIP pools (a cluster node's share), all in the snapshot's
// terms but still readable. The control thread builds it (buildModel, or modelSteps in time
// slices) and the encoder turns it into bytes; when only next hops move, next-hop-refresh.ts
// patches the last model instead (buildPorts is shared). A build given the last build reuses the
// model of every service whose inputs did not change (sameServiceInputs), so a health transition
// or a weight change rebuilds one service, not all of them. Pure apart from the stable-id
// registry and the resolver it is given.
import { localAddressShare } from '../../cluster/shares.js';
import { isIpv6Text } from '../../config/address.js';
import { serverKey, serviceKey } from '../../config/keys.js';
import type { Config, ServiceConfig } from '../../config/types.js';
import { ENUMS, NO_POOL } from '../../native/abi.js';
import { staticScheduler } from '../../scheduler/index.js';
import type { SchedulerTables } from '../../scheduler/table-cache.js';
import type { NextHopResolver } from './nexthop/types.js';
import type { StableIds } from './stable-ids.js';
import { runAtOnce, type Steps } from '../../time-slices.js';

export interface PortModel {
  name: string;
  mac: Uint8Array;
  mtu: number;
  address: string; // the balancer's address there: tunnel outer source, ICMP source; 0.0.0.0 = none
  address6: string; // the same for IPv6; :: = none
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

/** Never modified once built: later builds reuse it and SnapshotEncoder caches its bytes by identity. */
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
  persistNetmask: string; // dotted quad (IPv4 services; 0.0.0.0 for IPv6 ones)
  persistPrefix6: number; // prefix length (IPv6 services; 0 for IPv4 ones)
  backends: BackendModel[];
  schedTable: number[]; // indices into backends
}

/** The pool of a cluster node's snapshot that holds the other nodes' local addresses. */
export const PEER_LOCAL_ADDRESSES = '(other cluster nodes)';
export const PEER_LOCAL_ADDRESSES6 = '(other cluster nodes, IPv6)';

export interface PoolModel {
  name: string;
  lips: string[];
}

export interface DataplaneModel {
  generation: bigint;
  workers: number;
  timeouts: Config['dataplane']['timeouts'];
  /** Per service on each worker: cookies from proxyAbove half-open connections on, SYNs refused beyond limit. */
  halfOpen: { proxyAbove: number; limit: number };
  ports: PortModel[];
  services: ServiceModel[];
  pools: PoolModel[];
}

export function prefixToNetmask(prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join('.');
}

function buildService(
  s: ServiceConfig,
  pool: number,
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
      backendId: ids.backend(key, serverKey(server)),
      upperThreshold: server.upper_threshold,
      lowerThreshold: server.lower_threshold,
      mac: hop.mac,
    };
  });
  // Dynamic schedulers ship no table; the data plane decides.
  const scheduler = staticScheduler(s.scheduler);
  const servers = backends.map((b) => ({ key: serverKey(b), weight: b.weight }));
  const schedTable = scheduler ? (tables ? tables.table(scheduler, servers) : scheduler.table(servers)) : [];
  const ipv6 = isIpv6Text(s.vip);
  let flags = 0;
  if (s.one_packet) flags |= ENUMS.service_flag.one_packet;
  if (s.persistence) flags |= ENUMS.service_flag.persistent;
  const carriesClientAddress = s.protocol === 'tcp' && s.forwarding === 'fullnat' && s.client_address !== 'none';
  if (carriesClientAddress) {
    // The SYN proxy's sequence translation and the client address's are not combined: such a
    // service has no SYN proxy (validation refuses syn_proxy: on; auto means off).
    flags |= s.client_address === 'toa' ? ENUMS.service_flag.client_address_toa : ENUMS.service_flag.client_address_proxy_v2;
  } else if (s.protocol === 'tcp' && (s.forwarding === 'nat' || s.forwarding === 'fullnat')) {
    if (s.syn_proxy === 'on') flags |= ENUMS.service_flag.syn_proxy_on;
    else if (s.syn_proxy === 'auto') flags |= ENUMS.service_flag.syn_proxy_auto;
  }
  return {
    name: s.name,
    vip: s.vip,
    port: s.port,
    protocol: ENUMS.protocol[s.protocol],
    forwarding: ENUMS.forwarding[s.forwarding],
    scheduler: ENUMS.scheduler[s.scheduler],
    flags,
    pool,
    serviceId: ids.service(key),
    persistTimeout: s.persistence ? Math.max(1, Math.ceil(s.persistence.timeout)) : 0,
    persistNetmask: ipv6 ? '0.0.0.0' : prefixToNetmask(s.persistence?.netmask ?? 32),
    persistPrefix6: ipv6 ? (s.persistence?.netmask ?? 128) : 0,
    backends,
    schedTable,
  };
}

function wholeSeconds(t: Config['dataplane']['timeouts']): Config['dataplane']['timeouts'] {
  const up = (v: number) => Math.max(1, Math.ceil(v));
  return { tcp: up(t.tcp), tcp_fin: up(t.tcp_fin), tcp_syn: up(t.tcp_syn), udp: up(t.udp), server_time_wait: up(t.server_time_wait) };
}

/** The ports of `config` as the resolver sees them now (MAC, MTU, the balancer's address). */
export function buildPorts(config: Config, resolver: NextHopResolver): PortModel[] {
  return config.dataplane.interfaces.map((name, i) => ({
    name,
    mac: resolver.portMac(i),
    mtu: config.dataplane.mtu ?? resolver.portMtu?.(i) ?? 1500,
    address: resolver.portAddress(i, config.dataplane.tunnel_source),
    address6: config.dataplane.tunnel_source6 ?? resolver.portAddress6?.(i) ?? '::',
  }));
}

/** The last build, whose unchanged services the next one reuses. */
export interface PreviousBuild {
  config: Config;
  model: DataplaneModel; // built from `config` (or patched since with fresh next hops)
}

/**
 * Whether `b` builds the same ServiceModel as `a` did: every field buildService reads (keep the
 * two in step), servers compared by identity first (the effective configs share unchanged
 * server objects), then field by field (a reload parses new objects).
 */
export function sameServiceInputs(a: ServiceConfig, b: ServiceConfig): boolean {
  if (a === b) return true;
  if (
    a.name !== b.name || a.vip !== b.vip || a.port !== b.port || a.protocol !== b.protocol ||
    a.forwarding !== b.forwarding || a.scheduler !== b.scheduler || a.one_packet !== b.one_packet || a.syn_proxy !== b.syn_proxy ||
    a.client_address !== b.client_address ||
    a.local_address_pool !== b.local_address_pool ||
    a.persistence?.timeout !== b.persistence?.timeout || a.persistence?.netmask !== b.persistence?.netmask ||
    a.servers.length !== b.servers.length
  )
    return false;
  for (let i = 0; i < a.servers.length; i++) {
    const x = a.servers[i]!;
    const y = b.servers[i]!;
    if (x === y) continue;
    if (x.address !== y.address || x.port !== y.port || x.weight !== y.weight ||
        x.upper_threshold !== y.upper_threshold || x.lower_threshold !== y.lower_threshold)
      return false;
  }
  return true;
}

function allResolved(service: ServiceModel): boolean {
  for (const b of service.backends) {
    const m = b.mac;
    if ((m[0]! | m[1]! | m[2]! | m[3]! | m[4]! | m[5]!) === 0) return false;
  }
  return true;
}

/** The last build's model of `s`, when building `s` again would give the same (unresolved next hops are retried). */
function reusable(previous: Map<string, { config: ServiceConfig; model: ServiceModel }>, s: ServiceConfig, pool: number): ServiceModel | undefined {
  const last = previous.get(serviceKey(s));
  if (!last || last.model.pool !== pool || !sameServiceInputs(last.config, s) || !allResolved(last.model)) return undefined;
  return last.model;
}

/** buildModel as steps (one per service) for runInSlices; the generator's result is the model. */
export function* modelSteps(
  config: Config,
  generation: bigint,
  resolver: NextHopResolver,
  ids: StableIds,
  tables?: SchedulerTables,
  previous?: PreviousBuild,
): Steps<DataplaneModel> {
  // A cluster node opens connections from its own share of each pool only (src/cluster/shares.ts).
  const cluster = config.cluster;
  const pools = Object.entries(config.local_address_pools).map(
    ([name, lips]): PoolModel => ({ name, lips: cluster ? localAddressShare(cluster, lips) : [...lips] }),
  );
  // The other nodes' shares, in a pool no service draws from: replies to them are the data
  // plane's (connections synced from those nodes), never the kernel's.
  // A pool holds one family: the IPv6 ones apart.
  const others = cluster ? Object.values(config.local_address_pools).flatMap((lips) => lips.filter((l) => !localAddressShare(cluster, lips).includes(l))) : [];
  const others4 = others.filter((l) => !isIpv6Text(l)), others6 = others.filter(isIpv6Text);
  if (others4.length) pools.push({ name: PEER_LOCAL_ADDRESSES, lips: others4 });
  if (others6.length) pools.push({ name: PEER_LOCAL_ADDRESSES6, lips: others6 });
  const poolIndex = new Map(pools.map((p, i) => [p.name, i]));
  const last = new Map(previous?.config.services.map((s, i) => [serviceKey(s), { config: s, model: previous.model.services[i]! }]));
  const services: ServiceModel[] = [];
  for (const s of config.services) {
    const pool = s.local_address_pool !== undefined ? (poolIndex.get(s.local_address_pool) ?? NO_POOL) : NO_POOL;
    // A step per service, reused or not: comparing a large service's servers takes time too.
    services.push(reusable(last, s, pool) ?? buildService(s, pool, resolver, ids, tables));
    yield;
  }
  // A reused service did not ask for its table: it leaves the cache, and is computed again only
  // if that service changes (and then it needs another table anyway).
  tables?.endBuild();
  return {
    generation,
    workers: config.dataplane.workers,
    // The data plane counts whole seconds; a sub-second duration rounds up rather than to zero.
    timeouts: wholeSeconds(config.dataplane.timeouts),
    halfOpen: { proxyAbove: config.dataplane.syn_proxy_above, limit: config.dataplane.half_open_limit },
    ports: buildPorts(config, resolver),
    services,
    pools,
  };
}

export function buildModel(
  config: Config,
  generation: bigint,
  resolver: NextHopResolver,
  ids: StableIds,
  /** Tables kept from earlier builds (Dataplane keeps one); without it every table is computed. */
  tables?: SchedulerTables,
  /** The last build: services whose inputs did not change keep their model. */
  previous?: PreviousBuild,
): DataplaneModel {
  return runAtOnce(modelSteps(config, generation, resolver, ids, tables, previous));
}
