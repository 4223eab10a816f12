// src/api/server.ts — the HTTP control API of `xvs run` on `api.listen` (127.0.0.1:9475 by
// default): the routes of ROUTES — GET /status, /metrics, /config, /connections; POST /weight,
// /drain, /reload (README "Status API").
// node:http on the main thread, which relays every request to the control worker (DESIGN §3):
// it checks the request's shape at the edge and holds no policy. Errors are
// {error: {code, message}} with 400/403/404/405/409/413/415 (500 for the server's own failures);
// a malformed call never reaches the control worker, so it never changes state. A request with a
// foreign Host (DNS rebinding) or a POST not labelled application/json (a cross-site form) is
// refused before anything else; with api.token_file, so is a request without its bearer token
// (401). At most MAX_API_CONNECTIONS connections are served at once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { splitListen } from '../config/address.js';
import { ControlRequestError } from '../control/main/client.js';
import type { Logger } from '../log.js';
import { ApiError, requireJsonType, sendError, statusForCode } from './http-io.js';
import type { ApiContext, Route } from './route.js';
import { BearerCheck } from './token.js';
import { configRoutes } from './routes/config.js';
import { connectionRoutes } from './routes/connections.js';
import { reloadRoutes } from './routes/reload.js';
import { statusRoutes } from './routes/status.js';
import { weightRoutes } from './routes/weight.js';

const ROUTES: Route[] = [...statusRoutes, ...connectionRoutes, ...configRoutes, ...weightRoutes, ...reloadRoutes];

export interface ApiServer {
  /** host:port actually bound (the real port even when the config asked for port 0). */
  address: string;
  /** A reload's new api.hosts / api.token_file, for the requests that come after. */
  setAccess(options: ApiGuardOptions): void;
  /**
   * Stops taking connections now (a reload moved the API); requests already in progress, such as
   * the POST /reload that moved it, get `graceMs` to finish.
   */
  retire(graceMs: number): void;
  /** Stops taking connections, nothing else: requests in progress go on (retire() later ends them). */
  stopListening(): void;
  /** Started held: requests wait (the reload that binds it has not committed); serve them now. */
  open(): void;
  close(): Promise<void>;
}

/** How startApiServer starts the server: `held` makes requests wait until open(). */
export interface ApiStartOptions extends ApiGuardOptions {
  held?: boolean;
}

/** Connections the API serves at once: a few operators and a scraper, not a crowd. */
export const MAX_API_CONNECTIONS = 64;

/** The host part of a Host header ("[::1]:9475" -> "::1"), lower case. */
function hostOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/**
 * DNS rebinding: a web page on a name the attacker controls, resolved to this address, reaches
 * the API with that name as Host. Only the addresses it is reached on (and localhost, on a
 * loopback socket) are accepted. A request without Host (HTTP/1.0 tools) carries no name to check.
 */
function checkHost(req: http.IncomingMessage, names: ReadonlySet<string>): void {
  const header = req.headers.host;
  if (header === undefined) return;
  const host = hostOf(header);
  const local = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  const loopback = local.startsWith('127.') || local === '::1';
  if (host === local || (loopback && host === 'localhost') || names.has(host)) return;
  throw new ApiError(403, 'XVS_EHOST', `Host "${header}" is not an address of this API (${local}${loopback ? ' or localhost' : ''}) nor a name in api.hosts: refused, as a page on another name could be using your browser`);
}

interface Guard {
  names: ReadonlySet<string>;
  bearer?: BearerCheck;
}

async function dispatch(req: http.IncomingMessage, res: http.ServerResponse, ctx: ApiContext, guard: Guard, log: Logger): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://api').pathname;
  const forPath = ROUTES.filter((r) => r.path === path);
  try {
    checkHost(req, guard.names);
    guard.bearer?.require(req);
    if (forPath.length === 0)
      throw new ApiError(404, 'XVS_ENOENT', `no such endpoint ${path}: the API serves ${ROUTES.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    const route = forPath.find((r) => r.method === req.method);
    if (!route) {
      const allow = forPath.map((r) => r.method).join(', ');
      sendError(res, new ApiError(405, 'XVS_EMETHOD', `${path} takes ${allow}, not ${req.method}`), { allow });
      return;
    }
    if (req.method === 'POST') requireJsonType(req);
    await route.handle(req, res, ctx);
  } catch (err) {
    if (res.headersSent) {
      // A stream (GET /connections/stream) broke off: the reader sees it cut, not completed.
      log.error({ event: 'api_failed', method: req.method, path, error: (err as Error).message }, 'API answer cut off');
      res.destroy();
      return;
    }
    if (err instanceof ApiError) sendError(res, err, err.status === 401 ? { 'www-authenticate': 'Bearer realm="xvs"' } : {});
    else if (err instanceof ControlRequestError) sendError(res, new ApiError(statusForCode(err.code), err.code, err.message));
    else {
      log.error({ event: 'api_failed', method: req.method, path, error: (err as Error).message }, 'API request failed');
      sendError(res, new ApiError(500, 'XVS_INTERNAL', (err as Error).message ?? String(err)));
    }
  }
}

export interface ApiGuardOptions {
  /** Names besides its addresses a request's Host may give (api.hosts). */
  hosts?: readonly string[];
  /** The bearer token every request must carry (read from api.token_file). */
  token?: string;
}

/** Listens on `listen`; rejects with a one-line reason when it cannot (address in use, ...). */
export function startApiServer(listen: string, ctx: ApiContext, log: Logger, options: ApiStartOptions = {}): Promise<ApiServer> {
  const guardOf = (o: ApiGuardOptions): Guard => ({
    names: new Set((o.hosts ?? []).map((h) => h.toLowerCase())),
    ...(o.token !== undefined ? { bearer: new BearerCheck(o.token) } : {}),
  });
  let guard = guardOf(options);
  let retired = false;
  let open: () => void = () => {};
  let gate: Promise<void> | undefined = options.held ? new Promise<void>((resolve) => (open = resolve)) : undefined;
  // Answers not yet sent: once the server is retired they close their connection (no keep-alive
  // client stays on the old address).
  const unanswered = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (retired) res.setHeader('connection', 'close');
    unanswered.add(res);
    const started = performance.now();
    res.on('finish', () => {
      unanswered.delete(res);
      // log_level debug: every request, with who made it and how long it took.
      log.debug(
        { event: 'api_request', method: req.method, path: req.url, status: res.statusCode, ms: Math.round(performance.now() - started), from: req.socket.remoteAddress },
        `${req.method} ${req.url} ${res.statusCode}`,
      );
    });
    res.on('close', () => unanswered.delete(res));
    if (gate) void gate.then(() => dispatch(req, res, ctx, guard, log));
    else void dispatch(req, res, ctx, guard, log);
  });
  server.maxConnections = MAX_API_CONNECTIONS;
  const { host, port } = splitListen(listen);
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        Object.assign(new Error(`cannot serve the API on ${listen}: ${err.code === 'EADDRINUSE' ? 'the address is in use' : err.message}`), { code: err.code }),
      ),
    );
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve({
        address: a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`,
        setAccess: (o) => (guard = guardOf(o)),
        retire: (graceMs) => {
          retired = true;
          for (const res of unanswered) if (!res.headersSent) res.setHeader('connection', 'close');
          if (server.listening) server.close();
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), graceMs).unref();
        },
        stopListening: () => {
          if (server.listening) server.close();
        },
        open: () => {
          gate = undefined;
          open();
        },
        close: () =>
          new Promise<void>((done) => {
            if (server.listening) server.close(() => done());
            else done();
            server.closeAllConnections();
          }),
      });
    });
  });
}
