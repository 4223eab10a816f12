// src/health/checkers/udp.ts — the udp check: send `payload` (empty when unset) to address:port
// from a connected socket and wait for one reply; up when it arrives and, if expect_payload is
// set, contains it. Because the socket is connected, an ICMP port unreachable surfaces as
// ECONNREFUSED and fails the probe at once with that reason. Consumes a ProbeTarget, the check
// config and the timeout's AbortSignal; produces a ProbeResult. Health worker thread.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';

import { describeError, excerpt, stopwatch, timeoutReason } from './common.js';
import type { HealthChecker } from './types.js';

export const udpChecker: HealthChecker = {
  type: 'udp',
  probe: (target, check, signal) =>
    new Promise((resolve) => {
      const finish = stopwatch();
      const socket = dgram.createSocket(isIPv6(target.address) ? 'udp6' : 'udp4');
      let settled = false;
      const settle = (ok: boolean, reason: string): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        socket.close();
        resolve(finish(ok, reason));
      };
      const onAbort = (): void => settle(false, timeoutReason(check.timeout, 'no reply'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      socket.on('error', (err: NodeJS.ErrnoException) =>
        settle(false, err.code === 'ECONNREFUSED' ? 'ICMP port unreachable (ECONNREFUSED)' : describeError(err)),
      );
      socket.on('message', (message) => {
        const wanted = check.expect_payload;
        if (wanted === undefined || message.toString('utf8').includes(wanted)) {
          settle(true, `reply of ${message.length} bytes`);
        } else {
          settle(false, `reply of ${message.length} bytes lacks ${JSON.stringify(excerpt(wanted, 60))}`);
        }
      });
      socket.connect(target.port, target.address, () => {
        if (settled) return;
        socket.send(Buffer.from(check.payload ?? '', 'utf8'), (err) => {
          if (err) settle(false, describeError(err));
        });
      });
    }),
};
