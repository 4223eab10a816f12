// Default values of every optional config field (DESIGN §5). Consumed by normalise.ts (to fill
// the Config), schema-definition.ts (to describe fields in messages) and config/README.md (by hand: keep
// the table there in step). Pure data; any thread may import it.

import type { BackendName, ClientAddressMode, DpdkDriver, FastPathMode, LogLevel, Protocol, SchedulerName, SynProxyMode, Timeouts } from './types.js';

export const DEFAULTS = {
  backend: 'afxdp' as BackendName,
  workers: 1,
  // Workers at SCHED_FIFO 1 (the lowest real-time priority) unless the config says otherwise: a
  // worker woken by its interface's NAPI work on the same core then runs at once instead of
  // waiting out NAPI's time slice while its fill ring runs dry (config/README.md, bench/README.md).
  worker_priority: 1,
  conn_table_size: 1_048_576,
  state_dir: '/var/lib/xvs',
  // A worker's half-open connections per service: cookies from 1024 on (Linux's default SYN
  // backlog is of that order). half_open_limit has no fixed default: it is conn_table_size, so
  // that by default a full table evicts its oldest half-open connection rather than refusing.
  syn_proxy_above: 1024,
  // Established connections are forwarded by the steering XDP program (AF_XDP backend): no copy
  // into user space and back (bench/README.md, veth).
  fast_path: 'xdp' as FastPathMode,
  dpdk_driver: 'af_xdp' as DpdkDriver,
  syn_proxy: 'auto' as SynProxyMode,
  client_address: 'none' as ClientAddressMode,
  // Full-NAT local ports: below Linux's ephemeral range (ip_local_port_range 32768..60999), so
  // that a LIP the host also uses keeps the host's own connections (native/lb/local_port.h).
  local_port_range: [1024, 32767] as readonly [number, number],
  // server_time_wait: Linux holds a closed connection's tuple in TIME_WAIT for 60 s (TCP_TIMEWAIT_LEN).
  timeouts: { tcp: 900, tcp_fin: 120, tcp_syn: 60, udp: 300, server_time_wait: 60 } as Readonly<Timeouts>,
  api_listen: '127.0.0.1:9475',
  log_level: 'info' as LogLevel,
  protocol: 'tcp' as Protocol,
  // IPVS picks wlc when ipvsadm is given no -s; operators expect the same here.
  scheduler: 'wlc' as SchedulerName,
  // With a cluster, every node must pick the same server for the same client without talking to
  // the others (ECMP may move a flow between nodes): Maglev hashing does, as Katran and Unimog use.
  cluster_scheduler: 'mh' as SchedulerName,
  // BIRD's and most routers' default is 240 s; an edge cluster wants a dead node out in seconds.
  bgp_hold_time: 9,
  // A withdrawn route leaves a router in milliseconds, but packets already routed here and a
  // router's slower peers still arrive for a moment: keep forwarding them.
  cluster_drain_time: 3,
  // IPVS's sync daemon has no fixed port (multicast 224.0.0.81:8848); the issue names 8848.
  cluster_sync_port: 8848,
  // ipvsadm -p without a value means 300 s; an empty `persistence: {}` behaves the same.
  persistence_timeout: 300,
  persistence_netmask: 32,
  persistence_prefix6: 128, // IPv6 services: one client address, as ipvsadm's default for IPv6
  one_packet: false,
  quorum: 1,
  quorum_hysteresis: 0,
  weight: 1,
  upper_threshold: 0,
  lower_threshold: 0,
  health_check: {
    interval: 2,
    timeout: 1,
    rise: 2,
    fall: 3,
    inhibit_on_failure: true,
    initial_state: 'up' as 'up' | 'down',
    http_path: '/',
    // keepalived runs scripts as its script_user; a check needs no privilege to probe a server.
    exec_user: 'nobody',
    http_expect_status: 200,
  },
} as const;

export const LIMITS = {
  workers_max: 64,
  cpu_max: 1023, // glibc CPU_SETSIZE - 1
  conn_table_min: 1024,
  conn_table_max: 2 ** 27,
  half_open_max: 2 ** 27, // as many as a table holds
  // The data plane's expiries are u32 seconds compared as signed differences: a timeout must stay
  // well below 2^31 s of the engine clock.
  conn_timeout_max_s: 2 ** 30 - 1,
  // Node's timers hold at most 2^31 - 1 ms (longer ones fire after 1 ms).
  timer_max_s: 2_147_483,
  worker_priority_max: 99,
  local_port_min: 1024, // below: the host's well-known services (lb::kMinLocalPort)
  mtu_min: 576,
  mtu_max: 9000,
  weight_max: 65535,
  threshold_max: 4_294_967_295, // IPVS keeps thresholds in a u32
  ifname_max: 15, // IFNAMSIZ - 1
  name_max: 64,
  cluster_nodes_max: 64,
  cluster_node_id_max: 65535,
  asn_max: 4_294_967_295,
  bgp_hold_time_min: 3, // RFC 4271 §4.2: zero or at least three seconds
  bgp_hold_time_max: 65535,
  cluster_drain_time_max: 3600,
} as const;
