// test/unit/dpdk-nexthops.test.ts — the dpdk next-hop resolver (src/control/worker/nexthop/dpdk.ts)
// against a fake engine and a fake kernel: the port is the one whose exception interface (NAME.kni)
// the kernel's route leaves through, the MAC is the engine's neighbour entry for the server or its
// gateway; anything unresolved gives an all-zero MAC with the reason. Port MAC and MTU come from the
// engine's ports, the port address from the exception interface (re-read by refreshLinks).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DpdkNextHops, type HostPortsView, type HostRoutes } from '../../src/control/worker/nexthop/dpdk.js';
import type { HostPort, KernelNextHop, LinkInfo } from '../../src/native/addon.js';

const MAC = (last: number) => Uint8Array.from([2, 0, 0, 0, 0, last]);
const ZERO = new Uint8Array(6);

const PORTS: HostPort[] = [
  { exceptionInterface: 'l0.kni', mac: MAC(0xa0), mtu: 1500 },
  { exceptionInterface: 'l1.kni', mac: MAC(0xa1), mtu: 9000 },
];

/** The engine: its ports (none: not a dpdk engine), and a neighbour table keyed "address@port"; records every question. */
function fakeEngine(table: Record<string, Uint8Array> = {}, ports: HostPort[] | null = PORTS) {
  const asked: { address: string; port: number }[] = [];
  const engine: HostPortsView = {
    hostPorts: () => ports ?? undefined,
    neighbour: (address, port) => {
      asked.push({ address, port });
      return table[`${address}@${port}`] ?? null;
    },
  };
  return { engine, asked };
}

/** The kernel: l0.kni (#10, 10.0.0.1) and l1.kni (#11, 10.1.0.1), and the given routes. */
function fakeKernel(routes: Record<string, KernelNextHop> = {}) {
  const links: Record<string, LinkInfo> = {
    'l0.kni': { ifindex: 10, mtu: 1500, mac: MAC(0xb0), address: '10.0.0.1', rxQueues: 1, txQueues: 1 },
    'l1.kni': { ifindex: 11, mtu: 1500, mac: MAC(0xb1), address: '10.1.0.1', address6: '2001:db8:202::1', rxQueues: 1, txQueues: 1 },
  };
  const kernel: HostRoutes = {
    linkInfo: (name) => {
      const l = links[name];
      if (!l) throw Object.assign(new Error(`no network interface '${name}'`), { code: 'XVS_EINVAL' });
      return l;
    },
    nextHop: (address) => routes[address] ?? { error: 'Network is unreachable' },
  };
  return { kernel, links };
}

describe('DpdkNextHops', () => {
  it('an on-link server: the port of its route, the MAC from the engine, itself the neighbour', () => {
    const { engine, asked } = fakeEngine({ '10.1.0.20@1': MAC(0x20) });
    const { kernel } = fakeKernel({ '10.1.0.20': { ifindex: 11, gateway: null, neighbour: '10.1.0.20', mac: null, state: 'none' } });
    const r = new DpdkNextHops(engine, kernel);
    assert.deepEqual(r.resolve('10.1.0.20'), { portIndex: 1, mac: MAC(0x20) });
    assert.deepEqual(asked, [{ address: '10.1.0.20', port: 1 }]);
    assert.equal(r.whyUnresolved('10.1.0.20'), undefined);
    assert.equal(r.neighbourOf('10.1.0.20'), '10.1.0.20');
  });

  it('a server behind a gateway: the engine is asked for the gateway', () => {
    const { engine, asked } = fakeEngine({ '10.0.0.254@0': MAC(0xfe) });
    const { kernel } = fakeKernel({ '192.0.2.7': { ifindex: 10, gateway: '10.0.0.254', neighbour: '10.0.0.254', mac: null, state: 'none' } });
    const r = new DpdkNextHops(engine, kernel);
    assert.deepEqual(r.resolve('192.0.2.7'), { portIndex: 0, mac: MAC(0xfe) });
    assert.deepEqual(asked, [{ address: '10.0.0.254', port: 0 }]);
    assert.equal(r.neighbourOf('192.0.2.7'), '10.0.0.254');
  });

  it('the MAC is a copy of the engine\'s', () => {
    const mac = MAC(0x21);
    const { kernel } = fakeKernel({ '10.1.0.21': { ifindex: 11, gateway: null, neighbour: '10.1.0.21', mac: null, state: 'none' } });
    const hop = new DpdkNextHops(fakeEngine({ '10.1.0.21@1': mac }).engine, kernel).resolve('10.1.0.21');
    assert.notEqual(hop.mac, mac);
    assert.deepEqual(hop.mac, MAC(0x21));
  });

  it('an unknown neighbour: an all-zero MAC on the right port, and why', () => {
    const { engine } = fakeEngine();
    const { kernel } = fakeKernel({
      '10.1.0.30': { ifindex: 11, gateway: null, neighbour: '10.1.0.30', mac: null, state: 'none' },
      '198.51.100.9': { ifindex: 10, gateway: '10.0.0.254', neighbour: '10.0.0.254', mac: null, state: 'none' },
    });
    const r = new DpdkNextHops(engine, kernel);
    assert.deepEqual(r.resolve('10.1.0.30'), { portIndex: 1, mac: ZERO });
    assert.match(r.whyUnresolved('10.1.0.30')!, /^neighbour 10\.1\.0\.30 on l1\.kni has not answered xvs's ARP/);
    assert.equal(r.neighbourOf('10.1.0.30'), '10.1.0.30');
    assert.deepEqual(r.resolve('198.51.100.9'), { portIndex: 0, mac: ZERO });
    assert.match(r.whyUnresolved('198.51.100.9')!, /^gateway 10\.0\.0\.254 on l0\.kni has not answered xvs's ARP/);
  });

  it('an IPv6 server: the port of its route, the MAC from the engine (neighbour discovery), the port\'s IPv6 address', () => {
    const table: Record<string, Uint8Array> = {};
    const { kernel } = fakeKernel({ '2001:db8:202::11': { ifindex: 11, gateway: null, neighbour: '2001:db8:202::11', mac: null, state: 'none' } });
    const r = new DpdkNextHops(fakeEngine(table).engine, kernel);
    assert.deepEqual(r.resolve('2001:db8:202::11'), { portIndex: 1, mac: ZERO });
    assert.match(r.whyUnresolved('2001:db8:202::11')!, /^neighbour 2001:db8:202::11 on l1\.kni has not answered xvs's neighbour solicitation yet/);
    table['2001:db8:202::11@1'] = MAC(0x61);
    assert.deepEqual(r.resolve('2001:db8:202::11'), { portIndex: 1, mac: MAC(0x61) });
    assert.equal(r.portAddress6(1), '2001:db8:202::1');
    assert.equal(r.portAddress6(0), '::', 'no IPv6 address on l0.kni');
  });

  it('forgets the reason once the engine knows the neighbour', () => {
    const table: Record<string, Uint8Array> = {};
    const { kernel } = fakeKernel({ '10.1.0.31': { ifindex: 11, gateway: null, neighbour: '10.1.0.31', mac: null, state: 'none' } });
    const r = new DpdkNextHops(fakeEngine(table).engine, kernel);
    r.resolve('10.1.0.31');
    assert.ok(r.whyUnresolved('10.1.0.31'));
    table['10.1.0.31@1'] = MAC(0x31);
    assert.deepEqual(r.resolve('10.1.0.31'), { portIndex: 1, mac: MAC(0x31) });
    assert.equal(r.whyUnresolved('10.1.0.31'), undefined);
  });

  it('a route through an interface that is not an exception interface is unresolved', () => {
    const { engine, asked } = fakeEngine({ '172.16.0.1@0': MAC(1) });
    const { kernel } = fakeKernel({ '172.16.0.5': { ifindex: 99, gateway: '172.16.0.1', neighbour: '172.16.0.1', mac: MAC(1), state: 'reachable' } });
    const r = new DpdkNextHops(engine, kernel);
    assert.deepEqual(r.resolve('172.16.0.5').mac, ZERO);
    assert.match(r.whyUnresolved('172.16.0.5')!, /interface #99, which is not the exception interface of a DPDK port \(l0\.kni, l1\.kni\)/);
    assert.deepEqual(asked, [], 'the engine is not asked about a foreign interface');
  });

  it('no kernel route: unresolved, and no neighbour', () => {
    const { kernel } = fakeKernel({ '10.1.0.40': { ifindex: 11, gateway: null, neighbour: '10.1.0.40', mac: null, state: 'none' } });
    const routes = kernel.nextHop;
    let down = false;
    kernel.nextHop = (address) => (down ? { error: 'Network is unreachable' } : routes(address));
    const r = new DpdkNextHops(fakeEngine({ '10.1.0.40@1': MAC(0x40) }).engine, kernel);
    r.resolve('10.1.0.40');
    assert.equal(r.neighbourOf('10.1.0.40'), '10.1.0.40');
    down = true;
    assert.deepEqual(r.resolve('10.1.0.40').mac, ZERO);
    assert.match(r.whyUnresolved('10.1.0.40')!, /^no route to 10\.1\.0\.40: Network is unreachable/);
    assert.match(r.whyUnresolved('10.1.0.40')!, /exception interfaces: l0\.kni, l1\.kni/);
    assert.equal(r.neighbourOf('10.1.0.40'), undefined, 'the neighbour of a route that went is forgotten');
  });

  it('port MAC and MTU from the engine, address from the exception interface unless a tunnel source', () => {
    const r = new DpdkNextHops(fakeEngine().engine, fakeKernel().kernel);
    assert.deepEqual(r.portMac(0), MAC(0xa0));
    assert.deepEqual(r.portMac(1), MAC(0xa1), 'the DPDK port\'s MAC, not the exception interface\'s');
    assert.equal(r.portMtu(0), 1500);
    assert.equal(r.portMtu(1), 9000);
    assert.equal(r.portAddress(0, undefined), '10.0.0.1');
    assert.equal(r.portAddress(1, undefined), '10.1.0.1');
    assert.equal(r.portAddress(1, '203.0.113.5'), '203.0.113.5');
    assert.throws(() => r.portMac(2), RangeError);
  });

  it('refreshLinks re-reads the exception interfaces', () => {
    const { kernel, links } = fakeKernel({ '10.2.0.9': { ifindex: 12, gateway: null, neighbour: '10.2.0.9', mac: null, state: 'none' } });
    const r = new DpdkNextHops(fakeEngine({ '10.2.0.9@1': MAC(9) }).engine, kernel);
    links['l1.kni'] = { ...links['l1.kni']!, ifindex: 12, address: '10.2.0.1' };
    assert.equal(r.portAddress(1, undefined), '10.1.0.1', 'read at construction until refreshed');
    assert.deepEqual(r.resolve('10.2.0.9').mac, ZERO);
    r.refreshLinks();
    assert.equal(r.portAddress(1, undefined), '10.2.0.1');
    assert.deepEqual(r.resolve('10.2.0.9'), { portIndex: 1, mac: MAC(9) });
  });

  it('an exception interface that cannot be read has address 0.0.0.0 until it can', () => {
    const { kernel, links } = fakeKernel();
    const l1 = links['l1.kni']!;
    delete links['l1.kni'];
    const r = new DpdkNextHops(fakeEngine().engine, kernel);
    assert.equal(r.portAddress(1, undefined), '0.0.0.0');
    assert.equal(r.portAddress(0, undefined), '10.0.0.1');
    links['l1.kni'] = l1;
    r.refreshLinks();
    assert.equal(r.portAddress(1, undefined), '10.1.0.1');
  });

  it('refuses an engine without DPDK ports with XVS_ESTATE', () => {
    assert.throws(
      () => new DpdkNextHops(fakeEngine({}, null).engine, fakeKernel().kernel),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'XVS_ESTATE');
        assert.match(e.message, /no DPDK ports/);
        return true;
      },
    );
  });
});
