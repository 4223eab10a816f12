// src/api/fields.ts — the shape of the fields runtime commands carry: a real server as
// "address:port" or "[IPv6 address]:port" (ipvsadm's notation) and a weight 0..65535. Checked by the API routes at the
// edge and by the CLI before it sends, with the same messages. Pure; main thread.
import { ipv4Problem, ipv6HostProblem } from '../config/address.js';
import { LIMITS } from '../config/defaults.js';

/** "address:port" as ipvsadm writes a real server. */
export function serverProblem(v: unknown): string | undefined {
  const form = `server must be address:port such as "10.0.0.11:8080" or "[2001:db8::11]:8080" (got ${JSON.stringify(v) ?? 'nothing'})`;
  if (typeof v !== 'string') return form;
  const m = /^([^:[\]]+|\[[^\]]+\]):(\d{1,5})$/.exec(v);
  if (!m) return form;
  const bad = m[1]!.startsWith('[') ? ipv6HostProblem(m[1]!.slice(1, -1)) : ipv4Problem(m[1]!);
  if (bad) return `server address ${bad}`;
  const port = Number(m[2]);
  if (port < 1 || port > 65535 || m[2]!.startsWith('0')) return `server port must be an integer from 1 to 65535 (got "${m[2]}")`;
  return undefined;
}

export function weightProblem(v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > LIMITS.weight_max)
    return `weight must be an integer from 0 to ${LIMITS.weight_max} (got ${JSON.stringify(v) ?? 'nothing'}); 0 drains the server`;
  return undefined;
}

