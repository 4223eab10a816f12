// test/unit/nexthop-follow.test.ts — NextHopFollower against a fake route monitor and mocked
// timers: opening re-resolves everything once; a burst of neighbour notifications becomes one
// refresh naming their addresses after the debounce; route, link/address changes and lost
// notifications (overflow) re-resolve everything; the safety re-resolve runs every 30 s; a
// monitor that fails or cannot open is reported once and replaced by 1 s polling until it
// reopens; close() stops everything.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';

import type { NextHopScope } from '../../src/control/worker/next-hop-refresh.js';
import { NextHopFollower } from '../../src/control/worker/nexthop/follow.js';
import type { NeighbourChange, RouteChanges, RouteMonitor } from '../../src/native/addon.js';

const NONE: RouteChanges = { neighbours: [], routes: false, links: false, addresses: false, overflow: false };
const neighbour = (address: string, state = 'reachable'): NeighbourChange => ({
  address, ifindex: 2, state, mac: state === 'reachable' ? Uint8Array.from([2, 0, 0, 0, 0, 1]) : null, deleted: false,
});

function fakeMonitor(options: { failOpens?: number } = {}) {
  let failOpens = options.failOpens ?? 0;
  const state = {
    emit: ((_c: RouteChanges) => assert.fail('the monitor is not open')) as (c: RouteChanges) => void,
    opened: 0,
    closed: 0,
    refreshes: [] as NextHopScope[],
    errors: [] as string[],
  };
  const open = (onChanges: (c: RouteChanges) => void): RouteMonitor => {
    if (failOpens > 0) {
      failOpens--;
      throw Object.assign(new Error('netlink socket: Operation not permitted'), { code: 'XVS_ESYSTEM' });
    }
    state.opened++;
    state.emit = onChanges;
    let closed = false;
    return {
      close: () => {
        if (!closed) state.closed++;
        closed = true;
      },
      get closed() {
        return closed;
      },
    };
  };
  const follower = () =>
    new NextHopFollower({
      open,
      refresh: (scope) => void state.refreshes.push(scope),
      onMonitorError: (message) => void state.errors.push(message),
    });
  return { state, follower };
}

const ALL_WITH_LINKS: NextHopScope = { kind: 'all', links: true };
const neighbours = (...addresses: string[]): NextHopScope => ({ kind: 'neighbours', addresses: new Set(addresses) });

describe('NextHopFollower', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('re-resolves everything once when the monitor opens', () => {
    const { state, follower } = fakeMonitor();
    const f = follower();
    assert.equal(f.listening, true);
    assert.deepEqual(state.refreshes, []);
    mock.timers.tick(30);
    assert.deepEqual(state.refreshes, [ALL_WITH_LINKS]);
    f.close();
  });

  it('coalesces a burst of neighbour notifications into one refresh after the debounce', () => {
    const { state, follower } = fakeMonitor();
    const f = follower();
    mock.timers.tick(30);
    state.refreshes.length = 0;
    state.emit({ ...NONE, neighbours: [neighbour('10.0.2.11', 'incomplete')] });
    mock.timers.tick(10);
    state.emit({ ...NONE, neighbours: [neighbour('10.0.2.11'), neighbour('10.0.2.12')] });
    mock.timers.tick(10);
    state.emit({ ...NONE, neighbours: [neighbour('203.0.113.254', 'stale')] });
    mock.timers.tick(9);
    assert.deepEqual(state.refreshes, [], 'nothing before the window closes');
    mock.timers.tick(1);
    assert.deepEqual(state.refreshes, [neighbours('10.0.2.11', '10.0.2.12', '203.0.113.254')]);
    // The window does not slide: a steady stream still refreshes every 30 ms.
    state.emit({ ...NONE, neighbours: [neighbour('10.0.2.13')] });
    mock.timers.tick(20);
    state.emit({ ...NONE, neighbours: [neighbour('10.0.2.14')] });
    mock.timers.tick(10);
    assert.deepEqual(state.refreshes.slice(1), [neighbours('10.0.2.13', '10.0.2.14')]);
    f.close();
  });

  it('re-resolves everything on route changes, link or address changes, and lost notifications', () => {
    const { state, follower } = fakeMonitor();
    const f = follower();
    mock.timers.tick(30);
    state.refreshes.length = 0;
    state.emit({ ...NONE, neighbours: [neighbour('10.0.2.11')] });
    state.emit({ ...NONE, routes: true });
    mock.timers.tick(30);
    state.emit({ ...NONE, overflow: true });
    mock.timers.tick(30);
    state.emit({ ...NONE, addresses: true });
    mock.timers.tick(30);
    state.emit({ ...NONE, links: true });
    mock.timers.tick(30);
    assert.deepEqual(state.refreshes, [
      { kind: 'all', links: false },
      { kind: 'all', links: false },
      ALL_WITH_LINKS,
      ALL_WITH_LINKS,
    ]);
    state.emit(NONE);
    mock.timers.tick(30);
    assert.equal(state.refreshes.length, 4, 'an empty report refreshes nothing');
    f.close();
  });

  it('re-resolves everything every 30 s as a safety net', () => {
    const { state, follower } = fakeMonitor();
    const f = follower();
    mock.timers.tick(30);
    state.refreshes.length = 0;
    mock.timers.tick(30_000 - 30 - 1);
    assert.deepEqual(state.refreshes, []);
    mock.timers.tick(1);
    mock.timers.tick(30);
    assert.deepEqual(state.refreshes, [ALL_WITH_LINKS]);
    mock.timers.tick(30_000);
    mock.timers.tick(30);
    assert.equal(state.refreshes.length, 2);
    f.close();
  });

  it('falls back to polling every second when the monitor fails, reports it once, and reopens', () => {
    const { state, follower } = fakeMonitor();
    const f = follower();
    mock.timers.tick(30);
    state.refreshes.length = 0;
    state.emit({ ...NONE, overflow: true, error: 'route monitor: netlink receive: Bad file descriptor' });
    assert.equal(f.listening, false);
    assert.equal(state.closed, 1, 'the failed monitor is closed');
    assert.deepEqual(state.errors, ['route monitor: netlink receive: Bad file descriptor']);
    mock.timers.tick(30);
    assert.deepEqual(state.refreshes, [{ kind: 'all', links: false }]);
    mock.timers.tick(1000);
    assert.equal(f.listening, true, 'reopened at the next tick');
    assert.equal(state.opened, 2);
    mock.timers.tick(30);
    assert.deepEqual(state.refreshes.at(-1), ALL_WITH_LINKS);
    f.close();
  });

  it('polls every second while the monitor cannot open, reporting the outage once', () => {
    const { state, follower } = fakeMonitor({ failOpens: 3 });
    const f = follower();
    assert.equal(f.listening, false);
    for (let i = 0; i < 2; i++) {
      mock.timers.tick(1000);
      mock.timers.tick(30);
    }
    assert.deepEqual(state.errors, ['netlink socket: Operation not permitted']);
    assert.deepEqual(state.refreshes, [{ kind: 'all', links: false }, { kind: 'all', links: false }]);
    mock.timers.tick(1000);
    assert.equal(f.listening, true);
    mock.timers.tick(30);
    assert.deepEqual(state.refreshes.at(-1), ALL_WITH_LINKS);
    f.close();
  });

  it('close() stops the monitor and every timer, idempotently', () => {
    const { state, follower } = fakeMonitor();
    const f = follower();
    state.emit({ ...NONE, routes: true });
    f.close();
    f.close();
    assert.equal(state.closed, 1);
    mock.timers.tick(60_000);
    assert.deepEqual(state.refreshes, []);
  });

  it('refuses a non-positive interval', () => {
    const { state } = fakeMonitor();
    assert.throws(
      () => new NextHopFollower({ open: () => assert.fail(), refresh: () => {}, onMonitorError: () => {}, debounceMs: 0 }),
      /debounceMs must be a positive number of ms, not 0/,
    );
    assert.equal(state.opened, 0);
  });
});
