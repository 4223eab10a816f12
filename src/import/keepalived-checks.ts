// src/import/keepalived-checks.ts — a keepalived real_server's checker (TCP_CHECK, HTTP_GET,
// SSL_GET, MISC_CHECK, UDP_CHECK) as an xvs health_check, with keepalived's semantics carried
// over: down after `retry` retries (fall = retry + 1), up at the first success (rise 1), probes
// every delay_loop, connect_timeout as the timeout, a failed server removed from the table
// unless inhibit_on_failure (keepalived's default is the opposite of xvs's, so it is always
// written). What xvs cannot check the same way is noted. CLI thread.
import type { Statement } from './keepalived-syntax.js';
import type { ImportNotes } from './result.js';

/** What a virtual_server gives its checkers (keepalived 2.x allows these at that level). */
export interface CheckDefaults {
  delayLoop: number;
  connectTimeout: number;
  retry?: number;
  inhibitOnFailure: boolean;
  alpha: boolean;
  virtualhost?: string;
}

// keepalived's defaults: delay_loop 60 s, connect_timeout 5 s, one retry.
export const KEEPALIVED_CHECK_DEFAULTS: CheckDefaults = { delayLoop: 60, connectTimeout: 5, inhibitOnFailure: false, alpha: false };
const DEFAULT_RETRY = 1;

export const CHECKERS = ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'UDP_CHECK', 'DNS_CHECK', 'SMTP_CHECK', 'BFD_CHECK', 'PING_CHECK', 'FILE_CHECK'];

/** The statement's first argument as a whole number ≥ 0; otherwise noted and undefined. */
export function numberArg(s: Statement, notes: ImportNotes): number | undefined {
  const n = Number(s.args[0]);
  if (s.args.length >= 1 && /^\d+$/.test(s.args[0]!) && Number.isSafeInteger(n)) return n;
  notes.add(s.where, `${s.keyword} ${s.args.join(' ')}: not a whole number; ignored`);
  return undefined;
}

/** keepalived's hex payloads as text, when they are printable ASCII. */
function hexText(hex: string): string | undefined {
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) return undefined;
  const text = Buffer.from(hex, 'hex').toString('latin1');
  return /^[\x20-\x7e\r\n\t]*$/.test(text) ? text : undefined;
}

/** The xvs health_check of one checker block, or undefined (noted) when xvs has none like it. */
export function importChecker(checker: Statement, defaults: CheckDefaults, notes: ImportNotes): Record<string, unknown> | undefined {
  const type = { TCP_CHECK: 'tcp', HTTP_GET: 'http', SSL_GET: 'tcp', MISC_CHECK: 'exec', UDP_CHECK: 'udp' }[checker.keyword];
  if (!type) {
    notes.add(checker.where, `${checker.keyword}: xvs has no such check (tcp, http, udp, exec); the server is not checked`);
    return undefined;
  }
  if (checker.keyword === 'SSL_GET') notes.add(checker.where, 'SSL_GET: xvs does not speak TLS in checks; imported as a tcp connect to the same port');
  let interval = defaults.delayLoop;
  let timeout = defaults.connectTimeout;
  let retry = defaults.retry ?? DEFAULT_RETRY;
  const check: Record<string, unknown> = { type };
  const host = defaults.virtualhost;
  if (type === 'http' && host) check.host = host;
  let urls = 0;
  for (const s of checker.block ?? []) {
    switch (s.keyword) {
      case 'connect_port':
        check.port = numberArg(s, notes);
        break;
      case 'connect_timeout':
      case 'misc_timeout':
        timeout = numberArg(s, notes) ?? timeout;
        break;
      case 'delay_loop':
        interval = numberArg(s, notes) ?? interval;
        break;
      case 'retry':
      case 'nb_get_retry':
        retry = numberArg(s, notes) ?? retry;
        break;
      case 'delay_before_retry':
        notes.add(s.where, `delay_before_retry ${s.args[0]}: xvs retries at the probe interval (${interval} s)`);
        break;
      case 'virtualhost':
        if (type === 'http') check.host = s.args[0];
        break;
      case 'url':
        if (type !== 'http') break;
        if (++urls > 1) {
          notes.add(s.where, 'url: xvs checks one URL per server; only the first is imported');
          break;
        }
        for (const u of s.block ?? []) {
          if (u.keyword === 'path') {
            if (u.args[0] === undefined) notes.add(u.where, 'path without a value: / instead');
            else check.path = u.args[0].startsWith('/') ? u.args[0] : `/${u.args[0]}`;
          }
          else if (u.keyword === 'status_code') {
            const first = Number(/^\d+/.exec(u.args[0] ?? '')?.[0]);
            if (Number.isInteger(first)) check.expect_status = first;
            if (u.args.length > 1 || !/^\d+$/.test(u.args[0] ?? '')) notes.add(u.where, `status_code ${u.args.join(' ')}: xvs expects one status; ${first} imported`);
          } else if (u.keyword === 'digest') notes.add(u.where, 'digest: xvs does not compare body digests; only the status is checked');
          else if (u.keyword === 'virtualhost') check.host = u.args[0];
          else notes.add(u.where, `url ${u.keyword}: no xvs equivalent; ignored`);
        }
        break;
      case 'misc_path':
        // Through sh -c, so the line runs as keepalived runs it: the address and port xvs appends become $0 and $1.
        check.command = ['/bin/sh', '-c', s.args.join(' ')];
        break;
      case 'user':
        check.user = s.args[0];
        break;
      case 'misc_dynamic':
        notes.add(s.where, 'misc_dynamic: xvs takes the exit status as up/down only, not as a weight');
        break;
      case 'payload':
      case 'require_reply': {
        const text = hexText(s.args[0] ?? '');
        if (text === undefined) notes.add(s.where, `${s.keyword}: xvs takes a text payload; this hex is not printable text, not imported`);
        else check[s.keyword === 'payload' ? 'payload' : 'expect_payload'] = text;
        break;
      }
      default:
        notes.add(s.where, `${checker.keyword} ${s.keyword}: no xvs equivalent; ignored`);
    }
  }
  if (type === 'exec' && !check.command) {
    notes.add(checker.where, 'MISC_CHECK without misc_path: not imported');
    return undefined;
  }
  if (timeout > interval) {
    notes.add(checker.where, `connect_timeout ${timeout} s exceeds the probe interval ${interval} s: xvs probes must not overlap, timeout set to ${interval} s`);
    timeout = interval;
  }
  return {
    ...check,
    interval,
    timeout,
    rise: 1,
    fall: retry + 1,
    inhibit_on_failure: defaults.inhibitOnFailure,
    ...(defaults.alpha ? { initial_state: 'down' } : {}),
  };
}
