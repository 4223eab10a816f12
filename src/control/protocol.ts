// src/control/protocol.ts — the messages between the main thread and the control worker
// thread. The main thread relays (CLI, signals, the HTTP API); the control worker owns the
// engine and all policy (DESIGN §3): it resolves service and server names, keeps the runtime
// weight overrides and builds the status report.
import type { Route } from '../cluster/announcements.js';
import type { BgpSession } from '../cluster/bgp-speaker.js';
import type { SyncStatus } from '../cluster/sync-node.js';
import type { Config } from '../config/types.js';
import type { HealthTransition } from '../health/index.js';
import type { EngineStatus, Traffic as EngineTraffic, WorkerConnections } from '../native/addon.js';
import type { CommitReport, DataplaneCounters } from './worker/dataplane.js';

/** The Full-NAT tuples a stopped engine's servers may still hold, as it left them (opaque bytes). */
export interface SavedPortHolds {
  bytes: Uint8Array;
  savedAtMs: number;
}

export type ControlRequest =
  /** portHolds: what the previous run left (src/control/main/port-hold-file.ts). */
  | { op: 'start'; config: Config; portHolds?: SavedPortHolds }
  | { op: 'reload'; config: Config }
  /** perWorker false: servers without their per-worker rows (GET /metrics sums them; 20 000 servers clone in half the time). */
  | { op: 'status'; perWorker?: boolean }
  /** service: its name or "vip:port/proto"; server: "address:port"; weight 0..65535. */
  | { op: 'set_weight'; service: string; server: string; weight: number }
  /** set_weight with weight 0: quiescent, existing connections continue (IPVS). */
  | { op: 'drain'; service: string; server: string }
  /** The running configuration: the file with the runtime weights in place (xvs save). */
  | { op: 'config' }
  /** Up to `limit` connection-table entries per worker (xvs list -c). */
  | { op: 'connections'; limit: number }
  /** One page of every worker's table: starts[w] from the previous page's `next` (omitted: the first page). */
  | { op: 'connections_page'; starts?: number[] }
  /** Answered at once by the control thread: the service manager's watchdog asks it. */
  | { op: 'ping' }
  | { op: 'stop' };

export interface StartResult {
  generation: bigint;
  services: number;
  /** Servers committed without a next-hop MAC (their packets are dropped until resolved), with the reason. */
  unresolved: string[];
  /** start only: the backend's one-line description and its warnings. */
  backend?: string;
  warnings?: string[];
  /** reload only: runtime weight overrides the new file ended, one readable line each. */
  overridesDropped?: string[];
  /** start only: held Full-NAT tuples of the previous run still held now. */
  portHoldsKept?: number;
}

/** What the engine says about itself: after stop, and inside every status. */
export interface EngineReport {
  engine: EngineStatus;
  counters: DataplaneCounters;
}

/** The last report of a stopped engine, and the tuples its servers may still hold. */
export interface StopResult extends EngineReport {
  portHolds: SavedPortHolds;
}

/** ipvsadm --stats for one server (or a service: its servers summed), since it was configured. */
export type Traffic = EngineTraffic;

export interface ServerStatus {
  /** address:port, as ipvsadm writes it and as set_weight/drain name it. */
  server: string;
  address: string;
  port: number;
  /**
   * The weight the data plane uses now: the runtime override if there is one, else the file's;
   * 0 while health checks hold the server out (down) or the service runs on its sorry server.
   */
  weight: number;
  configuredWeight: number;
  /** The file's upper_threshold / lower_threshold (0: none), as ipvsadm --thresholds shows them. */
  upperThreshold: number;
  lowerThreshold: number;
  /** Set by `xvs weight` / `xvs drain` and still in force. */
  overridden: boolean;
  /** From the health checks; "unchecked": the service has none, the server counts as up. */
  health: 'up' | 'down' | 'unchecked';
  /** Probes since the server's check was (re)configured; absent when unchecked. */
  checks?: { checks: number; failures: number; transitions: number; errors: number };
  /** false: no next-hop MAC yet, packets for it are dropped until the kernel resolves it. */
  nextHopResolved: boolean;
  /** IPVS ActiveConn / InActConn, summed over the workers. */
  active: number;
  inactive: number;
  /** IPVS PersistConn: persistence templates bound to the server, summed over the workers. */
  persistent: number;
  traffic: Traffic;
  /** Per worker; absent when the status was asked for without them (perWorker: false). */
  workers?: { worker: number; active: number; inactive: number; traffic: Traffic }[];
}

export interface ServiceStatus {
  name: string;
  /** vip:port/proto */
  key: string;
  vip: string;
  port: number;
  protocol: Config['services'][number]['protocol'];
  scheduler: Config['services'][number]['scheduler'];
  forwarding: Config['services'][number]['forwarding'];
  persistence?: { timeout: number; netmask: number };
  /** UDP one-packet scheduling (ipvsadm's `ops` flag). */
  onePacket: boolean;
  /** With health checks: whether the service has quorum (false: its sorry server, if any, takes new connections). */
  quorumMet?: boolean;
  active: number;
  inactive: number;
  /** Its servers' traffic summed (a server that left takes its share with it, as in IPVS). */
  traffic: Traffic;
  servers: ServerStatus[];
}

/** This node's view of its cluster (config cluster:), with its BGP speaker's when cluster.bgp is set. */
export interface ClusterStatus {
  node: number;
  nodes: { id: number; address: string; self: boolean }[];
  /** Connection sync (more than one node). */
  sync?: SyncStatus;
  bgp?: {
    asn: number;
    sessions: BgpSession[];
    /** What BIRD is configured to announce now. */
    announced: Route[];
    /** Times BIRD exited on its own and was started again. */
    restarts: number;
  };
}

export interface StatusResult extends EngineReport {
  services: ServiceStatus[];
  cluster?: ClusterStatus;
}

export interface WeightResult {
  generation: bigint;
  /** Whether a new snapshot was committed (false: the server already had this weight). */
  changed: boolean;
  service: string;
  server: string;
  weight: number;
  previousWeight: number;
  configuredWeight: number;
}

/** Entries per worker in one page of GET /connections/stream: a safe point copies at most this many. */
export const CONNECTIONS_PAGE = 4096;

/** The most entries per worker one listing returns (GET /connections?limit=, xvs list -c --limit). */
export const CONNECTIONS_LIMIT_MAX = 100_000;
/**
 * The most entries one listing returns in all (limit x workers): they are built as objects on
 * the control thread and sent as one JSON document (~200 bytes each).
 */
export const CONNECTIONS_TOTAL_MAX = 200_000;

export interface ConnectionsResult {
  workers: WorkerConnections[];
}

export interface ControlResults {
  start: StartResult;
  reload: StartResult;
  status: StatusResult;
  set_weight: WeightResult;
  drain: WeightResult;
  connections: ConnectionsResult;
  connections_page: ConnectionsResult;
  config: Config;
  ping: { generation: number };
  stop: StopResult | undefined;
}

export interface ControlError {
  code: string;
  message: string;
}

/** Told by the control worker on its own initiative (no request id). */
export type ControlEvent =
  | { event: 'nexthops_changed'; generation: bigint; unresolved: string[] }
  | { event: 'nexthops_failed'; code: string; message: string }
  /** The kernel's notifications cannot be followed: next hops are re-resolved every second until they can. */
  | { event: 'route_monitor_failed'; code: string; message: string }
  /** A server went up or down, or a service lost or regained quorum (the main thread logs it). */
  | { event: 'health'; transition: HealthTransition; hasSorryServer: boolean }
  /** Health transitions were committed as this generation. */
  | { event: 'health_committed'; generation: bigint }
  | { event: 'health_commit_failed'; code: string; message: string }
  /** A BGP session with a router came up or went down (or changed its reason). */
  | { event: 'bgp_session'; peer: string; asn: number; established: boolean; info: string }
  /** What this node announces changed: "+prefix (kind)" / "-prefix (kind)". */
  | { event: 'bgp_routes'; changes: string[] }
  /** At start: which peers' tables arrived before this node announced itself. */
  | { event: 'sync_tables'; received: number[]; missing: number[]; records: number; ms: number }
  /** The BGP speaker failed (exited, or refused new routes). */
  | { event: 'bgp_failed'; message: string }
  /** A snapshot went to the workers (any cause): logged at debug. */
  | { event: 'committed'; report: CommitReport };

export type ControlEnvelope = { id: number; request: ControlRequest };
export type ControlReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ControlError };
