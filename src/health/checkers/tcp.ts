// src/health/checkers/tcp.ts — the tcp check: up when a TCP connection to address:port completes
// before the timeout. The connection is closed at once; nothing is sent. Consumes a ProbeTarget,
// the check config and the timeout's AbortSignal; produces a ProbeResult. Health worker thread.
import net from 'node:net';

import { describeError, stopwatch, timeoutReason } from './common.js';
import type { HealthChecker } from './types.js';

export const tcpChecker: HealthChecker = {
  type: 'tcp',
  probe: (target, check, signal) =>
    new Promise((resolve) => {
      const finish = stopwatch();
      const socket = new net.Socket();
      const settle = (ok: boolean, reason: string): void => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(finish(ok, reason));
      };
      const onAbort = (): void => settle(false, timeoutReason(check.timeout, 'no connection'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => settle(true, 'connected'));
      socket.on('error', (err) => settle(false, describeError(err)));
      socket.connect({ host: target.address, port: target.port });
    }),
};
