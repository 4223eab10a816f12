// Unit tests of the cluster section and the pure parts of src/cluster/: one case per config
// message (src/config/validate-cluster.ts and the schema's cluster fields), the defaults a cluster
// changes (mh), the local-address split, what a node announces for a config and a health view,
// the BIRD configuration it writes (parsed by the real BIRD when it is installed) and the parser
// of BIRD's `show protocols` reply. No network.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { announcements, routeChanges } from '../../src/cluster/announcements.js';
import { birdConfig } from '../../src/cluster/bird-config.js';
import { parseProtocols, replyError } from '../../src/cluster/bird-control.js';
import { localAddressShare, ownerOfLocalAddress } from '../../src/cluster/shares.js';
import { parseConfigText } from '../../src/config/load.js';
import type { ClusterConfig } from '../../src/config/types.js';
import type { HealthView, ServiceHealth } from '../../src/health/index.js';
import { expectOne, problemsOf, text } from '../support/config-problems.js';

/** A valid two-node cluster config; lines: dataplane 1-3, pools 4-5, services 6-8, cluster 9-. */
function clusterText(cluster: string[], pool = '[10.0.2.100, 10.0.2.101, 10.0.2.102]'): string {
  return text(
    'dataplane:',
    '  interfaces: [eth0]',
    '  port_key_file: /etc/xvs/port.key',
    'local_address_pools:',
    `  lan: ${pool}`,
    'services:',
    '  - { name: web, vip: 203.0.113.10, port: 80, forwarding: fullnat, local_address_pool: lan,',
    '      servers: [{ address: 10.0.2.11, port: 80 }] }',
    'cluster:',
    ...cluster,
  );
}

const NODES = ['  nodes: [{ id: 1, address: 10.88.0.11 }, { id: 2, address: 10.88.0.12 }]'];
const BGP = ['  bgp: { asn: 65001, peers: [{ address: 10.88.0.1, asn: 65000 }] }'];

test('a valid cluster: defaults filled, mh the default scheduler', () => {
  const config = parseConfigText(clusterText(['  node: 2', ...NODES, ...BGP]), 'test.yaml');
  assert.deepEqual(config.cluster, {
    node: 2,
    nodes: [
      { id: 1, address: '10.88.0.11' },
      { id: 2, address: '10.88.0.12' },
    ],
    drain_time: 3,
    sync: { port: 8848 },
    bgp: { asn: 65001, peers: [{ address: '10.88.0.1', asn: 65000 }], hold_time: 9 },
  });
  assert.equal(config.services[0]!.scheduler, 'mh');
  const plain = parseConfigText(clusterText(['  node: 2', ...NODES]).replace(/cluster:[\s\S]*$/, ''), 'test.yaml');
  assert.equal(plain.services[0]!.scheduler, 'wlc', 'without a cluster the IPVS default stays');
  assert.equal(plain.cluster, undefined);
});

test('cluster.sync: its port and refresh period', () => {
  const config = parseConfigText(clusterText(['  node: 1', ...NODES, '  sync: { port: 9000, refresh_period: 1m }']), 'test.yaml');
  assert.deepEqual(config.cluster?.sync, { port: 9000, refresh_period: 60 });
  expectOne(clusterText(['  node: 1', ...NODES, '  sync: { refresh_period: 0 }']), 'cluster.sync.refresh_period', 12, 27, 'must be a duration greater than 0');
});

test('cluster.node must be one of the nodes', () => {
  expectOne(clusterText(['  node: 3', ...NODES]), 'cluster.node', 10, 9, '3 is not the id of any node in cluster.nodes (1, 2): set it to');
});

test('cluster node ids are unique', () => {
  expectOne(
    clusterText(['  node: 1', '  nodes: [{ id: 1, address: 10.88.0.11 }, { id: 1, address: 10.88.0.12 }]']),
    'cluster.nodes[1].id',
    11,
    49,
    'node id 1 is already used by nodes[0]',
  );
});

test('cluster node addresses are unique host addresses, not VIPs', () => {
  expectOne(
    clusterText(['  node: 1', '  nodes: [{ id: 1, address: 10.88.0.11 }, { id: 2, address: 10.88.0.11 }]']),
    'cluster.nodes[1].address',
    11,
    61,
    '10.88.0.11 is already the address of nodes[0]',
  );
  expectOne(
    clusterText(['  node: 1', '  nodes: [{ id: 1, address: 203.0.113.10 }, { id: 2, address: 10.88.0.12 }]']),
    'cluster.nodes[0].address',
    11,
    29,
    'is also the VIP of service web',
  );
  expectOne(clusterText(['  node: 1', '  nodes: [{ id: 1, address: 127.0.0.1 }, { id: 2, address: 10.88.0.12 }]']), 'cluster.nodes[0].address', 11, 29, 'a loopback address');
});

test('BGP peers: listed once, not a node', () => {
  expectOne(
    clusterText(['  node: 1', ...NODES, '  bgp: { asn: 65001, peers: [{ address: 10.88.0.1, asn: 65000 }, { address: 10.88.0.1, asn: 65002 }] }']),
    'cluster.bgp.peers[1].address',
    12,
    77,
    '10.88.0.1 is already peers[0]',
  );
  expectOne(
    clusterText(['  node: 1', ...NODES, '  bgp: { asn: 65001, peers: [{ address: 10.88.0.12, asn: 65000 }] }']),
    'cluster.bgp.peers[0].address',
    12,
    41,
    "is a node's address (cluster.nodes): peers are the routers",
  );
});

test('BGP fields: AS numbers and hold time in range, peers required', () => {
  expectOne(clusterText(['  node: 1', ...NODES, '  bgp: { asn: 0, peers: [{ address: 10.88.0.1, asn: 65000 }] }']), 'cluster.bgp.asn', 12, 15, 'an AS number from 1 to 4294967295');
  expectOne(
    clusterText(['  node: 1', ...NODES, '  bgp: { asn: 65001, hold_time: 2, peers: [{ address: 10.88.0.1, asn: 65000 }] }']),
    'cluster.bgp.hold_time',
    12,
    33,
    'seconds from 3 to 65535',
  );
  expectOne(clusterText(['  node: 1', ...NODES, '  bgp: { asn: 65001 }']), 'cluster.bgp.peers', 12, 8, 'missing required field "peers"');
});

test('several nodes need the same port_key_file', () => {
  expectOne(clusterText(['  node: 1', ...NODES]).replace('  port_key_file: /etc/xvs/port.key\n', ''), 'cluster', 8, 1, 'needs dataplane.port_key_file, the same file on every node');
});

test('every node needs a share of every pool', () => {
  expectOne(clusterText(['  node: 1', ...NODES], '[10.0.2.100]'), 'local_address_pools.lan', 5, 8, 'pool "lan" has 1 address for 2 cluster nodes');
});

test('a node outside cluster.nodes or a missing field is a schema problem', () => {
  assert.ok(problemsOf(clusterText(['  node: 1'])).some((p) => p.path === 'cluster.nodes' && p.message.includes('missing required field')));
  assert.ok(problemsOf(clusterText(['  node: 1', ...NODES, '  sync: { port: 0 }'])).some((p) => p.path === 'cluster.sync.port'));
  assert.ok(problemsOf(clusterText(['  node: 1', ...NODES, '  sync: { interval: 1 }'])).some((p) => p.path === 'cluster.sync.interval'));
});

const cluster = (node: number, ids = [1, 2, 3]): ClusterConfig => ({
  node,
  nodes: ids.map((id) => ({ id, address: `10.88.0.${10 + id}` })),
  drain_time: 3,
  sync: { port: 8848 },
  bgp: { asn: 65001, peers: [{ address: '10.88.0.1', asn: 65000 }], hold_time: 3 },
});

test('local addresses are split round-robin over the nodes in id order, whatever the listing order', () => {
  const pool = ['10.0.2.1', '10.0.2.2', '10.0.2.3', '10.0.2.4', '10.0.2.5'];
  const c = { ...cluster(1, [3, 1, 2]) };
  assert.deepEqual(localAddressShare(c, pool, 1), ['10.0.2.1', '10.0.2.4']);
  assert.deepEqual(localAddressShare(c, pool, 2), ['10.0.2.2', '10.0.2.5']);
  assert.deepEqual(localAddressShare(c, pool, 3), ['10.0.2.3']);
  assert.equal(ownerOfLocalAddress(c, 4), 2);
  const all = [1, 2, 3].flatMap((n) => localAddressShare(c, pool, n)).sort();
  assert.deepEqual(all, [...pool].sort(), 'every address has exactly one owner');
});

function config(node: number) {
  const c = parseConfigText(
    clusterText(['  node: 1', ...NODES, ...BGP]).replace(
      'services:',
      'services:\n  - { name: dns, vip: 203.0.113.10, port: 53, protocol: udp, forwarding: nat, servers: [{ address: 10.0.2.11, port: 53 }] }\n  - { name: other, vip: 203.0.113.20, port: 80, forwarding: nat, servers: [{ address: 10.0.2.11, port: 80 }] }',
    ),
    'test.yaml',
  );
  return { ...c, cluster: { ...c.cluster!, node } };
}
const health = (lost: string[]): HealthView => ({
  services: lost.map((name): ServiceHealth => ({ name, quorum: 1, hysteresis: 0, quorumMet: false, alive: 0, up: 0, down: 1, servers: [] })),
});

test('announcements: VIPs while any of their services has quorum, own local addresses, the others as backup', () => {
  assert.deepEqual(announcements(config(2), health([])), [
    { prefix: '203.0.113.10/32', kind: 'vip' },
    { prefix: '203.0.113.20/32', kind: 'vip' },
    { prefix: '10.0.2.100/32', kind: 'backup_local_address' },
    { prefix: '10.0.2.101/32', kind: 'local_address' },
    { prefix: '10.0.2.102/32', kind: 'backup_local_address' },
  ]);
  const someLost = announcements(config(2), health(['web', 'other']));
  assert.ok(someLost.some((r) => r.prefix === '203.0.113.10/32'), 'dns still has quorum on the shared VIP');
  assert.ok(!someLost.some((r) => r.prefix === '203.0.113.20/32'));
  const allLost = announcements(config(2), health(['web', 'dns', 'other']));
  assert.deepEqual(allLost.filter((r) => r.kind === 'vip'), []);
  assert.equal(allLost.length, 3, 'local addresses stay announced: replies to them must still arrive');
  const { cluster: _, ...standalone } = config(1);
  assert.deepEqual(announcements(standalone, health([])), []);
  assert.deepEqual(routeChanges(announcements(config(2), health([])), allLost), ['-203.0.113.10/32 (vip)', '-203.0.113.20/32 (vip)']);
});

test('the BIRD configuration: own routes as they are, backups with a longer AS path; BIRD parses it', () => {
  const routes = announcements(config(2), health([]));
  const conf = birdConfig(cluster(2), routes);
  assert.match(conf, /router id 10\.88\.0\.12;/);
  assert.match(conf, /protocol static xvs_own \{\n {2}ipv4;\n {2}route 203\.0\.113\.10\/32 blackhole;\n {2}route 203\.0\.113\.20\/32 blackhole;\n {2}route 10\.0\.2\.101\/32 blackhole;\n\}/);
  assert.match(conf, /protocol static xvs_backup \{\n {2}ipv4;\n {2}route 10\.0\.2\.100\/32 blackhole;\n {2}route 10\.0\.2\.102\/32 blackhole;\n\}/);
  assert.match(conf, /bgp_path\.prepend\(65001\)/);
  assert.match(conf, /protocol bgp peer_10_88_0_1 from xvs_peer \{\n {2}neighbor 10\.88\.0\.1 as 65000;/);
  assert.match(conf, /hold time 3;/);
  const bird = ['bird', '/usr/sbin/bird'].find((b) => !spawnSync(b, ['--version'], { stdio: 'ignore' }).error);
  if (!bird) {
    console.warn('*** BIRD is not installed: the generated configuration was not parsed by BIRD ***');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-bird-test-'));
  try {
    for (const [name, body] of [['full', conf], ['empty', birdConfig(cluster(2), [])]] as const) {
      fs.writeFileSync(path.join(dir, name), body);
      const r: SpawnSyncReturns<string> = spawnSync(bird, ['-p', '-c', path.join(dir, name)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// IPv6: a service with an IPv6 VIP and an IPv6 pool, beside the IPv4 ones.
const NODES6 = ['  nodes: [{ id: 1, address: 10.88.0.11, address6: "fd88::11" }, { id: 2, address: 10.88.0.12, address6: "fd88::12" }]'];
function config6(node: number) {
  const c = parseConfigText(
    clusterText(['  node: 1', ...NODES6, ...BGP])
      .replace('  lan: [10.0.2.100, 10.0.2.101, 10.0.2.102]', '  lan: [10.0.2.100, 10.0.2.101, 10.0.2.102]\n  lan6: ["fd88:1::1", "fd88:1::2"]')
      .replace(
        'services:',
        'services:\n  - { name: web6, vip: "fd99::10", port: 80, forwarding: fullnat, local_address_pool: lan6, servers: [{ address: "fd88::21", port: 80 }] }',
      ),
    'test.yaml',
  );
  return { ...c, cluster: { ...c.cluster!, node } };
}

test('IPv6: VIPs and local addresses announced as /128, over the same sessions with the node\'s IPv6 next hop', () => {
  const config = config6(2);
  const routes = announcements(config, health([]));
  assert.deepEqual(routes.filter((r) => r.prefix.includes(':')), [
    { prefix: 'fd99::10/128', kind: 'vip' },
    { prefix: 'fd88:1::1/128', kind: 'backup_local_address' },
    { prefix: 'fd88:1::2/128', kind: 'local_address' },
  ]);
  const conf = birdConfig(config.cluster!, routes);
  assert.match(conf, /protocol static xvs_own6 \{\n {2}ipv6;\n {2}route fd99::10\/128 blackhole;\n {2}route fd88:1::2\/128 blackhole;\n\}/);
  assert.match(conf, /protocol static xvs_backup6 \{\n {2}ipv6;\n {2}route fd88:1::1\/128 blackhole;\n\}/);
  assert.match(conf, /protocol static xvs_own \{\n {2}ipv4;\n {2}route 203\.0\.113\.10\/32 blackhole;\n {2}route 10\.0\.2\.101\/32 blackhole;\n\}/, 'the IPv4 ones apart');
  assert.match(conf, /ipv6 \{ import none; export filter xvs_export; next hop address fd88::12; \};/);
  assert.doesNotMatch(birdConfig(cluster(2), []), /ipv6/, 'a node without address6 speaks IPv4 only');
  const bird = ['bird', '/usr/sbin/bird'].find((b) => !spawnSync(b, ['--version'], { stdio: 'ignore' }).error);
  if (!bird) {
    console.warn('*** BIRD is not installed: the generated IPv6 configuration was not parsed by BIRD ***');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-bird6-test-'));
  try {
    fs.writeFileSync(path.join(dir, 'bird.conf'), conf);
    const r = spawnSync(bird, ['-p', '-c', path.join(dir, 'bird.conf')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('IPv6 services in a cluster with bgp need every node\'s address6, an IPv6 host address of its own', () => {
  const withV6 = (nodes: string) =>
    clusterText(['  node: 1', nodes, ...BGP])
      .replace('  lan: [10.0.2.100, 10.0.2.101, 10.0.2.102]', '  lan: [10.0.2.100, 10.0.2.101, 10.0.2.102]\n  lan6: ["fd88:1::1", "fd88:1::2"]')
      .replace(
        'services:',
        'services:\n  - { name: web6, vip: "fd99::10", port: 80, forwarding: fullnat, local_address_pool: lan6, servers: [{ address: "fd88::21", port: 80 }] }',
      );
  assert.deepEqual(problemsOf(withV6(NODES6[0]!)), []);
  const missing = problemsOf(withV6('  nodes: [{ id: 1, address: 10.88.0.11, address6: "fd88::11" }, { id: 2, address: 10.88.0.12 }]'));
  assert.equal(missing.length, 1, JSON.stringify(missing));
  assert.equal(missing[0]!.path, 'cluster.nodes[1]');
  assert.match(missing[0]!.message, /has no address6: with IPv6 services, BGP announces/);
  const twice = problemsOf(withV6('  nodes: [{ id: 1, address: 10.88.0.11, address6: "fd88::11" }, { id: 2, address: 10.88.0.12, address6: "fd88::11" }]'));
  assert.match(twice[0]!.message, /fd88::11 is already the IPv6 address of nodes\[0\]/);
  const v4 = problemsOf(withV6('  nodes: [{ id: 1, address: 10.88.0.11, address6: 10.88.0.11 }, { id: 2, address: 10.88.0.12, address6: "fd88::12" }]'));
  assert.match(v4[0]!.message, /must be an IPv6 address such as 2001:db8::11 \(got "10\.88\.0\.11"\); the IPv4 one is address/);
  // Without bgp (sync alone) nothing is announced: no address6 needed.
  assert.deepEqual(problemsOf(withV6(NODES[0]!).replace(BGP[0]! + '\n', '')), []);
});

test("BIRD's show protocols reply: rows of every protocol, errors found", () => {
  const reply = [
    { code: 2002, text: 'Name       Proto      Table      State  Since         Info' },
    { code: 1002, text: 'device1    Device     ---        up     05:07:41.219  ' },
    { code: 1002, text: 'xvs_own    Static     master4    up     2026-12-05 05:07:41  ' },
    { code: 1002, text: 'peer_10_88_0_1 BGP        ---        up     05:07:43.001  Established   ' },
    { code: 1002, text: 'peer_10_88_0_2 BGP        ---        start  05:07:41.223  Active        Socket: Connection refused' },
    { code: 0, text: '' },
  ];
  const rows = parseProtocols(reply);
  assert.deepEqual(
    rows.map((r) => [r.name, r.proto, r.state, r.since, r.info]),
    [
      ['device1', 'Device', 'up', '05:07:41.219', ''],
      ['xvs_own', 'Static', 'up', '2026-12-05 05:07:41', ''],
      ['peer_10_88_0_1', 'BGP', 'up', '05:07:43.001', 'Established'],
      ['peer_10_88_0_2', 'BGP', 'start', '05:07:41.223', 'Active        Socket: Connection refused'],
    ],
  );
  assert.equal(replyError(reply), undefined);
  assert.equal(replyError([{ code: 8002, text: 'bird.conf:3:1 syntax error' }]), 'bird.conf:3:1 syntax error (BIRD 8002)');
});
