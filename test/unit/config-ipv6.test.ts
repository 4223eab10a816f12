// Unit tests of IPv6 in the config (src/config/address.ts, validate-family.ts, normalise.ts): a
// dual-family file loads with IPv6 services in canonical form and ipvsadm's keys, and each
// address-family rule gives exactly one problem at its field.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { serviceKey, serverKey } from '../../src/config/keys.js';
import { parseConfigText } from '../../src/config/load.js';
import { expectOne, text } from '../support/config-problems.js';

/** lines 1-2 dataplane, 3-5 pools, 6 `services:`, the service lines from 7. */
const file = (dataplane: string, ...service: string[]): string =>
  text(
    `dataplane: ${dataplane}`,
    'local_address_pools:',
    '  lan6: ["fd00:2::100", "fd00:2::101"]',
    '  lan: [10.0.2.100]',
    '  # (line 5)',
    'services:',
    ...service,
  );
const MEM = '{ backend: mem, interfaces: [mem0] }';
const AFXDP = '{ interfaces: [eth0] }';
/** One IPv6 service on lines 7-11 with `extra` after line 10. */
const v6 = (forwarding: string, extra: string[] = [], dataplane = AFXDP, server = 'fd00:2::11') =>
  file(
    dataplane,
    '  - name: web6',
    '    vip: "2001:db8:100::10"',
    '    port: 80',
    `    forwarding: ${forwarding}`,
    ...extra,
    `    servers: [{ address: "${server}", port: 80 }]`,
  );

test('a dual-family file loads: IPv6 services, pools and keys in ipvsadm form', () => {
  const config = parseConfigText(
    file(
      AFXDP,
      '  - { name: web6, vip: "2001:db8:100::10", port: 80, forwarding: fullnat, local_address_pool: lan6, servers: [{ address: "fd00:2::11", port: 8080 }] }',
      '  - { name: sticky6, vip: "2001:db8:100::10", port: 443, forwarding: nat, persistence: { timeout: 60 }, servers: [{ address: "fd00:2::11", port: 443 }] }',
      '  - { name: web4, vip: 203.0.113.10, port: 80, forwarding: fullnat, local_address_pool: lan, servers: [{ address: 10.0.2.11, port: 8080 }] }',
    ),
    'test.yaml',
  );
  assert.equal(config.services.length, 3);
  assert.equal(serviceKey(config.services[0]!), '[2001:db8:100::10]:80/tcp');
  assert.equal(serverKey(config.services[0]!.servers[0]!), '[fd00:2::11]:8080');
  assert.equal(serviceKey(config.services[2]!), '203.0.113.10:80/tcp');
  assert.equal(config.services[1]!.persistence?.netmask, 128, 'an IPv6 service persists per address by default');
});

test('an IPv6 address must be written in its canonical form', () => {
  expectOne(v6('dr').replace('2001:db8:100::10', '2001:DB8:100:0:0:0:0:10'), 'services[0].vip', 8, 10,
    'must be written in its canonical form 2001:db8:100::10 (RFC 5952), as xvs lists it (got "2001:DB8:100:0:0:0:0:10")');
});

test('IPv6 addresses that name no single host are refused', () => {
  const rows: [string, string][] = [
    ['::', 'the unspecified address'],
    ['::1', 'the loopback address'],
    ['ff02::1', 'a multicast address'],
    ['fe80::1', 'a link-local address'],
    ['::ffff:203.0.113.10', 'an IPv4-mapped address'],
  ];
  for (const [address, kind] of rows) expectOne(v6('dr').replace('2001:db8:100::10', address), 'services[0].vip', 8, 10, kind);
  expectOne(v6('dr').replace('2001:db8:100::10', '2001:db8::g'), 'services[0].vip', 8, 10,
    'must be an IPv4 address such as 10.0.0.1 or an IPv6 address such as 2001:db8::1 (got "2001:db8::g")');
});

test("a service's servers are of its VIP's family, but for NAT64", () => {
  expectOne(v6('nat', [], AFXDP, '10.0.2.11'), 'services[0].servers[0].address', 11, 26,
    "server 10.0.2.11 is IPv4 but the VIP 2001:db8:100::10 is IPv6: a service's servers are of its VIP's family, but for NAT64 (an IPv6 VIP over IPv4 servers, forwarding: fullnat)");
});

test('NAT64: an IPv6 fullnat VIP over IPv4 servers through an IPv4 pool', () => {
  const config = parseConfigText(v6('fullnat', ['    local_address_pool: lan'], AFXDP, '10.0.2.11'), 't.yaml');
  assert.equal(serviceKey(config.services[0]!), '[2001:db8:100::10]:80/tcp');
  assert.equal(serverKey(config.services[0]!.servers[0]!), '10.0.2.11:80');
  expectOne(v6('fullnat', ['    local_address_pool: lan6'], AFXDP, '10.0.2.11'), 'services[0].local_address_pool', 11, 25,
    'pool "lan6" holds IPv6 addresses but the servers are IPv4: NAT64 reaches IPv4 servers from IPv4 local addresses');
  const mixed = v6('fullnat', ['    local_address_pool: lan'], AFXDP, '10.0.2.11')
    .replace('port: 80 }]', 'port: 80 }, { address: "fd00:2::12", port: 80 }]');
  expectOne(mixed, 'services[0].servers[1].address', 12, 62,
    "server fd00:2::12 is IPv6 but server 10.0.2.11 is IPv4: a service's servers are of one family");
});

test("a fullnat service's pool is of its VIP's family, and a pool of one family", () => {
  expectOne(v6('fullnat', ['    local_address_pool: lan']), 'services[0].local_address_pool', 11, 25,
    'pool "lan" holds IPv4 addresses but the VIP is IPv6');
  expectOne(v6('dr').replace('"fd00:2::100", "fd00:2::101"', '"fd00:2::100", 10.0.2.101'), 'local_address_pools.lan6[1]', 3, 25,
    '10.0.2.101 is IPv4 but pool "lan6" holds IPv6 addresses: a pool\'s addresses are of one family');
});

test('persistence: up to 128 bits for IPv6, 32 for IPv4', () => {
  assert.equal(parseConfigText(v6('nat', ['    persistence: { netmask: 64 }']), 't.yaml').services[0]!.persistence?.netmask, 64);
  expectOne(v6('nat', ['    persistence: { netmask: 64 }']).replace('"2001:db8:100::10"', '203.0.113.10').replace('"fd00:2::11"', '10.0.2.11'),
    'services[0].persistence.netmask', 11, 29, 'is a prefix length of at most 32 for an IPv4 service (got 64)');
});

test('a fullnat IPv6 service may carry the client address, either form', () => {
  for (const form of ['toa', 'proxy_v2'])
    assert.equal(parseConfigText(v6('fullnat', ['    local_address_pool: lan6', `    client_address: ${form}`]), 't.yaml').services[0]!.client_address, form);
});

test('the SYN proxy on IPv6 services, NAT64 ones included', () => {
  for (const mode of ['fullnat', 'nat']) {
    const pool = mode === 'fullnat' ? ['    local_address_pool: lan6'] : [];
    assert.equal(parseConfigText(v6(mode, [...pool, '    syn_proxy: on']), 't.yaml').services[0]!.syn_proxy, 'on');
  }
  for (const setting of ['on', 'auto'])
    assert.equal(parseConfigText(v6('fullnat', ['    local_address_pool: lan', `    syn_proxy: ${setting}`], AFXDP, '10.0.2.11'), 't.yaml').services[0]!.syn_proxy,
      setting);
});

test('IPv6 services on the dpdk backend (xvs runs neighbour discovery itself)', () => {
  for (const mode of ['dr', 'nat', 'tunnel'])
    assert.equal(parseConfigText(v6(mode, [], '{ backend: dpdk, interfaces: [eth0] }'), 't.yaml').services[0]!.vip, '2001:db8:100::10');
});

test('tunnel over IPv6 on the mem backend needs dataplane.tunnel_source6; tunnel_source6 is an IPv6 host address', () => {
  expectOne(v6('tunnel', [], MEM), 'services[0].forwarding', 10, 17,
    'tunnel mode over IPv6 on the mem backend needs dataplane.tunnel_source6, the outer source address: mem ports have no address of their own');
  const withSource = (source: string) => v6('tunnel', [], `{ backend: mem, interfaces: [mem0], tunnel_source6: "${source}" }`);
  assert.equal(parseConfigText(withSource('fd00:2::1'), 't.yaml').dataplane.tunnel_source6, 'fd00:2::1');
  expectOne(withSource('10.0.0.1'), 'dataplane.tunnel_source6', 1, 64,
    'must be an IPv6 address such as 2001:db8::1 (got "10.0.0.1"); the IPv4 one is tunnel_source');
  expectOne(withSource('ff02::1'), 'dataplane.tunnel_source6', 1, 64, 'must be a unicast host address (got "ff02::1", a multicast address (ff00::/8))');
});
