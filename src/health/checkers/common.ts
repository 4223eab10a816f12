// src/health/checkers/common.ts — helpers the checkers share: latency from a start time, the
// wording of a timeout and of a socket error. Pure; runs on a health worker thread.
import { performance } from 'node:perf_hooks';

import type { ProbeResult } from '../types.js';

/** A stopwatch started now; finish() builds the result with the elapsed milliseconds. */
export function stopwatch(): (ok: boolean, reason: string) => ProbeResult {
  const start = performance.now();
  return (ok, reason) => ({ ok, latencyMs: Math.round((performance.now() - start) * 1000) / 1000, reason });
}

export function timeoutReason(timeoutSeconds: number, what: string): string {
  return `${what} within the ${Math.round(timeoutSeconds * 1000)} ms timeout`;
}

const KNOWN_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  ENOENT: 'no such file',
  EACCES: 'permission denied',
};

/** "connection refused (ECONNREFUSED)" rather than a stack or an errno number. */
export function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code && KNOWN_ERRORS[code]) return `${KNOWN_ERRORS[code]} (${code})`;
  if (typeof e?.message === 'string' && e.message) return e.message;
  return String(err);
}

/** At most `max` characters, on one line, for a log field. */
export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
