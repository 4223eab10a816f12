// src/api/routes/config.ts — GET /config: the running configuration as JSON, the file's with
// every runtime weight (`xvs weight`, `xvs drain`) in place and every default filled in; `xvs
// save` writes it back as a config file. Health is not in it: it is state, not configuration.
// Main thread.
import { configDocument } from '../../config/save.js';
import { sendJson } from '../http-io.js';
import type { Route } from '../route.js';

export const configRoutes: Route[] = [
  {
    method: 'GET',
    path: '/config',
    async handle(_req, res, ctx) {
      const config = await ctx.control.config();
      sendJson(res, 200, { source: config.source, config: configDocument(config) });
    },
  },
];
