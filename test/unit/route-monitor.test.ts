// test/unit/route-monitor.test.ts — the addon's RouteMonitor as a resource: it refuses a missing
// callback with XVS_EINVAL; close() is idempotent; opening and closing many leaves no file
// descriptor and no thread behind; a worker thread terminated with monitors still open releases
// them (environment cleanup hook). What it reports when the kernel's tables change is tested as
// root in test/e2e/route-monitor.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';

import { openRouteMonitor } from '../../src/native/addon.js';

const openFds = () => fs.readdirSync('/proc/self/fd').length;
const threads = () => fs.readdirSync('/proc/self/task').length;
// libuv closes a handle in a later loop iteration; the socket goes with it.
const loopTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('RouteMonitor (addon)', () => {
  it('refuses a missing callback with XVS_EINVAL', () => {
    assert.throws(() => openRouteMonitor(undefined as never), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'XVS_EINVAL');
      assert.match(e.message, /onChanges must be a function/);
      return true;
    });
  });

  it('closes idempotently', async () => {
    const m = openRouteMonitor(() => {});
    assert.equal(m.closed, false);
    m.close();
    m.close();
    assert.equal(m.closed, true);
    await loopTurn();
  });

  it('leaves no file descriptor and no thread behind', async () => {
    await loopTurn();
    const fds = openFds();
    const tasks = threads();
    const monitors = Array.from({ length: 50 }, () => openRouteMonitor(() => {}));
    assert.equal(openFds(), fds + 50, 'one socket per monitor');
    assert.equal(threads(), tasks, 'no thread per monitor');
    for (const m of monitors) m.close();
    await loopTurn();
    await loopTurn();
    assert.equal(openFds(), fds);
  });

  it('releases the monitors of a worker thread terminated without closing them', async () => {
    await loopTurn();
    const fds = openFds();
    const tasks = threads();
    const addon = new URL('../../src/native/addon.js', import.meta.url).href;
    const worker = new Worker(
      `import(${JSON.stringify(addon)}).then(({ openRouteMonitor }) => {
         for (let i = 0; i < 3; i++) openRouteMonitor(() => {});
         require('node:worker_threads').parentPort.postMessage('open');
       });`,
      { eval: true },
    );
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.ok(openFds() >= fds + 3, 'the worker holds its sockets');
    await worker.terminate();
    await loopTurn();
    assert.equal(openFds(), fds, 'every socket closed when the worker ended');
    assert.equal(threads(), tasks, 'the worker thread is gone');
  });
});
