// test/unit/scheduler-mh.test.ts — Maglev hashing (mh): the table matches a direct transcription
// of ip_vs_mh_populate, shares follow the weights, removing a server moves little beyond its own
// entries, and the table depends only on the set of servers and their weights.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { gcd, murmur3 } from '../../src/scheduler/common.js';
import { MH_TABLE_SIZE, maglevTable, staticScheduler } from '../../src/scheduler/index.js';
import type { SchedulerServer } from '../../src/scheduler/index.js';

const mh = staticScheduler('mh')!;

/** n servers 10.1.x.y:80 with the given weight (default 1), in that order. */
const fleet = (n: number, weight = 1): SchedulerServer[] =>
  Array.from({ length: n }, (_, i) => ({ key: `10.1.${i >> 8}.${i & 255}:80`, weight }));

const keysOf = (list: readonly SchedulerServer[], table: readonly number[]) => table.map((i) => list[i]!.key);

const countsOf = (n: number, table: readonly number[]) => {
  const counts = new Array<number>(n).fill(0);
  for (const i of table) counts[i]! += 1;
  return counts;
};

/** A deterministic shuffle (LCG), so failures reproduce. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * ip_vs_mh_permutate + ip_vs_mh_populate written out plainly (explicit permutation lists, a set of
 * taken positions), over the servers sorted by key: the reference for the optimised version.
 */
function referenceTable(servers: readonly SchedulerServer[], m: number): number[] {
  const order = servers.map((_, i) => i).filter((i) => servers[i]!.weight > 0)
    .sort((a, b) => (servers[a]!.key < servers[b]!.key ? -1 : servers[a]!.key > servers[b]!.key ? 1 : a - b));
  if (order.length === 0) return [];
  const g = order.map((i) => servers[i]!.weight).reduce(gcd);
  const mw = Math.max(...order.map((i) => servers[i]!.weight)) / g;
  const rshift = Math.max(0, mw.toString(2).length - (Math.round(Math.log2(m)) >> 1));
  const setup = order.map((i) => {
    const key = servers[i]!.key;
    const offset = murmur3(key, 2654435761) % m;
    const skip = (murmur3(key, 2654446892) % (m - 1)) + 1;
    const permutation = Array.from({ length: m }, (_, k) => (offset + k * skip) % m);
    return { server: i, permutation, next: 0, turns: Math.floor(servers[i]!.weight / g / 2 ** rshift) || 1 };
  });
  const table: (number | undefined)[] = new Array(m).fill(undefined);
  let n = 0;
  for (;;) {
    for (const ds of setup) {
      for (let t = 0; t < ds.turns; t++) {
        let c = ds.permutation[ds.next]!;
        while (table[c] !== undefined) c = ds.permutation[++ds.next]!;
        table[c] = ds.server;
        if (++n === m) return table as number[];
      }
    }
  }
}

describe('mh', () => {
  it('is indexed by a hash of the client source address, over a prime table of 65537', () => {
    assert.equal(mh.table(fleet(3)).length, 65537);
  });

  it('matches a plain transcription of ip_vs_mh_populate', () => {
    const cases: [SchedulerServer[], number][] = [
      [fleet(1), 7],
      [fleet(3), 13],
      [fleet(5).map((s, i) => ({ ...s, weight: [1, 2, 0, 3, 1][i]! })), 251],
      [fleet(40), 4093],
      [fleet(12).map((s, i) => ({ ...s, weight: 1 + ((i * 7) % 5) })), 1021],
      [fleet(4).map((s, i) => ({ ...s, weight: [1, 1000, 3, 20][i]! })), 509], // rshift > 0
    ];
    for (const [list, m] of cases) {
      const list2 = shuffled(list, m);
      assert.deepEqual(maglevTable(list2, m), referenceTable(list2, m), `${list.length} servers, M = ${m}`);
    }
  });

  it('gives 100 equal servers shares within 1 % of the mean', () => {
    const counts = countsOf(100, mh.table(fleet(100)));
    const mean = MH_TABLE_SIZE / 100;
    const worst = Math.max(...counts.map((c) => Math.abs(c - mean) / mean));
    assert.ok(worst <= 0.01, `worst deviation ${worst}`);
  });

  it('moves at most 1.2 % of the other servers\' entries when one of 100 is removed', () => {
    const list = fleet(100);
    const before = keysOf(list, mh.table(list));
    let worst = 0;
    for (const gone of [0, 1, 17, 42, 50, 63, 77, 98, 99]) {
      const goneKey = list[gone]!.key;
      const rest = list.filter((_, i) => i !== gone);
      const after = keysOf(rest, mh.table(rest));
      let kept = 0;
      let moved = 0;
      before.forEach((key, p) => {
        if (key === goneKey) return;
        kept += 1;
        if (after[p] !== key) moved += 1;
      });
      assert.ok(!after.includes(goneKey));
      worst = Math.max(worst, moved / kept);
    }
    assert.ok(worst <= 0.012, `worst extra disruption ${worst}`);
  });

  it('restores the original table exactly when the server comes back', () => {
    const list = fleet(100);
    const original = keysOf(list, mh.table(list));
    const back = [...list.filter((_, i) => i !== 42), list[42]!]; // removed, then added at the end
    assert.deepEqual(keysOf(back, mh.table(back)), original);
  });

  it('gives weights 1:2:3 shares within 1 % of 1/6, 2/6, 3/6', () => {
    const list = fleet(3).map((s, i) => ({ ...s, weight: i + 1 }));
    const counts = countsOf(3, mh.table(list));
    counts.forEach((c, i) => {
      const expected = (i + 1) / 6;
      const share = c / MH_TABLE_SIZE;
      assert.ok(Math.abs(share - expected) / expected <= 0.01, `server ${i}: share ${share}, expected ${expected}`);
    });
  });

  it('divides weights by their gcd and compresses large ratios as IPVS does (rshift)', () => {
    const scaled = fleet(3).map((s, i) => ({ ...s, weight: (i + 1) * 10 }));
    const plain = fleet(3).map((s, i) => ({ ...s, weight: i + 1 }));
    assert.deepEqual(mh.table(scaled), mh.table(plain));
    // 1:1000 → fls(1000) = 10 bits, 8 allowed for 65537 → turns 1 and 1000 >> 2 = 250.
    const counts = countsOf(2, mh.table(fleet(2).map((s, i) => ({ ...s, weight: i === 0 ? 1 : 1000 }))));
    assert.ok(Math.abs(counts[0]! / MH_TABLE_SIZE - 1 / 251) < 1e-4, `light server share ${counts[0]! / MH_TABLE_SIZE}`);
  });

  it('is identical across calls and independent of input order', () => {
    const list = fleet(50).map((s, i) => ({ ...s, weight: 1 + (i % 4) }));
    const a = keysOf(list, mh.table(list));
    assert.deepEqual(keysOf(list, mh.table(list)), a);
    for (const seed of [1, 2, 3]) {
      const other = shuffled(list, seed);
      assert.deepEqual(keysOf(other, mh.table(other)), a, `shuffle ${seed}`);
    }
  });

  it('leaves weight-0 servers out, as if they were absent', () => {
    const list = fleet(10).map((s, i) => ({ ...s, weight: i === 3 || i === 7 ? 0 : 1 }));
    const table = mh.table(list);
    assert.ok(!table.includes(3) && !table.includes(7));
    const absent = list.filter((s) => s.weight > 0);
    assert.deepEqual(keysOf(list, table), keysOf(absent, mh.table(absent)));
  });

  it('is empty without a live server', () => {
    assert.deepEqual(mh.table([]), []);
    assert.deepEqual(mh.table(fleet(4, 0)), []);
  });

  it('accepts any prime table size and refuses the others', () => {
    assert.equal(maglevTable(fleet(3), 251).length, 251);
    assert.equal(maglevTable(fleet(3), 2).length, 2);
    for (const size of [0, 1, 4, 256, 65536, 2.5, -7]) assert.throws(() => maglevTable(fleet(3), size), RangeError, `${size}`);
  });
});
