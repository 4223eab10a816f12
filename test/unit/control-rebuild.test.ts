// test/unit/control-rebuild.test.ts — incremental rebuilds: a build given the last one reuses
// exactly the services whose inputs did not change and yields the same model as a build from
// scratch, for a table of edits; a service with an unresolved next hop is built again; the
// caching SnapshotEncoder writes the same bytes as a fresh one; rebuilds in time slices give the
// event loop turns and commit; the CommitQueue runs tasks one at a time. Main thread, io/mem.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import type { Config, ServiceConfig } from '../../src/config/types.js';
import { CommitQueue } from '../../src/control/worker/commit-queue.js';
import { Dataplane } from '../../src/control/worker/dataplane.js';
import { buildModel, sameServiceInputs, type DataplaneModel } from '../../src/control/worker/model.js';
import { MemNextHops } from '../../src/control/worker/nexthop/mem.js';
import type { NextHopResolver } from '../../src/control/worker/nexthop/types.js';
import { encodeSnapshot, SnapshotEncoder } from '../../src/control/worker/snapshot-encoder.js';
import { StableIds } from '../../src/control/worker/stable-ids.js';
import { runAtOnce, runInSlices, type SliceStats, type Steps } from '../../src/time-slices.js';
import { SchedulerTables } from '../../src/scheduler/table-cache.js';

const YAML = `
dataplane: { backend: mem, workers: 2, interfaces: [mem0], conn_table_size: 1024 }
local_address_pools: { a: [10.0.0.100], b: [10.0.0.101] }
services:
  - { name: web, vip: 203.0.113.10, port: 80, scheduler: wrr, forwarding: fullnat, local_address_pool: a,
      servers: [{ address: 10.0.0.11, port: 8080, weight: 3 }, { address: 10.0.0.12, port: 8080 }] }
  - { name: api, vip: 203.0.113.10, port: 443, scheduler: mh, forwarding: dr,
      servers: [{ address: 10.0.0.21, port: 443 }, { address: 10.0.0.22, port: 443, upper_threshold: 10 }] }
  - { name: dns, vip: 203.0.113.11, port: 53, protocol: udp, scheduler: sh, forwarding: nat, one_packet: true,
      servers: [{ address: 10.0.0.31, port: 53 }] }
`;
const BASE = parseConfigText(YAML, 'rebuild-test.yaml');

type Edit = (c: Config) => Config;
const service = (c: Config, name: string, edit: (s: ServiceConfig) => ServiceConfig): Config => ({
  ...c,
  services: c.services.map((s) => (s.name === name ? edit(s) : s)),
});
const server = (s: ServiceConfig, i: number, edit: Partial<ServiceConfig['servers'][number]>): ServiceConfig => ({
  ...s,
  servers: s.servers.map((x, j) => (j === i ? { ...x, ...edit } : x)),
});

// Each edit, and the services it changes (the others must be reused as they were).
const EDITS: [string, Edit, string[]][] = [
  ['nothing', (c) => c, []],
  ['a reparsed, equal file', () => parseConfigText(YAML, 'again.yaml'), []],
  ['a weight', (c) => service(c, 'web', (s) => server(s, 0, { weight: 4 })), ['web']],
  ['an upper threshold', (c) => service(c, 'api', (s) => server(s, 1, { upper_threshold: 11 })), ['api']],
  ['a lower threshold', (c) => service(c, 'api', (s) => server(s, 1, { lower_threshold: 2 })), ['api']],
  ['a server port', (c) => service(c, 'dns', (s) => server(s, 0, { port: 5353 })), ['dns']],
  ['a server address', (c) => service(c, 'dns', (s) => server(s, 0, { address: '10.0.0.32' })), ['dns']],
  ['a server added', (c) => service(c, 'web', (s) => ({ ...s, servers: [...s.servers, { ...s.servers[0]!, address: '10.0.0.13' }] })), ['web']],
  ['a server removed', (c) => service(c, 'api', (s) => ({ ...s, servers: s.servers.slice(1) })), ['api']],
  ['servers reordered', (c) => service(c, 'api', (s) => ({ ...s, servers: [...s.servers].reverse() })), ['api']],
  ['the scheduler', (c) => service(c, 'api', (s) => ({ ...s, scheduler: 'wrr' })), ['api']],
  ['the forwarding mode', (c) => service(c, 'api', (s) => ({ ...s, forwarding: 'tunnel' })), ['api']],
  ['the pool', (c) => service(c, 'web', (s) => ({ ...s, local_address_pool: 'b' })), ['web']],
  ['persistence', (c) => service(c, 'api', (s) => ({ ...s, persistence: { timeout: 60, netmask: 24 } })), ['api']],
  ['one_packet', (c) => service(c, 'dns', (s) => ({ ...s, one_packet: false })), ['dns']],
  ['the name', (c) => service(c, 'dns', (s) => ({ ...s, name: 'resolver' })), ['resolver']],
  ['the port (another service)', (c) => service(c, 'api', (s) => ({ ...s, port: 8443 })), ['api']],
  ['a service removed', (c) => ({ ...c, services: c.services.filter((s) => s.name !== 'api') }), []],
  ['a service added', (c) => ({ ...c, services: [...c.services, { ...c.services[1]!, name: 'api2', port: 444 }] }), ['api2']],
  ['services reordered', (c) => ({ ...c, services: [...c.services].reverse() }), []],
  ['health-like copies with the same servers', (c) => ({ ...c, services: c.services.map((s) => ({ ...s, servers: [...s.servers] })) }), []],
  ['a health-check setting only', (c) => service(c, 'web', (s) => ({ ...s, quorum: 2 })), []],
];

function freshBuild(config: Config, ids: StableIds): DataplaneModel {
  return buildModel(config, 2n, new MemNextHops(1), ids);
}

describe('incremental model builds', () => {
  for (const [what, edit, rebuilt] of EDITS) {
    it(`${what}: the same model as from scratch, rebuilding ${rebuilt.length ? rebuilt.join(', ') : 'nothing'}`, () => {
      const ids = new StableIds();
      const tables = new SchedulerTables();
      const first = buildModel(BASE, 1n, new MemNextHops(1), ids, tables);
      const next = edit(BASE);
      const incremental = buildModel(next, 2n, new MemNextHops(1), ids, tables, { config: BASE, model: first });
      assert.deepEqual(incremental, freshBuild(next, ids));
      const before = new Map(first.services.map((s) => [s.name, s]));
      for (const s of incremental.services) {
        const reused = s === before.get(s.name);
        assert.equal(reused, !rebuilt.includes(s.name), `${s.name} ${reused ? 'reused' : 'rebuilt'}`);
      }
    });
  }

  it('rebuilds a service whose pool moved to another index, though its own inputs did not change', () => {
    const ids = new StableIds();
    const onB = service(BASE, 'web', (s) => ({ ...s, local_address_pool: 'b' }));
    const first = buildModel(onB, 1n, new MemNextHops(1), ids);
    assert.equal(first.services[0]!.pool, 1);
    const next = { ...onB, local_address_pools: { b: ['10.0.0.101'] } };
    const model = buildModel(next, 2n, new MemNextHops(1), ids, undefined, { config: onB, model: first });
    assert.equal(model.services[0]!.pool, 0);
    assert.deepEqual(model, freshBuild(next, ids));
    assert.equal(model.services[1], first.services[1], 'api has no pool: reused');
  });

  it('sameServiceInputs compares servers by identity first, then by value', () => {
    const web = BASE.services[0]!;
    assert.ok(sameServiceInputs(web, { ...web }));
    assert.ok(sameServiceInputs(web, { ...web, servers: web.servers.map((s) => ({ ...s })) }));
    assert.ok(!sameServiceInputs(web, server(web, 1, { weight: 0 })));
  });

  it('builds a service again while one of its next hops is unresolved', () => {
    let resolved = false;
    const mem = new MemNextHops(1);
    const flaky: NextHopResolver = {
      ...mem,
      resolve: (address) => (address === '10.0.0.21' && !resolved ? { portIndex: 0, mac: new Uint8Array(6) } : mem.resolve(address)),
      portMac: (i) => mem.portMac(i),
      portAddress: (i, t) => mem.portAddress(i, t),
    };
    const ids = new StableIds();
    const first = buildModel(BASE, 1n, flaky, ids);
    const again = buildModel(BASE, 2n, flaky, ids, undefined, { config: BASE, model: first });
    assert.notEqual(again.services[1], first.services[1], 'api asks again');
    assert.equal(again.services[0], first.services[0], 'web is reused');
    resolved = true;
    const third = buildModel(BASE, 3n, flaky, ids, undefined, { config: BASE, model: again });
    assert.notEqual(third.services[1], again.services[1]);
    assert.ok(third.services[1]!.backends[0]!.mac.some((x) => x !== 0), 'now resolved');
  });
});

describe('SnapshotEncoder', () => {
  it('writes the bytes a fresh encoder writes, across edits that move services around', () => {
    const ids = new StableIds();
    const tables = new SchedulerTables();
    const encoder = new SnapshotEncoder();
    let config = BASE;
    let model = buildModel(config, 1n, new MemNextHops(1), ids, tables);
    assert.deepEqual(encoder.encode(model), encodeSnapshot(model));
    let generation = 2n;
    for (const [, edit] of EDITS) {
      const next = edit(config);
      model = buildModel(next, generation++, new MemNextHops(1), ids, tables, { config, model });
      config = next;
      assert.deepEqual(encoder.encode(model), encodeSnapshot(model));
    }
  });

  it('writes scheduler entries relative to the service and the engine accepts them', async () => {
    const model = buildModel(BASE, 1n, new MemNextHops(1), new StableIds());
    const d = Dataplane.create(BASE);
    try {
      assert.equal(await d.engine.commit(encodeSnapshot(model)), 1n);
    } finally {
      d.stop();
    }
    const api = model.services[1]!;
    assert.ok(api.schedTable.every((i) => i < api.backends.length));
  });
});

function* counting(n: number, spin: number): Steps<number> {
  for (let i = 0; i < n; i++) {
    const until = performance.now() + spin;
    while (performance.now() < until);
    yield;
  }
  return n;
}

describe('time slices', () => {
  it('runAtOnce runs every step', () => {
    assert.equal(runAtOnce(counting(5, 0)), 5);
  });

  it('runInSlices gives the event loop turns between slices and reports them', async () => {
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const stats: SliceStats = { slices: 0 };
    try {
      assert.equal(await runInSlices(counting(20, 2), 5, stats), 20);
    } finally {
      clearInterval(ticker);
    }
    assert.ok(stats.slices >= 4, `${stats.slices} slices of about 5 ms for 40 ms of steps`);
    assert.ok(turns >= 2, `the event loop ran ${turns} timers meanwhile`);
  });
});

describe('Dataplane.apply', () => {
  it('commits in slices as at once, and reuses what did not change', async () => {
    const d = Dataplane.create(BASE);
    try {
      const first = await d.apply(BASE);
      const next = service(BASE, 'web', (s) => server(s, 0, { weight: 1 }));
      const stats: SliceStats = { slices: 0 };
      const model = await d.apply(next, { sliceMs: 0, stats });
      assert.ok(stats.slices > 2, `${stats.slices} slices: a turn of the event loop after every step`);
      assert.equal(model.generation, first.generation + 1n);
      assert.equal(d.engine.status().generation, model.generation);
      assert.notEqual(model.services[0], first.services[0]);
      assert.equal(model.services[1], first.services[1]);
      assert.equal(model.services[0]!.backends[0]!.weight, 1);
    } finally {
      d.stop();
    }
  });
});

describe('CommitQueue', () => {
  it('runs tasks one after another, and a failure does not stop the next', async () => {
    const queue = new CommitQueue();
    const order: string[] = [];
    const slow = queue.run(async () => {
      order.push('slow start');
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('slow end');
      return 1;
    });
    const failing = queue.run(() => {
      order.push('failing');
      throw new Error('refused');
    });
    const quick = queue.run(() => {
      order.push('quick');
      return 3;
    });
    assert.equal(await slow, 1);
    await assert.rejects(failing, /refused/);
    assert.equal(await quick, 3);
    assert.deepEqual(order, ['slow start', 'slow end', 'failing', 'quick']);
  });
});
