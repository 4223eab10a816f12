// test/unit/serial-queue.test.ts — the order of xvs run's control steps (src/control/main/
// serial-queue.ts): steps never overlap, a failure does not stop the queue, and a burst of reload
// requests costs at most one running and one waiting reload, every caller getting its outcome.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SerialQueue } from '../../src/control/main/serial-queue.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SerialQueue', () => {
  it('runs steps one after the other, and goes on after a failure', async () => {
    const q = new SerialQueue<number>();
    const log: string[] = [];
    let running = 0;
    const step = (name: string, fail = false) => async () => {
      assert.equal(running++, 0, 'steps overlap');
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
    const a = q.then(step('a'));
    const b = q.then(step('b', true));
    const c = q.then(step('c'));
    assert.equal(await a, 'a');
    await assert.rejects(b, /b/);
    assert.equal(await c, 'c');
    assert.deepEqual(log, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('coalesces reloads requested while one waits: 200 requests, 2 reloads', async () => {
    const q = new SerialQueue<number>();
    let reloads = 0;
    const reload = async () => {
      await tick();
      return ++reloads;
    };
    const start = q.then(async () => tick());  // xvs run's start, still running
    const first = q.coalesced(reload);  // waits for the start
    const burst = Array.from({ length: 199 }, () => q.coalesced(reload));
    await start;
    assert.deepEqual(await Promise.all([first, ...burst]), Array(200).fill(1), 'every caller gets the one reload that ran');
    // Once that reload has started, a new request needs a reload of its own.
    const running = q.coalesced(reload);
    await tick();
    const after = q.coalesced(reload);
    assert.equal(await running, 2);
    assert.equal(await after, 3, 'a request made after the reload started gets a reload of its own (the file may have changed)');
  });
});
