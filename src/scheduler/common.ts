// src/scheduler/common.ts — helpers shared by the static schedulers: gcd, the order of servers by
// key, and the 32-bit hash that places servers in the hash tables. Control thread.
import type { SchedulerServer } from './types.js';

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Indices of the servers with weight > 0, ordered by key (code-unit order, not locale order, so the
 * result is the same on every machine); equal keys keep configuration order.
 */
export function liveByKey(servers: readonly SchedulerServer[]): number[] {
  const live: number[] = [];
  servers.forEach((s, i) => {
    if (s.weight > 0) live.push(i);
  });
  return live.sort((i, j) => {
    const a = servers[i]!.key;
    const b = servers[j]!.key;
    return a < b ? -1 : a > b ? 1 : i - j;
  });
}

const encoder = new TextEncoder();

/**
 * MurmurHash3 x86_32 of the key's UTF-8 bytes with the given seed, as an unsigned 32-bit integer.
 * Deterministic across runs, machines and Node versions; tables built by mh depend on it, so
 * changing it moves every mh client once (the unit tests pin reference values).
 */
export function murmur3(key: string, seed: number): number {
  const bytes = encoder.encode(key);
  const len = bytes.length;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (len & 3) {
    case 3:
      k ^= bytes[i + 2]! << 16;
    // falls through
    case 2:
      k ^= bytes[i + 1]! << 8;
    // falls through
    case 1:
      k ^= bytes[i]!;
      k = Math.imul(k, c1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, c2);
      h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
