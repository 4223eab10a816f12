// test/e2e/decap.test.ts — `xvs decap` on a real interface, the real server's side of tunnel
// mode: two network namespaces joined by a veth, a "balancer" that sends hand-made IPIP frames
// (python3, AF_PACKET: Node has no packet sockets and this kernel no ipip module to send with)
// and a real server holding the VIP on lo with a UDP socket bound to it. Without the program the
// kernel drops IPIP; with it the datagram reaches the socket from the client's address. The
// program stays attached after the CLI exits, a second attach replaces it, --detach removes it
// (ip link shows no XDP) and a second --detach says nothing is attached. Needs root and python3;
// skipped loudly otherwise. Everything it creates (namespaces, bpffs mount, temp dir, child
// processes) is removed in `finally` and by an exit hook if the test process dies first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { NetnsLab, netnsUnavailable, run } from '../../src/netns/lab.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const XVS = path.join(ROOT, 'bin', 'xvs.js');

const BALANCER = '10.204.0.1';
const SERVER = '10.204.0.11';
const CLIENT = '10.201.0.2';
const VIP = '10.203.0.10';
const PORT = 5353;

// Builds Ethernet / IPv4 (proto 4) / IPv4 / UDP from scratch and sends it `count` times, 50 ms
// apart, on an AF_PACKET socket: argv iface src_mac dst_mac outer_src outer_dst inner_src
// inner_dst dport payload count.
const SENDER = `
import socket, struct, sys, time
iface, smac, dmac, osrc, odst, isrc, idst, dport, payload, count = sys.argv[1:11]
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ipv4(src, dst, proto, body):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(body), 0, 0x4000, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + body
data = payload.encode()
udp = struct.pack('!HHHH', 40000, int(dport), 8 + len(data), 0) + data
frame = bytes.fromhex(dmac.replace(':', '')) + bytes.fromhex(smac.replace(':', '')) + b'\\x08\\x00' + ipv4(osrc, odst, 4, ipv4(isrc, idst, 17, udp))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
for i in range(int(count)):
    s.send(frame)
    time.sleep(0.05)
`;

/** Why this test cannot run here, or undefined. */
function unavailable(): string | undefined {
  const why = netnsUnavailable();
  if (why) return why;
  if (spawnSync('python3', ['--version'], { stdio: 'ignore', timeout: 10_000 }).error)
    return 'python3 is not installed (it sends the raw IPIP frames; .ci/run installs it)';
  return undefined;
}

/**
 *   balancer ns: t0 10.204.0.1 ──veth── e0 10.204.0.11 :real server ns, VIP 10.203.0.10 on lo
 */
class Pair {
  private readonly lab = new NetnsLab();
  readonly balancer: string;
  readonly server: string;

  constructor() {
    try {
      this.balancer = this.lab.namespace('b');
      this.server = this.lab.namespace('rs');
      this.lab.veth('t0', this.balancer, 'e0', this.server);
      this.lab.address(this.balancer, 't0', `${BALANCER}/24`);
      this.lab.address(this.server, 'e0', `${SERVER}/24`);
      this.lab.address(this.server, 'lo', `${VIP}/32`);
      this.lab.up(this.balancer, 't0');
      this.lab.up(this.server, 'e0');
      // Replies (and reverse-path filtering) towards the client go back through the balancer.
      this.lab.route(this.server, 'default', 'via', BALANCER);
      this.lab.mountBpffs();
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  get bpffs(): string {
    return this.lab.bpffs;
  }

  mac(ns: string, dev: string): string {
    const [link] = JSON.parse(run(['ip', '-n', ns, '-j', 'link', 'show', dev])) as { address: string }[];
    return link!.address;
  }

  /** `xvs decap ...` inside the real server's namespace, as an operator runs it. */
  xvs(...args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.server, process.execPath, XVS, 'decap', ...args], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, LIBXDP_BPFFS: this.bpffs },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  xdpOn(dev = 'e0'): string {
    const m = /prog\/xdp id \d+ name (\S+)/.exec(run(['ip', '-n', this.server, '-d', 'link', 'show', dev]));
    return m?.[1] ?? '';
  }

  /** Sends `count` IPIP frames balancer -> server carrying client -> VIP:PORT UDP `payload`. */
  sendIpip(payload: string, count: number): void {
    const smac = this.mac(this.balancer, 't0');
    const dmac = this.mac(this.server, 'e0');
    run(['ip', 'netns', 'exec', this.balancer, 'python3', '-c', SENDER, 't0', smac, dmac, BALANCER, SERVER, CLIENT, VIP, String(PORT), payload, String(count)]);
  }

  /** A UDP socket on VIP:PORT in the real server; `lines` collects "<peer> <payload>" per datagram. */
  async startListener(): Promise<string[]> {
    const script =
      `const s = require('dgram').createSocket('udp4');` +
      `s.on('message', (m, r) => console.log(r.address + ':' + r.port + ' ' + m));` +
      `s.bind(${PORT}, '${VIP}', () => console.log('ready'));`;
    const child = this.lab.spawnIn(this.server, [process.execPath, '-e', script]);
    const lines: string[] = [];
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the UDP listener did not start within 10 s')), 10_000);
      child.once('exit', (code) => reject(new Error(`the UDP listener exited (${code})`)));
      child.stdout!.on('data', (c: Buffer) => {
        buffered += c.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line === 'ready') {
            clearTimeout(timer);
            resolve();
          } else lines.push(line);
        }
      });
    });
    return lines;
  }

  destroy(): void {
    this.lab.destroySync();
  }
}

/** Waits until `lines` has a line containing `text` (true) or `ms` pass (false). */
async function seen(lines: string[], text: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (lines.some((l) => l.includes(text))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return lines.some((l) => l.includes(text));
}

const skip = unavailable();
if (skip) console.warn(`\n*** e2e decap tests SKIPPED: ${skip} ***\n`);

describe('e2e: xvs decap on a real server', { skip }, () => {
  it('delivers tunnelled datagrams to a VIP on lo, survives the CLI, re-attaches, detaches', { timeout: 90_000 }, async () => {
    const p = new Pair();
    try {
      const lines = await p.startListener();

      p.sendIpip('before-attach', 3);
      assert.equal(await seen(lines, 'before-attach', 500), false, 'without the program the kernel drops IPIP (no ipip module)');

      const attached = p.xvs('--iface', 'e0');
      assert.equal(attached.code, 0, attached.stderr);
      assert.match(attached.stdout.trim(), /^xvs decap: attached to e0 in native mode \(program id \d+, \d+ local addresses and prefixes\)$/);
      assert.equal(attached.stderr, '', 'native mode on veth: no warning');
      assert.equal(p.xdpOn(), 'xvs_decap', 'still attached after the CLI exited');

      p.sendIpip('tunnelled-1', 3);
      assert.ok(await seen(lines, 'tunnelled-1', 3000), `datagram not delivered: ${lines.join(' | ')}`);
      assert.ok(lines.includes(`${CLIENT}:40000 tunnelled-1`), `the client's address, not the balancer's: ${lines.join(' | ')}`);

      const stats = p.xvs('--iface', 'e0', '--stats', '--json');
      assert.equal(stats.code, 0, stats.stderr);
      const doc = JSON.parse(stats.stdout) as { attached: boolean; counters: Record<string, number> };
      assert.equal(doc.attached, true);
      assert.ok(doc.counters.decapsulated! >= 1, stats.stdout);
      assert.equal(doc.counters.not_local, 0, stats.stdout);
      assert.equal(doc.counters.inner_not_local, 0, stats.stdout);

      const again = p.xvs('--iface', 'e0');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /replaced the earlier xvs decap program \(id \d+\)/);
      assert.equal(p.xdpOn(), 'xvs_decap');
      p.sendIpip('tunnelled-2', 3);
      assert.ok(await seen(lines, 'tunnelled-2', 3000), `datagram not delivered after re-attach: ${lines.join(' | ')}`);

      const detached = p.xvs('--iface', 'e0', '--detach');
      assert.equal(detached.code, 0, detached.stderr);
      assert.match(detached.stdout.trim(), /^xvs decap: detached from e0 \(program id \d+\)$/);
      assert.doesNotMatch(run(['ip', '-n', p.server, 'link', 'show', 'e0']), /xdp/);
      const twice = p.xvs('--iface', 'e0', '--detach');
      assert.equal(twice.code, 0, twice.stderr);
      assert.equal(twice.stdout.trim(), 'xvs decap: nothing to detach: no xvs decap program on e0');

      p.sendIpip('after-detach', 3);
      assert.equal(await seen(lines, 'after-detach', 500), false, 'detached: IPIP is dropped again');
    } finally {
      p.destroy();
    }
  });

  it('falls back to generic mode with a warning; refuses and leaves alone a foreign program', { timeout: 30_000 }, () => {
    const p = new Pair();
    try {
      run(['ip', '-n', p.server, 'link', 'add', 'g0', 'type', 'bridge']);
      run(['ip', '-n', p.server, 'link', 'set', 'g0', 'up']);
      const generic = p.xvs('--iface', 'g0');
      assert.equal(generic.code, 0, generic.stderr);
      assert.match(generic.stdout, /attached to g0 in generic mode/);
      assert.match(generic.stderr.trim(), /^xvs: warning: native XDP is not available on g0 .*using generic \(skb\) mode, which is slower$/);
      assert.match(run(['ip', '-n', p.server, 'link', 'show', 'g0']), /xdpgeneric/);
      assert.match(p.xvs('--iface', 'g0', '--detach').stdout, /detached from g0/);
      assert.equal(p.xdpOn('g0'), '');

      // Any other XDP program: here the balancer's steering program, which is no decap program.
      run(['ip', '-n', p.server, 'link', 'set', 'dev', 'e0', 'xdpdrv', 'obj', path.join(ROOT, 'build', 'Release', 'xvs_steer.bpf.o'), 'sec', 'xdp']);
      const refused = p.xvs('--iface', 'e0');
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
      assert.match(refused.stderr, /^xvs decap: interface e0 already runs the XDP program 'xvs_steer' \(id \d+\)/);
      const left = p.xvs('--iface', 'e0', '--detach');
      assert.equal(left.code, 0, left.stderr);
      assert.match(left.stdout, /nothing to detach: no xvs decap program on e0 \(it runs the XDP program 'xvs_steer' \(id \d+\), left alone\)/);
      assert.equal(p.xdpOn(), 'xvs_steer');
    } finally {
      p.destroy();
    }
  });

  it('an unknown interface is one line and exit 1; a bad name is a usage error (exit 2)', { timeout: 30_000 }, () => {
    const p = new Pair();
    try {
      const missing = p.xvs('--iface', 'nope0');
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr.trim(), "xvs decap: no network interface 'nope0' in this network namespace");
      const bad = p.xvs('--iface', 'a/b');
      assert.equal(bad.code, 2);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    } finally {
      p.destroy();
    }
  });
});
