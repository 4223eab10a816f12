// src/api/route.ts — what a route of the control API is: a method, an exact path, and a
// handler that relays to the control worker (through ApiContext) and answers. Route groups
// live in routes/*.ts; server.ts dispatches. Main thread.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ControlClient } from '../control/main/client.js';
import type { ReloadOutcome } from '../control/main/reload-file.js';
import type { Logger } from '../log.js';
import type { MetricsExporter } from '../stats/metrics.js';
import type { Requester } from './requester.js';

export interface ApiContext {
  control: ControlClient;
  /** The reload path of `xvs run` (the same as SIGHUP), queued behind any reload under way. */
  reload: (by: Requester) => Promise<ReloadOutcome>;
  metrics: MetricsExporter;
  /** For the log lines of the runtime changes the API makes (who, what, why). */
  log: Logger;
  /** Whether requests must carry the bearer token (then a request that got here proved it). */
  tokenRequired: () => boolean;
}

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, ctx: ApiContext): Promise<void>;
}
