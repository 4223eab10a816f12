// src/scheduler/mh.ts — Maglev hashing (IPVS mh, ip_vs_mh.c; Eisenbud et al., NSDI 2016, §3.4).
// Every server has a permutation of the table positions, offset = h1(key) mod M and
// skip = h2(key) mod (M − 1) + 1 (M prime, so every skip visits every position). The servers, in
// key order, take turns claiming the next free position of their permutation until the table is
// full; in each round a server takes `turns` positions in a row, turns = (weight / gcd) >> rshift
// (at least 1), where rshift keeps the largest turns within about √M as IPVS does. Weight-0 servers
// take no turns. Each server ends up with a share of the M entries proportional to its turns, and
// adding or removing one server moves few entries of the others. The data plane indexes the table
// by a hash of the client source address. Control thread.
import { gcd, liveByKey, murmur3 } from './common.js';
import type { SchedulerServer, StaticScheduler } from './types.js';

/** Default Maglev table size: prime, about 650 entries per server at 100 servers. */
export const MH_TABLE_SIZE = 65537;

/** Seeds of the two permutation hashes (the constants IPVS mh keys its hsiphash with). */
const SEED_OFFSET = 2654435761;
const SEED_SKIP = 2654446892;

function isPrime(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/**
 * The Maglev table of `size` entries (a prime) for `servers`: each entry is an index into
 * `servers`. Empty when no server has a weight > 0. With more live servers than entries the
 * servers last in key order get none (IPVS refuses such a service).
 */
export function maglevTable(servers: readonly SchedulerServer[], size: number = MH_TABLE_SIZE): number[] {
  if (!isPrime(size) || size > 0x7fffffff) throw new RangeError(`mh table size must be a prime below 2^31, got ${size}`);
  const live = liveByKey(servers);
  const n = live.length;
  if (n === 0) return [];

  const weights = live.map((i) => servers[i]!.weight);
  const g = weights.reduce(gcd);
  const maxTurns = Math.max(...weights) / g;
  // IPVS: shift = fls(max weight / gcd) − IP_VS_MH_TAB_BITS, where TAB_BITS is half the table's
  // bit width (8 for 65521 and 65537).
  const tabBits = Math.round(Math.log2(size)) >> 1;
  const rshift = Math.max(0, 32 - Math.clz32(maxTurns) - tabBits);

  const offset = new Uint32Array(n); // doubles as the next position to try (perm in IPVS)
  const skip = new Uint32Array(n);
  const turns = new Uint32Array(n);
  const index = Int32Array.from(live);
  for (let j = 0; j < n; j++) {
    const key = servers[live[j]!]!.key;
    offset[j] = murmur3(key, SEED_OFFSET) % size;
    skip[j] = (murmur3(key, SEED_SKIP) % (size - 1)) + 1;
    turns[j] = Math.max(1, (weights[j]! / g) >>> rshift);
  }

  const table = new Int32Array(size).fill(-1);
  let filled = 0;
  fill: for (;;) {
    for (let j = 0; j < n; j++) {
      const s = skip[j]!;
      const server = index[j]!;
      let c = offset[j]!;
      for (let t = turns[j]!; t > 0; t--) {
        while (table[c] !== -1) {
          c += s;
          if (c >= size) c -= size;
        }
        table[c] = server;
        if (++filled === size) break fill;
      }
      offset[j] = c;
    }
  }
  return Array.from(table);
}

export const maglevHashing: StaticScheduler = {
  name: 'mh',
  table: (servers) => maglevTable(servers),
  length: (servers) => (servers.some((s) => s.weight > 0) ? MH_TABLE_SIZE : 0),
};
