// test/e2e/lifecycle.test.ts — the steering XDP program's life on a real interface: a clean stop
// detaches it; a crashed run leaves it attached and the next start finds and replaces it (and
// re-binds the queues the dead run held); a foreign XDP program on the interface is refused with
// one line naming it; an interface without native XDP falls back to generic mode with one
// warning; the kernel keeps its own traffic while xvs runs, and idle workers sleep. Needs root;
// skipped loudly otherwise.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { LIP, Topology, VIP } from '../../src/demo/topology.js';
import { netnsUnavailable, run, waitForLine } from '../../src/netns/lab.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const XVS = path.join(ROOT, 'bin', 'xvs.js');

const skip = netnsUnavailable();
if (skip) console.warn(`\n*** e2e tests SKIPPED: ${skip} ***\n`);

function writeConfig(t: Topology, iface = 'l0'): string {
  const file = path.join(t.dir, 'xvs.yaml');
  fs.writeFileSync(
    file,
    `dataplane: { backend: afxdp, workers: 1, interfaces: [${iface}] }
local_address_pools: { lan: [${LIP}] }
services:
  - name: web
    vip: ${VIP}
    port: 80
    scheduler: rr
    forwarding: fullnat
    local_address_pool: lan
    servers: [{ address: ${t.servers[0]!.address}, port: 8080 }]
`,
  );
  return file;
}

function startXvs(t: Topology, config: string): { child: ChildProcess; lines: string[] } {
  const child = t.spawnIn(t.balancer, [process.execPath, XVS, 'run', '--config', config], { LIBXDP_BPFFS: t.bpffs });
  const lines: string[] = [];
  child.stdout?.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
  child.stderr?.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
  return { child, lines };
}

function exitOf(child: ChildProcess, timeoutMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function xdpOn(t: Topology, iface = 'l0'): string {
  const m = /prog\/xdp id \d+ name (\S+)/.exec(run(['ip', '-n', t.balancer, '-d', 'link', 'show', iface]));
  return m?.[1] ?? '';
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime in clock ticks (USER_HZ = 100)
}

function get(t: Topology, host: string, port: number): string {
  const script = `require('net').connect(${port}, '${host}')
    .on('connect', function () { this.end('GET / HTTP/1.0\\r\\n\\r\\n'); })
    .on('data', (d) => { process.stdout.write(d.toString().split('\\r\\n\\r\\n')[1] ?? ''); })
    .on('error', (e) => console.log(e.code)).setTimeout(3000, function () { console.log('TIMEOUT'); this.destroy(); });`;
  const r = spawnSync('ip', ['netns', 'exec', t.client, process.execPath, '-e', script], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout.trim();
}

describe('e2e: the steering program on a real interface', { skip }, () => {
  it('clean stop detaches; a crashed run is found and replaced; the kernel keeps its own traffic', { timeout: 60_000 }, async () => {
    const t = Topology.create({ arms: 1, queues: 1, servers: 1 });
    try {
      await t.startServers([8080], []);
      const config = writeConfig(t);

      const first = startXvs(t, config);
      await waitForLine(first.child, (l) => l.includes('"event":"started"'), 20_000);
      assert.equal(xdpOn(t), 'xvs_steer');
      assert.equal(get(t, VIP, 80), `s1 ${LIP}`);
      assert.equal(get(t, '10.201.0.1', 1), 'ECONNREFUSED', "the balancer's kernel answers for its own address");
      // Idle workers sleep in poll(): a spinning one would burn a whole core (1 s per second).
      const before = cpuSeconds(first.child.pid!);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const idle = cpuSeconds(first.child.pid!) - before;
      assert.ok(idle < 0.4, `an idle xvs used ${idle.toFixed(2)} s of CPU in 2 s`);
      first.child.kill('SIGKILL');
      await exitOf(first.child);
      assert.equal(xdpOn(t), 'xvs_steer', 'a crashed run leaves its program attached');

      const second = startXvs(t, config);
      await waitForLine(second.child, (l) => l.includes('"event":"started"'), 20_000);
      assert.ok(
        second.lines.some((l) => l.includes('replaced a stale xvs steering program')),
        `warning about the stale program: ${second.lines.join('\n')}`,
      );
      for (let i = 0; i < 5; i++) assert.equal(get(t, VIP, 80), `s1 ${LIP}`);
      second.child.kill('SIGTERM');
      assert.equal(await exitOf(second.child), 0);
      assert.equal(xdpOn(t), '', 'a clean stop detaches the program');
      const stopped = second.lines.find((l) => l.includes('"event":"stopped"'));
      assert.ok(stopped, second.lines.join('\n'));
      assert.match(stopped, /"lost":0/);
      assert.doesNotMatch(stopped, /"drop_|"pass_packets"/);
    } finally {
      await t.destroy();
    }
  });

  it('falls back to generic XDP with one warning where the driver has no native XDP (a bridge)', { timeout: 60_000 }, async () => {
    const t = Topology.create({ arms: 1, queues: 1, servers: 1 });
    try {
      run(['ip', '-n', t.balancer, 'link', 'add', 'g0', 'type', 'bridge']);
      run(['ip', '-n', t.balancer, 'link', 'set', 'g0', 'up']);
      const xvs = startXvs(t, writeConfig(t, 'g0'));
      await waitForLine(xvs.child, (l) => l.includes('"event":"started"'), 20_000);
      const warnings = xvs.lines.filter((l) => l.includes('"level":40') && l.includes('backend_warning'));
      assert.equal(warnings.length, 1, xvs.lines.join('\n'));
      assert.match(warnings[0]!, /native XDP is not available, using generic \(skb\) mode, which is slower: g0: /);
      assert.match(run(['ip', '-n', t.balancer, '-d', 'link', 'show', 'g0']), /prog\/xdp id \d+ name xvs_steer/);
      assert.match(run(['ip', '-n', t.balancer, 'link', 'show', 'g0']), /xdpgeneric/);
      xvs.child.kill('SIGTERM');
      assert.equal(await exitOf(xvs.child), 0);
      assert.equal(xdpOn(t, 'g0'), '');
    } finally {
      await t.destroy();
    }
  });

  // clang is a build requirement (scripts/build-bpf.mjs), so it is there wherever these tests run.
  it('refuses an interface that runs a foreign XDP program, naming it', { timeout: 60_000 }, async () => {
    const t = Topology.create({ arms: 1, queues: 1, servers: 1 });
    try {
      const source = path.join(t.dir, 'foreign.bpf.c');
      fs.writeFileSync(source, '#include <linux/bpf.h>\n__attribute__((section("xdp"), used)) int foreign_pass(struct xdp_md *c) { return XDP_PASS; }\nchar _l[] __attribute__((section("license"), used)) = "GPL";\n');
      const multiarch = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim();
      run(['clang', '-O2', '-target', 'bpf', ...(multiarch ? [`-I/usr/include/${multiarch}`] : []), '-c', source, '-o', `${source}.o`]);
      run(['ip', '-n', t.balancer, 'link', 'set', 'dev', 'l0', 'xdpdrv', 'obj', `${source}.o`, 'sec', 'xdp']);
      assert.equal(xdpOn(t), 'foreign_pass');

      const xvs = startXvs(t, writeConfig(t));
      assert.equal(await exitOf(xvs.child, 20_000), 1);
      const errors = xvs.lines.filter((l) => !l.startsWith('{'));
      assert.equal(errors.length, 1, xvs.lines.join('\n'));
      assert.match(errors[0]!, /^cannot start the data plane: interface l0 already runs the XDP program 'foreign_pass' \(id \d+\)/);
      assert.equal(xdpOn(t), 'foreign_pass', 'the foreign program stays');
    } finally {
      await t.destroy();
    }
  });
});
