// src/api/http-io.ts — the HTTP edge of the control API: JSON replies, errors as
// {error: {code, message}} with their status, and strict JSON bodies (application/json, at
// most MAX_BODY_BYTES, an object). Consumes node:http requests; produces parsed bodies or an
// ApiError. Main thread.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gzip = promisify(zlib.gzip);

/** Runtime commands are a few fields; anything this large is a mistake or an attack. */
export const MAX_BODY_BYTES = 16 * 1024;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra fields of the error object, such as a rejected file's problems. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string | Buffer): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Whether an Accept-Encoding header allows gzip (named, or `*`, without q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const allowed = q === undefined || Number(q.slice(2)) > 0;
    if (coding.trim() === 'gzip') return allowed;
    if (coding.trim() === '*') star = allowed;
  }
  return star;
}

// Level 1: metrics text compresses ~10x at it and costs a fraction of the default level's time;
// the scrape's duration is what Prometheus waits for.
const GZIP_LEVEL = 1;

/** `text`, gzip-compressed (off the main thread, in libuv's pool) when the client accepts it. */
export async function sendCompressible(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, text: Buffer): Promise<void> {
  if (!acceptsGzip(req.headers['accept-encoding'])) {
    res.setHeader('vary', 'Accept-Encoding');
    sendText(res, status, contentType, text);
    return;
  }
  const body = await gzip(text, { level: GZIP_LEVEL });
  res.writeHead(status, { 'content-type': contentType, 'content-encoding': 'gzip', vary: 'Accept-Encoding', 'content-length': body.length });
  res.end(body);
}

export function sendError(res: ServerResponse, err: ApiError, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendJson(res, err.status, { error: { code: err.code, message: err.message, ...err.details } });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  // Refused before a byte is read; node:http discards the rest once the reply is sent.
  if (declared > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function tooLarge(): ApiError {
  return new ApiError(413, 'XVS_ETOOBIG', `request body larger than ${MAX_BODY_BYTES} bytes: runtime commands are a few JSON fields`);
}

/**
 * Cross-site requests: a browser sends a form's POST (text/plain, urlencoded, multipart) to any
 * address without asking; one labelled application/json needs the API's consent first (a CORS
 * preflight), which it never gives. So every POST must say application/json, even one without
 * a body (415 otherwise). The server checks it before any route runs.
 */
export function requireJsonType(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new ApiError(415, 'XVS_EMEDIA', `content-type must be application/json on every POST, even without a body (got ${JSON.stringify(type || 'none')})`);
}

/**
 * The request's JSON object body; `undefined` when the body is empty and `optional`. Refuses a
 * body that is not application/json (415), too large (413), not JSON or not an object (400).
 */
export async function readJsonObject(req: IncomingMessage, optional = false): Promise<Record<string, unknown> | undefined> {
  const body = await readBody(req);
  if (body.length === 0) {
    if (optional) return undefined;
    throw new ApiError(400, 'XVS_EINVAL', 'request body required: a JSON object such as {"service": "web", "server": "10.0.0.11:8080", "weight": 2}');
  }
  requireJsonType(req);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'XVS_EINVAL', `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApiError(400, 'XVS_EINVAL', `request body must be a JSON object (got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)})`);
  return value as Record<string, unknown>;
}

/** Refuses fields other than `allowed`, naming them: a typo must not be ignored silently. */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new ApiError(
      400,
      'XVS_EINVAL',
      `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${allowed.join(', ') || 'none'})`,
    );
}

/**
 * The HTTP status of an error code from the control worker: a name it does not know is 404, a
 * value it refuses 400, a state that forbids the change now (not running, workers busy, the
 * file on disk invalid) 409; anything else is the server's own failure.
 */
export function statusForCode(code: string): number {
  switch (code) {
    case 'XVS_ENOENT':
      return 404;
    case 'XVS_EINVAL':
      return 400;
    case 'XVS_ESTATE':
    case 'XVS_EBUSY':
    case 'XVS_CONFIG_INVALID':
      return 409;
    default:
      return 500;
  }
}
