// src/api/routes/status.ts — GET /status (the status document as JSON) and GET /metrics (the
// same data in the Prometheus text format, gzip-compressed when asked). Both ask the control
// worker for a fresh status.
// Main thread.
import { sendCompressible, sendJson } from '../http-io.js';
import type { Route } from '../route.js';
import { statusDocument } from '../status-document.js';

export const statusRoutes: Route[] = [
  {
    method: 'GET',
    path: '/status',
    async handle(_req, res, ctx) {
      sendJson(res, 200, statusDocument(await ctx.control.status()));
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    async handle(req, res, ctx) {
      const text = await ctx.metrics.render(statusDocument(await ctx.control.status(false)));
      await sendCompressible(req, res, 200, ctx.metrics.contentType, text);
    },
  },
];
