// test/unit/nexthop-refresh.test.ts — following the kernel end to end in TypeScript, on the real
// addon's io/mem engine with the afxdp resolver over a fake kernel and a fake route monitor:
// a neighbour notification re-resolves only the servers depending on that neighbour (the server
// itself, or the servers behind a gateway) and commits a new snapshot only when a next hop
// actually changed; a burst of notifications becomes one re-resolve and at most one commit;
// lost notifications (ENOBUFS) and route changes re-resolve every server; link changes re-read
// the interfaces; services a change does not concern stay the same objects. The generation
// counts commits.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import { CommitQueue } from '../../src/control/worker/commit-queue.js';
import { Dataplane } from '../../src/control/worker/dataplane.js';
import { AfxdpNextHops, type KernelTables } from '../../src/control/worker/nexthop/afxdp.js';
import { NextHopFollower } from '../../src/control/worker/nexthop/follow.js';
import type { KernelNextHop, LinkInfo, RouteChanges } from '../../src/native/addon.js';

const MAC = (last: number) => Uint8Array.from([2, 0, 0, 0, 0, last]);
const GATEWAY = '10.0.2.254';
const CONFIG = parseConfigText(
  `dataplane: { backend: mem, workers: 1, interfaces: [eth0, eth1] }
services:
  - { name: web, vip: 203.0.113.10, port: 80, forwarding: nat, scheduler: rr,
      servers: [{ address: 10.0.2.11, port: 8080 }, { address: 10.0.2.12, port: 8080 }] }
  - { name: dns, vip: 203.0.113.10, port: 53, protocol: udp, forwarding: nat, scheduler: rr,
      servers: [{ address: 10.0.2.11, port: 5353 }, { address: 10.9.0.5, port: 53 }, { address: 10.9.0.6, port: 53 }] }
`,
  'nexthop-refresh.yaml',
);

/** Servers 10.0.2.x on-link on eth1 (ifindex 9), 10.9.0.x behind the gateway; all resolved. */
function fakeKernel() {
  const neighbours = new Map<string, Uint8Array | null>([
    ['10.0.2.11', MAC(0x11)],
    ['10.0.2.12', MAC(0x12)],
    [GATEWAY, MAC(0xfe)],
  ]);
  const links: Record<string, LinkInfo> = {
    eth0: { ifindex: 7, mtu: 1500, mac: MAC(7), address: '203.0.113.1', rxQueues: 1, txQueues: 1 },
    eth1: { ifindex: 9, mtu: 1500, mac: MAC(9), address: '10.0.2.1', rxQueues: 1, txQueues: 1 },
  };
  const asked: string[] = [];
  const solicited: string[] = [];
  const kernel: KernelTables = {
    linkInfo: (name) => structuredClone(links[name] ?? assert.fail(`no ${name}`)),
    nextHop: (address): KernelNextHop => {
      asked.push(address);
      const neighbour = address.startsWith('10.9.') ? GATEWAY : address;
      const mac = neighbours.get(neighbour) ?? null;
      return { ifindex: 9, gateway: neighbour === address ? null : GATEWAY, neighbour, mac, state: mac ? 'reachable' : 'failed' };
    },
    solicit: (address) => void solicited.push(address),
  };
  return { kernel, neighbours, links, asked, solicited };
}

async function setup() {
  const k = fakeKernel();
  const dataplane = Dataplane.create(CONFIG, { resolver: new AfxdpNextHops(CONFIG.dataplane.interfaces, k.kernel) });
  await dataplane.apply(CONFIG);
  k.asked.length = 0;
  let emit: (c: RouteChanges) => void = () => assert.fail('no monitor');
  const commits: bigint[] = [];
  const queue = new CommitQueue();
  /** Waits until every refresh the follower has started so far has committed (or not). */
  const settled = () => queue.run(() => undefined);
  const follower = new NextHopFollower({
    open: (onChanges) => {
      emit = onChanges;
      return { close: () => {}, closed: false };
    },
    // As the Controller does: refreshes commit one after another, through one queue.
    refresh: (scope) =>
      void queue.run(async () => {
        const model = await dataplane.refreshNextHops(scope);
        if (model) commits.push(model.generation);
      }),
    onMonitorError: (message) => assert.fail(message),
  });
  mock.timers.tick(30); // the resync when the monitor opens: nothing changed
  await settled();
  const generation = () => dataplane.status().generation;
  const close = () => {
    follower.close();
    dataplane.stop();
  };
  return {
    ...k,
    dataplane,
    follower,
    commits,
    settled,
    generation,
    emit: (c: Partial<RouteChanges>) => emit({ neighbours: [], routes: false, links: false, addresses: false, overflow: false, ...c }),
    neighbourChange: (address: string, state: string) => ({ address, ifindex: 9, state, mac: null, deleted: state === 'none' }),
    close,
  };
}

describe('following next hops (Dataplane + AfxdpNextHops + NextHopFollower)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('the resync at open commits nothing when nothing changed', async () => {
    const t = await setup();
    try {
      assert.deepEqual(t.commits, []);
    } finally {
      t.close();
    }
  });

  it('a neighbour notification re-resolves only its servers and commits only on a change', async () => {
    const t = await setup();
    try {
      const before = t.generation();
      t.asked.length = 0;
      // The entry changed state but kept its MAC: re-resolved, nothing committed.
      t.emit({ neighbours: [t.neighbourChange('10.0.2.12', 'stale')] });
      mock.timers.tick(30);
      await t.settled();
      assert.deepEqual(t.asked, ['10.0.2.12']);
      assert.deepEqual(t.commits, []);
      assert.equal(t.generation(), before);

      // The server moved to another MAC: one commit carrying it, in both services.
      t.asked.length = 0;
      t.neighbours.set('10.0.2.11', MAC(0x21));
      t.emit({ neighbours: [t.neighbourChange('10.0.2.11', 'reachable')] });
      mock.timers.tick(30);
      await t.settled();
      assert.deepEqual(t.asked, ['10.0.2.11'], 'one query per distinct server, not per service entry');
      assert.deepEqual(t.commits, [before + 1n]);
      assert.equal(t.generation(), before + 1n);
      const model = await t.dataplane.refreshNextHops({ kind: 'all', links: false });
      assert.equal(model, undefined, 'a full re-resolve now finds nothing new');
    } finally {
      t.close();
    }
  });

  it('a commit after a moved next hop keeps the services it does not concern as they were', async () => {
    const t = await setup();
    try {
      const before = t.dataplane.committedModel()!;
      t.neighbours.set('10.0.2.12', MAC(0x22));
      t.emit({ neighbours: [t.neighbourChange('10.0.2.12', 'reachable')] });
      mock.timers.tick(30);
      await t.settled();
      const after = t.dataplane.committedModel()!;
      assert.equal(after.generation, before.generation + 1n);
      assert.notEqual(after.services[0], before.services[0], 'web reaches 10.0.2.12');
      assert.equal(after.services[0]!.backends[0], before.services[0]!.backends[0], 'its other server is untouched');
      assert.deepEqual(after.services[0]!.backends[1]!.mac, MAC(0x22));
      assert.equal(after.services[1], before.services[1], 'dns does not: the same object, its encoded bytes reused');
    } finally {
      t.close();
    }
  });

  it('a gateway notification re-resolves the servers behind it; a failed gateway commits all-zero MACs', async () => {
    const t = await setup();
    try {
      t.asked.length = 0;
      t.neighbours.set(GATEWAY, null);
      t.emit({ neighbours: [t.neighbourChange(GATEWAY, 'failed')] });
      mock.timers.tick(30);
      await t.settled();
      assert.deepEqual(t.asked.sort(), ['10.9.0.5', '10.9.0.6']);
      assert.equal(t.commits.length, 1);
      assert.deepEqual(t.solicited.sort(), ['10.9.0.5', '10.9.0.6'], 'the unresolved neighbour is solicited');
      assert.deepEqual(
        t.dataplane.unresolvedNextHops().sort(),
        [`10.9.0.5: gateway ${GATEWAY} on eth1 is failed`, `10.9.0.6: gateway ${GATEWAY} on eth1 is failed`],
      );
      t.neighbours.set(GATEWAY, MAC(0xfd));
      t.emit({ neighbours: [t.neighbourChange(GATEWAY, 'reachable')] });
      mock.timers.tick(30);
      await t.settled();
      assert.equal(t.commits.length, 2);
      assert.deepEqual(t.dataplane.unresolvedNextHops(), []);
    } finally {
      t.close();
    }
  });

  it('coalesces a burst of notifications into one re-resolve and one commit', async () => {
    const t = await setup();
    try {
      t.asked.length = 0;
      for (let i = 0; i < 50; i++) {
        t.neighbours.set('10.0.2.12', MAC(0x30 + (i % 5)));
        t.emit({ neighbours: [t.neighbourChange('10.0.2.12', 'reachable'), t.neighbourChange('10.0.2.11', 'stale')] });
        if (i % 10 === 9) mock.timers.tick(2);
        await t.settled();
      }
      assert.deepEqual(t.commits, [], 'nothing before the debounce window closes');
      mock.timers.tick(30);
      await t.settled();
      assert.deepEqual(t.asked.sort(), ['10.0.2.11', '10.0.2.12']);
      assert.equal(t.commits.length, 1);
    } finally {
      t.close();
    }
  });

  it('lost notifications (ENOBUFS) and route changes re-resolve every server', async () => {
    const t = await setup();
    try {
      t.asked.length = 0;
      t.neighbours.set('10.0.2.12', MAC(0x42)); // changed while notifications were lost
      t.emit({ overflow: true });
      mock.timers.tick(30);
      await t.settled();
      assert.deepEqual(t.asked.sort(), ['10.0.2.11', '10.0.2.12', '10.9.0.5', '10.9.0.6']);
      assert.equal(t.commits.length, 1);
      t.asked.length = 0;
      t.emit({ routes: true });
      mock.timers.tick(30);
      await t.settled();
      assert.equal(t.asked.length, 4);
      assert.equal(t.commits.length, 1, 'nothing changed the second time');
    } finally {
      t.close();
    }
  });

  it('a link change re-reads the interfaces and commits a new port MAC or MTU', async () => {
    const t = await setup();
    try {
      t.links.eth0!.mtu = 9000;
      t.emit({ links: true });
      mock.timers.tick(30);
      await t.settled();
      assert.equal(t.commits.length, 1);
      const model = await t.dataplane.apply(CONFIG);
      assert.equal(model.ports[0]!.mtu, 9000);
    } finally {
      t.close();
    }
  });
});
