// IPv4 address and host:port checks with operator-facing messages. Consumed by validate*.ts;
// produces message strings (undefined = fine). Pure; runs on the config-loading thread.

import { isIPv6 } from 'node:net';

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as a 32-bit unsigned number, or undefined if it is not a strict dotted quad. */
export function ipv4ToNumber(text: string): number | undefined {
  const m = QUAD.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (const part of m.slice(1)) {
    // Leading zeros are rejected because inet_aton reads "010" as octal 8: ambiguous.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

/** Problem with a dotted-quad address, or undefined. Accepts any address, including 0.0.0.0. */
export function ipv4Problem(text: string): string | undefined {
  if (text.includes(':')) return `IPv6 is not supported yet (got ${quote(text)}); use an IPv4 address`;
  if (ipv4ToNumber(text) === undefined) {
    return `must be a dotted-quad IPv4 address such as 10.0.0.1 (got ${quote(text)})`;
  }
  return undefined;
}

/**
 * Problem with an address that must name one host the data plane sends to or answers for
 * (VIP, server, local address, sorry server, tunnel source), or undefined.
 */
export function hostAddressProblem(text: string): string | undefined {
  const bad = ipv4Problem(text);
  if (bad) return bad;
  const n = ipv4ToNumber(text) ?? 0;
  const first = n >>> 24;
  let kind: string | undefined;
  if (first === 0) kind = 'in 0.0.0.0/8, which names no host';
  else if (first === 127) kind = 'a loopback address, which never leaves the host';
  else if (first >= 224 && first <= 239) kind = 'a multicast address';
  else if (first >= 240) kind = n === 0xffffffff ? 'the broadcast address' : 'in the reserved range 240.0.0.0/4';
  return kind ? `must be a unicast host address (got ${quote(text)}, ${kind})` : undefined;
}

/** Problem with an api.listen value ("host:port"), or undefined. */
export function listenProblem(text: string): string | undefined {
  const m = /^(.*):([^:\]]*)$/.exec(text);
  const host = m?.[1] ?? '';
  const port = m?.[2] ?? '';
  const form = `must be host:port such as 127.0.0.1:9475 (got ${quote(text)})`;
  if (!m || host === '' || port === '') return form;
  if (host.startsWith('[')) {
    if (!host.endsWith(']') || !isIPv6(host.slice(1, -1))) return form;
  } else if (host !== 'localhost') {
    if (host.includes(':')) return `must be host:port with an IPv6 host in brackets such as [::1]:9475 (got ${quote(text)})`;
    const bad = ipv4Problem(host);
    if (bad) return `host ${bad.replace(/^must be/, 'must be localhost or')}`;
  }
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    return `port must be an integer from 1 to 65535 (got ${quote(port)})`;
  }
  return undefined;
}

/** True when `listen` (a valid api.listen) only reaches this machine. */
export function isLoopbackListen(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':'));
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

/** Splits "host:port" / "[v6]:port" (validated by listenProblem) into what node:net wants. */
export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(listen.slice(i + 1)) };
}
