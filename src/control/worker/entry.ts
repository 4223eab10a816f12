// src/control/worker/entry.ts — the control worker thread's entry point (spawned by
// main/client.ts): one Controller, fed the main thread's requests (ControlEnvelope) and answering
// each by id with its result or a (code, message) error; what the controller does on its own
// (ControlEvent) is posted as it happens.
import { parentPort } from 'node:worker_threads';

import type { ControlEnvelope, ControlEvent, ControlReply } from '../protocol.js';
import { Controller, toControlError } from './controller.js';

if (!parentPort) throw new Error('src/control/worker/entry.js must run in a worker thread');
const port = parentPort;
const controller = new Controller((event: ControlEvent) => port.postMessage(event));
port.on('message', ({ id, request }: ControlEnvelope) => {
  controller.handle(request).then(
    (result: unknown) => port.postMessage({ id, ok: true, result } satisfies ControlReply),
    (err: unknown) => port.postMessage({ id, ok: false, error: toControlError(err) } satisfies ControlReply),
  );
});
