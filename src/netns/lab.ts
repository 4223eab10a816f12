// src/netns/lab.ts — a throwaway set of network namespaces (a "lab") for the demo, the veth
// benchmark and the end-to-end tests: namespaces with a unique prefix (so that runs never meet
// each other or the host), veth pairs with N queues, addresses, routes, per-namespace sysctls,
// processes started inside a namespace, and a private bpffs for libxdp (`ip netns exec` hides
// /sys/fs/bpf; LIBXDP_BPFFS points at this one). destroy() kills every process it started and
// everything still running in its namespaces, deletes the namespaces and unmounts the bpffs,
// also after a failure; an exit hook does the same if the process dies first. Every command is
// bounded in time. Runs on the main thread of whoever builds it; needs root.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const EXEC_TIMEOUT_MS = 10_000;
const live = new Set<NetnsLab>();
process.on('exit', () => {
  for (const lab of live) lab.destroySync();
});
// Interrupted (Ctrl-C, a runner's timeout): clean up, then die of the same signal.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const lab of live) lab.destroySync();
    process.kill(process.pid, signal);
  });
}

/** Why namespaces cannot be built here, or undefined. `strict`: root must be able to (CI). */
export function netnsUnavailable(strict = Boolean(process.env.CI)): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'not root: network namespaces, XDP and AF_XDP need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)';
  for (const tool of ['ip', 'ethtool', 'mount']) {
    if (spawnSync(tool, ['-V'], { stdio: 'ignore', timeout: EXEC_TIMEOUT_MS }).error) return `${tool} is not installed`;
  }
  // Root without the right to make namespaces (some containers): unavailable, unless strict.
  const probe = `xvs-probe-${crypto.randomBytes(3).toString('hex')}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8', timeout: EXEC_TIMEOUT_MS });
  if (made.status !== 0 && !strict) return `cannot create network namespaces: ${made.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe], { timeout: EXEC_TIMEOUT_MS });
  return undefined;
}

/** Runs a command to completion (bounded); throws with its stderr when it fails. */
export function run(argv: string[], timeout = EXEC_TIMEOUT_MS, env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout, ...(env ? { env: { ...process.env, ...env } } : {}) });
  if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

export class NetnsLab {
  readonly id = crypto.randomBytes(3).toString('hex');
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-lab-'));
  readonly bpffs = path.join(this.dir, 'bpffs');
  private readonly children = new Set<ChildProcess>();
  private readonly namespaces: string[] = [];
  private mounted = false;

  constructor() {
    live.add(this);
  }

  /** Runs `build` (which makes this lab's namespaces, links and processes); on failure removes what it made and throws. */
  buildOrDestroy(build: () => void): void {
    try {
      build();
    } catch (err) {
      this.destroySync();
      throw err;
    }
  }

  /** Creates namespace `xvs-<id>-<role>` with lo up; returns its name. */
  namespace(role: string): string {
    const ns = `xvs-${this.id}-${role}`;
    run(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  veth(a: string, aNs: string, b: string, bNs: string, queues = 1): void {
    const q = ['numtxqueues', String(queues), 'numrxqueues', String(queues)];
    run(['ip', 'link', 'add', a, 'netns', aNs, ...q, 'type', 'veth', 'peer', 'name', b, 'netns', bNs, ...q]);
  }

  bridge(ns: string, name: string): void {
    run(['ip', '-n', ns, 'link', 'add', name, 'type', 'bridge']);
    this.up(ns, name);
  }

  address(ns: string, dev: string, cidr: string): void {
    run(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', dev]);
  }

  route(ns: string, ...spec: string[]): void {
    run(['ip', '-n', ns, 'route', 'add', ...spec]);
  }

  up(ns: string, dev: string, master?: string): void {
    run(['ip', '-n', ns, 'link', 'set', dev, ...(master ? ['master', master] : []), 'up']);
  }

  /**
   * A veth takes XDP frames (XDP_TX or a redirect from its peer) only while it runs NAPI: with an
   * XDP program or, as here, GRO on. xvs's fast path needs it on the peers of its interfaces.
   */
  groOn(ns: string, dev: string): void {
    this.exec(ns, ['ethtool', '-K', dev, 'gro', 'on']);
  }

  /** veth hands over unfinished checksums when the sender offloads them (ENVIRONMENT.md). */
  txChecksumOff(ns: string, dev: string): void {
    this.exec(ns, ['ethtool', '-K', dev, 'tx', 'off']);
  }

  sysctl(ns: string, key: string, value: string | number): void {
    this.exec(ns, ['sysctl', '-q', '-w', `${key}=${value}`]);
  }

  /** Runs a command inside `ns` to completion (bounded). */
  exec(ns: string, argv: string[], options: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): string {
    return run(['ip', 'netns', 'exec', ns, ...argv], options.timeout ?? EXEC_TIMEOUT_MS, options.env);
  }

  /** Mounts the lab's private bpffs (for libxdp: pass LIBXDP_BPFFS = this.bpffs). */
  mountBpffs(): void {
    if (this.mounted) return;
    fs.mkdirSync(this.bpffs, { recursive: true });
    run(['mount', '-t', 'bpf', 'bpf', this.bpffs]);
    this.mounted = true;
  }

  /** Starts a process inside a namespace; destroy() kills it. */
  spawnIn(ns: string, argv: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
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

  /** The synchronous part of destroy(): anything still running in the namespaces is killed. */
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
