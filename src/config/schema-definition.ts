// src/config/schema-definition.ts — the JSON Schema (draft-07) of the config file (DESIGN §5):
// shapes, types, ranges, enums and unknown fields, as data. schema.ts checks documents against it
// (through the validator scripts/build-schema.mjs precompiles at build time); schema-messages.ts
// words the errors. Cross-field rules live in validate*.ts, because their messages need context a
// schema cannot express. Defaults are not applied by the schema: normalise.ts fills them, so the
// parsed document stays exactly what the file says. Pure data; any thread.

import { DEFAULTS, LIMITS } from './defaults.js';
import {
  BACKENDS, CLIENT_ADDRESS_MODES, DPDK_DRIVERS, FAST_PATHS, FORWARDING_MODES, HEALTH_CHECK_TYPES, LOG_LEVELS, PROTOCOLS, SCHEDULERS,
  SYN_PROXY_MODES,
} from './types.js';

/** The subset of JSON Schema this file uses, plus two xvs keywords. */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  enum?: readonly (string | number)[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  required?: string[];
  items?: SchemaNode;
  /**
   * A positive duration of at most this many seconds (see duration.ts); replaces a type so one
   * message covers every mistake. Checked by schema.ts itself, not by ajv: the precompiled
   * validator holds only standard keywords.
   */
  xvsDuration?: number;
  /** What the value must be, completing "must be ..." in messages; derived when absent. */
  xvsExpect?: string;
}

const int = (minimum: number, maximum?: number): SchemaNode =>
  maximum === undefined ? { type: 'integer', minimum } : { type: 'integer', minimum, maximum };
const oneOf = (values: readonly string[]): SchemaNode => ({ type: 'string', enum: values });
// Durations the data plane keeps (connection and persistence timeouts), and health-check periods.
const duration: SchemaNode = { xvsDuration: LIMITS.conn_timeout_max_s };
const timerDuration: SchemaNode = { xvsDuration: LIMITS.timer_max_s };
const port = int(1, 65535);
// Addresses are only strings here: validate.ts gives IPv4-specific messages ("IPv6 is not
// supported yet", octet out of range) that a regex pattern could not.
const address: SchemaNode = { type: 'string', xvsExpect: 'an address such as 10.0.0.1 or 2001:db8::1' };
const bool: SchemaNode = { type: 'boolean' };
const obj = (properties: Record<string, SchemaNode>, extra: Partial<SchemaNode> = {}): SchemaNode => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...extra,
});

const NAME_PATTERN = '^[A-Za-z0-9_.-]+$';

const healthCheck = obj(
  {
    type: oneOf(HEALTH_CHECK_TYPES),
    interval: timerDuration,
    timeout: timerDuration,
    rise: int(1),
    fall: int(1),
    inhibit_on_failure: bool,
    initial_state: oneOf(['up', 'down']),
    port,
    path: { type: 'string', pattern: '^/', xvsExpect: 'an absolute URL path such as /healthz' },
    host: { type: 'string', minLength: 1 },
    expect_status: int(100, 599),
    expect_body: { type: 'string' },
    payload: { type: 'string' },
    expect_payload: { type: 'string' },
    command: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      xvsExpect: 'a non-empty list of program and arguments such as [/usr/local/bin/check, --quick]',
    },
    user: { type: 'string', pattern: '^[a-z_][a-z0-9_.-]*[$]?$', xvsExpect: 'a user name such as nobody' },
  },
  { required: ['type'] },
);

const server = obj(
  {
    address,
    port,
    weight: int(0, LIMITS.weight_max),
    upper_threshold: int(0, LIMITS.threshold_max),
    lower_threshold: int(0, LIMITS.threshold_max),
    health_check: healthCheck,
  },
  { required: ['address', 'port'], xvsExpect: 'a mapping such as { address: 10.0.0.11, port: 80 }' },
);

const service = obj(
  {
    name: {
      type: 'string',
      pattern: NAME_PATTERN,
      maxLength: LIMITS.name_max,
      xvsExpect: `a name of 1 to ${LIMITS.name_max} letters, digits, "_", "." or "-"`,
    },
    vip: address,
    port,
    protocol: oneOf(PROTOCOLS),
    scheduler: oneOf(SCHEDULERS),
    forwarding: oneOf(FORWARDING_MODES),
    local_address_pool: { type: 'string', xvsExpect: 'the name of a pool in local_address_pools' },
    persistence: obj(
      { timeout: duration, netmask: int(0, 128) },
      { xvsExpect: `a mapping such as { timeout: ${DEFAULTS.persistence_timeout}, netmask: 32 }` },
    ),
    one_packet: bool,
    syn_proxy: oneOf(SYN_PROXY_MODES),
    client_address: oneOf(CLIENT_ADDRESS_MODES),
    quorum: int(1),
    quorum_hysteresis: int(0),
    sorry_server: obj(
      { address, port },
      { required: ['address', 'port'], xvsExpect: 'a mapping such as { address: 10.0.0.250, port: 80 }' },
    ),
    health_check: healthCheck,
    servers: {
      type: 'array',
      minItems: 1,
      items: server,
      xvsExpect: 'a non-empty list of servers such as [{ address: 10.0.0.11, port: 80 }]',
    },
  },
  { required: ['name', 'vip', 'port', 'forwarding', 'servers'] },
);

const asn = { ...int(1, LIMITS.asn_max), xvsExpect: `an AS number from 1 to ${LIMITS.asn_max} such as 65001` };
const cluster = obj(
  {
    node: { ...int(1, LIMITS.cluster_node_id_max), xvsExpect: 'the id of this node, one of nodes[].id' },
    nodes: {
      type: 'array',
      minItems: 1,
      maxItems: LIMITS.cluster_nodes_max,
      items: obj(
        { id: int(1, LIMITS.cluster_node_id_max), address, address6: address },
        { required: ['id', 'address'], xvsExpect: 'a mapping such as { id: 1, address: 10.88.0.11 }' },
      ),
      xvsExpect: `a list of 1 to ${LIMITS.cluster_nodes_max} nodes such as [{ id: 1, address: 10.88.0.11 }, { id: 2, address: 10.88.0.12 }]`,
    },
    bgp: obj(
      {
        asn,
        peers: {
          type: 'array',
          minItems: 1,
          items: obj({ address, asn }, { required: ['address', 'asn'], xvsExpect: 'a mapping such as { address: 10.88.0.1, asn: 65000 }' }),
          xvsExpect: 'a non-empty list of routers such as [{ address: 10.88.0.1, asn: 65000 }]',
        },
        hold_time: { ...int(LIMITS.bgp_hold_time_min, LIMITS.bgp_hold_time_max), xvsExpect: `seconds from ${LIMITS.bgp_hold_time_min} to ${LIMITS.bgp_hold_time_max} (default ${DEFAULTS.bgp_hold_time})` },
      },
      { required: ['asn', 'peers'], xvsExpect: 'a mapping such as { asn: 65001, peers: [{ address: 10.88.0.1, asn: 65000 }] }' },
    ),
    sync: obj({ port, refresh_period: duration }, { xvsExpect: `a mapping such as { port: ${DEFAULTS.cluster_sync_port} }` }),
    drain_time: { xvsDuration: LIMITS.cluster_drain_time_max },
  },
  { required: ['node', 'nodes'], xvsExpect: 'a mapping such as { node: 1, nodes: [{ id: 1, address: 10.88.0.11 }] }' },
);

const t = DEFAULTS.timeouts;
export const CONFIG_SCHEMA: SchemaNode = obj(
  {
    dataplane: obj(
      {
        backend: oneOf(BACKENDS),
        workers: int(1, LIMITS.workers_max),
        cpus: {
          type: 'array',
          items: int(0, LIMITS.cpu_max),
          xvsExpect: `a list of CPU numbers from 0 to ${LIMITS.cpu_max}, one per worker`,
        },
        worker_priority: int(0, LIMITS.worker_priority_max),
        interfaces: {
          type: 'array',
          minItems: 1,
          maxItems: 2,
          items: { type: 'string', minLength: 1 },
          xvsExpect: 'a list of 1 or 2 interface names such as [eth0] or [eth0, eth1]',
        },
        conn_table_size: int(LIMITS.conn_table_min, LIMITS.conn_table_max),
        timeouts: obj(
          { tcp: duration, tcp_fin: duration, tcp_syn: duration, udp: duration, server_time_wait: duration },
          { xvsExpect: `a mapping such as { tcp: ${t.tcp}, tcp_fin: ${t.tcp_fin}, tcp_syn: ${t.tcp_syn}, udp: ${t.udp} }` },
        ),
        mtu: int(LIMITS.mtu_min, LIMITS.mtu_max),
        tunnel_source: address,
        tunnel_source6: address,
        port_key_file: { type: 'string', minLength: 1, xvsExpect: 'the path of a file of random bytes (at least 16)' },
        state_dir: { type: 'string', minLength: 1, xvsExpect: 'a directory path such as /var/lib/xvs' },
        syn_proxy_above: int(1, LIMITS.half_open_max),
        fast_path: oneOf(FAST_PATHS),
        dpdk: obj(
          {
            driver: oneOf(DPDK_DRIVERS),
            devices: {
              type: 'array',
              maxItems: 2,
              items: { type: 'string', pattern: '^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]$', xvsExpect: 'a PCI address such as 0000:03:00.0' },
              xvsExpect: 'a list of PCI addresses such as [0000:03:00.0], one per interface',
            },
            eal: {
              type: 'array',
              items: { type: 'string', minLength: 1 },
              xvsExpect: 'a list of EAL arguments such as [--no-huge, -m, "512"]',
            },
          },
          { xvsExpect: 'a mapping such as { driver: af_xdp, eal: [--no-huge, -m, "512"] }' },
        ),
        half_open_limit: int(1, LIMITS.half_open_max),
        local_port_range: {
          type: 'array',
          minItems: 2,
          maxItems: 2,
          items: int(LIMITS.local_port_min, 65535),
          xvsExpect: `[first, last]: two ports from ${LIMITS.local_port_min} to 65535 such as [${DEFAULTS.local_port_range.join(', ')}]`,
        },
      },
      { required: ['interfaces'], xvsExpect: 'a mapping such as { interfaces: [eth0] }' },
    ),
    api: obj({
      listen: { type: 'string', xvsExpect: 'host:port such as 127.0.0.1:9475' },
      hosts: {
        type: 'array',
        items: { type: 'string', pattern: '^[A-Za-z0-9.-]+$', xvsExpect: 'a host name such as lb1.example.net' },
        xvsExpect: 'a list of host names such as [lb1.example.net]',
      },
      token_file: { type: 'string', minLength: 1, xvsExpect: 'the path of a file holding the bearer token, such as /etc/xvs/api-token' },
    }),
    log_level: oneOf(LOG_LEVELS),
    local_address_pools: {
      type: 'object',
      additionalProperties: {
        type: 'array',
        items: address,
        xvsExpect: 'a list of IPv4 addresses such as [10.0.2.100, 10.0.2.101]',
      },
      xvsExpect: 'a mapping of pool names to address lists such as { lan: [10.0.2.100] }',
    },
    services: { type: 'array', items: service, xvsExpect: 'a list of services' },
    cluster,
  },
  { required: ['dataplane'], xvsExpect: 'a mapping with at least a dataplane section' },
);

/** Keywords of xvs's own in the schema: annotations to ajv (schema.ts checks xvsDuration itself). */
export const XVS_KEYWORDS = [
  { keyword: 'xvsDuration', schemaType: 'number' },
  { keyword: 'xvsExpect', schemaType: 'string' },
] as const;

/** Options of every ajv instance that compiles CONFIG_SCHEMA (at build time and at run time). */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true } as const;
