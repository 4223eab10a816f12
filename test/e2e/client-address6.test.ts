// test/e2e/client-address6.test.ts — `client_address` of Full-NAT services with an IPv6 VIP and
// an IPv6 local-address pool on AF_XDP between network namespaces (the demo's two-arm topology with
// IPv6 beside IPv4, test/support/ipv6-lab.ts): nginx from Debian on a real server, listening on
// its IPv6 address with `proxy_protocol`, learns the IPv6 client's address and port from the PROXY
// protocol v2 TCP6 header xvs inserts (while its TCP peer is the IPv6 LIP) and logs them; 20
// connections at a time, a 4 MB upload and a 4 MB download complete intact. A `toa` service: a
// packet socket on the server reads the client's IPv6 address and port in the 20-byte TOA option,
// and the kernel accepts the segments. The balancer's counters agree. Needs root and nginx;
// skipped loudly otherwise (CI runs it as root, with nginx-light installed by the test step).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Balancer } from '../../src/demo/balancer.js';
import { Topology } from '../../src/demo/topology.js';
import { netnsUnavailable, waitForLine } from '../../src/netns/lab.js';
import { CLIENT6, LIP6, SERVERS6, VIP6, addIpv6TwoArms, waitForAnswer } from '../support/ipv6-lab.js';
import { NGINX_PLAIN_PORT, NGINX_PROXY_PORT, TOA_CAPTURE, nginxMissing, startNginx } from '../support/nginx.js';

const PROXIED_PORT = 82;
const TOA_PORT = 83;
const BODY_BYTES = 4 * 1024 * 1024;

const skip = netnsUnavailable() ?? nginxMissing();
if (skip) console.warn(`\n*** client_address IPv6 e2e tests SKIPPED: ${skip} ***\n`);

const config = (stateDir: string) => `
dataplane: { backend: afxdp, workers: 1, interfaces: [l0, l1], conn_table_size: 65536, state_dir: ${stateDir} }
local_address_pools: { lan6: ["${LIP6}"] }
services:
  - { name: proxied6, vip: "${VIP6}", port: ${PROXIED_PORT}, forwarding: fullnat, local_address_pool: lan6, scheduler: rr,
      client_address: proxy_v2, servers: [{ address: "${SERVERS6[0]}", port: ${NGINX_PROXY_PORT} }] }
  - { name: toa6, vip: "${VIP6}", port: ${TOA_PORT}, forwarding: fullnat, local_address_pool: lan6, scheduler: rr,
      client_address: toa, servers: [{ address: "${SERVERS6[0]}", port: ${NGINX_PLAIN_PORT} }] }
`;

describe('client_address over IPv6 on AF_XDP (fullnat, nginx behind xvs)', { skip }, () => {
  let t: Topology;
  let balancer: Balancer;
  let dir: string;
  const curl = (args: string[]) =>
    execFileSync('ip', ['netns', 'exec', t.client, 'curl', '-sS', '-g', '--max-time', '20', ...args], {
      encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20,
    });
  const url = (port: number, rest: string) => `http://[${VIP6}]:${port}${rest}`;

  before(async () => {
    t = Topology.create({ arms: 2, queues: 1, servers: 1, mode: 'fullnat' });
    addIpv6TwoArms(t);
    dir = path.join(t.dir, 'nginx');
    fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'www', 'big'), crypto.randomBytes(BODY_BYTES));
    await startNginx(t.lab, t.servers[0]!.ns, dir, SERVERS6[0]);
    const file = path.join(t.dir, 'client-address6.yaml');
    fs.writeFileSync(file, config(t.dir));
    balancer = await Balancer.start(t, file);
    await waitForAnswer(t, balancer, url(PROXIED_PORT, '/whoami'));
  });
  after(async () => t?.destroy());

  it("nginx reads the IPv6 client's address and port from the PROXY header; its TCP peer is the IPv6 LIP", () => {
    for (let i = 0; i < 30; i++) {
      const out = curl(['-w', ' %{local_port}', url(PROXIED_PORT, '/whoami')]);
      const [addr, port, peer, localPort] = out.trim().split(/\s+/);
      assert.equal(addr, CLIENT6, `request ${i}: ${out}`);
      assert.equal(port, localPort, `request ${i}: the client's own port (${out})`);
      assert.equal(peer, LIP6, `request ${i}: ${out}`);
    }
  });

  it('20 connections at a time, each logged with the real client address', () => {
    const urls = Array.from({ length: 100 }, () => url(PROXIED_PORT, '/whoami'));
    const out = curl(['--parallel', '--parallel-max', '20', '--parallel-immediate', '-H', 'Connection: close', ...urls]);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 100, out);
    for (const line of lines) assert.equal(line.replace(/ \d+ /, ' PORT '), `${CLIENT6} PORT ${LIP6}`, line);
    const log = fs.readFileSync(path.join(dir, 'proxied.log'), 'utf8').trim().split('\n');
    assert.ok(log.length >= 130, `nginx logged ${log.length} requests`);
    for (const line of log) assert.ok(line.startsWith(`${CLIENT6} `), `access log line: ${line}`);
  });

  it('a 4 MB upload (PUT, stored by nginx) and a 4 MB download arrive intact', () => {
    const digest = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    const upload = path.join(dir, 'upload.bin');
    fs.writeFileSync(upload, crypto.randomBytes(BODY_BYTES));
    curl(['--fail', '-T', upload, url(PROXIED_PORT, '/uploaded/upload.bin')]);
    assert.equal(digest(path.join(dir, 'www', 'uploaded', 'upload.bin')), digest(upload));
    const got = path.join(dir, 'got.bin');
    curl(['--fail', '-o', got, url(PROXIED_PORT, '/big')]);
    assert.equal(digest(got), digest(path.join(dir, 'www', 'big')));
  });

  it("a toa service: the server receives the client's IPv6 address and port in TOA, and its kernel accepts the segments", async () => {
    const capture = t.lab.spawnIn(t.servers[0]!.ns, ['python3', '-c', TOA_CAPTURE, String(NGINX_PLAIN_PORT), '6']);
    await waitForLine(capture, (line) => line === 'ready', 10_000);
    const seen = waitForLine(capture, (line) => line.startsWith('toa '), 20_000);
    const [peer, , localPort] = curl(['-w', ' %{local_port}', url(TOA_PORT, '/whoami')]).trim().split(/\s+/);
    assert.equal(peer, LIP6);
    assert.equal(await seen, `toa ${CLIENT6} ${localPort} from ${LIP6}`);
    for (let i = 0; i < 19; i++) assert.equal(curl([url(TOA_PORT, '/whoami')]).trim().split(/\s+/)[0], LIP6);
  });

  it('the counters agree: headers sent, TOA added, MSS clamped, nothing dropped', async () => {
    const stopped = await balancer.stop();
    assert.equal(stopped.exitCode, 0, `xvs exit code; stderr: ${stopped.stderr}`);
    const c = stopped.counters;
    assert.ok((c.proxy_header_sent ?? 0) >= 132, `proxy_header_sent ${c.proxy_header_sent}`);
    assert.ok((c.toa_added ?? 0) >= 20, `toa_added ${c.toa_added}`);
    assert.ok((c.client_mss_clamped ?? 0) >= 152, `client_mss_clamped ${c.client_mss_clamped}`);
    assert.equal(c.proxy_header_alone ?? 0, 0);
    const drops = Object.entries(c).filter(([name, n]) => name.startsWith('drop_') && n > 0 && name !== 'drop_neighbor_unresolved');
    assert.deepEqual(drops, [], 'no drops (unresolved next hops aside, while the neighbours were being learned)');
  });
});
