// src/health/checkers/http.ts — the http check: GET path on address:port (a fresh connection, no
// keep-alive), up when the status is expect_status and, if expect_body is set, the body contains
// it. The Host header is `host` when configured, else address:port. At most MAX_BODY_BYTES of
// the body are read. Consumes a ProbeTarget, the check config and the timeout's AbortSignal;
// produces a ProbeResult. Health worker thread.
import http from 'node:http';

import { DEFAULTS } from '../../config/defaults.js';
import { hostPort } from '../../config/address.js';
import { describeError, excerpt, stopwatch, timeoutReason } from './common.js';
import type { HealthChecker } from './types.js';

/** A health page is small; a bigger body is judged on its beginning rather than read whole. */
export const MAX_BODY_BYTES = 64 * 1024;

export const httpChecker: HealthChecker = {
  type: 'http',
  probe: (target, check, signal) =>
    new Promise((resolve) => {
      const finish = stopwatch();
      const path = check.path ?? DEFAULTS.health_check.http_path;
      const expectStatus = check.expect_status ?? DEFAULTS.health_check.http_expect_status;
      let settled = false;
      const settle = (ok: boolean, reason: string): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        request.destroy();
        resolve(finish(ok, reason));
      };
      const onAbort = (): void => settle(false, timeoutReason(check.timeout, 'no complete answer'));

      const request = http.request({
        host: target.address,
        port: target.port,
        method: 'GET',
        path,
        agent: false, // a new connection per probe: a pooled one would hide a server that stopped accepting
        headers: { Host: check.host ?? hostPort(target.address, target.port), Connection: 'close', 'User-Agent': 'xvs-health' },
      });
      request.on('error', (err) => settle(false, describeError(err)));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      request.once('response', (response) => {
        const status = response.statusCode ?? 0;
        if (status !== expectStatus) return settle(false, `HTTP ${status} (expected ${expectStatus})`);
        const wanted = check.expect_body;
        if (wanted === undefined) return settle(true, `HTTP ${status}`);
        const chunks: Buffer[] = [];
        let size = 0;
        const judge = (): void => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (body.includes(wanted)) settle(true, `HTTP ${status}, body matches`);
          else settle(false, `HTTP ${status}, body lacks ${JSON.stringify(excerpt(wanted, 60))}`);
        };
        response.on('data', (chunk: Buffer) => {
          if (size >= MAX_BODY_BYTES) return;
          chunks.push(chunk.subarray(0, MAX_BODY_BYTES - size));
          size += chunk.length;
          if (size >= MAX_BODY_BYTES) judge();
        });
        response.once('end', judge);
        response.on('error', (err) => settle(false, describeError(err)));
      });
      request.end();
    }),
};
