// Semantic checks (DESIGN §5 "invalid combinations") on the parsed document: rules across fields
// that the schema cannot say, each with its own message. Runs on whatever part is well-formed, so
// one file gets schema and semantic problems in one pass without a second message for a value
// the schema already rejected. Consumes the untyped document; produces Findings. Runs on the
// config-loading thread (the main thread, or a reload's worker thread). Per-service rules:
// validate-service.ts.

import { hostAddressProblem, ipv6HostProblem, isIpv6Text, listenProblem, quote, serviceAddressProblem } from './address.js';
import { LIMITS as DATAPLANE_LIMITS } from '../native/abi.js';
import { schedulerTableEntries } from '../scheduler/index.js';
import { DEFAULTS, LIMITS } from './defaults.js';
import { choice, formatPath, has, intOr, isInt, isObj, type Finding, type Obj } from './raw.js';
import { BACKENDS, PROTOCOLS } from './types.js';
import { checkCluster } from './validate-cluster.js';
import { checkService, type Context } from './validate-service.js';
import { serviceKey } from './keys.js';

export function validateSemantics(doc: unknown): Finding[] {
  const out: Finding[] = [];
  if (!isObj(doc)) return out;
  if (isObj(doc.dataplane)) checkDataplane(doc.dataplane, out);
  if (isObj(doc.api) && typeof doc.api.listen === 'string') {
    const bad = listenProblem(doc.api.listen);
    if (bad) out.push({ path: ['api', 'listen'], message: bad });
  }
  const services = Array.isArray(doc.services) ? doc.services : [];
  const dp = isObj(doc.dataplane) ? doc.dataplane : {};
  const ctx: Context = {
    pools: new Set(),
    localAddresses: new Map(),
    vips: new Map(),
    noTunnelSource: dp.backend === 'mem' && dp.tunnel_source === undefined,
    noTunnelSource6: dp.backend === 'mem' && dp.tunnel_source6 === undefined,
    poolFamilies: new Map(),
    backend: dp.backend,
    cluster: isObj(doc.cluster),
  };
  collectVips(services, ctx);
  checkPools(doc.local_address_pools, ctx, out);
  services.forEach((s, i) => {
    if (isObj(s)) checkService(s, i, ctx, out);
  });
  checkDuplicateServices(services, out);
  checkCluster(doc, ctx.vips, out);
  checkDataplaneLimits(doc.local_address_pools, services, isObj(doc.cluster), out);
  return out;
}

/**
 * What one snapshot can hold (native/abi/records.h, mirrored in src/native/abi.ts): a file over
 * these would pass here and be refused by the data plane at start or reload.
 */
function checkDataplaneLimits(pools: unknown, services: unknown[], cluster: boolean, out: Finding[]): void {
  const tooMany = (n: number, what: string, max: number) =>
    `${n} ${what}: one data plane holds at most ${max}; spread the services over more nodes`;
  if (services.length > DATAPLANE_LIMITS.services)
    out.push({ path: ['services'], at: 'key', message: tooMany(services.length, 'services', DATAPLANE_LIMITS.services) });
  const servers = services.reduce<number>((n, s) => n + (isObj(s) && Array.isArray(s.servers) ? s.servers.length : 0), 0);
  if (servers > DATAPLANE_LIMITS.backends)
    out.push({ path: ['services'], at: 'key', message: tooMany(servers, 'servers in all services', DATAPLANE_LIMITS.backends) });
  checkSchedulerTables(services, cluster ? DEFAULTS.cluster_scheduler : DEFAULTS.scheduler, out);
  if (!isObj(pools)) return;
  const lists = Object.values(pools);
  // A cluster node's snapshot holds a pool more per family: the other nodes' addresses (control/worker/model.ts).
  const families = new Set(lists.flatMap((l) => (Array.isArray(l) ? l.map((a) => (typeof a === 'string' && isIpv6Text(a) ? 6 : 4)) : [])));
  const extra = cluster ? Math.max(1, families.size) : 0;
  const poolsHeld = lists.length + extra;
  if (poolsHeld > DATAPLANE_LIMITS.pools)
    out.push({
      path: ['local_address_pools'],
      at: 'key',
      message: tooMany(lists.length, `local address pools${cluster ? ` (${extra} more ${extra === 1 ? 'is' : 'are'} held in a cluster)` : ''}`, DATAPLANE_LIMITS.pools - extra),
    });
  const lips = lists.reduce<number>((n, list) => n + (Array.isArray(list) ? list.length : 0), 0);
  if (lips > DATAPLANE_LIMITS.lips)
    out.push({ path: ['local_address_pools'], at: 'key', message: tooMany(lips, 'local addresses in all pools', DATAPLANE_LIMITS.lips) });
}

/**
 * The scheduler tables of all services share one array of the snapshot (rr, fo: a server per
 * entry; wrr: sum of weights / gcd; mh: 65 537; sh, dh: 256). Counted with the file's weights;
 * a runtime weight that would cross the limit is refused by the data plane at commit.
 */
function checkSchedulerTables(services: unknown[], defaultScheduler: string, out: Finding[]): void {
  const { total, largest } = schedulerTableEntries(
    services.flatMap((s, i) =>
      isObj(s) && Array.isArray(s.servers)
        ? [
            {
              name: typeof s.name === 'string' ? s.name : `services[${i}]`,
              scheduler: typeof s.scheduler === 'string' ? s.scheduler : defaultScheduler,
              weights: s.servers.map((srv) => (isObj(srv) && isInt(srv.weight, 0, LIMITS.weight_max) ? srv.weight : DEFAULTS.weight)),
            },
          ]
        : [],
    ),
  );
  if (total <= DATAPLANE_LIMITS.sched_entries) return;
  const top = largest.map((t) => `${t.name} ${t.entries}`);
  out.push({
    path: ['services'],
    at: 'key',
    message:
      `the scheduler tables need ${total} entries (largest: ${top.join(', ')}), one data plane holds at most ` +
      `${DATAPLANE_LIMITS.sched_entries}: use smaller weights with the same ratios (wrr's table is sum of weights / gcd), ` +
      `fewer mh services, or spread the services over more nodes`,
  });
}

function checkDataplane(dp: Obj, out: Finding[]): void {
  if (typeof dp.tunnel_source === 'string') {
    const bad = hostAddressProblem(dp.tunnel_source);
    if (bad) out.push({ path: ['dataplane', 'tunnel_source'], message: bad });
  }
  if (typeof dp.tunnel_source6 === 'string') {
    const bad = isIpv6Text(dp.tunnel_source6)
      ? ipv6HostProblem(dp.tunnel_source6)
      : `must be an IPv6 address such as 2001:db8::1 (got ${quote(dp.tunnel_source6)}); the IPv4 one is tunnel_source`;
    if (bad) out.push({ path: ['dataplane', 'tunnel_source6'], message: bad });
  }
  const workers = intOr(dp, 'workers', 1, LIMITS.workers_max, 1);
  if (Array.isArray(dp.cpus)) {
    const cpus = dp.cpus;
    if (workers !== undefined && cpus.length !== workers) {
      const w = has(dp, 'workers') ? `workers is ${workers}` : `workers is ${workers} (the default)`;
      out.push({
        path: ['dataplane', 'cpus'],
        message: `lists ${cpus.length} CPU${cpus.length === 1 ? '' : 's'} but ${w}: give exactly one CPU per worker`,
      });
    }
    cpus.forEach((cpu, j) => {
      const first = cpus.indexOf(cpu);
      if (isInt(cpu, 0, LIMITS.cpu_max) && first < j) {
        out.push({
          path: ['dataplane', 'cpus', j],
          message: `CPU ${cpu} is already given to worker ${first} (cpus[${first}]): each worker polls its own CPU`,
        });
      }
    });
  }
  const above = intOr(dp, 'syn_proxy_above', 1, LIMITS.half_open_max, DEFAULTS.syn_proxy_above);
  const tableSize = intOr(dp, 'conn_table_size', LIMITS.conn_table_min, LIMITS.conn_table_max, DEFAULTS.conn_table_size);
  const limit = intOr(dp, 'half_open_limit', 1, LIMITS.half_open_max, tableSize ?? DEFAULTS.conn_table_size);
  if (above !== undefined && limit !== undefined && above > limit) {
    out.push({
      path: ['dataplane', has(dp, 'syn_proxy_above') ? 'syn_proxy_above' : 'half_open_limit'],
      message: `syn_proxy_above (${above}) must not exceed half_open_limit (${limit}${has(dp, 'half_open_limit') ? '' : ', conn_table_size by default'}): syn_proxy auto must engage before SYNs are refused`,
    });
  }
  const range = dp.local_port_range;
  if (Array.isArray(range) && range.length === 2 && range.every((p) => isInt(p, LIMITS.local_port_min, 65535))) {
    const [first, last] = range as [number, number];
    if (first > last)
      out.push({ path: ['dataplane', 'local_port_range'], message: `first port ${first} is above last port ${last}: write [${last}, ${first}]` });
    else if (workers !== undefined && last - first + 1 < workers)
      out.push({
        path: ['dataplane', 'local_port_range'],
        message: `${first}..${last} holds ${last - first + 1} port${last === first ? '' : 's'}, fewer than the ${workers} workers: each worker needs its own`,
      });
  }
  const backend = choice(dp, 'backend', BACKENDS, 'afxdp');
  if (has(dp, 'dpdk') && backend !== 'dpdk')
    out.push({ path: ['dataplane', 'dpdk'], at: 'key', message: `applies to backend dpdk only (backend is ${backend}): remove it, or set dataplane.backend: dpdk` });
  const devices = isObj(dp.dpdk) && Array.isArray(dp.dpdk.devices) ? dp.dpdk.devices : [];
  if (backend === 'dpdk' && devices.length > 0 && Array.isArray(dp.interfaces) && devices.length !== dp.interfaces.length)
    out.push({
      path: ['dataplane', 'dpdk', 'devices'],
      message: `lists ${devices.length} device${devices.length === 1 ? '' : 's'} for ${dp.interfaces.length} interface${dp.interfaces.length === 1 ? '' : 's'}: with devices, interfaces name the ports (one name per device; the host side of each is NAME.kni)`,
    });
  if (Array.isArray(dp.interfaces)) {
    const names = dp.interfaces;
    names.forEach((name, j) => {
      if (typeof name !== 'string' || name === '') return;
      const path = ['dataplane', 'interfaces', j];
      if (names.indexOf(name) < j) {
        out.push({ path, message: `interface "${name}" is listed twice: the two arms must be different interfaces` });
      } else if (backend === 'afxdp' && !/^[^\s/:]{1,15}$/.test(name)) {
        out.push({
          path,
          message: `must be a Linux interface name of at most ${LIMITS.ifname_max} characters without spaces, "/" or ":" (got ${JSON.stringify(name)})`,
        });
      } else if (backend === 'dpdk' && /^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/.test(name)) {
        out.push({
          path,
          message: `"${name}" is a PCI address: list it in dataplane.dpdk.devices and name the port here (e.g. dpdk${j}; its host side is dpdk${j}.kni)`,
        });
      } else if (backend === 'dpdk' && !/^[^\s/:]{1,11}$/.test(name)) {
        const most = LIMITS.ifname_max - '.kni'.length;
        out.push({
          path,
          message: `must be an interface name of at most ${most} characters without spaces, "/" or ":" (got ${JSON.stringify(name)}): the host side of the port is NAME.kni, which must fit in ${LIMITS.ifname_max}`,
        });
      }
    });
  }
}

/** VIP → owning service, so pools and servers can be checked against every VIP. */
function collectVips(services: unknown[], ctx: Context): void {
  services.forEach((s, i) => {
    if (!isObj(s) || typeof s.vip !== 'string' || serviceAddressProblem(s.vip)) return;
    if (!ctx.vips.has(s.vip)) ctx.vips.set(s.vip, typeof s.name === 'string' ? s.name : `services[${i}]`);
  });
}

function checkPools(pools: unknown, ctx: Context, out: Finding[]): void {
  if (!isObj(pools)) return;
  for (const [name, list] of Object.entries(pools)) {
    ctx.pools.add(name);
    if (!Array.isArray(list)) continue;
    if (list.length === 0) {
      out.push({ path: ['local_address_pools', name], message: `pool "${name}" is empty: list at least one address` });
    }
    list.forEach((addr, j) => {
      if (typeof addr !== 'string') return;
      const path = ['local_address_pools', name, j];
      const bad = serviceAddressProblem(addr);
      const earlier = ctx.localAddresses.get(addr);
      const families = ctx.poolFamilies.get(name) ?? new Set<'IPv4' | 'IPv6'>();
      const family = isIpv6Text(addr) ? 'IPv6' : 'IPv4';
      const vipOf = ctx.vips.get(addr);
      if (bad) {
        out.push({ path, message: bad });
      } else if (families.size > 0 && !families.has(family)) {
        out.push({ path, message: `${addr} is ${family} but pool "${name}" holds ${[...families].join(' and ')} addresses: a pool's addresses are of one family` });
      } else if (earlier && earlier.pool === name) {
        out.push({ path, message: `${addr} is listed twice in pool "${name}"` });
      } else if (earlier) {
        out.push({
          path,
          message: `${addr} is already in pool "${earlier.pool}" (${earlier.where}): two pools would hand out the same local ports`,
        });
      } else if (vipOf !== undefined) {
        out.push({
          path,
          message: `${addr} is also the VIP of service ${vipOf}: a local address must not be a VIP, or replies and new connections would be confused`,
        });
      } else {
        ctx.localAddresses.set(addr, { pool: name, where: formatPath(path) });
        ctx.poolFamilies.set(name, families.add(family));
      }
    });
  }
}

function checkDuplicateServices(services: unknown[], out: Finding[]): void {
  const byKey = new Map<string, number>();
  const byName = new Map<string, number>();
  services.forEach((s, i) => {
    if (!isObj(s)) return;
    const label = (j: number): string => {
      const other = services[j];
      return isObj(other) && typeof other.name === 'string' ? `service ${other.name} (services[${j}])` : `services[${j}]`;
    };
    if (typeof s.name === 'string') {
      const first = byName.get(s.name);
      if (first === undefined) byName.set(s.name, i);
      else out.push({ path: ['services', i, 'name'], message: `service name "${s.name}" is already used by services[${first}]: names must be unique` });
    }
    const protocol = choice(s, 'protocol', PROTOCOLS, 'tcp');
    if (typeof s.vip !== 'string' || serviceAddressProblem(s.vip) || !isInt(s.port, 1, 65535) || !protocol) return;
    const key = serviceKey({ vip: s.vip, port: s.port, protocol });
    const first = byKey.get(key);
    if (first === undefined) byKey.set(key, i);
    else out.push({ path: ['services', i], message: `duplicates ${label(first)}: both are ${key}` });
  });
}
