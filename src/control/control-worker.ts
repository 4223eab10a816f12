// src/control/control-worker.ts — the control worker thread: the only owner of the native
// engine (through Dataplane). It receives requests from the main thread, turns configs into
// snapshots and commits them, and answers with results or (code, message) errors. With a
// kernel-backed next-hop resolver (afxdp) it follows the kernel's route and neighbour
// notifications (nexthop/follow.ts: an rtnetlink monitor on this thread's event loop, a short
// debounce, a slow safety re-resolve), re-resolves what they concern and commits again when a
// next hop changed, telling the main thread (ControlEvent). Runtime weight changes (set_weight,
// drain) go into WeightOverrides over the configured file and are committed as a new snapshot;
// status reports services and servers from the configured file, the committed model and the
// engine's per-worker connection counts. Health checks (health-control.ts) run beside: what is
// committed is always health.apply(file + runtime weights), and every health transition commits
// again (coalesced over HEALTH_COMMIT_DELAY_MS) and is told to the main thread, which logs it.
// Every change to what is committed goes through one CommitQueue, and rebuilds run in time
// slices (REBUILD_SLICE_MS) so that a large one does not hold this thread's event loop: probe
// results, peer-load publishing and status requests are served between slices.
import { parentPort } from 'node:worker_threads';

import { LIMITS } from '../config/defaults.js';
import type { Config } from '../config/types.js';
import type { HealthTransition } from '../health/index.js';
import { openRouteMonitor } from '../native/addon.js';
import { runInSlices } from '../time-slices.js';
import { Dataplane } from './dataplane.js';
import type { NextHopScope } from './next-hop-refresh.js';
import { NextHopFollower } from './nexthop/follow.js';
import type {
  ControlEnvelope,
  ControlError,
  ControlEvent,
  ControlReply,
  ControlRequest,
  StatusResult,
  WeightResult,
} from './protocol.js';
import { CONNECTIONS_LIMIT_MAX, CONNECTIONS_TOTAL_MAX } from './protocol.js';
import { CommitQueue } from './commit-queue.js';
import { HealthControl } from './health-control.js';
import { serviceStatuses } from './status-report.js';
import { findServer, findService, serverKey, WeightOverrides } from './weight-overrides.js';

// How long the first commit waits for the kernel to resolve the servers' neighbours.
const FIRST_RESOLVE_WAIT_MS = 1000;

let dataplane: Dataplane | undefined;
let follower: NextHopFollower | undefined;
// The file as last applied, and the runtime weights over it; the data plane runs their sum.
let configured: Config | undefined;
let overrides = new WeightOverrides();
// The dynamic schedulers (lc, wlc, sed, nq, lblc, lblcr) see their own worker's loads at once and
// the other workers' as of the last aggregation: at most this old, plus the longest this thread's
// event loop is held meanwhile (a slice of a rebuild: 20-40 ms at 100 000 servers).
const PEER_LOAD_INTERVAL_MS = 100;
let peerLoadTimer: NodeJS.Timeout | undefined;
// Transitions that arrive together (a switch failing takes several servers down) make one commit.
const HEALTH_COMMIT_DELAY_MS = 10;
let healthCommitTimer: NodeJS.Timeout | undefined;
// A health commit waiting in the queue builds from the health view as it is when it runs, so
// more transitions meanwhile need no second one.
let healthCommitQueued = false;
const health = new HealthControl(onHealthTransition);
// About how long a rebuild runs before the event loop gets a turn (single steps, the install of
// a commit and garbage collection can take longer: bench/README.md, control).
const REBUILD_SLICE_MS = 8;
const commits = new CommitQueue();

/** What the data plane should run for the file `config` with runtime weights `weights`. */
function desired(config: Config, weights: WeightOverrides): Config {
  return health.apply(weights.effective(config));
}

/** Commits desired(config, weights) while the data plane runs: computed, built and encoded in time slices. */
async function commitDesired(d: Dataplane, config: Config, weights: WeightOverrides) {
  const effective = await runInSlices(health.applySteps(weights.effective(config)), REBUILD_SLICE_MS);
  return d.applyInSlices(effective, REBUILD_SLICE_MS);
}

function onHealthTransition(transition: HealthTransition): void {
  const service = configured?.services.find((s) => s.name === transition.service);
  tell({ event: 'health', transition, hasSorryServer: service?.sorry_server !== undefined });
  healthCommitTimer ??= setTimeout(() => {
    healthCommitTimer = undefined;
    if (healthCommitQueued) return;
    healthCommitQueued = true;
    void commits.run(async () => {
      healthCommitQueued = false;
      if (!dataplane || !configured) return;
      try {
        const model = await commitDesired(dataplane, configured, overrides);
        tell({ event: 'health_committed', generation: model.generation });
      } catch (err) {
        tell({ event: 'health_commit_failed', ...toControlError(err) });
      }
    });
  }, HEALTH_COMMIT_DELAY_MS);
}

function refreshNextHops(scope: NextHopScope): void {
  void commits.run(() => {
    if (!dataplane) return;
    try {
      const model = dataplane.refreshNextHops(scope);
      if (model)
        tell({ event: 'nexthops_changed', generation: model.generation, unresolved: dataplane.unresolvedNextHops() });
    } catch (err) {
      tell({ event: 'nexthops_failed', ...toControlError(err) });
    }
  });
}

function tell(event: ControlEvent): void {
  parentPort?.postMessage(event);
}

function toControlError(err: unknown): ControlError {
  const e = err as { code?: unknown; message?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : 'XVS_INTERNAL',
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
}

function fail(code: string, message: string): never {
  throw Object.assign(new Error(message), { code });
}

function running(): { d: Dataplane; config: Config } {
  if (!dataplane || !configured) fail('XVS_ESTATE', 'the data plane is not running');
  return { d: dataplane, config: configured };
}

function engineReport(d: Dataplane) {
  return { engine: d.status(), counters: d.counters() };
}

function statusOf(d: Dataplane, config: Config): StatusResult {
  const model = d.committedModel();
  return {
    ...engineReport(d),
    services: model ? serviceStatuses(config, model, overrides, d.backendLoads(), health.view()) : [],
  };
}

async function setWeight(serviceRef: string, serverRef: string, weight: number): Promise<WeightResult> {
  const { d, config } = running();
  // The API checked this already; the owner of the state does not rely on it.
  if (!Number.isInteger(weight) || weight < 0 || weight > LIMITS.weight_max)
    fail('XVS_EINVAL', `weight must be an integer from 0 to ${LIMITS.weight_max} (got ${weight})`);
  const service = findService(config, serviceRef);
  const server = findServer(service, serverRef);
  const previousWeight = overrides.get(service.name, serverKey(server))?.weight ?? server.weight;
  const next = overrides.with(config, service.name, serverKey(server), weight);
  let generation = d.committedModel()?.generation ?? 0n;
  const changed = weight !== previousWeight;
  // Commit first, adopt after: a refused commit leaves both the data plane and the overrides as they
  // were. Quorum counts servers with weight > 0, so the monitor learns the new weight first.
  if (changed) {
    health.update(next.effective(config));
    try {
      generation = (await commitDesired(d, config, next)).generation;
    } catch (err) {
      health.update(overrides.effective(config));
      throw err;
    }
  }
  overrides = next;
  return { generation, changed, service: service.name, server: serverKey(server), weight, previousWeight, configuredWeight: server.weight };
}

function start(config: Config) {
  if (dataplane) fail('XVS_ESTATE', 'the data plane is already running');
  const d = Dataplane.create(config);
  overrides = new WeightOverrides();
  let model;
  try {
    health.update(config);
    model = d.apply(desired(config, overrides), { waitForNextHopsMs: FIRST_RESOLVE_WAIT_MS });
    d.start();
  } catch (err) {
    d.stop();
    void health.close();
    throw err;
  }
  dataplane = d;
  configured = config;
  if (config.dataplane.workers > 1) {
    peerLoadTimer = setInterval(() => dataplane?.publishPeerLoads(), PEER_LOAD_INTERVAL_MS);
    peerLoadTimer.unref();
  }
  const { backend, warnings } = d.describe();
  if (config.dataplane.backend === 'afxdp')
    follower = new NextHopFollower({
      open: openRouteMonitor,
      refresh: refreshNextHops,
      onMonitorError: (message) => tell({ event: 'route_monitor_failed', code: 'XVS_ESYSTEM', message }),
    });
  return {
    generation: model.generation,
    services: model.services.length,
    unresolved: d.unresolvedNextHops(),
    backend,
    warnings,
  };
}

async function reload(config: Config) {
  const { d } = running();
  const { kept, dropped } = overrides.reconciled(config);
  health.update(kept.effective(config));
  let model;
  try {
    model = await commitDesired(d, config, kept);
  } catch (err) {
    if (configured) health.update(overrides.effective(configured));
    throw err;
  }
  configured = config;
  overrides = kept;
  return {
    generation: model.generation,
    services: model.services.length,
    unresolved: d.unresolvedNextHops(),
    overridesDropped: dropped,
  };
}

async function stop() {
  if (!dataplane) return undefined;
  follower?.close();
  follower = undefined;
  clearTimeout(healthCommitTimer);
  healthCommitTimer = undefined;
  clearInterval(peerLoadTimer);
  peerLoadTimer = undefined;
  const closing = health.close();
  dataplane.stop();
  const last = engineReport(dataplane);
  dataplane = undefined;
  configured = undefined;
  await closing;
  return last;
}

function handle(request: ControlRequest): unknown {
  switch (request.op) {
    case 'start':
      return commits.run(() => start(request.config));
    case 'reload':
      return commits.run(() => reload(request.config));
    case 'status': {
      const { d, config } = running();
      return statusOf(d, config);
    }
    case 'config': {
      // What the operator configured, not what health allows right now: that is state, not config.
      const { config } = running();
      return overrides.effective(config);
    }
    case 'connections': {
      const { d } = running();
      if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > CONNECTIONS_LIMIT_MAX)
        fail('XVS_EINVAL', `limit must be an integer from 1 to ${CONNECTIONS_LIMIT_MAX} (got ${request.limit})`);
      const workers = d.workerCount;
      if (request.limit * workers > CONNECTIONS_TOTAL_MAX)
        fail('XVS_EINVAL', `limit ${request.limit} x ${workers} workers exceeds ${CONNECTIONS_TOTAL_MAX} entries in one listing: use at most ${Math.floor(CONNECTIONS_TOTAL_MAX / workers)}`);
      return { workers: d.connections(request.limit) };
    }
    case 'set_weight':
      return commits.run(() => setWeight(request.service, request.server, request.weight));
    case 'drain':
      return commits.run(() => setWeight(request.service, request.server, 0));
    case 'stop':
      return commits.run(stop);
  }
}

if (!parentPort) throw new Error('control-worker.js must run in a worker thread');
const port = parentPort;
port.on('message', ({ id, request }: ControlEnvelope) => {
  // Status is answered at once; everything that commits waits its turn in `commits` and answers
  // when it is done (stop: once the health checks have wound down).
  let result: unknown;
  try {
    result = handle(request);
  } catch (err) {
    port.postMessage({ id, ok: false, error: toControlError(err) } satisfies ControlReply);
    return;
  }
  Promise.resolve(result).then(
    (value) => port.postMessage({ id, ok: true, result: value } satisfies ControlReply),
    (err: unknown) => port.postMessage({ id, ok: false, error: toControlError(err) } satisfies ControlReply),
  );
});
