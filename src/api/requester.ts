// src/api/requester.ts — who asked for a runtime change, for its log line: the API client's
// address and program (the xvs CLI says so in its User-Agent), whether it proved the bearer
// token, and the optional `reason` a request may give (POST /weight, /drain, /reload; the CLI's
// --reason). A signal (SIGHUP) is a requester too. Consumes a request or a signal name; produces
// the `by` object of the log line. Main thread.
import type { IncomingMessage } from 'node:http';

import { ApiError } from './http-io.js';

export interface Requester {
  via: 'api' | 'SIGHUP';
  /** address:port of the API client. */
  from?: string;
  /** Its User-Agent (the xvs CLI sends "xvs-cli/VERSION"). */
  client?: string;
  /** It carried the bearer token the API checked (api.token_file set). */
  authenticated?: boolean;
  reason?: string;
}

export const REASON_MAX_CHARS = 200;

/** The optional `reason` field of a request body: a line of at most REASON_MAX_CHARS printable characters. */
export function reasonField(body: Record<string, unknown> | undefined): string | undefined {
  const v = body?.reason;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '' || v.length > REASON_MAX_CHARS || /[\x00-\x1f\x7f]/.test(v))
    throw new ApiError(400, 'XVS_EINVAL', `reason must be one line of 1 to ${REASON_MAX_CHARS} printable characters, such as "kernel upgrade" (got ${JSON.stringify(v)})`);
  return v.trim();
}

export function apiRequester(req: IncomingMessage, reason: string | undefined, tokenChecked: boolean): Requester {
  const address = (req.socket.remoteAddress ?? '?').replace(/^::ffff:/, '');
  const ua = req.headers['user-agent'];
  return {
    via: 'api',
    from: address.includes(':') ? `[${address}]:${req.socket.remotePort}` : `${address}:${req.socket.remotePort}`,
    ...(ua ? { client: ua.slice(0, 100) } : {}),
    ...(tokenChecked ? { authenticated: true } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

/** " (by 127.0.0.1:40000, xvs-cli/0.1.0: kernel upgrade)" for a log message. */
export function describeRequester(by: Requester): string {
  const who = by.via === 'api' ? [by.from, by.client].filter(Boolean).join(', ') : by.via;
  return ` (by ${who}${by.reason ? `: ${by.reason}` : ''})`;
}
