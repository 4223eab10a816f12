// src/control/main/client.ts — the main thread's handle on the control worker thread:
// spawns it, sends typed requests, resolves replies by id. Runs on the main thread.
import { Worker } from 'node:worker_threads';

import type { Config } from '../../config/types.js';
import type { ControlEnvelope, ControlEvent, ControlReply, ControlRequest, ControlResults, SavedPortHolds } from '../protocol.js';

export class ControlRequestError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ControlRequestError';
  }
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly worker: Worker;
  /** Receives what the control worker tells on its own (next hops re-committed, ...). */
  onEvent: (event: ControlEvent) => void = () => {};

  constructor() {
    this.worker = new Worker(new URL('../worker/entry.js', import.meta.url));
    this.worker.on('message', (reply: ControlReply | ControlEvent) => {
      if ('event' in reply) {
        this.onEvent(reply);
        return;
      }
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new ControlRequestError(reply.error.code, reply.error.message));
    });
    const failAll = (err: Error) => {
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', failAll);
    this.worker.on('exit', (code) => failAll(new ControlRequestError('XVS_INTERNAL', `control worker exited (${code})`)));
  }

  private request<K extends keyof ControlResults>(request: ControlRequest & { op: K }): Promise<ControlResults[K]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, request } satisfies ControlEnvelope);
    });
  }

  start(config: Config, portHolds?: SavedPortHolds) {
    return this.request({ op: 'start', config, ...(portHolds ? { portHolds } : {}) });
  }
  reload(config: Config) {
    return this.request({ op: 'reload', config });
  }
  status(perWorker = true) {
    return this.request({ op: 'status', perWorker });
  }
  setWeight(service: string, server: string, weight: number) {
    return this.request({ op: 'set_weight', service, server, weight });
  }
  drain(service: string, server: string) {
    return this.request({ op: 'drain', service, server });
  }
  config() {
    return this.request({ op: 'config' });
  }
  connectionsPage(starts?: number[]) {
    return this.request({ op: 'connections_page', ...(starts ? { starts } : {}) });
  }

  connections(limit: number) {
    return this.request({ op: 'connections', limit });
  }
  ping() {
    return this.request({ op: 'ping' });
  }
  stop() {
    return this.request({ op: 'stop' });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
