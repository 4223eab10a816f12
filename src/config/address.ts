// IPv4 and IPv6 address and host:port checks with operator-facing messages. Consumed by
// validate*.ts; produces message strings (undefined = fine). Pure; runs on the config-loading thread.

import { isIPv6 } from 'node:net';

import { ipv6Text, ipv6ToBytes } from './ipv6-address.js';

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

/** An address's family: IPv6 text has colons, IPv4 text has none. */
export function isIpv6Text(text: string): boolean {
  return text.includes(':');
}

/** `address:port` as ipvsadm writes it: an IPv6 address in brackets. */
export function hostPort(address: string, port: number | string): string {
  return isIpv6Text(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Problem with an IPv6 address that must name one host the data plane sends to or answers for,
 * or undefined. Only the canonical text (RFC 5952) is accepted: it is how xvs lists the address,
 * and the one form in which two spellings of an address cannot be taken for two addresses.
 */
export function ipv6HostProblem(text: string): string | undefined {
  const bytes = ipv6ToBytes(text);
  if (!bytes) return `must be an IPv4 address such as 10.0.0.1 or an IPv6 address such as 2001:db8::1 (got ${quote(text)})`;
  const canonical = ipv6Text(bytes);
  let kind: string | undefined;
  if (bytes.every((b) => b === 0)) kind = 'the unspecified address ::, which names no host';
  else if (canonical === '::1') kind = 'the loopback address, which never leaves the host';
  else if (bytes[0] === 0xff) kind = 'a multicast address (ff00::/8)';
  else if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80) kind = 'a link-local address (fe80::/10), which needs an interface to mean anything';
  else if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    kind = 'an IPv4-mapped address: write the IPv4 address itself';
  if (kind) return `must be a unicast host address (got ${quote(text)}, ${kind})`;
  if (canonical !== text) return `must be written in its canonical form ${canonical} (RFC 5952), as xvs lists it (got ${quote(text)})`;
  return undefined;
}

/**
 * Problem with an address of either family where services may use IPv6 (VIPs, servers, local
 * addresses, sorry servers), or undefined.
 */
export function serviceAddressProblem(text: string): string | undefined {
  return isIpv6Text(text) ? ipv6HostProblem(text) : hostAddressProblem(text);
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
