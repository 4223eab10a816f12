// src/api/routes/connections.ts — GET /connections[?limit=N]: up to N entries (default 1000) of
// every worker's connection table, as the workers see them at their next safe point, with each
// worker's total, as one document. GET /connections/stream: every entry, one JSON object per
// line (application/x-ndjson), page after page of the workers' tables so that neither the
// workers nor this thread ever hold more than a page; `xvs list -c` prints it as ipvsadm -Lc.
// The query is checked here; nothing reaches the control worker from a malformed one. Main thread.
import type { ServerResponse } from 'node:http';

import { ControlRequestError } from '../../control/main/client.js';
import { CONNECTIONS_LIMIT_MAX } from '../../control/protocol.js';
import { ApiError, sendJson } from '../http-io.js';
import type { Route } from '../route.js';

export const CONNECTIONS_LIMIT_DEFAULT = 1000;

/** A page the workers were too busy for is asked again this often before the stream is cut. */
const PAGE_TRIES = 5;
const PAGE_RETRY_MS = 20;

/** Writes and waits for the socket to take it; false when the reader has gone (nothing more to send). */
function writeLines(res: ServerResponse, text: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  if (res.write(text)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (more: boolean) => () => {
      res.off('drain', drained);
      res.off('close', closed);
      resolve(more);
    };
    const drained = done(true);
    const closed = done(false);
    res.on('drain', drained);
    res.on('close', closed);
  });
}

function limitOf(url: string | undefined): number {
  const query = new URL(url ?? '/', 'http://api').searchParams;
  const unknown = [...query.keys()].filter((k) => k !== 'limit');
  if (unknown.length > 0) throw new ApiError(400, 'XVS_EINVAL', `unknown query parameter ${unknown[0]}: /connections takes limit`);
  const text = query.get('limit');
  if (text === null) return CONNECTIONS_LIMIT_DEFAULT;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > CONNECTIONS_LIMIT_MAX)
    throw new ApiError(400, 'XVS_EINVAL', `limit must be an integer from 1 to ${CONNECTIONS_LIMIT_MAX} entries per worker (got ${JSON.stringify(text)})`);
  return limit;
}

export const connectionRoutes: Route[] = [
  {
    method: 'GET',
    path: '/connections',
    async handle(req, res, ctx) {
      const limit = limitOf(req.url);
      const { workers } = await ctx.control.connections(limit);
      const total = workers.reduce((n, w) => n + w.total, 0);
      const shown = workers.reduce((n, w) => n + w.entries.length, 0);
      sendJson(res, 200, { limit, total, shown, workers });
    },
  },
  {
    method: 'GET',
    path: '/connections/stream',
    async handle(req, res, ctx) {
      if (new URL(req.url ?? '/', 'http://api').search !== '') throw new ApiError(400, 'XVS_EINVAL', '/connections/stream takes no query');
      let starts: number[] | undefined;
      for (;;) {
        let page;
        for (let tries = 1; ; ++tries) {
          try {
            page = await ctx.control.connectionsPage(starts);
            break;
          } catch (err) {
            const busy = err instanceof ControlRequestError && err.code === 'XVS_EBUSY';
            if (!busy || tries === PAGE_TRIES) throw err;
            await new Promise((resolve) => setTimeout(resolve, PAGE_RETRY_MS));
          }
        }
        if (res.destroyed) return; // the reader went away while the workers listed
        if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
        const lines = page.workers.flatMap((w) => w.entries.map((e) => `${JSON.stringify({ worker: w.worker, ...e })}\n`)).join('');
        if (lines && !(await writeLines(res, lines))) return;
        starts = page.workers.map((w) => w.next ?? -1);
        if (starts.every((n) => n === -1)) break;
      }
      res.end();
    },
  },
];
