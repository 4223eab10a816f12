// test/unit/scheduler-table-cache.test.ts — SchedulerTables: a table is computed once per
// (scheduler, servers in order with their weights) and reused by later builds; any change of
// weight, server or order computes anew; a build keeps only the tables it used. Main thread.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { staticScheduler } from '../../src/scheduler/index.js';
import { SchedulerTables } from '../../src/scheduler/table-cache.js';
import type { StaticScheduler } from '../../src/scheduler/types.js';

const mh = staticScheduler('mh')!;
const wrr = staticScheduler('wrr')!;
const servers = (weights: number[]) => weights.map((weight, i) => ({ key: `10.0.0.${i + 1}:80`, weight }));

/** Counts the calls the cache makes to the real scheduler. */
function counting(s: StaticScheduler): { scheduler: StaticScheduler; calls: () => number } {
  let calls = 0;
  return { scheduler: { ...s, table: (x) => (calls++, s.table(x)) }, calls: () => calls };
}

describe('SchedulerTables', () => {
  it('reuses a table across builds while servers and weights are the same', () => {
    const tables = new SchedulerTables();
    const { scheduler, calls } = counting(mh);
    const first = tables.table(scheduler, servers([1, 1, 2]));
    tables.endBuild();
    const again = tables.table(scheduler, servers([1, 1, 2]));
    tables.endBuild();
    assert.equal(again, first, 'the same table object');
    assert.deepEqual(first, mh.table(servers([1, 1, 2])), 'and the right one');
    assert.equal(calls(), 1);
    assert.deepEqual([tables.hits, tables.misses], [1, 1]);
  });

  it('computes anew when a weight, a server or the order changes, or for another scheduler', () => {
    const tables = new SchedulerTables();
    const { scheduler, calls } = counting(wrr);
    tables.table(scheduler, servers([3, 2, 1]));
    tables.table(scheduler, servers([3, 2, 0]));
    tables.table(scheduler, servers([3, 2]));
    tables.table(scheduler, servers([3, 2, 1]).reverse());
    tables.table(counting(mh).scheduler, servers([3, 2, 1]));
    assert.equal(calls(), 4);
    assert.equal(tables.misses, 5);
  });

  it('keeps only what the last build used', () => {
    const tables = new SchedulerTables();
    const { scheduler, calls } = counting(mh);
    tables.table(scheduler, servers([1]));
    tables.table(scheduler, servers([2]));
    tables.endBuild();
    tables.table(scheduler, servers([2]));
    tables.endBuild();
    tables.table(scheduler, servers([1]));
    assert.equal(calls(), 3, 'servers([1]) was dropped by the build that did not use it');
  });
});
