// src/control/worker/controller.ts — the control plane's single writer (DESIGN §3): one
// Controller owns one native engine (through Dataplane) and all the desired state around it —
// the configured file, the runtime weight overrides over it, the health checks and the commit
// queue — and answers the main thread's requests (ControlRequest) with results or (code, message)
// errors. What it does on its own (next hops followed, health transitions and their commits) it
// tells through `tell` (ControlEvent).
//
// What is committed is always health.apply(file + runtime weights). Every change to it (start,
// reload, weight, drain, a health transition, a next-hop change, stop) goes through one
// CommitQueue, and rebuilds run in time slices (REBUILD_SLICE_MS), so that probe results,
// peer-load publishing and status requests are served during a large one. With a kernel-backed
// next-hop resolver (afxdp) it follows the kernel's route and neighbour notifications
// (nexthop/follow.ts) and commits again when a next hop moved. In a cluster, what the node
// announces follows every commit, and connection sync starts before the first announcement and
// ends after the withdrawal (cluster-control.ts).
//
// Runs on the control worker thread (entry.ts makes one); tests make as many as they like on
// their own thread, each with its own engine.
import { LIMITS } from '../../config/defaults.js';
import { serverKey } from '../../config/keys.js';
import type { Config } from '../../config/types.js';
import type { HealthTransition } from '../../health/index.js';
import { LIMITS as ABI_LIMITS } from '../../native/abi.js';
import { openRouteMonitor } from '../../native/addon.js';
import { schedulerTableEntries } from '../../scheduler/index.js';
import { runInSlices } from '../../time-slices.js';
import type {
  ControlError,
  ControlEvent,
  ControlRequest,
  ControlResults,
  EngineReport,
  SavedPortHolds,
  StartResult,
  StatusResult,
  StopResult,
  WeightResult,
} from '../protocol.js';
import { CONNECTIONS_LIMIT_MAX, CONNECTIONS_PAGE, CONNECTIONS_TOTAL_MAX } from '../protocol.js';
import { ClusterControl } from './cluster-control.js';
import { startOnlyRefusal } from '../../config/start-only.js';
import { CommitQueue } from './commit-queue.js';
import { Dataplane } from './dataplane.js';
import { HealthControl } from './health-control.js';
import type { DataplaneModel } from './model.js';
import type { NextHopScope } from './next-hop-refresh.js';
import { NextHopFollower } from './nexthop/follow.js';
import { serviceStatuses } from './status-report.js';
import { findServer, findService, WeightOverrides } from './weight-overrides.js';

// How long the first commit waits for the kernel to resolve the servers' neighbours.
const FIRST_RESOLVE_WAIT_MS = 1000;
// The dynamic schedulers (lc, wlc, sed, nq, lblc, lblcr) see their own worker's loads at once and
// the other workers' as of the last aggregation: at most this old, plus the longest this thread's
// event loop is held meanwhile (a slice of a rebuild: 20-40 ms at 100 000 servers).
export const PEER_LOAD_INTERVAL_MS = 100;
/** How often xvs's own neighbour table (backend dpdk) runs its timers and reports changes. */
export const NEIGHBOUR_POLL_MS = 100;
// Transitions that arrive together (a switch failing takes several servers down) make one commit.
const HEALTH_COMMIT_DELAY_MS = 10;
// A health commit refused as busy is tried again after this long, doubling up to the maximum.
const HEALTH_RETRY_MS = 100;
const HEALTH_RETRY_MAX_MS = 5000;
// About how long a rebuild runs before the event loop gets a turn (single steps, the install of
// a commit and garbage collection can take longer: bench/README.md, control).
export const REBUILD_SLICE_MS = 8;

/** A running data plane and the file it runs. */
interface Running {
  dataplane: Dataplane;
  configured: Config;
}

export class Controller {
  private running: Running | undefined;
  // A start request on its way: read-only requests wait for it rather than find nothing running.
  private starting: Promise<unknown> | undefined;
  // The runtime weights over the configured file; the data plane runs their sum (and health).
  private overrides = new WeightOverrides();
  private follower: NextHopFollower | undefined;
  private peerLoadTimer: NodeJS.Timeout | undefined;
  private neighbourTimer: NodeJS.Timeout | undefined;
  private healthCommitTimer: NodeJS.Timeout | undefined;
  // A health commit waiting in the queue builds from the health view as it is when it runs, so
  // more transitions meanwhile need no second one.
  private healthCommitQueued = false;
  private healthRetryMs = HEALTH_RETRY_MS;
  private readonly health = new HealthControl((t) => this.onHealthTransition(t));
  private readonly commits = new CommitQueue();
  private cluster: ClusterControl | undefined;

  /** `tell` receives what the controller does on its own initiative (ControlEvent). */
  constructor(private readonly tell: (event: ControlEvent) => void) {}

  /**
   * Serves one request. Status, config and connections are answered from the last commit at
   * once (during a start: once it has ended); everything that commits waits its turn in the queue
   * (stop: until the health checks have wound down). Rejects with an Error carrying `code`.
   */
  handle<K extends ControlRequest['op']>(request: ControlRequest & { op: K }): Promise<ControlResults[K]>;
  handle(request: ControlRequest): Promise<unknown> {
    try {
      switch (request.op) {
        case 'start': {
          const starting = this.commits.run(() => this.start(request.config, request.portHolds));
          this.starting = starting;
          const ended = () => {
            if (this.starting === starting) this.starting = undefined;
          };
          starting.then(ended, ended);
          return starting;
        }
        case 'reload':
          return this.commits.run(() => this.reload(request.config));
        case 'set_weight':
          return this.commits.run(() => this.setWeight(request.service, request.server, request.weight));
        case 'drain':
          return this.commits.run(() => this.setWeight(request.service, request.server, 0));
        case 'stop':
          return this.commits.run(() => this.stop());
        case 'status':
          return this.afterStart(() => this.status(request.perWorker ?? true));
        case 'config':
          // What the operator configured, not what health allows right now: that is state, not config.
          return this.afterStart(() => this.overrides.effective(this.require().configured));
        case 'ping':
          return Promise.resolve({ generation: Number(this.running?.dataplane.committedModel()?.generation ?? 0n) });
        case 'connections': {
          const { limit } = request;
          return this.afterStart(() => this.connections(limit));
        }
        case 'connections_page': {
          const { starts } = request;
          return this.afterStart(() => this.connectionsPage(starts));
        }
        default:
          fail('XVS_EINVAL', `unknown request '${String((request as { op?: unknown }).op)}'`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** `read` now, or once a start on its way has ended (either way). */
  private afterStart<T>(read: () => T): Promise<T> {
    if (!this.starting) return new Promise((resolve) => resolve(read()));
    return this.starting.then(read, read);
  }

  private require(): Running {
    if (!this.running) fail('XVS_ESTATE', 'the data plane is not running');
    return this.running;
  }

  /** What the data plane should run for the file `config` with runtime weights `weights`: committed in slices. */
  private async commitDesired(d: Dataplane, config: Config, weights: WeightOverrides): Promise<DataplaneModel> {
    const effective = await runInSlices(this.health.applySteps(weights.effective(config)), REBUILD_SLICE_MS);
    return d.apply(effective, { sliceMs: REBUILD_SLICE_MS });
  }

  private async start(config: Config, portHolds: SavedPortHolds | undefined): Promise<StartResult> {
    if (this.running) fail('XVS_ESTATE', 'the data plane is already running');
    const d = Dataplane.create(config);
    d.onCommitted = (report) => this.tell({ event: 'committed', report });
    this.overrides = new WeightOverrides();
    let model: DataplaneModel;
    // What the previous run left is advice: bytes this build cannot read cost a warning, not the start.
    const holdWarnings: string[] = [];
    let portHoldsKept: number | undefined;
    if (portHolds) {
      try {
        portHoldsKept = d.restorePortHolds(portHolds);
      } catch (err) {
        holdWarnings.push(`the previous run's held Full-NAT local ports were not restored: ${(err as Error).message}`);
      }
    }
    try {
      this.health.update(config);
      const desired = this.health.apply(this.overrides.effective(config));
      model = await d.apply(desired, { sliceMs: REBUILD_SLICE_MS, waitForNextHopsMs: FIRST_RESOLVE_WAIT_MS });
      d.start();
      // Announced only once the data plane forwards.
      this.cluster = await ClusterControl.start(config, this.health.view(), this.tell, d.sync);
    } catch (err) {
      d.stop();
      void this.health.close();
      throw err;
    }
    this.running = { dataplane: d, configured: config };
    if (config.dataplane.workers > 1) {
      this.peerLoadTimer = setInterval(() => this.running?.dataplane.publishPeerLoads(), PEER_LOAD_INTERVAL_MS);
      this.peerLoadTimer.unref();
    }
    const { backend, warnings: backendWarnings } = d.describe();
    const warnings = [...backendWarnings, ...holdWarnings];
    if (config.dataplane.backend === 'dpdk') {
      // xvs's own neighbour table: its timers run here, and a neighbour that resolved, moved or
      // failed re-resolves the servers behind it (the kernel's routes are followed as for afxdp).
      this.neighbourTimer = setInterval(() => {
        const changed = this.running?.dataplane.neighbourChanges() ?? [];
        if (changed.length > 0) this.refreshNextHops({ kind: 'neighbours', addresses: new Set(changed) });
      }, NEIGHBOUR_POLL_MS);
      this.neighbourTimer.unref();
    }
    if (config.dataplane.backend === 'afxdp' || config.dataplane.backend === 'dpdk')
      this.follower = new NextHopFollower({
        open: openRouteMonitor,
        refresh: (scope) => this.refreshNextHops(scope),
        onMonitorError: (message) => this.tell({ event: 'route_monitor_failed', code: 'XVS_ESYSTEM', message }),
      });
    return {
      generation: model.generation,
      services: model.services.length,
      unresolved: d.unresolvedNextHops(),
      backend,
      warnings,
      ...(portHoldsKept !== undefined ? { portHoldsKept } : {}),
    };
  }

  private async reload(config: Config): Promise<StartResult> {
    const { dataplane: d, configured } = this.require();
    // Fields the engine and the cluster took at start: silently keeping their old values would be a lie.
    const refusal = startOnlyRefusal(configured, config);
    if (refusal) fail('XVS_EINVAL', refusal);
    const { kept, dropped } = this.overrides.reconciled(config);
    this.health.update(kept.effective(config));
    let model: DataplaneModel;
    try {
      model = await this.commitDesired(d, config, kept);
    } catch (err) {
      this.health.update(this.overrides.effective(configured));
      throw err;
    }
    this.running = { dataplane: d, configured: config };
    this.overrides = kept;
    this.cluster?.update(config, this.health.view());
    return { generation: model.generation, services: model.services.length, unresolved: d.unresolvedNextHops(), overridesDropped: dropped };
  }

  private async setWeight(serviceRef: string, serverRef: string, weight: number): Promise<WeightResult> {
    const { dataplane: d, configured: config } = this.require();
    // The API checked this already; the owner of the state does not rely on it.
    if (!Number.isInteger(weight) || weight < 0 || weight > LIMITS.weight_max)
      fail('XVS_EINVAL', `weight must be an integer from 0 to ${LIMITS.weight_max} (got ${weight})`);
    const service = findService(config, serviceRef);
    const server = findServer(service, serverRef);
    const key = serverKey(server);
    const previousWeight = this.overrides.get(service.name, key)?.weight ?? server.weight;
    const next = this.overrides.with(config, service.name, key, weight);
    // Refused before anything is built: the file's weights fit (xvs check), these might not.
    const tables = schedulerTableEntries(
      next.effective(config).services.map((s) => ({ name: s.name, scheduler: s.scheduler, weights: s.servers.map((srv) => srv.weight) })),
    );
    if (tables.total > ABI_LIMITS.sched_entries)
      fail(
        'XVS_EINVAL',
        `weight ${weight} would make the scheduler tables ${tables.total} entries, more than the ${ABI_LIMITS.sched_entries} one data plane holds (wrr's table is sum of weights / gcd): use weights with a larger common divisor`,
      );
    let generation = d.committedModel()?.generation ?? 0n;
    const changed = weight !== previousWeight;
    // Commit first, adopt after: a refused commit leaves both the data plane and the overrides as
    // they were. Quorum counts servers with weight > 0, so the monitor learns the new weight first.
    if (changed) {
      this.health.update(next.effective(config));
      try {
        generation = (await this.commitDesired(d, config, next)).generation;
      } catch (err) {
        this.health.update(this.overrides.effective(config));
        throw err;
      }
    }
    this.overrides = next;
    if (changed) this.cluster?.update(config, this.health.view());
    return { generation, changed, service: service.name, server: key, weight, previousWeight, configuredWeight: server.weight };
  }

  private async stop(): Promise<StopResult | undefined> {
    if (!this.running) return undefined;
    const d = this.running.dataplane;
    // Withdrawn first: the routers move new traffic away while this node still forwards.
    await this.cluster?.withdraw();
    this.follower?.close();
    this.follower = undefined;
    clearTimeout(this.healthCommitTimer);
    this.healthCommitTimer = undefined;
    clearInterval(this.peerLoadTimer);
    this.peerLoadTimer = undefined;
    clearInterval(this.neighbourTimer);
    this.neighbourTimer = undefined;
    const closing = this.health.close();
    // Sync sends what the workers still queued while they run; BIRD closes its sessions.
    await this.cluster?.close();
    this.cluster = undefined;
    d.stop();
    const last = { ...engineReport(d), portHolds: d.portHolds() };
    this.running = undefined;
    await closing;
    return last;
  }

  private status(perWorker: boolean): StatusResult {
    const { dataplane: d, configured } = this.require();
    const model = d.committedModel();
    const cluster = this.cluster?.status();
    return {
      ...engineReport(d),
      services: model ? serviceStatuses(configured, model, this.overrides, d.serverCounters(), this.health.view(), perWorker) : [],
      ...(cluster ? { cluster } : {}),
    };
  }

  private connections(limit: number) {
    const { dataplane: d } = this.require();
    if (!Number.isInteger(limit) || limit < 1 || limit > CONNECTIONS_LIMIT_MAX)
      fail('XVS_EINVAL', `limit must be an integer from 1 to ${CONNECTIONS_LIMIT_MAX} (got ${limit})`);
    const workers = d.workerCount;
    if (limit * workers > CONNECTIONS_TOTAL_MAX)
      fail('XVS_EINVAL', `limit ${limit} x ${workers} workers exceeds ${CONNECTIONS_TOTAL_MAX} entries in one listing: use at most ${Math.floor(CONNECTIONS_TOTAL_MAX / workers)}`);
    return { workers: d.connections(limit) };
  }

  private connectionsPage(starts: number[] | undefined) {
    const { dataplane: d } = this.require();
    const from = starts ?? Array.from({ length: d.workerCount }, () => 0);
    if (!Array.isArray(from) || from.length !== d.workerCount || !from.every((n) => Number.isInteger(n) && n >= -1))
      fail('XVS_EINVAL', `starts must be ${d.workerCount} slot numbers (or -1), one per worker`);
    const workers = d.connectionsPage(from, CONNECTIONS_PAGE);
    // A persistence template names its server by id only: ipvsadm -Lc shows the server's address.
    const templates = workers.some((w) => w.entries.some((e) => e.template));
    if (templates) {
      const servers = new Map((d.committedModel()?.services ?? []).flatMap((s) => s.backends.map((b) => [b.backendId, serverKey(b)] as const)));
      for (const w of workers) for (const e of w.entries) if (e.template && e.server === undefined) e.server = servers.get(e.backendId);
    }
    return { workers };
  }

  private onHealthTransition(transition: HealthTransition): void {
    this.tell({ event: 'health', transition, hasSorryServer: this.health.hasSorryServer(transition.service) });
    this.scheduleHealthCommit(HEALTH_COMMIT_DELAY_MS);
  }

  private scheduleHealthCommit(delayMs: number): void {
    this.healthCommitTimer ??= setTimeout(() => {
      this.healthCommitTimer = undefined;
      if (this.healthCommitQueued) return;
      this.healthCommitQueued = true;
      void this.commits.run(async () => {
        this.healthCommitQueued = false;
        if (!this.running) return;
        try {
          const model = await this.commitDesired(this.running.dataplane, this.running.configured, this.overrides);
          this.healthRetryMs = HEALTH_RETRY_MS;
          this.cluster?.update(this.running.configured, this.health.view());
          this.tell({ event: 'health_committed', generation: model.generation });
        } catch (err) {
          const error = toControlError(err);
          this.tell({ event: 'health_commit_failed', ...error });
          // Busy (workers still hold older snapshots, or their rings are full) passes: the health
          // the data plane runs must not stay behind the checks' for want of a retry.
          if (error.code === 'XVS_EBUSY') {
            this.scheduleHealthCommit(this.healthRetryMs);
            this.healthRetryMs = Math.min(2 * this.healthRetryMs, HEALTH_RETRY_MAX_MS);
          }
        }
      });
    }, delayMs);
  }

  private refreshNextHops(scope: NextHopScope): void {
    void this.commits.run(async () => {
      if (!this.running) return;
      const d = this.running.dataplane;
      try {
        const model = await d.refreshNextHops(scope, REBUILD_SLICE_MS);
        if (model) this.tell({ event: 'nexthops_changed', generation: model.generation, unresolved: d.unresolvedNextHops() });
      } catch (err) {
        this.tell({ event: 'nexthops_failed', ...toControlError(err) });
      }
    });
  }
}

function engineReport(d: Dataplane): EngineReport {
  return { engine: d.status(), counters: d.counters() };
}

/** An error as it crosses to the main thread: (code, message). */
export function toControlError(err: unknown): ControlError {
  const e = err as { code?: unknown; message?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : 'XVS_INTERNAL',
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
}

function fail(code: string, message: string): never {
  throw Object.assign(new Error(message), { code });
}
