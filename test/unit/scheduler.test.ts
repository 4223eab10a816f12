// test/unit/scheduler.test.ts — static scheduler tables: rr visits each live server once per
// cycle in order, wrr reproduces the IPVS sequence and matches the weights exactly per cycle,
// sh/dh fill 256 buckets as ip_vs_sh.c/ip_vs_dh.c do but in key order, fo orders by weight;
// the registry knows which schedulers are static. Maglev (mh) is in scheduler-mh.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SCHEDULERS } from '../../src/config/types.js';
import { murmur3 } from '../../src/scheduler/common.js';
import { staticScheduler } from '../../src/scheduler/index.js';
import type { SchedulerServer } from '../../src/scheduler/index.js';

/** Servers 10.0.0.1:8080, 10.0.0.2:8080, ... with the given weights, in that order. */
const servers = (...weights: number[]): SchedulerServer[] =>
  weights.map((weight, i) => ({ key: `10.0.0.${i + 1}:8080`, weight }));

/** The table as server keys, so tables of differently ordered inputs can be compared. */
const keysOf = (list: readonly SchedulerServer[], table: readonly number[]) => table.map((i) => list[i]!.key);

const countsOf = (n: number, table: readonly number[]) => {
  const counts = new Array<number>(n).fill(0);
  for (const i of table) counts[i]! += 1;
  return counts;
};

describe('rr', () => {
  const rr = staticScheduler('rr')!;
  it('lists every server with weight > 0 once, in order', () => {
    assert.deepEqual(rr.table(servers(1, 5, 1)), [0, 1, 2]);
  });
  it('follows configuration order, not keys', () => {
    assert.deepEqual(rr.table([{ key: 'b:1', weight: 1 }, { key: 'a:1', weight: 1 }]), [0, 1]);
  });
  it('leaves quiescent (weight 0) servers out', () => {
    assert.deepEqual(rr.table(servers(1, 0, 3)), [0, 2]);
  });
  it('is empty when every server is quiescent', () => {
    assert.deepEqual(rr.table(servers(0, 0)), []);
  });
});

describe('wrr', () => {
  const wrr = staticScheduler('wrr')!;
  it('produces the IPVS interleaved sequence for weights 4, 3, 2', () => {
    assert.deepEqual(wrr.table(servers(4, 3, 2)), [0, 0, 1, 0, 1, 2, 0, 1, 2]);
  });
  it('divides by the gcd: weights 2, 4 give a cycle of 3', () => {
    assert.deepEqual(wrr.table(servers(2, 4)), [1, 0, 1]);
  });
  it('matches the weights exactly over one cycle for many weight sets', () => {
    for (const weights of [[1], [1, 1, 1], [5, 1], [7, 3, 0, 2], [100, 1, 50, 25]]) {
      const table = wrr.table(servers(...weights));
      const g = weights.filter((w) => w > 0).reduce((a, b) => { while (b) [a, b] = [b, a % b]; return a; });
      const counts = weights.map((_, i) => table.filter((x) => x === i).length);
      assert.deepEqual(counts, weights.map((w) => w / g), `weights ${weights.join(',')}`);
    }
  });
  it('leaves quiescent servers out', () => {
    assert.ok(!wrr.table(servers(3, 0, 1)).includes(1));
  });
});

describe('sh', () => {
  const sh = staticScheduler('sh')!;
  it('gives each server `weight` consecutive buckets in turn, in key order', () => {
    const list = servers(1, 3);
    const table = sh.table(list);
    assert.equal(table.length, 256);
    assert.deepEqual(table.slice(0, 8), [0, 1, 1, 1, 0, 1, 1, 1]);
    assert.deepEqual(countsOf(2, table), [64, 192]);
  });
  it('honours weights exactly as ip_vs_sh_reassign does, the last round cut short', () => {
    // 256 = 25 rounds of 2 + 3 + 5, then 6 more buckets: 2 to the first, 3 to the second, 1 to the third.
    assert.deepEqual(countsOf(3, sh.table(servers(2, 3, 5))), [52, 78, 126]);
  });
  it('is the same for every call and every input order', () => {
    const list = servers(1, 3, 2, 4);
    const reversed = [...list].reverse();
    const a = keysOf(list, sh.table(list));
    assert.deepEqual(keysOf(list, sh.table(list)), a);
    assert.deepEqual(keysOf(reversed, sh.table(reversed)), a);
  });
  it('leaves weight-0 servers out', () => {
    const list = servers(1, 0, 3);
    const table = sh.table(list);
    assert.ok(!table.includes(1));
    const absent = [list[0]!, list[2]!];
    assert.deepEqual(keysOf(list, table), keysOf(absent, sh.table(absent)));
  });
  it('is empty without a live server', () => {
    assert.deepEqual(sh.table([]), []);
    assert.deepEqual(sh.table(servers(0, 0)), []);
  });
});

describe('dh', () => {
  const dh = staticScheduler('dh')!;
  it('assigns buckets round robin in key order and ignores weights', () => {
    const list = servers(1, 5, 10);
    const table = dh.table(list);
    assert.equal(table.length, 256);
    assert.deepEqual(table.slice(0, 6), [0, 1, 2, 0, 1, 2]);
    assert.deepEqual(countsOf(3, table), [86, 85, 85]);
    assert.deepEqual(dh.table(servers(1, 1, 1)), table);
  });
  it('is the same for every call and every input order', () => {
    const list = servers(1, 1, 1, 1, 1);
    const shuffled = [list[3]!, list[0]!, list[4]!, list[2]!, list[1]!];
    const a = keysOf(list, dh.table(list));
    assert.deepEqual(keysOf(list, dh.table(list)), a);
    assert.deepEqual(keysOf(shuffled, dh.table(shuffled)), a);
  });
  it('leaves weight-0 servers out', () => {
    const list = servers(0, 2, 0, 7);
    const table = dh.table(list);
    assert.deepEqual(countsOf(4, table), [0, 128, 0, 128]);
  });
  it('is empty without a live server', () => {
    assert.deepEqual(dh.table([]), []);
    assert.deepEqual(dh.table(servers(0)), []);
  });
});

describe('fo', () => {
  const fo = staticScheduler('fo')!;
  it('lists live servers by decreasing weight, equal weights in configuration order', () => {
    assert.deepEqual(fo.table(servers(2, 5, 0, 5, 1)), [1, 3, 0, 4]);
    assert.deepEqual(fo.table(servers(1, 1, 1)), [0, 1, 2]);
  });
  it('leaves weight-0 servers out and is empty without a live server', () => {
    assert.deepEqual(fo.table(servers(0, 3, 0)), [1]);
    assert.deepEqual(fo.table(servers(0, 0)), []);
    assert.deepEqual(fo.table([]), []);
  });
});

describe('registry', () => {
  const staticNames = ['rr', 'wrr', 'mh', 'sh', 'dh', 'fo'] as const;
  it('has a table for every static scheduler, under its own name', () => {
    for (const name of staticNames) {
      const s = staticScheduler(name);
      assert.ok(s, name);
      assert.equal(s.name, name);
    }
  });
  it('has no table for dynamic schedulers, which decide in the data plane', () => {
    for (const name of ['lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr'] as const) assert.equal(staticScheduler(name), undefined, name);
  });
  it('covers every scheduler name of the config', () => {
    const known = new Set([...staticNames, 'lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr']);
    assert.deepEqual([...SCHEDULERS].sort(), [...known].sort());
  });
});

describe('murmur3 (places servers in hash tables; changing it moves mh clients)', () => {
  it('matches the MurmurHash3 x86_32 reference values', () => {
    assert.equal(murmur3('', 0), 0);
    assert.equal(murmur3('', 1), 0x514e28b7);
    assert.equal(murmur3('', 0xffffffff), 0x81f16f39);
    assert.equal(murmur3('\0\0\0\0', 0), 0x2362f9de);
    assert.equal(murmur3('a', 0x9747b28c), 0x7fa09ea6);
    assert.equal(murmur3('ab', 0x9747b28c), 0x74875592);
    assert.equal(murmur3('abc', 0x9747b28c), 0xc84a62dd);
    assert.equal(murmur3('abcd', 0x9747b28c), 0xf0478627);
    assert.equal(murmur3('Hello, world!', 0x9747b28c), 0x24884cba);
    assert.equal(murmur3('The quick brown fox jumps over the lazy dog', 0x9747b28c), 0x2fa826cd);
  });
});

describe('length', () => {
  it('is the length of the table, for every static scheduler and many server sets (the validator relies on it)', () => {
    const sets: number[][] = [[], [0], [1], [0, 0], [4, 3, 2], [2, 4], [6, 9, 12], [0, 5, 0, 7], [65535, 65534], [1, 1, 1, 1, 1], [300, 0, 256, 17]];
    for (const name of ['rr', 'wrr', 'sh', 'dh', 'mh', 'fo'] as const) {
      const scheduler = staticScheduler(name)!;
      for (const weights of sets) {
        const servers = weights.map((weight, i) => ({ key: `10.0.0.${i + 1}:80`, weight }));
        assert.equal(scheduler.length(servers), scheduler.table(servers).length, `${name} ${JSON.stringify(weights)}`);
      }
    }
  });
});
