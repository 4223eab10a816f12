// test/unit/nexthop-afxdp.test.ts — the afxdp next-hop resolver against a fake kernel: port
// index = the route's interface in dataplane.interfaces, MAC = the neighbour's (gateway or the
// server itself); anything unresolved gives an all-zero MAC with the reason, and a missing
// neighbour is solicited. Port MAC and address come from the interfaces. Then the addon's own
// kernel queries on the loopback interface (no root needed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AfxdpNextHops, type KernelTables } from '../../src/control/worker/nexthop/afxdp.js';
import { kernelNextHop, linkInfo, type KernelNextHop, type LinkInfo } from '../../src/native/addon.js';

const MAC = (last: number) => Uint8Array.from([2, 0, 0, 0, 0, last]);
const link = (ifindex: number, address: string | null): LinkInfo => ({
  ifindex, mtu: 1500, mac: MAC(ifindex), address, rxQueues: 2, txQueues: 2,
});

function fakeKernel(routes: Record<string, KernelNextHop>) {
  const solicited: string[] = [];
  const kernel: KernelTables = {
    linkInfo: (name) => ({ eth0: link(7, '203.0.113.1'), eth1: link(9, null) })[name] ?? assert.fail(`no ${name}`),
    nextHop: (address) => routes[address] ?? { error: 'Network is unreachable' },
    solicit: (address) => void solicited.push(address),
  };
  return { kernel, solicited };
}

describe('AfxdpNextHops', () => {
  it('takes the port from the route and the MAC from the neighbour', () => {
    const { kernel, solicited } = fakeKernel({
      '10.0.2.11': { ifindex: 9, gateway: null, neighbour: '10.0.2.11', mac: MAC(0x11), state: 'reachable' },
      '10.9.0.5': { ifindex: 7, gateway: '203.0.113.254', neighbour: '203.0.113.254', mac: MAC(0xfe), state: 'stale' },
    });
    const r = new AfxdpNextHops(['eth0', 'eth1'], kernel);
    assert.deepEqual(r.resolve('10.0.2.11'), { portIndex: 1, mac: MAC(0x11) });
    assert.deepEqual(r.resolve('10.9.0.5'), { portIndex: 0, mac: MAC(0xfe) });
    assert.equal(r.whyUnresolved('10.0.2.11'), undefined);
    assert.deepEqual(solicited, []);
  });

  it('answers an all-zero MAC with the reason, and solicits a missing neighbour', () => {
    const { kernel, solicited } = fakeKernel({
      '10.0.2.12': { ifindex: 9, gateway: null, neighbour: '10.0.2.12', mac: null, state: 'incomplete' },
      '192.0.2.1': { ifindex: 3, gateway: null, neighbour: '192.0.2.1', mac: MAC(1), state: 'reachable' },
    });
    const r = new AfxdpNextHops(['eth0', 'eth1'], kernel);
    assert.deepEqual(r.resolve('10.0.2.12'), { portIndex: 1, mac: new Uint8Array(6) });
    assert.equal(r.whyUnresolved('10.0.2.12'), 'neighbour 10.0.2.12 on eth1 is incomplete');
    assert.deepEqual(solicited, ['10.0.2.12']);
    assert.deepEqual(r.resolve('192.0.2.1').mac, new Uint8Array(6));
    assert.match(r.whyUnresolved('192.0.2.1')!, /interface #3, which is not in dataplane.interfaces \(eth0, eth1\)/);
    assert.deepEqual(r.resolve('10.77.0.1').mac, new Uint8Array(6));
    assert.equal(r.whyUnresolved('10.77.0.1'), 'no route to 10.77.0.1: Network is unreachable');
  });

  it('forgets the reason once the neighbour resolves', () => {
    const routes: Record<string, KernelNextHop> = {
      '10.0.2.13': { ifindex: 9, gateway: null, neighbour: '10.0.2.13', mac: null, state: 'incomplete' },
    };
    const { kernel } = fakeKernel(routes);
    const r = new AfxdpNextHops(['eth0', 'eth1'], kernel);
    r.resolve('10.0.2.13');
    assert.ok(r.whyUnresolved('10.0.2.13'));
    routes['10.0.2.13'] = { ifindex: 9, gateway: null, neighbour: '10.0.2.13', mac: MAC(0x13), state: 'reachable' };
    assert.deepEqual(r.resolve('10.0.2.13').mac, MAC(0x13));
    assert.equal(r.whyUnresolved('10.0.2.13'), undefined);
  });

  it('gives each port its interface MAC and address, tunnel_source first', () => {
    const r = new AfxdpNextHops(['eth0', 'eth1'], fakeKernel({}).kernel);
    assert.deepEqual(r.portMac(1), MAC(9));
    assert.equal(r.portAddress(0, undefined), '203.0.113.1');
    assert.equal(r.portAddress(1, undefined), '0.0.0.0');
    assert.equal(r.portAddress(1, '10.0.2.1'), '10.0.2.1');
    assert.equal(r.portMtu(0), 1500);
  });
});

describe('kernel tables through the addon', () => {
  it('reads an interface: index, MTU, address', () => {
    const lo = linkInfo('lo');
    assert.ok(lo.ifindex > 0);
    assert.ok(lo.mtu > 0);
    assert.equal(lo.mac.length, 6);
    assert.ok(lo.rxQueues >= 1 && lo.txQueues >= 1);
  });

  it('refuses an interface that does not exist with XVS_EINVAL', () => {
    assert.throws(() => linkInfo('xvs-none0'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'XVS_EINVAL');
      assert.match(e.message, /no network interface 'xvs-none0'/);
      return true;
    });
  });

  it('has no next hop towards a local address', () => {
    const hop = kernelNextHop('127.0.0.1');
    assert.ok('error' in hop);
    assert.equal(hop.error, 'a local address of this host');
  });
});
