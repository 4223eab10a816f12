// test/e2e/client-address.test.ts — `client_address` of Full-NAT services on AF_XDP between network
// namespaces (the demo's fullnat topology): nginx from Debian on a real server, listening with
// `proxy_protocol`, learns the client's real address and port from the PROXY protocol v2 header
// xvs inserts (while its TCP peer is the LIP) and logs them; small requests one at a time and 20
// at a time, a 4 MB upload and a 4 MB download over such connections complete intact (the
// sequence translation holds for the connection's life; nginx stores the upload with PUT). A `toa`
// service is used by curl against the same nginx (without proxy_protocol): a packet socket on the
// server reads the client's address and port in the option, and the kernel accepts the segments.
// The balancer's counters agree. nginx and the TOA capture: test/support/nginx.ts; the same over
// IPv6: client-address6.test.ts. Needs root and nginx; skipped loudly otherwise (CI runs it as
// root, with nginx-light installed by the test step).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Scenario } from '../../src/demo/scenario.js';
import { CLIENT, LIP, VIP } from '../../src/demo/topology.js';
import { netnsUnavailable, waitForLine } from '../../src/netns/lab.js';
import { NGINX_PLAIN_PORT, NGINX_PROXY_PORT, TOA_CAPTURE, nginxMissing, startNginx } from '../support/nginx.js';

const PROXIED_PORT = 82;
const TOA_PORT = 83;
const BODY_BYTES = 4 * 1024 * 1024;

const skip = netnsUnavailable() ?? nginxMissing();
if (skip) console.warn(`\n*** client_address e2e tests SKIPPED: ${skip} ***\n`);

describe('client_address on AF_XDP (fullnat, nginx behind xvs)', { skip }, () => {
  let scenario: Scenario;
  let dir: string;
  const curl = (args: string[]) =>
    execFileSync('ip', ['netns', 'exec', scenario.topology.client, 'curl', '-sS', '--max-time', '20', ...args], {
      encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20,
    });

  before(async () => {
    scenario = await Scenario.start('fullnat', {
      servers: 1,
      edit: (doc) => {
        const server = doc.getIn(['services', 0, 'servers', 0, 'address']) as string;
        const add = (name: string, port: number, serverPort: number, clientAddress: string) =>
          doc.addIn(['services'], doc.createNode({
            name, vip: VIP, port, scheduler: 'rr', forwarding: 'fullnat', local_address_pool: 'lan', client_address: clientAddress,
            servers: [{ address: server, port: serverPort }],
          }));
        add('proxied', PROXIED_PORT, NGINX_PROXY_PORT, 'proxy_v2');
        add('toa', TOA_PORT, NGINX_PLAIN_PORT, 'toa');
      },
    });
    const s1 = scenario.topology.servers[0]!;
    dir = path.join(scenario.topology.dir, 'nginx');
    fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'www', 'big'), crypto.randomBytes(BODY_BYTES));
    await startNginx(scenario.topology.lab, s1.ns, dir, s1.address);
  });
  after(async () => scenario?.destroy());

  it("nginx reads the client's address and port from the PROXY header; its TCP peer is the LIP", () => {
    for (let i = 0; i < 50; i++) {
      const out = curl(['-w', ' %{local_port}', `http://${VIP}:${PROXIED_PORT}/whoami`]);
      const [addr, port, peer, localPort] = out.trim().split(/\s+/);
      assert.equal(addr, CLIENT, `request ${i}: ${out}`);
      assert.equal(port, localPort, `request ${i}: the client's own port (${out})`);
      assert.equal(peer, LIP, `request ${i}: ${out}`);
    }
  });

  it('20 connections at a time, each logged with the real client address', () => {
    const urls = Array.from({ length: 100 }, () => `http://${VIP}:${PROXIED_PORT}/whoami`);
    // Connection: close: every request its own connection (curl would reuse them).
    const out = curl(['--parallel', '--parallel-max', '20', '--parallel-immediate', '-H', 'Connection: close', ...urls]);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 100, out);
    for (const line of lines) assert.match(line, new RegExp(`^${CLIENT.replaceAll('.', '\\.')} \\d+ ${LIP.replaceAll('.', '\\.')}$`));
    const log = fs.readFileSync(path.join(dir, 'proxied.log'), 'utf8').trim().split('\n');
    assert.ok(log.length >= 150, `nginx logged ${log.length} requests`);
    for (const line of log) assert.ok(line.startsWith(`${CLIENT} `), `access log line: ${line}`);
  });

  it('a 4 MB upload (PUT, stored by nginx) and a 4 MB download arrive intact over proxied connections', () => {
    const digest = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    const upload = path.join(dir, 'upload.bin');
    fs.writeFileSync(upload, crypto.randomBytes(BODY_BYTES));
    curl(['--fail', '-T', upload, `http://${VIP}:${PROXIED_PORT}/uploaded/upload.bin`]);
    assert.equal(digest(path.join(dir, 'www', 'uploaded', 'upload.bin')), digest(upload));
    const got = path.join(dir, 'got.bin');
    curl(['--fail', '-o', got, `http://${VIP}:${PROXIED_PORT}/big`]);
    assert.equal(digest(got), digest(path.join(dir, 'www', 'big')));
  });

  it("a toa service: the server's interface receives the client's address and port in TOA, and its kernel accepts the segments", async () => {
    // A packet socket in the server's namespace reads the first TOA option arriving for its port.
    const capture = scenario.topology.lab.spawnIn(scenario.topology.servers[0]!.ns, ['python3', '-c', TOA_CAPTURE, String(NGINX_PLAIN_PORT)]);
    await waitForLine(capture, (line) => line === 'ready', 10_000);
    const seen = waitForLine(capture, (line) => line.startsWith('toa '), 20_000);
    const [peer, , localPort] = curl(['-w', ' %{local_port}', `http://${VIP}:${TOA_PORT}/whoami`]).trim().split(/\s+/);
    assert.equal(peer, LIP);
    assert.equal(await seen, `toa ${CLIENT} ${localPort} from ${LIP}`);
    for (let i = 0; i < 19; i++) assert.equal(curl([`http://${VIP}:${TOA_PORT}/whoami`]).trim().split(/\s+/)[0], LIP);
  });

  it('the counters agree: headers sent, TOA added, MSS clamped, nothing dropped for it', async () => {
    const stopped = await scenario.balancer.stop();
    assert.equal(stopped.exitCode, 0, `xvs exit code; stderr: ${stopped.stderr}`);
    const total = stopped.counters;
    assert.ok((total.proxy_header_sent ?? 0) >= 152, `proxy_header_sent ${total.proxy_header_sent}`);
    assert.ok((total.toa_added ?? 0) >= 20, `toa_added ${total.toa_added}`);
    assert.ok((total.client_mss_clamped ?? 0) >= 172, `client_mss_clamped ${total.client_mss_clamped}`);
    assert.equal(total.drop_proxy_header_no_room ?? 0, 0);
    assert.equal(total.proxy_header_alone ?? 0, 0);
  });
});
