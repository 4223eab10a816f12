// src/control/control-worker.ts — the control worker thread: the only owner of the native
// engine (through Dataplane). It receives requests from the main thread, turns configs into
// snapshots and commits them, and answers with results or (code, message) errors. With a
// kernel-backed next-hop resolver (afxdp) it follows the kernel's route and neighbour
// notifications (nexthop/follow.ts: an rtnetlink monitor on this thread's event loop, a short
// debounce, a slow safety re-resolve), re-resolves what they concern and commits again when a
// next hop changed, telling the main thread (ControlEvent).
import { parentPort } from 'node:worker_threads';

import { openRouteMonitor } from '../native/addon.js';
import { Dataplane } from './dataplane.js';
import type { NextHopScope } from './next-hop-refresh.js';
import { NextHopFollower } from './nexthop/follow.js';
import type { ControlEnvelope, ControlError, ControlEvent, ControlReply, ControlRequest } from './protocol.js';

// How long the first commit waits for the kernel to resolve the servers' neighbours.
const FIRST_RESOLVE_WAIT_MS = 1000;

let dataplane: Dataplane | undefined;
let follower: NextHopFollower | undefined;

function refreshNextHops(scope: NextHopScope): void {
  if (!dataplane) return;
  try {
    const model = dataplane.refreshNextHops(scope);
    if (model)
      tell({ event: 'nexthops_changed', generation: model.generation, unresolved: dataplane.unresolvedNextHops() });
  } catch (err) {
    tell({ event: 'nexthops_failed', ...toControlError(err) });
  }
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

function statusOf(d: Dataplane) {
  return { engine: d.status(), counters: d.counters() };
}

function handle(request: ControlRequest): unknown {
  switch (request.op) {
    case 'start': {
      if (dataplane) throw Object.assign(new Error('the data plane is already running'), { code: 'XVS_ESTATE' });
      const d = Dataplane.create(request.config);
      let model;
      try {
        model = d.apply(request.config, { waitForNextHopsMs: FIRST_RESOLVE_WAIT_MS });
        d.start();
      } catch (err) {
        d.stop();
        throw err;
      }
      dataplane = d;
      const { backend, warnings } = d.describe();
      if (request.config.dataplane.backend === 'afxdp')
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
    case 'reload': {
      if (!dataplane) throw Object.assign(new Error('the data plane is not running'), { code: 'XVS_ESTATE' });
      const model = dataplane.apply(request.config);
      return { generation: model.generation, services: model.services.length, unresolved: dataplane.unresolvedNextHops() };
    }
    case 'status':
      if (!dataplane) throw Object.assign(new Error('the data plane is not running'), { code: 'XVS_ESTATE' });
      return statusOf(dataplane);
    case 'stop': {
      if (!dataplane) return undefined;
      follower?.close();
      follower = undefined;
      dataplane.stop();
      const last = statusOf(dataplane);
      dataplane = undefined;
      return last;
    }
  }
}

if (!parentPort) throw new Error('control-worker.js must run in a worker thread');
const port = parentPort;
port.on('message', ({ id, request }: ControlEnvelope) => {
  let reply: ControlReply;
  try {
    reply = { id, ok: true, result: handle(request) };
  } catch (err) {
    reply = { id, ok: false, error: toControlError(err) };
  }
  port.postMessage(reply);
});
