// test/unit/abi.test.ts — the TypeScript ABI mirror agrees with the addon's layout(), a
// disagreement is reported field by field, and snapshots the encoder makes are accepted by the
// native decoder while damaged ones are refused with a code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import { buildModel, type DataplaneModel } from '../../src/control/worker/model.js';
import { MemNextHops } from '../../src/control/worker/nexthop/mem.js';
import { encodeSnapshot } from '../../src/control/worker/snapshot-encoder.js';
import { StableIds } from '../../src/control/worker/stable-ids.js';
import { compareAbi, type NativeLayout } from '../../src/native/abi.js';
import { createEngine, loadAddon } from '../../src/native/addon.js';

const YAML = `
dataplane: { backend: mem, workers: 2, interfaces: [mem0], conn_table_size: 1024 }
local_address_pools: { lan: [10.0.0.100] }
services:
  - { name: web, vip: 203.0.113.10, port: 80, scheduler: rr, forwarding: fullnat, local_address_pool: lan,
      servers: [{ address: 10.0.0.11, port: 8080 }] }
`;

function snapshot(generation: bigint, yaml = YAML, edit: (m: DataplaneModel) => void = () => {}): Uint8Array {
  const config = parseConfigText(yaml, 'abi-test.yaml');
  const model = buildModel(config, generation, new MemNextHops(1), new StableIds());
  edit(model);
  return encodeSnapshot(model);
}

function engine() {
  return createEngine({ backend: 'mem', workers: 2, interfaces: ['mem0'], connTableSize: 1024 });
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string };
  }
  assert.fail('expected the addon to reject');
}

function nativeError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  assert.fail('expected the addon to throw');
}

describe('ABI mirror', () => {
  it('matches the addon layout exactly', () => {
    assert.deepEqual(compareAbi(loadAddon().layout()), []);
  });

  it('names the record, field and both sides when they differ', () => {
    const layout: NativeLayout = structuredClone(loadAddon().layout());
    layout.records.service!.fields[1]!.offset = 5;
    layout.counters.push('drop_new_reason');
    const problems = compareAbi(layout);
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /record service field 1: addon port:be16@5, TypeScript port:be16@4/);
    assert.match(problems[1]!, /counters: .*drop_new_reason/);
  });
});

describe('engine start', () => {
  it('refuses connection tables larger than the memory, naming the fields to lower, instead of dying later', () => {
    const e = createEngine({ backend: 'mem', workers: 8, interfaces: ['mem0'], connTableSize: 2 ** 27 });
    try {
      assert.throws(() => e.start(), (err: { code?: string; message: string }) => {
        assert.equal(err.code, 'XVS_ELIMIT');
        assert.match(err.message, /^the connection tables need \d+ MiB \(8 workers x conn_table_size 134217728 x \d+ bytes\), more than this machine's \d+ MiB of memory: lower dataplane\.conn_table_size or dataplane\.workers$/);
        return true;
      });
    } finally {
      e.close();
    }
  });
});

describe('snapshot commit', () => {
  it('accepts an encoded snapshot and reports its generation', async () => {
    const e = engine();
    assert.equal(await e.commit(snapshot(1n)), 1n);
    assert.equal(e.status().generation, 1n);
  });

  it('refuses a generation that is not newer, with XVS_ESNAPSHOT', async () => {
    const e = engine();
    await e.commit(snapshot(5n));
    const err = await rejection(e.commit(snapshot(5n)));
    assert.equal(err.code, 'XVS_ESNAPSHOT');
    assert.match(err.message, /generation 5 is not newer than the running 5/);
  });

  it('refuses a truncated snapshot and keeps the running one', async () => {
    const e = engine();
    await e.commit(snapshot(1n));
    const err = await rejection(e.commit(snapshot(2n).subarray(0, 100)));
    assert.equal(err.code, 'XVS_ESNAPSHOT');
    assert.equal(e.status().generation, 1n);
  });

  it('reads the bytes during the call only: the caller may transfer or reuse them at once', async () => {
    // The build runs on a libuv thread after commit() returns. A buffer transferred away (its
    // memory handed to another ArrayBuffer, here zeroed at once) must not be read there.
    const e = engine();
    for (let generation = 1n; generation <= 20n; generation++) {
      const bytes = snapshot(generation);
      const pending = e.commit(bytes);
      new Uint8Array(structuredClone(bytes.buffer, { transfer: [bytes.buffer] })).fill(0);
      assert.equal(bytes.byteLength, 0, 'transferred');
      assert.equal(await pending, generation);
    }
  });

  it('refuses a damaged magic number', async () => {
    const bytes = snapshot(1n);
    bytes[0] = 0;
    assert.equal((await rejection(engine().commit(bytes))).code, 'XVS_ESNAPSHOT');
  });

  it('refuses a tunnel service whose egress port has no address for the outer header', async () => {
    // The config loader refuses this for the mem backend; the data plane checks it again.
    const tunnel = YAML.replace('forwarding: fullnat, local_address_pool: lan', 'forwarding: tunnel')
      .replace('port: 8080', 'port: 80')
      .replace('conn_table_size: 1024', 'conn_table_size: 1024, tunnel_source: 10.0.0.1');
    const err = await rejection(engine().commit(snapshot(1n, tunnel, (m) => (m.ports[0]!.address = '0.0.0.0'))));
    assert.equal(err.code, 'XVS_ESNAPSHOT');
    assert.match(err.message, /tunnel mode needs an IPv4 address on port 0 .*dataplane\.tunnel_source/);
  });

  it('refuses a non-Uint8Array argument with XVS_EINVAL instead of crashing, by rejecting', async () => {
    const e = engine();
    assert.equal((await rejection(e.commit('nope' as unknown as Uint8Array))).code, 'XVS_EINVAL');
  });

  it('frees every retired snapshot once all running workers have passed the newest generation', async () => {
    const e = engine();
    await e.commit(snapshot(1n));
    e.start();
    try {
      for (let g = 2n; g <= 10n; g++) await e.commit(snapshot(g));
      assert.ok(e.settle(5000));
      assert.equal(e.reclaim(), 0);
      const status = e.status();
      assert.deepEqual(status.workers.map((w) => w.seenGeneration), [10n, 10n]);
    } finally {
      e.stop();
    }
  });

  it('decodes off the thread, one commit at a time; refusals reject and leave the running snapshot', async () => {
    const e = engine();
    await e.commit(snapshot(1n));
    e.start();
    try {
      const pending = e.commit(snapshot(2n));
      assert.equal((await rejection(e.commit(snapshot(3n)))).code, 'XVS_EBUSY', 'a second commit meanwhile is refused');
      assert.equal(e.status().generation, 1n, 'nothing is published before the promise settles');
      assert.equal(await pending, 2n);
      assert.equal(e.status().generation, 2n);

      const damaged = snapshot(3n);
      damaged[0] = 0;
      assert.equal((await rejection(e.commit(damaged))).code, 'XVS_ESNAPSHOT');
      assert.match((await rejection(e.commit(snapshot(2n)))).message, /generation 2 is not newer than the running 2/);
      assert.equal(e.status().generation, 2n);
      assert.equal(await e.commit(snapshot(3n)), 3n, 'a refusal ends the commit: the next one goes through');
    } finally {
      e.stop();
    }
    assert.equal((await rejection(e.commit(snapshot(4n)))).code, 'XVS_ESTATE');
  });

  it('refuses unknown backends and bad worker counts with XVS_EINVAL, unbuilt backends with XVS_ENOTSUP', () => {
    const create = (o: object) => nativeError(() => createEngine({ backend: 'mem', workers: 1, interfaces: ['m'], connTableSize: 1024, ...o }));
    assert.equal(create({ backend: 'pcap' }).code, 'XVS_EINVAL');
    assert.equal(create({ workers: 0 }).code, 'XVS_EINVAL');
    // The default addon (node-gyp) has no DPDK backend and says how to get it.
    const unbuilt = nativeError(() => new (loadAddon().Engine)({ backend: 'dpdk', workers: 1, interfaces: ['xvs-none0'], connTableSize: 1024 }));
    assert.equal(unbuilt.code, 'XVS_ENOTSUP');
    assert.match(unbuilt.message, /npm run build:dpdk/);
    assert.equal(create({ backend: 'afxdp', interfaces: ['xvs-none0'] }).code, 'XVS_EINVAL');
  });
});
