// test/unit/control-worker-queue.test.ts — the control worker (through ControlClient, io/mem)
// during a large rebuild: a reload that rebuilds every service of a 20 000-server config runs in
// time slices, so a status request sent after it is answered before it finishes, from the last
// commit; a weight change sent meanwhile waits its turn in the commit queue and lands on top of
// the reload; a connection listing too large for one document is refused. Orders are asserted,
// never durations. Main thread + the control worker thread.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { ControlClient } from '../../src/control/main/client.js';

const SERVICES = 40;
const SERVERS = 500;

function bigConfig(weightOffset: number): Config {
  const raw = {
    dataplane: { backend: 'mem', workers: 1, interfaces: ['mem0'], conn_table_size: 1024 },
    services: Array.from({ length: SERVICES }, (_, s) => ({
      name: `s${s}`,
      vip: `10.200.0.${s + 1}`,
      port: 80,
      forwarding: 'dr',
      scheduler: 'mh',
      servers: Array.from({ length: SERVERS }, (_, b) => ({
        address: `10.1.${Math.floor(b / 250)}.${1 + (b % 250)}`,
        port: 80,
        weight: 1 + ((b + weightOffset) % 5),
      })),
    })),
  };
  return parseConfigText(JSON.stringify(raw), 'big.json');
}

describe('control worker: commits queue, status does not wait for them', () => {
  let client: ControlClient;
  before(async () => {
    client = new ControlClient();
    await client.start(bigConfig(0));
  });
  after(async () => {
    await client.stop().catch(() => undefined);
    await client.close();
  });

  it('answers status during a reload that rebuilds every service; a weight change waits for the reload', async () => {
    const order: string[] = [];
    const reload = client.reload(bigConfig(1)).then((r) => (order.push('reload'), r));
    const status = client.status().then((s) => (order.push('status'), s));
    const weight = client.setWeight('s0', '10.1.0.1:80', 9).then((w) => (order.push('weight'), w));
    const [reloaded, during, weighted] = await Promise.all([reload, status, weight]);
    assert.deepEqual(order, ['status', 'reload', 'weight']);
    assert.equal(during.engine.generation, 1n, 'status saw the last commit, not a half-built one');
    assert.equal(reloaded.generation, 2n);
    assert.equal(weighted.generation, 3n, 'the weight change was committed after the reload');
    assert.equal(weighted.previousWeight, 2, "the reloaded file's weight (1 + (0 + 1) % 5)");
    const now = await client.status();
    const s0 = now.services.find((s) => s.name === 's0')!;
    assert.equal(s0.servers[0]!.weight, 9);
    assert.equal(now.services.find((s) => s.name === 's1')!.servers[0]!.weight, 2);
  });
});

describe('control worker: connection listings stay bounded', () => {
  it('refuses a limit that times the workers exceeds one listing, naming the most it allows', async () => {
    const client = new ControlClient();
    try {
      const config = parseConfigText(
        `dataplane: { backend: mem, workers: 3, interfaces: [mem0], conn_table_size: 1024 }
services:
  - { name: web, vip: 203.0.113.10, port: 80, forwarding: dr, scheduler: rr, servers: [{ address: 10.0.0.11, port: 80 }] }
`,
        'three.yaml',
      );
      await client.start(config);
      await assert.rejects(client.connections(100_000), /limit 100000 x 3 workers exceeds 200000 entries in one listing: use at most 66666/);
      const ok = await client.connections(66_666);
      assert.deepEqual(ok.workers.map((w) => w.total), [0, 0, 0]);
    } finally {
      await client.stop().catch(() => undefined);
      await client.close();
    }
  });
});
