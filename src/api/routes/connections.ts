// src/api/routes/connections.ts — GET /connections[?limit=N]: up to N entries (default 1000) of
// every worker's connection table, as the workers see them at their next safe point, with each
// worker's total (`xvs list -c` prints it the way ipvsadm -Lc does). The query is checked here;
// nothing reaches the control worker from a malformed one. Main thread.
import { CONNECTIONS_LIMIT_MAX } from '../../control/protocol.js';
import { ApiError, sendJson } from '../http-io.js';
import type { Route } from '../route.js';

export const CONNECTIONS_LIMIT_DEFAULT = 1000;

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
];
