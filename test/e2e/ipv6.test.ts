// test/e2e/ipv6.test.ts — IPv6 services on AF_XDP between network namespaces: the demo's two-arm
// topology with IPv6 addresses beside the IPv4 ones (no duplicate address detection), an IPv6
// fullnat service through an IPv6 LIP, an IPv6 nat service whose servers route back through the
// balancer, an IPv6 fullnat VIP over the IPv4 servers (NAT64), fullnat and nat IPv6 services
// behind the SYN proxy (syn_proxy: on), a NAT64 one behind it too, and an IPv4 fullnat service in the same file. Real clients and servers: curl -6
// against Python HTTP servers bound to the servers' IPv6 addresses. The balancer resolves its
// IPv6 servers through the kernel's IPv6 routes and neighbour discovery, and its steering program
// hands it the IPv6 packets of its services while the kernel keeps neighbour discovery. Checks
// the peer the servers see (the LIP, or the client itself), rr over both servers, 20 parallel
// connections, a 2 MB download intact, xvs list in ipvsadm's [address]:port form, a reload that
// drains a server, counters with nothing dropped, and a restart that keeps the held Full-NAT
// tuples of both families. Then dr and tunnel over IPv6 on one arm: the servers hold the VIP on lo and
// answer the client directly; tunnel's ip6ip6 is undone by `xvs decap` on each server. Needs root;
// skipped loudly otherwise (CI runs it as root).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { Balancer } from '../../src/demo/balancer.js';
import { payload } from '../../src/demo/payload.js';
import { CLIENT, LIP, Topology, VIP } from '../../src/demo/topology.js';
import { netnsUnavailable } from '../../src/netns/lab.js';
import { CLIENT6, LIP6, SERVERS6, VIP6, addIpv6TwoArms, startIpv6Servers, waitForAnswer } from '../support/ipv6-lab.js';

const XVS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/xvs.js');
const skip = netnsUnavailable();
if (skip) console.warn(`\n*** IPv6 e2e tests SKIPPED: ${skip} ***\n`);

const HTTP_PORT = 8080;
const DOWNLOAD_BYTES = 2 * 1024 * 1024;

const config = (stateDir: string) => `
dataplane: { backend: afxdp, workers: 1, interfaces: [l0, l1], conn_table_size: 65536, state_dir: ${stateDir},
             timeouts: { server_time_wait: 600 } }
local_address_pools:
  lan6: ["${LIP6}"]
  lan: [${LIP}]
services:
  - { name: web6, vip: "${VIP6}", port: 80, forwarding: fullnat, local_address_pool: lan6, scheduler: rr,
      servers: [{ address: "${SERVERS6[0]}", port: ${HTTP_PORT} }, { address: "${SERVERS6[1]}", port: ${HTTP_PORT} }] }
  - { name: nat6, vip: "${VIP6}", port: 81, forwarding: nat, scheduler: rr,
      servers: [{ address: "${SERVERS6[0]}", port: ${HTTP_PORT} }, { address: "${SERVERS6[1]}", port: ${HTTP_PORT} }] }
  - { name: web4, vip: ${VIP}, port: 80, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      servers: [{ address: 10.202.0.11, port: 8080 }, { address: 10.202.0.12, port: 8080 }] }
  - { name: web64, vip: "${VIP6}", port: 82, forwarding: fullnat, local_address_pool: lan, scheduler: rr,
      servers: [{ address: 10.202.0.11, port: 8080 }, { address: 10.202.0.12, port: 8080 }] }
  - { name: proxy6, vip: "${VIP6}", port: 83, forwarding: fullnat, local_address_pool: lan6, scheduler: rr, syn_proxy: on,
      servers: [{ address: "${SERVERS6[0]}", port: ${HTTP_PORT} }, { address: "${SERVERS6[1]}", port: ${HTTP_PORT} }] }
  - { name: proxynat6, vip: "${VIP6}", port: 84, forwarding: nat, scheduler: rr, syn_proxy: on,
      servers: [{ address: "${SERVERS6[0]}", port: ${HTTP_PORT} }, { address: "${SERVERS6[1]}", port: ${HTTP_PORT} }] }
  - { name: proxy64, vip: "${VIP6}", port: 85, forwarding: fullnat, local_address_pool: lan, scheduler: rr, syn_proxy: on,
      servers: [{ address: 10.202.0.11, port: 8080 }, { address: 10.202.0.12, port: 8080 }] }
`;

describe('IPv6 services on AF_XDP (fullnat and nat, two arms)', { skip }, () => {
  let t: Topology;
  let balancer: Balancer;
  const curl = (args: string[]) =>
    execFileSync('ip', ['netns', 'exec', t.client, 'curl', '-sS', '--max-time', '20', ...args], {
      encoding: 'utf8', timeout: 30_000, maxBuffer: 16 << 20,
    });

  before(async () => {
    t = Topology.create({ arms: 2, queues: 1, servers: 2, mode: 'fullnat' });
    addIpv6TwoArms(t);
    await t.startServers([HTTP_PORT], []);
    await startIpv6Servers(t);
    const file = path.join(t.dir, 'ipv6.yaml');
    fs.writeFileSync(file, config(t.dir));
    balancer = await Balancer.start(t, file);
    // The servers' IPv6 neighbours are learned once solicited: wait until a request gets through.
    await waitForAnswer(t, balancer, `http://[${VIP6}]:80/`);
  });
  after(async () => t?.destroy());

  it("fullnat: the servers see the IPv6 LIP, and rr alternates between them", () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const [name, peer] = curl(['-g', `http://[${VIP6}]:80/`]).trim().split(' ');
      assert.equal(peer, LIP6, `request ${i}`);
      seen.set(name!, (seen.get(name!) ?? 0) + 1);
    }
    assert.deepEqual([...seen.values()].sort(), [10, 10], JSON.stringify([...seen]));
  });

  it("nat: the servers see the client's own IPv6 address", () => {
    for (let i = 0; i < 10; i++) {
      const [, peer] = curl(['-g', `http://[${VIP6}]:81/`]).trim().split(' ');
      assert.equal(peer, CLIENT6, `request ${i}`);
    }
  });

  it('20 connections at a time, and a 2 MB download intact through fullnat', () => {
    const urls = Array.from({ length: 60 }, () => `http://[${VIP6}]:80/`);
    const out = curl(['-g', '--parallel', '--parallel-max', '20', '--parallel-immediate', '-H', 'Connection: close', ...urls]);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 60, out);
    for (const line of lines) assert.match(line, new RegExp(`^s[12] ${LIP6.replaceAll(':', '\\:')}$`));
    const body = execFileSync('ip', ['netns', 'exec', t.client, 'curl', '-sS', '-g', '--max-time', '20', `http://[${VIP6}]:80/bytes/${DOWNLOAD_BYTES}`], {
      timeout: 30_000, maxBuffer: 16 << 20,
    });
    assert.equal(body.length, DOWNLOAD_BYTES);
    for (let i = 0; i < body.length; i += 4093) assert.equal(body[i], i % 251, `byte ${i}`);
  });

  it('the IPv4 service of the same file still answers', () => {
    const out = curl([`http://${VIP}:80/`]).trim();
    assert.match(out, new RegExp(`^s[12] ${LIP.replaceAll('.', '\\.')}`), out);
    assert.ok(CLIENT);
  });

  it('NAT64: IPv6 clients reach the IPv4 servers, which see the IPv4 LIP; rr over both', () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      const [name, peer] = curl(['-g', `http://[${VIP6}]:82/`]).trim().split(' ');
      assert.equal(peer, LIP, `request ${i}`);
      seen.set(name!, (seen.get(name!) ?? 0) + 1);
    }
    assert.deepEqual([...seen.values()].sort(), [5, 5], JSON.stringify([...seen]));
  });

  it('NAT64: a 2 MB download and 20 parallel connections intact', () => {
    const body = execFileSync('ip', ['netns', 'exec', t.client, 'curl', '-sS', '-g', '--max-time', '20', `http://[${VIP6}]:82/bytes/${DOWNLOAD_BYTES}`], {
      timeout: 30_000, maxBuffer: 16 << 20,
    });
    assert.equal(body.length, DOWNLOAD_BYTES);
    assert.ok(body.equals(Buffer.concat([...payload(DOWNLOAD_BYTES)])), 'the bytes the server sent');
    const urls = Array.from({ length: 40 }, () => `http://[${VIP6}]:82/`);
    // The demo's servers end their answer without a newline: the answers run together.
    const out = curl(['-g', '--parallel', '--parallel-max', '20', '--parallel-immediate', '-H', 'Connection: close', ...urls]);
    const answers = out.match(new RegExp(`s[12] ${LIP.replaceAll('.', '\\.')}`, 'g')) ?? [];
    assert.equal(answers.length, 40, out);
    assert.equal(answers.join(''), out.trim(), 'nothing else');
  });

  it('SYN proxy (syn_proxy: on) over IPv6: fullnat and nat answer every request, a 2 MB download intact', () => {
    for (let i = 0; i < 10; i++) {
      assert.match(curl(['-g', `http://[${VIP6}]:83/`]).trim(), new RegExp(`^s[12] ${LIP6.replaceAll(':', '\\:')}$`), `fullnat request ${i}`);
      assert.match(curl(['-g', `http://[${VIP6}]:84/`]).trim(), new RegExp(`^s[12] ${CLIENT6.replaceAll(':', '\\:')}$`), `nat request ${i}`);
    }
    const urls = Array.from({ length: 40 }, () => `http://[${VIP6}]:83/`);
    const out = curl(['-g', '--parallel', '--parallel-max', '20', '--parallel-immediate', '-H', 'Connection: close', ...urls]);
    assert.equal(out.trim().split('\n').length, 40, out);
    const body = execFileSync('ip', ['netns', 'exec', t.client, 'curl', '-sS', '-g', '--max-time', '20', `http://[${VIP6}]:83/bytes/${DOWNLOAD_BYTES}`], {
      timeout: 30_000, maxBuffer: 16 << 20,
    });
    assert.equal(body.length, DOWNLOAD_BYTES);
    for (let i = 0; i < body.length; i += 4093) assert.equal(body[i], i % 251, `byte ${i}`);
  });

  it('SYN proxy in front of NAT64: IPv6 clients get cookies, the IPv4 servers see the LIP; a 2 MB download intact', () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      const [name, peer] = curl(['-g', `http://[${VIP6}]:85/`]).trim().split(' ');
      assert.equal(peer, LIP, `request ${i}`);
      seen.set(name!, (seen.get(name!) ?? 0) + 1);
    }
    assert.deepEqual([...seen.values()].sort(), [5, 5], JSON.stringify([...seen]));
    const body = execFileSync('ip', ['netns', 'exec', t.client, 'curl', '-sS', '-g', '--max-time', '20', `http://[${VIP6}]:85/bytes/${DOWNLOAD_BYTES}`], {
      timeout: 30_000, maxBuffer: 16 << 20,
    });
    assert.equal(body.length, DOWNLOAD_BYTES);
    assert.ok(body.equals(Buffer.concat([...payload(DOWNLOAD_BYTES)])), 'the bytes the server sent');
  });

  it('xvs list shows the IPv6 services as ipvsadm does, [address]:port', () => {
    const out = execFileSync('ip', ['netns', 'exec', t.balancer, process.execPath, XVS, 'list', '-n', '--config', path.join(t.dir, 'ipv6.yaml')], {
      encoding: 'utf8', timeout: 20_000,
    });
    assert.match(out, new RegExp(`^TCP  \\[${VIP6}\\]:80 rr$`, 'm'), out);
    assert.match(out, new RegExp(`^  -> \\[${SERVERS6[0]}\\]:${HTTP_PORT} +FullNat`, 'm'), out);
    assert.match(out, new RegExp(`^TCP  \\[${VIP6}\\]:81 rr$`, 'm'), out);
  });

  it('a reload (SIGHUP) that drains one IPv6 server sends every new connection to the other', async () => {
    const file = path.join(t.dir, 'ipv6.yaml');
    fs.writeFileSync(file, config(t.dir).replace(`{ address: "${SERVERS6[1]}", port: ${HTTP_PORT} }] }`, `{ address: "${SERVERS6[1]}", port: ${HTTP_PORT}, weight: 0 }] }`));
    assert.equal((await balancer.reload()).event, 'reloaded');
    for (let i = 0; i < 10; i++) assert.equal(curl(['-g', `http://[${VIP6}]:80/`]).trim(), `s1 ${LIP6}`, `request ${i}`);
  });

  it('the counters agree: connections made, nothing dropped', async () => {
    const stopped = await balancer.stop();
    assert.equal(stopped.exitCode, 0, `xvs exit code; stderr: ${stopped.stderr}`);
    const c = stopped.counters;
    assert.ok((c.conn_created ?? 0) >= 174, `conn_created ${c.conn_created}`);
    // Every connection to the proxied services began with a cookie (61 requests over IPv6, 11 to NAT64).
    assert.ok((c.syn_proxy_cookie_sent ?? 0) >= 72, `syn_proxy_cookie_sent ${c.syn_proxy_cookie_sent}`);
    assert.ok((c.syn_proxy_accepted ?? 0) >= 72, `syn_proxy_accepted ${c.syn_proxy_accepted}`);
    const drops = Object.entries(c).filter(([name, n]) => name.startsWith('drop_') && n > 0 && name !== 'drop_neighbor_unresolved');
    assert.deepEqual(drops, [], 'no drops (unresolved next hops aside, while the neighbours were being learned)');
    // The XDP fast path (the default) carried the IPv6 connections once established: the 2 MB
    // downloads alone are ~1 400 segments each (the one IPv4 request is a handful of packets).
    assert.ok((stopped.fastPath?.packets ?? 0) >= 2000, `the XDP fast path forwarded IPv6 packets: ${JSON.stringify(stopped.fastPath)}`);
    assert.equal(stopped.fastPath?.uncounted, 0);
    assert.equal(c.fast_path_install_failed ?? 0, 0);
  });

  it('after a restart the IPv6 services answer again; the Full-NAT tuples the servers may hold were kept', async () => {
    balancer = await Balancer.start(t, path.join(t.dir, 'ipv6.yaml'));
    // Every Full-NAT TCP connection made above (server_time_wait 600 s outlasts the test): 142 of
    // them IPv6 (web6 91, proxy6 51), 62 NAT64 (web64 51, proxy64 11), one IPv4; IPv4 and NAT64
    // alone would be 63.
    const restored = balancer.log.find((l) => l.event === 'port_holds_restored') as { held?: number } | undefined;
    assert.ok((restored?.held ?? 0) >= 180, `held tuples restored: ${JSON.stringify(restored)}`);
    await waitForAnswer(t, balancer, `http://[${VIP6}]:80/`);
    for (let i = 0; i < 10; i++) {
      assert.equal(curl(['-g', `http://[${VIP6}]:80/`]).trim(), `s1 ${LIP6}`, `fullnat request ${i}`);
      assert.equal(curl(['-g', `http://[${VIP6}]:81/`]).trim().split(' ')[1], CLIENT6, `nat request ${i}`);
      assert.equal(curl(['-g', `http://[${VIP6}]:82/`]).trim().split(' ')[1], LIP, `NAT64 request ${i}`);
    }
    const stopped = await balancer.stop();
    assert.equal(stopped.exitCode, 0, `xvs exit code; stderr: ${stopped.stderr}`);
  });
});

const ONE_ARM_CLIENT6 = '2001:db8:200::2';
const ONE_ARM_BALANCER6 = '2001:db8:200::1';
const ONE_ARM_SERVERS6 = ['2001:db8:200::11', '2001:db8:200::12'] as const;

describe('IPv6 services on AF_XDP (dr and tunnel, one arm)', { skip }, () => {
  let t: Topology;
  let balancer: Balancer;
  const curl = (url: string) =>
    execFileSync('ip', ['netns', 'exec', t.client, 'curl', '-sS', '-g', '--max-time', '20', url], { encoding: 'utf8', timeout: 30_000 });
  const ip6 = (ns: string, ...args: string[]) => execFileSync('ip', ['-n', ns, '-6', ...args], { timeout: 10_000 });

  before(async () => {
    t = Topology.create({ arms: 1, queues: 1, servers: 2, mode: 'dr' });
    ip6(t.client, 'addr', 'add', `${ONE_ARM_CLIENT6}/64`, 'dev', 'c0', 'nodad');
    ip6(t.client, 'route', 'add', `${VIP6}/128`, 'via', ONE_ARM_BALANCER6);
    ip6(t.balancer, 'addr', 'add', `${ONE_ARM_BALANCER6}/64`, 'dev', 'l0', 'nodad');
    for (const [i, s] of t.servers.entries()) {
      ip6(s.ns, 'addr', 'add', `${ONE_ARM_SERVERS6[i]}/64`, 'dev', 'e0', 'nodad');
      // The VIP on lo: IPv6 answers neighbour solicitations only for the receiving interface's
      // addresses, so no arp_ignore is needed to keep the servers from claiming it.
      ip6(s.ns, 'addr', 'add', `${VIP6}/128`, 'dev', 'lo', 'nodad');
      // After the VIP is local: the decap program copies the local routes when it attaches.
      t.lab.exec(s.ns, [process.execPath, XVS, 'decap', '--iface', 'e0'], { timeout: 20_000, env: { LIBXDP_BPFFS: t.bpffs } });
    }
    await startIpv6Servers(t, '::', [80, 81]);
    const file = path.join(t.dir, 'ipv6-one-arm.yaml');
    fs.writeFileSync(file, `
dataplane: { backend: afxdp, workers: 1, interfaces: [l0], state_dir: ${t.dir} }
services:
  - { name: dr6, vip: "${VIP6}", port: 80, forwarding: dr, scheduler: rr,
      servers: [{ address: "${ONE_ARM_SERVERS6[0]}", port: 80 }, { address: "${ONE_ARM_SERVERS6[1]}", port: 80 }] }
  - { name: tunnel6, vip: "${VIP6}", port: 81, forwarding: tunnel, scheduler: rr,
      servers: [{ address: "${ONE_ARM_SERVERS6[0]}", port: 81 }, { address: "${ONE_ARM_SERVERS6[1]}", port: 81 }] }
`);
    balancer = await Balancer.start(t, file);
    for (const port of [80, 81]) await waitForAnswer(t, balancer, `http://[${VIP6}]:${port}/`);
  });
  after(async () => t?.destroy());

  for (const [port, mode] of [[80, 'dr'], [81, 'tunnel']] as const) {
    it(`${mode}: the servers see the client's own address and answer it directly; rr over both`, () => {
      const seen = new Map<string, number>();
      for (let i = 0; i < 10; i++) {
        const [name, peer] = curl(`http://[${VIP6}]:${port}/`).trim().split(' ');
        assert.equal(peer, ONE_ARM_CLIENT6, `request ${i}`);
        seen.set(name!, (seen.get(name!) ?? 0) + 1);
      }
      assert.deepEqual([...seen.values()].sort(), [5, 5], JSON.stringify([...seen]));
    });
  }

  it('tunnel: the servers decapsulated ip6ip6 (xvs decap counts it), and a 1 MB download arrives intact', () => {
    const body = execFileSync('ip', ['netns', 'exec', t.client, 'curl', '-sS', '-g', '--max-time', '20', `http://[${VIP6}]:81/bytes/1048576`], {
      timeout: 30_000, maxBuffer: 4 << 20,
    });
    assert.equal(body.length, 1048576);
    for (let i = 0; i < body.length; i += 4093) assert.equal(body[i], i % 251, `byte ${i}`);
    const stats = t.servers.map((s) =>
      JSON.parse(t.lab.exec(s.ns, [process.execPath, XVS, 'decap', '--iface', 'e0', '--stats', '--json'], { timeout: 20_000, env: { LIBXDP_BPFFS: t.bpffs } })) as {
        counters: Record<string, number>;
      });
    for (const st of stats) assert.ok((st.counters.decapsulated ?? 0) > 0, JSON.stringify(st));
  });

  it('the counters agree: nothing dropped; the XDP fast path carried the clients\' packets', async () => {
    const stopped = await balancer.stop();
    assert.equal(stopped.exitCode, 0, `xvs exit code; stderr: ${stopped.stderr}`);
    const drops = Object.entries(stopped.counters).filter(([name, n]) => name.startsWith('drop_') && n > 0 && name !== 'drop_neighbor_unresolved');
    assert.deepEqual(drops, []);
    // The 1 MB download's ACKs (client to server: the one direction through the balancer).
    assert.ok((stopped.fastPath?.packets ?? 0) >= 100, `the XDP fast path forwarded IPv6 packets: ${JSON.stringify(stopped.fastPath)}`);
  });
});
