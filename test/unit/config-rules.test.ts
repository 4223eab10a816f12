// Unit tests of the semantic config rules (src/config/validate.ts + validate-service.ts): one case
// per message class, each asserting the field path, line, column and wording, and that one
// mistake yields exactly one problem. Runs under node:test on the main thread; no I/O.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { text, problemsOf, expectOne } from '../support/config-problems.js';
import { parseConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/types.js';

/** dataplane on lines 1-2, `services:` on line 3, the given service lines from line 4. */
const services = (...lines: string[]): string => text('dataplane:', '  interfaces: [eth0]', 'services:', ...lines);

/** Like services(), with pool "lan" on lines 3-4 and `services:` on line 5: lines start at 6. */
const withPool = (...lines: string[]): string =>
  text('dataplane:', '  interfaces: [eth0]', 'local_address_pools:', '  lan: [10.0.2.100, 10.0.2.101]', 'services:', ...lines);

/** One service, lines 4-9; `mode` and the server port vary, `extra` goes after line 7. */
function one(mode: string, serverPort: number, extra: string[] = []): string {
  return services(
    '  - name: web',
    '    vip: 203.0.113.10',
    '    port: 80',
    `    forwarding: ${mode}`,
    ...extra,
    '    servers:',
    `      - { address: 10.0.0.11, port: ${serverPort} }`,
  );
}

test('the helpers build valid configs', () => {
  assert.deepEqual(problemsOf(one('nat', 8080)), []);
  assert.deepEqual(problemsOf(one('dr', 80)), []);
  assert.deepEqual(problemsOf(withPool('  - { name: web, vip: 203.0.113.10, port: 80, forwarding: fullnat, local_address_pool: lan, servers: [{ address: 10.0.2.11, port: 80 }] }')), []);
});

// --- addresses ---

test('bad IPv4 address: VIP', () => {
  expectOne(one('nat', 8080).replace('203.0.113.10', '10.0.0.256'), 'services[0].vip', 5, 10, 'must be a dotted-quad IPv4 address such as 10.0.0.1 (got "10.0.0.256")');
});

test('bad IPv4 address: leading zeros are ambiguous', () => {
  expectOne(one('nat', 8080).replace('203.0.113.10', '010.0.0.1'), 'services[0].vip', 5, 10, '(got "010.0.0.1")');
});

test('an IPv6 server under an IPv4 VIP is of the other family', () => {
  expectOne(
    one('nat', 8080).replace('address: 10.0.0.11', 'address: "2001:db8::11"'),
    'services[0].servers[0].address',
    9,
    20,
    "server 2001:db8::11 is IPv6 but the VIP 203.0.113.10 is IPv4: a service's servers are of its VIP's family, but for NAT64 (an IPv6 VIP over IPv4 servers, forwarding: fullnat)",
  );
});

test('not a host address: multicast VIP', () => {
  expectOne(one('nat', 8080).replace('203.0.113.10', '224.0.0.5'), 'services[0].vip', 5, 10, 'must be a unicast host address (got "224.0.0.5", a multicast address)');
});

test('not a host address: loopback server', () => {
  expectOne(one('nat', 8080).replace('10.0.0.11', '127.0.0.1'), 'services[0].servers[0].address', 9, 20, 'a loopback address');
});

test('bad IPv4 address: pool', () => {
  const source = text('dataplane:', '  interfaces: [eth0]', 'local_address_pools:', '  lan: [10.0.2.100, 10.0.2]');
  expectOne(source, 'local_address_pools.lan[1]', 4, 21, 'must be a dotted-quad IPv4 address such as 10.0.0.1 (got "10.0.2")');
});

test('bad IPv4 address: sorry server', () => {
  expectOne(one('nat', 8080, ['    sorry_server: { address: 10.0.0.300, port: 80 }']), 'services[0].sorry_server.address', 8, 30, '(got "10.0.0.300")');
});

test('bad IPv4 address: tunnel_source', () => {
  expectOne(text('dataplane:', '  interfaces: [eth0]', '  tunnel_source: "::1"'), 'dataplane.tunnel_source', 3, 18, 'IPv6 is not supported yet');
});

test('api.listen must be host:port', () => {
  expectOne(text('dataplane: { interfaces: [eth0] }', 'api:', '  listen: localhost'), 'api.listen', 3, 11, 'must be host:port such as 127.0.0.1:9475 (got "localhost")');
});

test('api.listen port range', () => {
  expectOne(text('dataplane: { interfaces: [eth0] }', 'api:', '  listen: 0.0.0.0:0'), 'api.listen', 3, 11, 'port must be an integer from 1 to 65535 (got "0")');
  expectOne(text('dataplane: { interfaces: [eth0] }', 'api:', '  listen: 127.0.0.1:65536'), 'api.listen', 3, 11, '(got "65536")');
  assert.deepEqual(problemsOf(text('dataplane: { interfaces: [eth0] }', 'api:', '  listen: "[::1]:9100"')), []);
});

// --- duplicates ---

test('duplicate service: same vip, port and protocol', () => {
  const source = services(
    '  - { name: a, vip: 203.0.113.10, port: 80, forwarding: dr, servers: [{ address: 10.0.0.11, port: 80 }] }',
    '  - { name: b, vip: 203.0.113.10, port: 80, forwarding: dr, servers: [{ address: 10.0.0.12, port: 80 }] }',
  );
  expectOne(source, 'services[1]', 5, 5, 'duplicates service a (services[0]): both are 203.0.113.10:80/tcp');
  const udp = source.replace('port: 80, forwarding: dr, servers: [{ address: 10.0.0.12', 'port: 80, protocol: udp, forwarding: dr, servers: [{ address: 10.0.0.12');
  assert.deepEqual(problemsOf(udp), []);
});

test('duplicate service name', () => {
  const source = services(
    '  - { name: a, vip: 203.0.113.10, port: 80, forwarding: dr, servers: [{ address: 10.0.0.11, port: 80 }] }',
    '  - { name: a, vip: 203.0.113.10, port: 443, forwarding: dr, servers: [{ address: 10.0.0.11, port: 443 }] }',
  );
  expectOne(source, 'services[1].name', 5, 13, 'service name "a" is already used by services[0]');
});

test('duplicate server within a service', () => {
  const source = services(
    '  - name: web',
    '    vip: 203.0.113.10',
    '    port: 80',
    '    forwarding: nat',
    '    servers:',
    '      - { address: 10.0.0.11, port: 8080 }',
    '      - { address: 10.0.0.11, port: 8080, weight: 3 }',
  );
  expectOne(source, 'services[0].servers[1]', 10, 9, 'duplicates servers[0] (10.0.0.11:8080) of service web');
});

// --- forwarding modes ---

test('dr: server port must equal the service port', () => {
  expectOne(
    one('dr', 8080),
    'services[0].servers[0].port',
    9,
    37,
    'in dr mode the server port must equal the service port 80 (got 8080): dr rewrites only the MAC address',
  );
});

test('tunnel: server port must equal the service port', () => {
  expectOne(one('tunnel', 8080), 'services[0].servers[0].port', 9, 37, 'in tunnel mode the server port must equal the service port 80 (got 8080)');
});

test('tunnel on the mem backend needs dataplane.tunnel_source', () => {
  const mem = (extra: string[]) =>
    text('dataplane:', '  backend: mem', '  interfaces: [mem0]', ...extra, 'services:',
      '  - { name: t, vip: 203.0.113.10, port: 80, forwarding: tunnel, servers: [{ address: 10.0.0.11, port: 80 }] }');
  expectOne(mem([]), 'services[0].forwarding', 5, 57, 'tunnel mode on the mem backend needs dataplane.tunnel_source');
  assert.deepEqual(problemsOf(mem(['  tunnel_source: 10.0.0.1'])), []);
});

test('dr: sorry server port must equal the service port', () => {
  expectOne(
    one('dr', 80, ['    sorry_server: { address: 10.0.0.250, port: 8080 }']),
    'services[0].sorry_server.port',
    8,
    48,
    'in dr mode the sorry server port must equal the service port 80 (got 8080)',
  );
});

test('fullnat without local_address_pool points at the service', () => {
  expectOne(one('fullnat', 8080), 'services[0].local_address_pool', 4, 5, 'fullnat needs a local_address_pool');
  expectOne(one('fullnat', 8080), 'services[0].local_address_pool', 4, 5, '(no pools are defined under local_address_pools)');
});

test('local_address_pool on a service that is not fullnat', () => {
  expectOne(one('nat', 8080, ['    local_address_pool: lan']), 'services[0].local_address_pool', 8, 5, 'local_address_pool applies only to fullnat services (this service is nat)');
});

test('local_address_pool naming no pool', () => {
  const source = withPool('  - { name: web, vip: 203.0.113.10, port: 80, forwarding: fullnat, local_address_pool: lann, servers: [{ address: 10.0.2.11, port: 80 }] }');
  expectOne(source, 'services[0].local_address_pool', 6, 88, 'no pool named "lann" (defined pools: lan)');
});

test('empty pool', () => {
  expectOne(text('dataplane:', '  interfaces: [eth0]', 'local_address_pools:', '  lan: []'), 'local_address_pools.lan', 4, 8, 'pool "lan" is empty: list at least one address');
});

test('pool address that is also a VIP', () => {
  const source = withPool('  - { name: web, vip: 10.0.2.101, port: 80, forwarding: nat, servers: [{ address: 10.0.2.11, port: 80 }] }');
  expectOne(source, 'local_address_pools.lan[1]', 4, 21, '10.0.2.101 is also the VIP of service web: a local address must not be a VIP');
});

test('the same address in two pools', () => {
  const source = text('dataplane:', '  interfaces: [eth0]', 'local_address_pools:', '  lan: [10.0.2.100]', '  wan: [10.0.3.100, 10.0.2.100]');
  expectOne(source, 'local_address_pools.wan[1]', 5, 21, '10.0.2.100 is already in pool "lan" (local_address_pools.lan[0])');
});

test('the same address twice in one pool', () => {
  const source = text('dataplane:', '  interfaces: [eth0]', 'local_address_pools:', '  lan: [10.0.2.100, 10.0.2.100]');
  expectOne(source, 'local_address_pools.lan[1]', 4, 21, '10.0.2.100 is listed twice in pool "lan"');
});

test('server address that is a VIP of the balancer', () => {
  expectOne(one('nat', 8080).replace('address: 10.0.0.11', 'address: 203.0.113.10'), 'services[0].servers[0].address', 9, 20, 'is the VIP of service web on this balancer');
});

test('server address that is a local address of the balancer', () => {
  const source = withPool('  - { name: web, vip: 203.0.113.10, port: 80, forwarding: fullnat, local_address_pool: lan, servers: [{ address: 10.0.2.100, port: 80 }] }');
  expectOne(source, 'services[0].servers[0].address', 6, 114, 'is a local address of this balancer (pool "lan")');
});

// --- dataplane ---

test('cpus must give one CPU per worker', () => {
  expectOne(text('dataplane:', '  interfaces: [eth0]', '  workers: 2', '  cpus: [0, 1, 2]'), 'dataplane.cpus', 4, 9, 'lists 3 CPUs but workers is 2: give exactly one CPU per worker');
  expectOne(text('dataplane:', '  interfaces: [eth0]', '  cpus: [0, 1]'), 'dataplane.cpus', 3, 9, 'but workers is 1 (the default)');
});

test('cpus must not repeat', () => {
  expectOne(text('dataplane:', '  interfaces: [eth0]', '  workers: 2', '  cpus: [3, 3]'), 'dataplane.cpus[1]', 4, 13, 'CPU 3 is already given to worker 0 (cpus[0])');
});

test('interfaces must not repeat', () => {
  expectOne(text('dataplane:', '  interfaces: [eth0, eth0]'), 'dataplane.interfaces[1]', 2, 22, 'interface "eth0" is listed twice');
});

test('afxdp interface names are Linux interface names', () => {
  expectOne(text('dataplane:', '  interfaces: [a-very-long-name0]'), 'dataplane.interfaces[0]', 2, 16, 'must be a Linux interface name of at most 15 characters');
});

test('dpdk: PCI addresses go in dataplane.dpdk.devices, interfaces name the ports', () => {
  expectOne(
    text('dataplane:', '  backend: dpdk', '  interfaces: ["0000:03:00.0"]'),
    'dataplane.interfaces[0]',
    3,
    16,
    '"0000:03:00.0" is a PCI address: list it in dataplane.dpdk.devices and name the port here (e.g. dpdk0; its host side is dpdk0.kni)',
  );
  assert.deepEqual(problemsOf(text('dataplane:', '  backend: dpdk', '  interfaces: [dpdk0]', '  dpdk: { devices: ["0000:03:00.0"] }')), []);
});

// --- service options ---

test('one_packet on a tcp service', () => {
  expectOne(one('nat', 8080, ['    one_packet: true']), 'services[0].one_packet', 8, 5, 'one_packet applies only to udp services (this service is tcp)');
  assert.deepEqual(problemsOf(one('nat', 8080, ['    protocol: udp', '    one_packet: true'])), []);
});

test('syn_proxy: on needs a tcp nat or fullnat service; auto is accepted anywhere (it applies where it can)', () => {
  expectOne(one('dr', 80, ['    syn_proxy: on']), 'services[0].syn_proxy', 8, 16, 'a SYN proxy needs a tcp service in nat or fullnat mode (this one is tcp dr)');
  expectOne(one('nat', 8080, ['    protocol: udp', '    syn_proxy: on']), 'services[0].syn_proxy', 9, 16, 'this one is udp nat');
  assert.deepEqual(problemsOf(one('nat', 8080, ['    syn_proxy: on'])), []);
  assert.deepEqual(problemsOf(one('dr', 80, ['    syn_proxy: auto'])), []);
  assert.deepEqual(problemsOf(one('tunnel', 80, ['    syn_proxy: off'])), []);
  expectOne(one('nat', 8080, ['    syn_proxy: yes']), 'services[0].syn_proxy', 8, 16, 'must be one of');
});

test('syn_proxy_above must not exceed half_open_limit (conn_table_size by default)', () => {
  expectOne(text('dataplane:', '  interfaces: [eth0]', '  half_open_limit: 100'), 'dataplane.half_open_limit', 3, 20,
    'syn_proxy_above (1024) must not exceed half_open_limit (100)');
  expectOne(text('dataplane:', '  interfaces: [eth0]', '  conn_table_size: 2048', '  syn_proxy_above: 4096'), 'dataplane.syn_proxy_above', 4, 20,
    'syn_proxy_above (4096) must not exceed half_open_limit (2048, conn_table_size by default)');
  assert.deepEqual(problemsOf(text('dataplane:', '  interfaces: [eth0]', '  syn_proxy_above: 10', '  half_open_limit: 10')), []);
  assert.deepEqual(problemsOf(text('dataplane:', '  interfaces: [eth0]', '  conn_table_size: 1024')), []);
});

test('local_port_range is [first, last] from 1024, in order, with a port per worker', () => {
  expectOne(text('dataplane:', '  interfaces: [eth0]', '  local_port_range: [40000, 30000]'), 'dataplane.local_port_range', 3, 21,
    'first port 40000 is above last port 30000: write [30000, 40000]');
  expectOne(text('dataplane:', '  interfaces: [eth0]', '  workers: 4', '  local_port_range: [2000, 2002]'), 'dataplane.local_port_range', 4, 21,
    '2000..2002 holds 3 ports, fewer than the 4 workers: each worker needs its own');
  expectOne(text('dataplane:', '  interfaces: [eth0]', '  local_port_range: [80, 10000]'), 'dataplane.local_port_range[0]', 3, 22, 'from 1024 to 65535');
  expectOne(text('dataplane:', '  interfaces: [eth0]', '  local_port_range: 1024-32767'), 'dataplane.local_port_range', 3, 21, '[first, last]');
  assert.deepEqual(problemsOf(text('dataplane:', '  interfaces: [eth0]', '  local_port_range: [61000, 65535]')), []);
});

// What one snapshot holds (src/native/abi.ts LIMITS): xvs check refuses what xvs run would.
test('the data plane limits: services, pools, local addresses', () => {
  const manyServices = Array.from({ length: 16385 }, (_, i) =>
    `  - { name: s${i}, vip: 10.${(i >> 8) & 255}.${i & 255}.1, port: 80, forwarding: dr, servers: [{ address: 10.250.0.1, port: 80 }] }`);
  const big = problemsOf(text('dataplane:', '  interfaces: [eth0]', 'services:', ...manyServices));
  assert.deepEqual(big.map((p) => [p.path, p.message]), [
    ['services', '16385 services: one data plane holds at most 16384; spread the services over more nodes'],
  ]);
  const pool = (n: number, first: number) => `  p${n}: [${Array.from({ length: first }, (_, j) => `10.${100 + (n >> 8)}.${n & 255}.${j + 1}`).join(', ')}]`;
  const manyPools = problemsOf(text('dataplane:', '  interfaces: [eth0]', 'local_address_pools:', ...Array.from({ length: 1025 }, (_, n) => pool(n, 1))));
  assert.deepEqual(manyPools.map((p) => p.message), [
    '1025 local address pools: one data plane holds at most 1024; spread the services over more nodes',
    '1025 local addresses in all pools: one data plane holds at most 1024; spread the services over more nodes',
  ]);
  const manyLips = problemsOf(text('dataplane:', '  interfaces: [eth0]', 'local_address_pools:', pool(0, 200), pool(1, 200), pool(2, 200), pool(3, 200), pool(4, 200), pool(5, 25)));
  assert.deepEqual(manyLips.map((p) => [p.path, p.message]), [
    ['local_address_pools', '1025 local addresses in all pools: one data plane holds at most 1024; spread the services over more nodes'],
  ]);
});

test('the scheduler tables of all services fit the snapshot (2^24 entries): mh 65 537 each, wrr sum of weights / gcd', () => {
  const mh = (n: number) =>
    Array.from({ length: n }, (_, i) => `  - { name: m${i}, vip: 10.1.${i >> 8}.${i & 255}, port: 80, forwarding: dr, scheduler: mh, servers: [{ address: 10.250.0.1, port: 80 }] }`);
  assert.deepEqual(problemsOf(text('dataplane:', '  interfaces: [eth0]', 'services:', ...mh(255))), [], '255 x 65 537 fits');
  const over = problemsOf(text('dataplane:', '  interfaces: [eth0]', 'services:', ...mh(256)));
  assert.deepEqual(over.map((p) => [p.path, p.message]), [
    ['services', 'the scheduler tables need 16777472 entries (largest: m0 65537, m1 65537, m2 65537), one data plane holds at most 16777216: ' +
      "use smaller weights with the same ratios (wrr's table is sum of weights / gcd), fewer mh services, or spread the services over more nodes"],
  ]);
  const heavy = (n: number, gcd: number) =>
    `servers: [${Array.from({ length: n }, (_, i) => `{ address: 10.250.${i >> 8}.${i & 255}, port: 80, weight: ${(65535 - (i % 2)) * gcd} }`).join(', ')}]`;
  const wrr = problemsOf(text('dataplane:', '  interfaces: [eth0]', 'services:', `  - { name: w, vip: 10.1.0.1, port: 80, forwarding: dr, scheduler: wrr, ${heavy(300, 1)} }`));
  assert.match(wrr[0]?.message ?? '', /^the scheduler tables need 19660350 entries \(largest: w 19660350\)/);
  // Equal weights reduce by their gcd: two servers of 65 535 are a table of two entries.
  const even = `servers: [{ address: 10.250.0.1, port: 80, weight: 65535 }, { address: 10.250.0.2, port: 80, weight: 65535 }]`;
  assert.deepEqual(problemsOf(text('dataplane:', '  interfaces: [eth0]', 'services:', `  - { name: w, vip: 10.1.0.1, port: 80, forwarding: dr, scheduler: wrr, ${even} }`)), []);
});

test('an exec check names its program by an absolute path, and runs as nobody unless told', () => {
  expectOne(one('nat', 8080, ['    health_check: { type: exec, command: [check.sh, --quick] }']), 'services[0].health_check.command[0]', 8, 43,
    'must be an absolute path (got "check.sh")');
  assert.deepEqual(problemsOf(one('nat', 8080, ['    health_check: { type: exec, command: [/usr/local/bin/check], user: xvs-check }'])), []);
  expectOne(one('nat', 8080, ['    health_check: { type: tcp, user: nobody }']), 'services[0].health_check.user', 8, 32, '"user" applies only to exec checks');
});

test('quorum larger than the number of servers', () => {
  expectOne(one('nat', 8080, ['    quorum: 2']), 'services[0].quorum', 8, 13, 'quorum 2 exceeds the 1 server of service web');
  const two = services(
    '  - name: web',
    '    vip: 203.0.113.10',
    '    port: 80',
    '    forwarding: nat',
    '    quorum: 3',
    '    servers: [{ address: 10.0.0.11, port: 80 }, { address: 10.0.0.12, port: 80 }]',
  );
  expectOne(two, 'services[0].quorum', 8, 13, 'quorum 3 exceeds the 2 servers of service web');
});

test('quorum plus its hysteresis larger than the number of servers', () => {
  expectOne(one('nat', 8080, ['    quorum_hysteresis: 1']), 'services[0].quorum_hysteresis', 8, 24, 'quorum 1 + quorum_hysteresis 1 exceeds the 1 server of service web: once lost, quorum could never be regained');
  const two = (quorum: number, hysteresis: number): string =>
    services(
      '  - name: web',
      '    vip: 203.0.113.10',
      '    port: 80',
      '    forwarding: nat',
      `    quorum: ${quorum}`,
      `    quorum_hysteresis: ${hysteresis}`,
      '    servers: [{ address: 10.0.0.11, port: 80 }, { address: 10.0.0.12, port: 80 }]',
    );
  assert.deepEqual(problemsOf(two(1, 1)), []);
  // A quorum that alone exceeds the servers is one mistake, reported once, at quorum.
  expectOne(two(3, 1), 'services[0].quorum', 8, 13, 'quorum 3 exceeds the 2 servers of service web');
});

test('lower_threshold above upper_threshold', () => {
  const source = one('nat', 8080).replace('port: 8080 }', 'port: 8080, upper_threshold: 50, lower_threshold: 100 }');
  expectOne(source, 'services[0].servers[0].lower_threshold', 9, 81, 'lower_threshold 100 must not exceed upper_threshold 50');
});

test('lower_threshold without upper_threshold', () => {
  const source = one('nat', 8080).replace('port: 8080 }', 'port: 8080, lower_threshold: 10 }');
  expectOne(source, 'services[0].servers[0].lower_threshold', 9, 60, 'lower_threshold 10 has no effect without an upper_threshold');
});

// --- health checks ---

test('health check field of another check type', () => {
  expectOne(one('nat', 8080, ['    health_check: { type: tcp, path: /x }']), 'services[0].health_check.path', 8, 32, '"path" applies only to http checks (this check is tcp)');
  expectOne(one('nat', 8080, ['    health_check: { type: http, payload: ping }']), 'services[0].health_check.payload', 8, 33, '"payload" applies only to udp checks (this check is http)');
});

test('exec health check without a command', () => {
  expectOne(one('nat', 8080, ['    health_check: { type: exec }']), 'services[0].health_check.command', 8, 19, 'exec checks need a command');
});

test('health check timeout longer than the interval', () => {
  expectOne(one('nat', 8080, ['    health_check: { type: tcp, interval: 1s, timeout: 1500ms }']), 'services[0].health_check.timeout', 8, 55, 'timeout 1.5s must not exceed interval 1s');
});

test('a per-server health check override is checked too', () => {
  const source = one('nat', 8080).replace('port: 8080 }', 'port: 8080, health_check: { type: udp, command: [x] } }');
  expectOne(source, 'services[0].servers[0].health_check.command', 9, 70, '"command" applies only to exec checks (this check is udp)');
});

// Found by the config-loader fuzz target (test/fuzz/config-loader.ts): a mapping used as a key
// became a made-up field name of several lines, and its problem spread over several lines.
test('a key that is a list or mapping is refused where it stands, and every problem is one line', () => {
  expectOne(text('dataplane:', '  interfaces: [eth0]', '? { forwarding: nat }', ': 1'), '', 3, 3, 'a key must be a name, not a list, mapping, alias or tagged value');
  expectOne(text('dataplane:', '  interfaces: [eth0]', '[a, b]: 1'), '', 3, 1, 'a key must be a name');
  expectOne(text('dataplane:', '  interfaces: [eth0]', '!!binary aGk=: 1'), '', 3, 10, 'a key must be a name');
  let err: unknown;
  try {
    parseConfigText(text('dataplane:', '  interfaces: [eth0]', '"two\\nlines": 1'), 'test.yaml');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  assert.equal(err.message.split('\n').length, err.problems.length, err.message);
  assert.match(err.message, /unknown field "two\\nlines" at the top level/);
});
