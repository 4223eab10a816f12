// src/control/control-worker.ts — the control worker thread: the only owner of the native
// engine (through Dataplane). It receives requests from the main thread, turns configs into
// snapshots and commits them, and answers with results or (code, message) errors.
import { parentPort } from 'node:worker_threads';

import { Dataplane } from './dataplane.js';
import type { ControlEnvelope, ControlError, ControlReply, ControlRequest } from './protocol.js';

let dataplane: Dataplane | undefined;

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
      const model = d.apply(request.config);
      d.start();
      dataplane = d;
      return { generation: model.generation, services: model.services.length };
    }
    case 'reload': {
      if (!dataplane) throw Object.assign(new Error('the data plane is not running'), { code: 'XVS_ESTATE' });
      const model = dataplane.apply(request.config);
      return { generation: model.generation, services: model.services.length };
    }
    case 'status':
      if (!dataplane) throw Object.assign(new Error('the data plane is not running'), { code: 'XVS_ESTATE' });
      return statusOf(dataplane);
    case 'stop': {
      if (!dataplane) return undefined;
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
