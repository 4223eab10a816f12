// test/e2e/topology.ts — a throwaway network for end-to-end tests, built from network
// namespaces with unique names (random suffix) so that runs never meet each other or the host:
//
//   two arms:  client ── c0|l0 ─ [balancer] ─ l1|swl ── bridge ── server 1..n
//   one arm:   client ── c0|swc ── bridge ── swl|l0 ─ [balancer]
//                                    └─────── server 1..n
//
// Addresses live only inside these namespaces: 10.201.0.0/24 client side, 10.202.0.0/24 server
// side (one arm: both in one segment, 10.200.0.0/14), VIPs in 10.203.0.0/24 routed by the client
// towards the balancer. Client and server veths
// have TX checksum offload off (veth hands over unfinished checksums, see ENVIRONMENT.md); the
// balancer's veths have `queues` queues; a private bpffs is mounted for libxdp (LIBXDP_BPFFS).
// Real servers are tiny Node HTTP servers answering "<name> <peer address>". destroy() kills
// every child and removes everything, also after a failure; an exit hook does the same if the
// test process dies first. Runs on the test's main thread; needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TopologyOptions {
  arms: 1 | 2;
  /** Queues of the balancer's interfaces (one per worker). */
  queues: number;
  servers: number;
}

export const CLIENT = '10.201.0.2';
export const VIP = '10.203.0.10';
export const LIP = '10.202.0.100';

const EXEC_TIMEOUT_MS = 10_000;
const live = new Set<Topology>();
process.on('exit', () => {
  for (const t of live) t.destroySync();
});
// Interrupted (Ctrl-C, a runner's timeout): clean up, then die of the same signal.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const t of live) t.destroySync();
    process.kill(process.pid, signal);
  });
}

/** Why e2e tests cannot run here, or undefined. */
export function e2eUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'not root: network namespaces, XDP and AF_XDP need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)';
  for (const tool of ['ip', 'ethtool', 'mount']) {
    if (spawnSync(tool, ['-V'], { stdio: 'ignore', timeout: EXEC_TIMEOUT_MS }).error) return `${tool} is not installed`;
  }
  // Root without the right to make namespaces (some containers): skip, except in CI, where the
  // tests must run and fail instead.
  const probe = `xvs-probe-${crypto.randomBytes(3).toString('hex')}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8', timeout: EXEC_TIMEOUT_MS });
  if (made.status !== 0 && !process.env.CI) return `cannot create network namespaces: ${made.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe], { timeout: EXEC_TIMEOUT_MS });
  return undefined;
}

/** Runs a command to completion (bounded); throws with its stderr when it fails. */
export function run(argv: string[], timeout = EXEC_TIMEOUT_MS): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout });
  if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

export class Topology {
  readonly id = crypto.randomBytes(3).toString('hex');
  readonly client = `xvs-${this.id}-c`;
  readonly balancer = `xvs-${this.id}-lb`;
  readonly switch = `xvs-${this.id}-sw`;
  readonly servers: { ns: string; name: string; address: string }[] = [];
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-e2e-'));
  readonly bpffs = path.join(this.dir, 'bpffs');
  /** The balancer's interfaces in config order. */
  readonly interfaces: string[];
  private readonly children = new Set<ChildProcess>();
  private readonly namespaces: string[] = [];
  private mounted = false;

  private constructor(readonly options: TopologyOptions) {
    this.interfaces = options.arms === 2 ? ['l0', 'l1'] : ['l0'];
    for (let i = 1; i <= options.servers; i++)
      this.servers.push({ ns: `xvs-${this.id}-s${i}`, name: `s${i}`, address: `10.202.0.${10 + i}` });
    live.add(this);
  }

  static create(options: TopologyOptions): Topology {
    const t = new Topology(options);
    try {
      t.build();
    } catch (err) {
      t.destroySync();
      throw err;
    }
    return t;
  }

  private addNamespace(ns: string): void {
    run(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }

  private veth(a: string, aNs: string, b: string, bNs: string, queues = 1): void {
    const q = ['numtxqueues', String(queues), 'numrxqueues', String(queues)];
    run(['ip', 'link', 'add', a, 'netns', aNs, ...q, 'type', 'veth', 'peer', 'name', b, 'netns', bNs, ...q]);
  }

  private address(ns: string, dev: string, cidr: string): void {
    run(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', dev]);
  }

  private up(ns: string, dev: string, master?: string): void {
    run(['ip', '-n', ns, 'link', 'set', dev, ...(master ? ['master', master] : []), 'up']);
  }

  private txOff(ns: string, dev: string): void {
    run(['ip', 'netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off']);
  }

  private build(): void {
    const { queues } = this.options;
    for (const ns of [this.client, this.balancer, this.switch, ...this.servers.map((s) => s.ns)]) this.addNamespace(ns);
    run(['ip', '-n', this.switch, 'link', 'add', 'br0', 'type', 'bridge']);
    this.up(this.switch, 'br0');
    if (this.options.arms === 2) {
      this.veth('c0', this.client, 'l0', this.balancer, queues);
      this.veth('l1', this.balancer, 'swl', this.switch, queues);
      this.up(this.switch, 'swl', 'br0');
      this.address(this.client, 'c0', `${CLIENT}/24`);
      this.address(this.balancer, 'l0', '10.201.0.1/24');
      this.address(this.balancer, 'l1', '10.202.0.1/24');
      this.up(this.balancer, 'l0');
    } else {
      this.veth('c0', this.client, 'swc', this.switch, queues);
      this.veth('l0', this.balancer, 'swl', this.switch, queues);
      this.up(this.switch, 'swc', 'br0');
      this.up(this.switch, 'swl', 'br0');
      this.address(this.client, 'c0', `${CLIENT}/14`);
      this.address(this.balancer, 'l0', '10.201.0.1/14');
    }
    const serverSide = this.interfaces[this.interfaces.length - 1]!;
    // The LIP is the balancer's: its kernel answers ARP for it, xvs takes its TCP/UDP.
    this.address(this.balancer, serverSide, `${LIP}/32`);
    this.up(this.balancer, serverSide);
    this.up(this.client, 'c0');
    this.txOff(this.client, 'c0');
    run(['ip', '-n', this.client, 'route', 'add', '10.203.0.0/24', 'via', '10.201.0.1']);
    this.servers.forEach((s, i) => {
      this.veth('e0', s.ns, `sw${i + 1}`, this.switch);
      this.up(this.switch, `sw${i + 1}`, 'br0');
      this.address(s.ns, 'e0', `${s.address}/${this.options.arms === 2 ? 24 : 14}`);
      this.up(s.ns, 'e0');
      this.txOff(s.ns, 'e0');
    });
    fs.mkdirSync(this.bpffs);
    run(['mount', '-t', 'bpf', 'bpf', this.bpffs]);
    this.mounted = true;
  }

  /** Starts a process inside a namespace; it is killed by destroy(). */
  spawnIn(ns: string, argv: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Starts the HTTP server of every real server on `port` and waits until each listens. */
  async startServers(port: number): Promise<void> {
    const script = (name: string) =>
      `require('http').createServer((q, s) => s.end('${name} ' + q.socket.remoteAddress))` +
      `.listen(${port}, '0.0.0.0', () => console.log('ready'))`;
    await Promise.all(
      this.servers.map((s) => waitForLine(this.spawnIn(s.ns, [process.execPath, '-e', script(s.name)]), (l) => l === 'ready', 10_000)),
    );
  }

  /** Deletes everything; idempotent. Child processes get SIGTERM, then SIGKILL after 3 s. */
  async destroy(): Promise<void> {
    const exits = [...this.children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
          c.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
    this.destroySync();
  }

  /** The synchronous part of destroy(): anything still running in our namespaces is killed. */
  destroySync(): void {
    for (const c of this.children) c.kill('SIGKILL');
    for (const ns of this.namespaces) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: EXEC_TIMEOUT_MS }).stdout ?? '';
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const ns of this.namespaces.splice(0).reverse()) spawnSync('ip', ['netns', 'del', ns], { timeout: EXEC_TIMEOUT_MS });
    if (this.mounted) spawnSync('umount', [this.bpffs], { timeout: EXEC_TIMEOUT_MS });
    this.mounted = false;
    fs.rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}

/** Resolves with the first stdout line `match` accepts; rejects on exit or after `timeoutMs`. */
export function waitForLine(child: ChildProcess, match: (line: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    const done = (err?: Error, line?: string) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(line!);
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (match(line)) return done(undefined, line);
      }
    };
    const onExit = (code: number | null) => done(new Error(`process exited (${code}) before the expected line: ${stderr.trim()}`));
    const timer = setTimeout(() => done(new Error(`no expected line within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout?.on('data', onData);
    child.on('exit', onExit);
  });
}
