// test/unit/nexthop-reuse.test.ts — reusingNextHops: a rebuild takes the next hops of servers the
// last model reaches with a resolved MAC from that model, and asks the resolver only about new
// and unresolved servers (which also makes the kernel resolve them). Main thread.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DataplaneModel } from '../../src/control/worker/model.js';
import { reusingNextHops } from '../../src/control/worker/nexthop/reuse.js';
import type { NextHopResolver } from '../../src/control/worker/nexthop/types.js';

const MAC = new Uint8Array([2, 0, 0, 0, 0, 9]);
const NONE = new Uint8Array(6);

function resolver(asked: string[]): NextHopResolver {
  return {
    resolve: (address) => (asked.push(address), { portIndex: 1, mac: new Uint8Array([2, 0, 0, 0, 0, 1]) }),
    portMac: () => new Uint8Array(6),
    portAddress: () => '10.0.0.1',
    whyUnresolved: () => undefined,
  };
}

const last = {
  services: [
    {
      backends: [
        { address: '10.0.0.11', portIndex: 0, mac: MAC },
        { address: '10.0.0.12', portIndex: 0, mac: NONE },
      ],
    },
  ],
} as unknown as DataplaneModel;

describe('reusingNextHops', () => {
  it('reuses resolved next hops of the last model; asks about unresolved and new servers', () => {
    const asked: string[] = [];
    const r = reusingNextHops(resolver(asked), last);
    assert.deepEqual(r.resolve('10.0.0.11'), { portIndex: 0, mac: MAC });
    assert.equal(r.resolve('10.0.0.12').portIndex, 1);
    assert.equal(r.resolve('10.0.0.13').portIndex, 1);
    assert.deepEqual(asked, ['10.0.0.12', '10.0.0.13']);
    assert.equal(typeof r.whyUnresolved, 'function', 'kernel-backed resolvers stay kernel-backed');
  });

  it('is the resolver itself before the first commit', () => {
    const base = resolver([]);
    assert.equal(reusingNextHops(base, undefined), base);
  });
});
