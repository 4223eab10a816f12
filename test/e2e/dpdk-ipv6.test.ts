// test/e2e/dpdk-ipv6.test.ts — IPv6 services on the dpdk backend (net_af_xdp on the demo's two-arm
// veths), where no kernel owns the ports and xvs runs neighbour discovery itself (native/io/ndp.h):
// it solicits its IPv6 servers and learns them from their advertisements, answers the servers'
// solicitations for its IPv6 LIP, and announces its VIP and LIP when it starts. curl -6 reaches the
// Python servers through a fullnat VIP (the servers see the IPv6 LIP), a nat VIP (they see the
// client) and a NAT64 VIP over the IPv4 servers; a 2 MB download arrives intact; /status lists the
// IPv6 neighbours xvs resolved; the counters show solicitations sent and answered, and nothing
// dropped. The balancer host's own IPv6 addresses go on the exception interfaces (NAME.kni) once
// xvs runs, as an operator does. Needs root and the DPDK build; skipped loudly otherwise (CI runs
// it as root and builds DPDK).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Balancer } from '../../src/demo/balancer.js';
import { LIP, Topology } from '../../src/demo/topology.js';
import type { NeighbourEntry } from '../../src/native/addon.js';
import { netnsUnavailable } from '../../src/netns/lab.js';
import { CLIENT6, LIP6, SERVERS6, VIP6, addIpv6BalancerSide, addIpv6Peers, startIpv6Servers, waitForAnswer } from '../support/ipv6-lab.js';
import { describeDpdk } from './dpdk-available.js';

const XVS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/xvs.js');
const DOWNLOAD_BYTES = 2 * 1024 * 1024;

describeDpdk('IPv6 on the dpdk backend: neighbour discovery by xvs', netnsUnavailable(), () => {
  let t: Topology;
  let balancer: Balancer;
  const curl = (url: string) =>
    execFileSync('ip', ['netns', 'exec', t.client, 'curl', '-sS', '-g', '--max-time', '20', url], { encoding: 'utf8', timeout: 30_000 });

  before(async () => {
    t = Topology.create({ arms: 2, queues: 1, servers: 2, mode: 'fullnat', backend: 'dpdk' });
    addIpv6Peers(t);
    await t.startServers([8080], []);
    await startIpv6Servers(t);
    const file = path.join(t.dir, 'dpdk-ipv6.yaml');
    fs.writeFileSync(
      file,
      `
dataplane: { backend: dpdk, workers: 1, interfaces: [l0, l1], conn_table_size: 65536 }
local_address_pools:
  lan6: ["${LIP6}"]
  lan: [${LIP}]
services:
  - { name: web6, vip: "${VIP6}", port: 80, forwarding: fullnat, local_address_pool: lan6, scheduler: rr,
      servers: [{ address: "${SERVERS6[0]}", port: 8080 }, { address: "${SERVERS6[1]}", port: 8080 }] }
  - { name: nat6, vip: "${VIP6}", port: 81, forwarding: nat, scheduler: rr,
      servers: [{ address: "${SERVERS6[0]}", port: 8080 }, { address: "${SERVERS6[1]}", port: 8080 }] }
  - { name: web64, vip: "${VIP6}", port: 82, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      servers: [{ address: 10.202.0.11, port: 8080 }, { address: 10.202.0.12, port: 8080 }] }
`,
    );
    balancer = await Balancer.start(t, file);
    // Nothing of the backend's (the ports take all multicast, net_af_xdp's by their kernel flag).
    assert.deepEqual(balancer.warnings().filter((w) => w.event === 'backend_warning'), [], 'no backend warnings');
    // The host's side of the ports, now that xvs made the exception interfaces.
    t.configureHostSide();
    addIpv6BalancerSide(t, '.kni');
    for (const port of [80, 81, 82]) await waitForAnswer(t, balancer, `http://[${VIP6}]:${port}/`);
  });
  after(async () => t?.destroy());

  it('fullnat: the servers see the IPv6 LIP, whose solicitations xvs answered; rr over both', () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const [name, peer] = curl(`http://[${VIP6}]:80/`).trim().split(' ');
      assert.equal(peer, LIP6, `request ${i}`);
      seen.set(name!, (seen.get(name!) ?? 0) + 1);
    }
    assert.deepEqual([...seen.values()].sort(), [10, 10], JSON.stringify([...seen]));
  });

  it("nat: the servers see the client's own IPv6 address; NAT64: the IPv4 LIP", () => {
    for (let i = 0; i < 10; i++) {
      assert.equal(curl(`http://[${VIP6}]:81/`).trim().split(' ')[1], CLIENT6, `nat request ${i}`);
      assert.equal(curl(`http://[${VIP6}]:82/`).trim().split(' ')[1], LIP, `NAT64 request ${i}`);
    }
  });

  it('a 2 MB download through the IPv6 fullnat VIP arrives intact', () => {
    const body = execFileSync('ip', ['netns', 'exec', t.client, 'curl', '-sS', '-g', '--max-time', '20', `http://[${VIP6}]:80/bytes/${DOWNLOAD_BYTES}`], {
      timeout: 30_000, maxBuffer: 16 << 20,
    });
    assert.equal(body.length, DOWNLOAD_BYTES);
    for (let i = 0; i < body.length; i += 4093) assert.equal(body[i], i % 251, `byte ${i}`);
  });

  it("the ports take all multicast while xvs runs (the solicited-node groups of its addresses)", () => {
    for (const dev of ['l0', 'l1']) assert.match(t.lab.exec(t.balancer, ['ip', 'link', 'show', dev]), /ALLMULTI/, dev);
  });

  it("xvs's own neighbour table holds the IPv6 servers (reachable or stale, a real MAC)", () => {
    const status = JSON.parse(t.lab.exec(t.balancer, [process.execPath, XVS, 'list', '--json'])) as { neighbours?: NeighbourEntry[] };
    for (const server of SERVERS6) {
      const n = status.neighbours?.find((e) => e.address === server);
      assert.ok(n && (n.state === 'reachable' || n.state === 'stale') && n.mac !== '00:00:00:00:00:00', `neighbour ${server}: ${JSON.stringify(status.neighbours)}`);
    }
  });

  it('the counters: solicitations sent and answered, VIP and LIP announced, nothing dropped', async () => {
    const stopped = await balancer.stop();
    assert.equal(stopped.exitCode, 0, `xvs exit code; stderr: ${stopped.stderr}`);
    const c = stopped.counters;
    console.log(`  dpdk IPv6: nd_solicited ${c.nd_solicited}, nd_replied ${c.nd_replied}, nd_announced ${c.nd_announced}, arp_replied ${c.arp_replied}`);
    assert.ok((c.nd_solicited ?? 0) >= 2, `nd_solicited ${c.nd_solicited}: one per IPv6 server at least`);
    assert.ok((c.nd_replied ?? 0) >= 1, `nd_replied ${c.nd_replied}: the servers asked for the LIP`);
    // VIP6 and LIP6 on each of the two ports.
    assert.ok((c.nd_announced ?? 0) >= 4, `nd_announced ${c.nd_announced}`);
    assert.ok((c.conn_created ?? 0) >= 41, `conn_created ${c.conn_created}`);
    const drops = Object.entries(c).filter(([name, n]) => name.startsWith('drop_') && n > 0 && name !== 'drop_neighbor_unresolved');
    assert.deepEqual(drops, [], 'no drops (unresolved next hops aside, while the neighbours were being learned)');
    for (const dev of ['l0', 'l1']) assert.doesNotMatch(t.lab.exec(t.balancer, ['ip', 'link', 'show', dev]), /ALLMULTI/, `${dev}: put back at stop`);
  });
});
