// Builds the typed Config from a document that passed the schema and the semantic checks: fills
// every default (DESIGN §5, defaults.ts) and converts durations to seconds. Consumes the untyped
// document; produces Config. Runs on the config-loading thread. The casts below are sound only
// because load.ts calls this after validation found no problem.

import { isIpv6Text } from './address.js';
import { DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import { has, type Obj } from './raw.js';
import type {
  ClusterConfig,
  Config,
  DataplaneConfig,
  DpdkConfig,
  HealthCheckConfig,
  ServerConfig,
  ServiceConfig,
  Timeouts,
} from './types.js';

const objOf = (v: unknown): Obj => (v ?? {}) as Obj;
const seconds = (v: unknown, dflt: number): number => (v === undefined ? dflt : (parseDuration(v) ?? dflt));

/** Copies the keys of `from` that are present, so optional fields stay absent rather than undefined. */
function copyPresent<T extends object>(into: T, from: Obj, keys: readonly string[]): T {
  for (const k of keys) if (has(from, k)) (into as Obj)[k] = from[k];
  return into;
}

function dataplane(dp: Obj): DataplaneConfig {
  const t = objOf(dp.timeouts);
  const d = DEFAULTS.timeouts;
  const timeouts: Timeouts = {
    tcp: seconds(t.tcp, d.tcp),
    tcp_fin: seconds(t.tcp_fin, d.tcp_fin),
    tcp_syn: seconds(t.tcp_syn, d.tcp_syn),
    udp: seconds(t.udp, d.udp),
    server_time_wait: seconds(t.server_time_wait, d.server_time_wait),
  };
  const out: DataplaneConfig = {
    backend: (dp.backend as DataplaneConfig['backend'] | undefined) ?? DEFAULTS.backend,
    workers: (dp.workers as number | undefined) ?? DEFAULTS.workers,
    interfaces: [...(dp.interfaces as string[])],
    conn_table_size: (dp.conn_table_size as number | undefined) ?? DEFAULTS.conn_table_size,
    timeouts,
    state_dir: (dp.state_dir as string | undefined) ?? DEFAULTS.state_dir,
    syn_proxy_above: (dp.syn_proxy_above as number | undefined) ?? DEFAULTS.syn_proxy_above,
    half_open_limit: (dp.half_open_limit as number | undefined) ?? ((dp.conn_table_size as number | undefined) ?? DEFAULTS.conn_table_size),
    local_port_range: [...((dp.local_port_range as [number, number] | undefined) ?? DEFAULTS.local_port_range)] as [number, number],
    fast_path: (dp.fast_path as DataplaneConfig['fast_path'] | undefined) ?? DEFAULTS.fast_path,
  };
  if (Array.isArray(dp.cpus)) out.cpus = [...(dp.cpus as number[])];
  if (out.backend === 'dpdk') {
    const dpdk = (dp.dpdk ?? {}) as Obj;
    out.dpdk = {
      driver: (dpdk.driver as DpdkConfig['driver'] | undefined) ?? DEFAULTS.dpdk_driver,
      devices: [...((dpdk.devices as string[] | undefined) ?? [])],
      ...(Array.isArray(dpdk.eal) ? { eal: [...(dpdk.eal as string[])] } : {}),
    };
  }
  return copyPresent(out, dp, ['mtu', 'tunnel_source', 'tunnel_source6', 'port_key_file', 'worker_priority']);
}

export function healthCheck(hc: Obj): HealthCheckConfig {
  const d = DEFAULTS.health_check;
  const out: HealthCheckConfig = {
    type: hc.type as HealthCheckConfig['type'],
    interval: seconds(hc.interval, d.interval),
    timeout: seconds(hc.timeout, d.timeout),
    rise: (hc.rise as number | undefined) ?? d.rise,
    fall: (hc.fall as number | undefined) ?? d.fall,
    inhibit_on_failure: (hc.inhibit_on_failure as boolean | undefined) ?? d.inhibit_on_failure,
    initial_state: (hc.initial_state as 'up' | 'down' | undefined) ?? d.initial_state,
  };
  copyPresent(out, hc, ['port']);
  switch (out.type) {
    case 'http':
      out.path = (hc.path as string | undefined) ?? d.http_path;
      out.expect_status = (hc.expect_status as number | undefined) ?? d.http_expect_status;
      return copyPresent(out, hc, ['host', 'expect_body']);
    case 'udp':
      return copyPresent(out, hc, ['payload', 'expect_payload']);
    case 'exec':
      out.command = [...(hc.command as string[])];
      out.user = (hc.user as string | undefined) ?? d.exec_user;
      return out;
    default:
      return out;
  }
}

function server(s: Obj): ServerConfig {
  const out: ServerConfig = {
    address: s.address as string,
    port: s.port as number,
    weight: (s.weight as number | undefined) ?? DEFAULTS.weight,
    upper_threshold: (s.upper_threshold as number | undefined) ?? DEFAULTS.upper_threshold,
    lower_threshold: (s.lower_threshold as number | undefined) ?? DEFAULTS.lower_threshold,
  };
  if (has(s, 'health_check')) out.health_check = healthCheck(objOf(s.health_check));
  return out;
}

function cluster(c: Obj): ClusterConfig {
  const out: ClusterConfig = {
    node: c.node as number,
    nodes: (c.nodes as Obj[]).map((n) => ({ id: n.id as number, address: n.address as string, ...(typeof n.address6 === 'string' ? { address6: n.address6 } : {}) })),
    drain_time: seconds(c.drain_time, DEFAULTS.cluster_drain_time),
    sync: { port: (objOf(c.sync).port as number | undefined) ?? DEFAULTS.cluster_sync_port },
  };
  if (has(objOf(c.sync), 'refresh_period')) out.sync.refresh_period = seconds(objOf(c.sync).refresh_period, 0);
  if (has(c, 'bgp')) {
    const bgp = objOf(c.bgp);
    out.bgp = {
      asn: bgp.asn as number,
      peers: (bgp.peers as Obj[]).map((p) => ({ address: p.address as string, asn: p.asn as number })),
      hold_time: (bgp.hold_time as number | undefined) ?? DEFAULTS.bgp_hold_time,
    };
  }
  return out;
}

function service(s: Obj, defaultScheduler: ServiceConfig['scheduler']): ServiceConfig {
  const out: ServiceConfig = {
    name: s.name as string,
    vip: s.vip as string,
    port: s.port as number,
    protocol: (s.protocol as ServiceConfig['protocol'] | undefined) ?? DEFAULTS.protocol,
    scheduler: (s.scheduler as ServiceConfig['scheduler'] | undefined) ?? defaultScheduler,
    forwarding: s.forwarding as ServiceConfig['forwarding'],
    one_packet: (s.one_packet as boolean | undefined) ?? DEFAULTS.one_packet,
    syn_proxy: (s.syn_proxy as ServiceConfig['syn_proxy'] | undefined) ?? DEFAULTS.syn_proxy,
    client_address: (s.client_address as ServiceConfig['client_address'] | undefined) ?? DEFAULTS.client_address,
    quorum: (s.quorum as number | undefined) ?? DEFAULTS.quorum,
    quorum_hysteresis: (s.quorum_hysteresis as number | undefined) ?? DEFAULTS.quorum_hysteresis,
    servers: (s.servers as unknown[]).map((srv) => server(objOf(srv))),
  };
  copyPresent(out, s, ['local_address_pool']);
  if (has(s, 'persistence')) {
    const p = objOf(s.persistence);
    out.persistence = {
      timeout: seconds(p.timeout, DEFAULTS.persistence_timeout),
      netmask: (p.netmask as number | undefined) ?? (isIpv6Text(String(s.vip)) ? DEFAULTS.persistence_prefix6 : DEFAULTS.persistence_netmask),
    };
  }
  if (has(s, 'sorry_server')) {
    const sorry = objOf(s.sorry_server);
    out.sorry_server = { address: sorry.address as string, port: sorry.port as number };
  }
  if (has(s, 'health_check')) out.health_check = healthCheck(objOf(s.health_check));
  return out;
}

export function normalise(doc: Obj, source: string): Config {
  const pools = objOf(doc.local_address_pools);
  const defaultScheduler = has(doc, 'cluster') ? DEFAULTS.cluster_scheduler : DEFAULTS.scheduler;
  const config: Config = {
    source,
    dataplane: dataplane(objOf(doc.dataplane)),
    api: copyPresent({ listen: (objOf(doc.api).listen as string | undefined) ?? DEFAULTS.api_listen }, objOf(doc.api), ['hosts', 'token_file']),
    log_level: (doc.log_level as Config['log_level'] | undefined) ?? DEFAULTS.log_level,
    local_address_pools: Object.fromEntries(Object.entries(pools).map(([k, v]) => [k, [...(v as string[])]])),
    services: ((doc.services as unknown[] | undefined) ?? []).map((s) => service(objOf(s), defaultScheduler)),
  };
  if (has(doc, 'cluster')) config.cluster = cluster(objOf(doc.cluster));
  return config;
}
