// The validated, normalised configuration (DESIGN §5). Produced by config/load.ts; consumed by
// the control thread (snapshot encoding, health checks, reload) and the CLI. Durations are
// seconds, every optional field has its default filled in, addresses are dotted-quad strings.

export const FORWARDING_MODES = ['dr', 'nat', 'tunnel', 'fullnat'] as const;
export type ForwardingMode = (typeof FORWARDING_MODES)[number];

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'fo'] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

export const PROTOCOLS = ['tcp', 'udp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const BACKENDS = ['afxdp', 'dpdk', 'mem'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const SYN_PROXY_MODES = ['off', 'on', 'auto'] as const;
export const CLIENT_ADDRESS_MODES = ['none', 'toa', 'proxy_v2'] as const;
export const FAST_PATHS = ['xdp', 'off'] as const;
/** dataplane.dpdk.driver: the DPDK virtual device made on each named kernel interface. */
export const DPDK_DRIVERS = ['af_xdp', 'af_packet'] as const;
export type DpdkDriver = (typeof DPDK_DRIVERS)[number];

/** dataplane.dpdk (backend dpdk). */
export interface DpdkConfig {
  driver: DpdkDriver;
  /** PCI addresses of ports bound to vfio-pci, one per entry of interfaces (which then name them); empty: vdevs on the interfaces. */
  devices: string[];
  /** Extra EAL arguments; absent: hugepages when the host has free ones, else --no-huge -m 512 (src/control/worker/dpdk-eal.ts). */
  eal?: string[];
}
export type FastPathMode = (typeof FAST_PATHS)[number];
export type SynProxyMode = (typeof SYN_PROXY_MODES)[number];
export type ClientAddressMode = (typeof CLIENT_ADDRESS_MODES)[number];

export const HEALTH_CHECK_TYPES = ['tcp', 'http', 'udp', 'exec'] as const;
export type HealthCheckType = (typeof HEALTH_CHECK_TYPES)[number];

export interface Timeouts {
  tcp: number;
  tcp_fin: number;
  tcp_syn: number;
  udp: number;
  /** How long a Full-NAT server-side tuple stays held after its connection ended (the servers' TIME_WAIT). */
  server_time_wait: number;
}

export interface DataplaneConfig {
  backend: BackendName;
  workers: number;
  cpus?: number[];
  // 0: SCHED_OTHER; 1..99: SCHED_FIFO. Absent: DEFAULTS.worker_priority where the process may
  // use it, else SCHED_OTHER with a warning (native EngineOptions.worker_priority_best_effort).
  worker_priority?: number;
  interfaces: string[];
  conn_table_size: number;
  timeouts: Timeouts;
  mtu?: number;
  tunnel_source?: string;
  /** The outer source of IPv6 tunnel mode (ip6ip6); default: the egress interface's global IPv6 address. */
  tunnel_source6?: string;
  /** The Full-NAT local port key (src/control/worker/port-key.ts); default: derived from /etc/machine-id. */
  port_key_file?: string;
  /** Where `xvs run` keeps state across restarts (src/control/main/port-hold-file.ts). */
  state_dir: string;
  /** Half-open connections of a service on one worker from which `syn_proxy: auto` answers SYNs with cookies. */
  syn_proxy_above: number;
  /** Half-open connections of a service on one worker beyond which a SYN no proxy answers is refused. */
  half_open_limit: number;
  /** Full-NAT local ports [first, last]; the host keeps a LIP's other ports. */
  local_port_range: [number, number];
  /** xdp: the steering program forwards established connections itself (native/lb/fast_path.h); off: workers forward every packet. */
  fast_path: FastPathMode;
  /** Backend dpdk only. */
  dpdk?: DpdkConfig;
}

export interface ApiConfig {
  listen: string; // host:port
  /** Names the API may be reached by besides its addresses (the Host header of a scraper using DNS). */
  hosts?: string[];
  /** File holding the bearer token every API request must carry; none: no authentication. */
  token_file?: string;
}

export interface PersistenceConfig {
  timeout: number;
  netmask: number; // prefix length: 0..32 for an IPv4 service, 0..128 for an IPv6 one
}

export interface SorryServerConfig {
  address: string;
  port: number;
}

export interface HealthCheckConfig {
  type: HealthCheckType;
  interval: number;
  timeout: number;
  rise: number;
  fall: number;
  inhibit_on_failure: boolean;
  initial_state: 'up' | 'down';
  port?: number; // defaults to the server's port
  path?: string; // http
  host?: string; // http Host header
  expect_status?: number; // http
  expect_body?: string; // http, substring match
  payload?: string; // udp
  expect_payload?: string; // udp, substring match
  command?: string[]; // exec: argv (absolute program path), server address and port are appended
  user?: string; // exec: the user the command runs as when xvs runs as root (keepalived's script_user)
}

export interface ServerConfig {
  address: string;
  port: number;
  weight: number;
  upper_threshold: number; // 0 = no limit
  lower_threshold: number; // 0 = no limit
  health_check?: HealthCheckConfig; // overrides the service's
}

export interface ServiceConfig {
  name: string;
  vip: string;
  port: number;
  protocol: Protocol;
  scheduler: SchedulerName;
  forwarding: ForwardingMode;
  local_address_pool?: string; // fullnat only
  persistence?: PersistenceConfig;
  one_packet: boolean; // UDP one-packet scheduling
  syn_proxy: SynProxyMode; // nat and fullnat tcp only; 'auto' elsewhere means none
  client_address: ClientAddressMode; // fullnat tcp only: how servers learn the client's address
  quorum: number;
  quorum_hysteresis: number; // quorum is lost below quorum - this, regained at quorum + this
  sorry_server?: SorryServerConfig;
  health_check?: HealthCheckConfig;
  servers: ServerConfig[];
}

export interface ClusterNodeConfig {
  id: number;
  /** The node's address on the router-facing network: its BGP source and router id. */
  address: string;
  /** Its IPv6 address on that network: the next hop of the IPv6 routes it announces (needed with IPv6 services and bgp). */
  address6?: string;
}

export interface BgpPeerConfig {
  address: string;
  asn: number;
}

export interface BgpConfig {
  /** The nodes' own AS number (every node the same). */
  asn: number;
  peers: BgpPeerConfig[];
  /** Seconds without a message from a peer before its session is declared down (BGP hold time). */
  hold_time: number;
}

/** Several xvs nodes behind ECMP routers (src/cluster/): the same on every node but `node`. */
export interface ClusterConfig {
  /** This node's id: one of nodes[].id. */
  node: number;
  nodes: ClusterNodeConfig[];
  bgp?: BgpConfig;
  /** Connection sync between the nodes (src/cluster/sync-node.ts): UDP between their addresses; on with more than one node. */
  sync: {
    port: number;
    /** Seconds after which a live connection's record is sent again (IPVS sync_refresh_period); absent: half its state's timeout. */
    refresh_period?: number;
  };
  /** Seconds a stopping node keeps forwarding after withdrawing its routes, before it exits. */
  drain_time: number;
}

export interface Config {
  /** Absolute path of the file this was loaded from, or a label such as "<inline>". */
  source: string;
  dataplane: DataplaneConfig;
  api: ApiConfig;
  log_level: LogLevel;
  local_address_pools: Record<string, string[]>;
  services: ServiceConfig[];
  cluster?: ClusterConfig;
}

/** One problem found in a config file: where it is and what to do about it. */
export interface ConfigProblem {
  file: string;
  line: number; // 1-based; 0 when the position is unknown
  column: number; // 1-based; 0 when unknown
  path: string; // field path such as "services[0].port", "" for the document
  message: string; // names what is allowed, e.g. "must be an integer from 1 to 65535 (got 70000)"
}

/** One line per problem: a key or value quoted in the message may hold line breaks. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  const text = p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
  return text.replace(/\r?\n/g, '\\n');
}

/** Thrown by the loader with every problem found, not just the first. */
export class ConfigError extends Error {
  readonly code = 'XVS_CONFIG_INVALID';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}
