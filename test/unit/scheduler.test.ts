// test/unit/scheduler.test.ts — static scheduler tables: rr visits each live server once per
// cycle in order, wrr reproduces the IPVS sequence and matches the weights exactly per cycle.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { staticScheduler } from '../../src/scheduler/index.js';

const servers = (...weights: number[]) => weights.map((weight) => ({ weight }));

describe('rr', () => {
  const rr = staticScheduler('rr')!;
  it('lists every server with weight > 0 once, in order', () => {
    assert.deepEqual(rr.table(servers(1, 5, 1)), [0, 1, 2]);
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

describe('registry', () => {
  it('has no table for dynamic schedulers, which decide in the data plane', () => {
    assert.equal(staticScheduler('wlc'), undefined);
  });
});
