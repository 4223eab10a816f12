// IPv6 addresses as bytes and as text: parsing any form node:net accepts (zero compression,
// a dotted-quad tail) into 16 bytes in network order, and printing the RFC 5952 canonical form
// (lower case, longest run of two or more zero groups as "::", leftmost on a tie). Consumed by the
// config validator, the snapshot encoder and the listings. Pure; any thread.

import { isIPv6 } from 'node:net';

/** The 16 bytes of `text`, or undefined if it is not an IPv6 address (no zone index). */
export function ipv6ToBytes(text: string): Uint8Array | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  // A dotted-quad tail (::ffff:192.0.2.1) becomes its two groups.
  const lastColon = text.lastIndexOf(':');
  let body = text;
  if (text.slice(lastColon + 1).includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = text.slice(lastColon + 1).split('.').map(Number);
    body = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [before, after] = body.split('::');
  let groups = body.split(':');
  if (after !== undefined) {
    const head = before ? before.split(':') : [];
    const rest = after ? after.split(':') : [];
    groups = [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  }
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    bytes[2 * i] = v >> 8;
    bytes[2 * i + 1] = v & 0xff;
  });
  return bytes;
}

/** RFC 5952 text of 16 address bytes. */
export function ipv6Text(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not compressed
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The canonical text of an IPv6 address, or undefined if it is not one. */
export function canonicalIpv6(text: string): string | undefined {
  const bytes = ipv6ToBytes(text);
  return bytes && ipv6Text(bytes);
}
