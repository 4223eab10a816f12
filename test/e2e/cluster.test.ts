// test/e2e/cluster.test.ts — two xvs nodes behind a real router (BIRD 2, kernel ECMP with an L4
// hash; src/demo/cluster-topology.ts): each node announces the VIP and its share of the Full-NAT
// local addresses over BGP, and the other node's share as a backup; the router spreads new
// connections over both; the nodes sync their connections; under load (long-lived connections
// exchanging a line every 100 ms, new connections every 20 ms) kill -9 of a node fails no
// established connection and no new one after the router withdrew it (its BIRD dies with it),
// in fullnat, nat (servers routed through the nodes), dr and tunnel, and with three nodes (the
// dead node's local address then falls back to both others); a restarted node gets the tables
// and takes its share back without a failure; a service that loses quorum is withdrawn
// and comes back with it; a clean stop withdraws before it exits; and an IPv6 fullnat VIP over the
// same sessions (ipv6 channel, the nodes' IPv6 next hops) fails no established connection when a
// node is killed (IPv6 records synced). Needs root and BIRD 2; skipped loudly otherwise.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  CLUSTER_CLIENT,
  CLUSTER_LIPS,
  CLUSTER_LIPS6,
  CLUSTER_VIP,
  CLUSTER_VIP6,
  ClusterTopology,
  NODE_API,
  ROUTER_ASN,
  ROUTER_FABRIC,
  type ClusterNodeProcess,
} from '../../src/demo/cluster-topology.js';
import { netnsUnavailable } from '../../src/netns/lab.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const XVS = path.join(ROOT, 'bin', 'xvs.js');
const VIP_ROUTE = `${CLUSTER_VIP}/32`;
const LIPS = CLUSTER_LIPS.slice(0, 2);

const birdMissing = ['bird', '/usr/sbin/bird'].every((b) => spawnSync(b, ['--version'], { stdio: 'ignore' }).error !== undefined);
const skip = netnsUnavailable() ?? (birdMissing ? 'BIRD 2 is not installed (apt-get install bird2)' : undefined);
if (skip) console.warn(`\n*** e2e cluster tests SKIPPED: ${skip} ***\n`);

interface NodeStatus {
  counters: Record<string, number>;
  services: { traffic: { conns: number } }[];
  cluster?: { sync?: { peers: { records: number; lost: number; refused: number; tableReceived: boolean }[] } };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `count` requests from the client, each on a new connection: answers per server and failures. */
function requests(t: ClusterTopology, count: number): { answers: Record<string, number>; failures: string[] } {
  const script = `
    const http = require('http');
    const out = { answers: {}, failures: [] };
    let left = ${count};
    const one = () => {
      if (left-- === 0) return console.log(JSON.stringify(out));
      const req = http.get({ host: '${CLUSTER_VIP}', port: 80, path: '/name', agent: false, timeout: 3000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d)).on('end', () => { out.answers[body] = (out.answers[body] || 0) + 1; one(); });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => { out.failures.push(e.message); one(); });
    };
    one();`;
  const r = spawnSync('ip', ['netns', 'exec', t.client, process.execPath, '-e', script], { encoding: 'utf8', timeout: 10_000 + count * 3500 });
  if (r.status !== 0) throw new Error(`client: ${r.stderr}`);
  return JSON.parse(r.stdout) as { answers: Record<string, number>; failures: string[] };
}

/** Connections this node scheduled so far. */
const scheduled = (t: ClusterTopology, id: number) => t.nodeStatus<NodeStatus>(id).services.reduce((n, s) => n + s.traffic.conns, 0);
const both = (t: ClusterTopology) => t.nodes.map((n) => n.address).sort();
const only = (t: ClusterTopology, id: number) => [t.nodes[id - 1]!.address];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('e2e: a cluster behind a BGP router with ECMP', { skip, timeout: 240_000 }, () => {
  let t: ClusterTopology;
  const nodes = new Map<number, ClusterNodeProcess>();

  before(async () => {
    t = ClusterTopology.create({ nodes: 2, servers: 2 });
    await t.startRouter();
    await t.startServers();
    for (const id of [1, 2]) nodes.set(id, await t.startNode(id));
  });

  after(async () => {
    await t?.destroy();
  });

  it('announces the VIP from both nodes and each local address from its owner, the other as backup', async () => {
    const routes = await t.waitForRoutes(
      (r) => r.get(VIP_ROUTE)?.length === 2 && LIPS.every((l) => r.has(`${l}/32`)),
      15_000,
      'the VIP over both nodes and both local addresses',
    );
    assert.deepEqual(routes.get(VIP_ROUTE), both(t));
    // Pool order, nodes by id: the first address is node 1's, the second node 2's.
    assert.deepEqual(routes.get(`${LIPS[0]}/32`), only(t, 1));
    assert.deepEqual(routes.get(`${LIPS[1]}/32`), only(t, 2));
    // The node polls its sessions every second: the router may see the session up first.
    const established = new RegExp(`${ROUTER_FABRIC.replace(/\./g, '\\.')}\\s+${ROUTER_ASN}\\s+Established`);
    let listing = '';
    for (let tries = 0; tries < 30 && !established.test(listing); tries++) {
      if (tries) await sleep(100);
      listing = t.lab.exec(t.nodes[0]!.ns, [process.execPath, XVS, 'list', '--cluster', '--api', NODE_API]);
    }
    assert.match(listing, established);
    assert.match(listing, new RegExp(`${LIPS[1]!.replace(/\./g, '\\.')}/32\\s+backup_local_address`));
    assert.match(listing, /Connection sync, UDP port 8848/);
    const metrics = t.lab.exec(t.nodes[0]!.ns, ['curl', '-sS', `http://${NODE_API}/metrics`]);
    assert.match(metrics, new RegExp(`xvs_cluster_bgp_session_established\\{peer="${ROUTER_FABRIC}"\\} 1`));
    assert.match(metrics, /xvs_cluster_announced_routes\{kind="vip"\} 1/);
    assert.match(metrics, /xvs_cluster_sync_received_total\{peer="10\.88\.0\.12",unit="datagrams"\} \d+/);
  });

  it('spreads new connections over both nodes, every one answered', () => {
    const r = requests(t, 60);
    assert.deepEqual(r.failures, []);
    assert.equal((r.answers.s1 ?? 0) + (r.answers.s2 ?? 0), 60, JSON.stringify(r.answers));
    const perNode = [scheduled(t, 1), scheduled(t, 2)];
    assert.ok(perNode.every((n) => n > 0), `both nodes take connections: ${perNode.join(', ')} (${CLUSTER_CLIENT} → ${CLUSTER_VIP})`);
  });

  it('each node holds the connections of the other (connection sync)', async () => {
    const load = t.startLoad(1500);
    await sleep(1000);
    const [one, two] = [t.nodeStatus<NodeStatus>(1), t.nodeStatus<NodeStatus>(2)];
    const r = await load;
    assert.deepEqual(r.established.failures, []);
    assert.equal(r.established.opened, 24);
    for (const [id, s] of [[1, one], [2, two]] as const) {
      assert.ok(s.counters.sync_queued! > 0, `node ${id} queued records: ${JSON.stringify(s.counters)}`);
      assert.ok(s.counters.sync_installed! > 0, `node ${id} installed the other's: ${JSON.stringify(s.counters)}`);
      assert.equal(s.counters.sync_queue_full, 0);
      assert.equal(s.counters.sync_invalid, 0);
      const peer = s.cluster!.sync!.peers[0]!;
      assert.ok(peer.records > 0 && peer.lost === 0 && peer.refused === 0, JSON.stringify(peer));
    }
  });

  it('kill -9 of a node: no established connection fails, new ones fail only until the router withdrew it', async () => {
    const killed = nodes.get(1)!;
    const load = t.startLoad(6000);
    await sleep(2000);
    const killedAt = Date.now();
    killed.child.kill('SIGKILL');
    await exited(killed.child);
    const routes = await t.waitForRoutes((r) => r.get(VIP_ROUTE)?.join() === only(t, 2).join(), 5000, 'node 1 withdrawn');
    const withdrawnAt = Date.now();
    assert.deepEqual(routes.get(`${LIPS[0]}/32`), only(t, 2), "node 2's backup announcement of node 1's local address takes over");
    const r = await load;
    assert.equal(r.established.opened, 24);
    assert.deepEqual(r.established.failures, [], 'established connections across the kill');
    assert.ok(r.established.exchanges > 24 * 40, `exchanges: ${r.established.exchanges}`);
    const late = r.fresh.failures.filter((f) => f.atMs > withdrawnAt);
    assert.deepEqual(late, [], `new connections after the withdrawal (${withdrawnAt - killedAt} ms after the kill)`);
    assert.ok(r.fresh.ok > 50, `new connections answered: ${r.fresh.ok}`);
    assert.ok(t.nodeStatus<NodeStatus>(2).counters.sync_adopted! > 0, 'node 2 took over synced connections');
    nodes.delete(1);
  });

  it('a restarted node gets the tables, takes its share back, and no established connection fails', async () => {
    const load = t.startLoad(8000);
    await sleep(1500);
    nodes.set(1, await t.startNode(1));
    assert.ok(nodes.get(1)!.lines.some((l) => l.includes('"event":"sync_tables"') && l.includes('"missing":[]')), nodes.get(1)!.lines.join('\n'));
    const routes = await t.waitForRoutes((r) => r.get(VIP_ROUTE)?.length === 2 && r.get(`${LIPS[0]}/32`)?.join() === only(t, 1).join(), 15_000, 'node 1 back');
    assert.deepEqual(routes.get(VIP_ROUTE), both(t));
    const r = await load;
    assert.deepEqual(r.established.failures, [], 'established connections across the restart');
    assert.deepEqual(r.fresh.failures, [], 'new connections across the restart');
    const before = scheduled(t, 1);
    const more = requests(t, 60);
    assert.deepEqual(more.failures, []);
    assert.ok(scheduled(t, 1) > before, 'node 1 takes new connections again');
  });

  it('a service below quorum is withdrawn (its local addresses stay) and comes back with it', async () => {
    await t.stopServer('s2');
    await t.waitForRoutes((r) => !r.has(VIP_ROUTE) && LIPS.every((l) => r.has(`${l}/32`)), 10_000, 'the VIP withdrawn by both nodes');
    await t.startServer('s2');
    await t.waitForRoutes((r) => r.get(VIP_ROUTE)?.length === 2, 10_000, 'the VIP announced again by both nodes');
    const lines = nodes.get(2)!.lines;
    assert.ok(lines.some((l) => l.includes('"event":"bgp_routes"') && l.includes(`-${VIP_ROUTE} (vip)`)), lines.join('\n'));
  });

  it('a clean stop withdraws first and forwards for drain_time before it exits', async () => {
    const node = nodes.get(2)!;
    const t0 = Date.now();
    node.child.kill('SIGTERM');
    await t.waitForRoutes((r) => r.get(VIP_ROUTE)?.join() === only(t, 1).join(), 5000, 'node 2 withdrawn');
    assert.equal(node.child.exitCode, null, 'still running while the router moves away from it');
    const r = requests(t, 10);
    assert.deepEqual(r.failures, []);
    await exited(node.child);
    assert.equal(node.child.exitCode, 0);
    assert.ok(Date.now() - t0 >= 2000, 'drain_time: 2 s');
    const stopping = node.lines.findIndex((l) => l.includes('"event":"stopping"'));
    const withdrawn = node.lines.findIndex((l, i) => i > stopping && l.includes('"event":"bgp_routes"'));
    const stopped = node.lines.findIndex((l) => l.includes('"event":"stopped"'));
    assert.ok(stopping >= 0 && withdrawn > stopping && stopped > withdrawn, node.lines.join('\n'));
    nodes.delete(2);
  });
});

for (const mode of ['dr', 'tunnel', 'nat'] as const) {
  describe(`e2e: a ${mode} cluster behind a BGP router`, { skip, timeout: 120_000 }, () => {
    it('kill -9 of a node: no established connection fails, new ones fail only until the router withdrew it', async () => {
      const t = ClusterTopology.create({ nodes: 2, servers: 2, directReturn: mode !== 'nat' });
      try {
        await t.startRouter({ natReplies: mode === 'nat' });
        await t.startServers();
        if (mode === 'tunnel') t.decapOnServers();
        const started: ClusterNodeProcess[] = [];
        for (const id of [1, 2]) started.push(await t.startNode(id, t.nodeConfig(id, mode)));
        await t.waitForRoutes((r) => r.get(VIP_ROUTE)?.length === 2, 15_000, 'the VIP over both nodes');
        const load = t.startLoad(6000);
        await sleep(2000);
        started[0]!.child.kill('SIGKILL');
        await exited(started[0]!.child);
        await t.waitForRoutes((r) => r.get(VIP_ROUTE)?.join() === only(t, 2).join(), 5000, 'node 1 withdrawn');
        const withdrawnAt = Date.now();
        const r = await load;
        assert.equal(r.established.opened, 24);
        assert.deepEqual(r.established.failures, [], 'established connections across the kill');
        assert.deepEqual(r.fresh.failures.filter((f) => f.atMs > withdrawnAt), [], `new connections after the withdrawal (${r.fresh.ok} answered)`);
        assert.ok(r.fresh.ok > 50, `new connections answered: ${r.fresh.ok}`);
        assert.ok(t.nodeStatus<NodeStatus>(2).counters.sync_adopted! > 0, 'node 2 took over synced connections');
      } finally {
        await t.destroy();
      }
    });
  });
}

describe('e2e: a three-node fullnat cluster behind a BGP router', { skip, timeout: 120_000 }, () => {
  it("kill -9 of a node: its local address falls back to both others, and no connection fails", async () => {
    const t = ClusterTopology.create({ nodes: 3, servers: 2 });
    try {
      await t.startRouter();
      await t.startServers();
      const started: ClusterNodeProcess[] = [];
      for (const id of [1, 2, 3]) started.push(await t.startNode(id));
      const lips = CLUSTER_LIPS.slice(0, 3);
      await t.waitForRoutes((r) => r.get(VIP_ROUTE)?.length === 3 && lips.every((l) => r.get(`${l}/32`)?.length === 1), 20_000, 'the VIP over three nodes');
      const load = t.startLoad(6000);
      await sleep(2000);
      started[0]!.child.kill('SIGKILL');
      await exited(started[0]!.child);
      // Node 1's address is announced by both others with the same longer path: ECMP over them.
      const routes = await t.waitForRoutes((r) => r.get(VIP_ROUTE)?.length === 2 && r.get(`${lips[0]}/32`)?.length === 2, 5000, 'node 1 withdrawn');
      const withdrawnAt = Date.now();
      assert.deepEqual(routes.get(`${lips[0]}/32`), [t.nodes[1]!.address, t.nodes[2]!.address]);
      const r = await load;
      assert.equal(r.established.opened, 24);
      assert.deepEqual(r.established.failures, [], 'established connections across the kill');
      assert.deepEqual(r.fresh.failures.filter((f) => f.atMs > withdrawnAt), [], `new connections after the withdrawal (${r.fresh.ok} answered)`);
    } finally {
      await t.destroy();
    }
  });
});

describe('e2e: an IPv6 fullnat cluster behind a BGP router', { skip, timeout: 120_000 }, () => {
  it('the VIP and local addresses announced as /128 with the nodes\' IPv6 next hops; kill -9 of a node fails no established IPv6 connection', async () => {
    const t = ClusterTopology.create({ nodes: 2, servers: 2, ipv6: true });
    try {
      await t.startRouter();
      await t.startServers();
      const started: ClusterNodeProcess[] = [];
      for (const id of [1, 2]) started.push(await t.startNode(id));
      const vip = `${CLUSTER_VIP6}/128`;
      const lips = CLUSTER_LIPS6.slice(0, 2).map((l) => `${l}/128`);
      const six = (id: number) => [t.nodes[id - 1]!.address6];
      const routes = await t.waitForRoutes((r) => r.get(vip)?.length === 2 && lips.every((l) => r.get(l)?.length === 1), 15_000, 'the IPv6 VIP over both nodes');
      assert.deepEqual(routes.get(vip), t.nodes.map((n) => n.address6).sort(), 'ECMP over both nodes\' IPv6 addresses');
      assert.deepEqual(routes.get(lips[0]!), six(1));
      assert.deepEqual(routes.get(lips[1]!), six(2));

      const load = t.startLoad(6000);
      await sleep(2000);
      started[0]!.child.kill('SIGKILL');
      await exited(started[0]!.child);
      const after = await t.waitForRoutes((r) => r.get(vip)?.join() === six(2).join(), 5000, 'node 1 withdrawn');
      const withdrawnAt = Date.now();
      assert.deepEqual(after.get(lips[0]!), six(2), "node 2's backup announcement of node 1's IPv6 local address takes over");
      const r = await load;
      assert.equal(r.established.opened, 24);
      assert.deepEqual(r.established.failures, [], 'established IPv6 connections across the kill');
      assert.deepEqual(r.fresh.failures.filter((f) => f.atMs > withdrawnAt), [], `new connections after the withdrawal (${r.fresh.ok} answered)`);
      assert.ok(r.fresh.ok > 50, `new connections answered: ${r.fresh.ok}`);
      const status = t.nodeStatus<NodeStatus>(2);
      assert.ok(status.counters.sync_installed! > 0 && status.counters.sync_adopted! > 0, `node 2 took over synced IPv6 connections: ${JSON.stringify(status.counters)}`);
      assert.equal(status.counters.sync_invalid, 0);
    } finally {
      await t.destroy();
    }
  });
});
