// test/unit/controller.test.ts — the control worker's state lives in a Controller, not in module
// globals: two controllers on one thread, each with its own engine (io/mem), start, change and
// stop independently; requests before start or after stop are refused with XVS_ESTATE, those
// during a start wait for it, and an unknown one is refused with XVS_EINVAL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import type { ControlEvent } from '../../src/control/protocol.js';
import { Controller } from '../../src/control/worker/controller.js';

const config = (vip: string) =>
  parseConfigText(
    `dataplane: { backend: mem, workers: 2, interfaces: [mem0], conn_table_size: 1024 }
services:
  - { name: web, vip: ${vip}, port: 80, forwarding: dr, scheduler: wrr,
      servers: [{ address: 10.0.0.11, port: 80 }, { address: 10.0.0.12, port: 80, weight: 2 }] }
`,
    `controller-${vip}.yaml`,
  );

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'resolved';
};

describe('Controller', () => {
  it('two controllers on one thread keep their own engine, file, weights and generation', async () => {
    const events: ControlEvent[] = [];
    const a = new Controller((e) => events.push(e));
    const b = new Controller((e) => events.push(e));
    try {
      assert.equal(await code(a.handle({ op: 'status' })), 'XVS_ESTATE', 'nothing runs before start');
      assert.equal((await a.handle({ op: 'start', config: config('203.0.113.10') })).generation, 1n);
      assert.equal((await b.handle({ op: 'start', config: config('203.0.113.20') })).generation, 1n);

      const changed = await a.handle({ op: 'set_weight', service: 'web', server: '10.0.0.11:80', weight: 7 });
      assert.deepEqual([changed.generation, changed.previousWeight, changed.weight], [2n, 1, 7]);
      const [sa, sb] = [await a.handle({ op: 'status' }), await b.handle({ op: 'status' })];
      assert.equal(sa.engine.generation, 2n);
      assert.equal(sb.engine.generation, 1n, "b's engine saw no commit");
      assert.equal(sa.services[0]!.vip, '203.0.113.10');
      assert.equal(sb.services[0]!.vip, '203.0.113.20');
      assert.deepEqual(sa.services[0]!.servers.map((s) => [s.weight, s.overridden]), [[7, true], [2, false]]);
      assert.deepEqual(sb.services[0]!.servers.map((s) => [s.weight, s.overridden]), [[1, false], [2, false]]);
      assert.equal((await b.handle({ op: 'config' })).services[0]!.servers[0]!.weight, 1, "a's override is not b's");

      assert.ok(await a.handle({ op: 'stop' }), 'a stops with its last report');
      assert.equal(await code(a.handle({ op: 'status' })), 'XVS_ESTATE');
      assert.equal((await b.handle({ op: 'status' })).engine.running, true, 'b runs on');
      // Every commit is reported (for the debug log); nothing else happened on its own.
      assert.deepEqual(events.filter((e) => (e as { event: string }).event !== 'committed'), [], 'nothing happened on its own: no health checks, no kernel next hops on io/mem');
      assert.ok(events.some((e) => (e as { event: string }).event === 'committed'), 'the commits were reported');
      assert.equal(await code(b.handle({ op: 'flush' } as never)), 'XVS_EINVAL', 'an unknown request is refused, not thrown');
    } finally {
      await a.handle({ op: 'stop' });
      await b.handle({ op: 'stop' });
    }
  });

  it('refuses a weight that would make the scheduler tables larger than a snapshot holds, before building anything', async () => {
    // 300 servers of weight 65 534: a wrr table of 300 entries (gcd 65 534). One of them at 65 535
    // makes the gcd 1: sum of weights = 19 660 201 entries, over 2^24.
    const servers = Array.from({ length: 300 }, (_, i) => `{ address: 10.0.${i >> 8}.${i & 255}, port: 80, weight: 65534 }`).join(', ');
    const heavy = parseConfigText(
      `dataplane: { backend: mem, interfaces: [mem0], conn_table_size: 1024 }
services:
  - { name: web, vip: 203.0.113.40, port: 80, forwarding: dr, scheduler: wrr, servers: [${servers}] }
`,
      'heavy.yaml',
    );
    const c = new Controller(() => {});
    try {
      await c.handle({ op: 'start', config: heavy });
      let refused: { code?: string; message?: string } = {};
      try {
        await c.handle({ op: 'set_weight', service: 'web', server: '10.0.0.1:80', weight: 65535 });
      } catch (err) {
        refused = err as typeof refused;
      }
      assert.equal(refused.code, 'XVS_EINVAL');
      assert.match(refused.message ?? '', /^weight 65535 would make the scheduler tables 19660201 entries, more than the 16777216 one data plane holds/);
      const status = await c.handle({ op: 'status' });
      assert.equal(status.engine.generation, 1n, 'nothing committed');
      assert.equal(status.services[0]!.servers[1]!.weight, 65534);
      assert.equal((await c.handle({ op: 'set_weight', service: 'web', server: '10.0.0.1:80', weight: 32767 })).generation, 2n, 'a weight that fits is applied');
    } finally {
      await c.handle({ op: 'stop' });
    }
  });

  it('answers status, config and connections asked during a start once the start has ended', async () => {
    const c = new Controller(() => {});
    try {
      const started = c.handle({ op: 'start', config: config('203.0.113.30') });
      const [status, file, connections] = [c.handle({ op: 'status' }), c.handle({ op: 'config' }), c.handle({ op: 'connections', limit: 10 })];
      await started;
      assert.equal((await status).engine.generation, 1n);
      assert.equal((await file).services[0]!.vip, '203.0.113.30');
      assert.equal((await connections).workers.length, 2);
      await c.handle({ op: 'stop' });
      const failed = c.handle({ op: 'start', config: { ...config('203.0.113.30'), dataplane: { ...config('203.0.113.30').dataplane, workers: 0 } } });
      const during = c.handle({ op: 'status' });
      assert.notEqual(await code(failed), 'resolved');
      assert.equal(await code(during), 'XVS_ESTATE', 'a start that failed leaves nothing running');
    } finally {
      await c.handle({ op: 'stop' });
    }
  });

  it('a start takes what the previous run left of its held ports, and warns of bytes it cannot read', async () => {
    const first = new Controller(() => {});
    let stopped: Awaited<ReturnType<Controller['handle']>> | undefined;
    try {
      const started = await first.handle({ op: 'start', config: config('203.0.113.40'), portHolds: { bytes: new Uint8Array([1, 2, 3]), savedAtMs: Date.now() } });
      assert.match((started.warnings ?? []).join('\n'), /held Full-NAT local ports were not restored: held local ports: shorter than its header/);
      assert.equal(started.portHoldsKept, undefined);
    } finally {
      stopped = await first.handle({ op: 'stop' });
    }
    assert.ok(stopped && 'portHolds' in stopped, 'a stop hands back the tuples the servers may still hold');
    const second = new Controller(() => {});
    try {
      const restarted = await second.handle({ op: 'start', config: config('203.0.113.40'), portHolds: stopped.portHolds });
      assert.equal(restarted.portHoldsKept, 0, 'no connection ever ran: nothing held');
      assert.ok(!(restarted.warnings ?? []).some((w) => /not restored/.test(w)), 'its own bytes are read back');
    } finally {
      await second.handle({ op: 'stop' });
    }
  });
});
