// src/demo/balancer.ts — one `xvs run` inside the balancer's namespace of a Topology (or of
// any BalancerHost, e.g. the veth benchmark's lab): starts it with a config file, keeps its
// JSON log lines, waits for "started", and stops it with SIGTERM, returning the final "stopped"
// record (summed counters and the UMEM frame audit). Used by the demo, the end-to-end tests and
// `xvs bench veth`. Main thread.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { FastPathTotals } from '../native/addon.js';
import { waitForLine } from '../netns/lab.js';

const XVS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/xvs.js');

export interface LogLine {
  event?: string;
  level?: number;
  msg?: string;
  counters?: Record<string, number>;
  frames?: { total: number; free: number; inRings: number; inFlight: number; lost: number };
  fastPath?: FastPathTotals;
  [key: string]: unknown;
}

export interface Stopped {
  exitCode: number | null;
  counters: Record<string, number>;
  frames?: LogLine['frames'];
  /** What the XDP fast path forwarded (the stopped line's fastPath). */
  fastPath?: FastPathTotals;
  stderr: string;
}

/** Where a balancer process runs: a Topology, or any lab with a balancer namespace. */
export interface BalancerHost {
  readonly balancer: string;
  readonly bpffs: string;
  spawnIn(ns: string, argv: string[], env?: NodeJS.ProcessEnv): ChildProcess;
}

/** pino levels: 40 = warn and above. */
const WARN = 40;

export class Balancer {
  readonly log: LogLine[] = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.log.push(JSON.parse(text) as LogLine);
        } catch {
          this.log.push({ msg: text });
        }
      }
    });
    child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString()));
  }

  /**
   * Starts xvs with `configFile` and resolves once it logged "started" (20 s at most). `argv`
   * replaces `xvs run --config FILE` by another program with the same log lines (benchmarks).
   */
  static async start(t: BalancerHost, configFile: string, argv?: string[]): Promise<Balancer> {
    const child = t.spawnIn(t.balancer, argv ?? [process.execPath, XVS, 'run', '--config', configFile], { LIBXDP_BPFFS: t.bpffs });
    const b = new Balancer(child);
    await waitForLine(child, (l) => l.includes('"event":"started"'), 20_000).catch((err: Error) => {
      throw new Error(`xvs did not start: ${err.message} ${b.stderr}`);
    });
    // Start-up warnings (unresolved next hops, generic XDP) follow the "started" line at once.
    await new Promise((resolve) => setTimeout(resolve, 200));
    return b;
  }

  /** The balancer's process id (`ip netns exec` and the argv prefixes exec into it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * SIGHUP (reload the config file) and the log line that answers it: "reloaded",
   * "reload_rejected" or "reload_failed".
   */
  async reload(timeoutMs = 10_000): Promise<LogLine> {
    const seen = this.log.length;
    this.child.kill('SIGHUP');
    for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
      const answer = this.log.slice(seen).find((l) => l.event === 'reloaded' || l.event === 'reload_rejected' || l.event === 'reload_failed');
      if (answer) return answer;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`xvs did not answer SIGHUP within ${timeoutMs} ms`);
  }

  /**
   * Resolves once a re-commit after a next-hop change left no server unresolved (the
   * "nexthops_changed" line with unresolved 0): backend dpdk, after the host side was configured.
   */
  async nextHopsResolved(timeoutMs = 10_000): Promise<void> {
    for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
      if (this.log.some((l) => l.event === 'nexthops_changed' && l.unresolved === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const last = this.log.filter((l) => l.event === 'nexthops_unresolved').at(-1);
    throw new Error(`next hops still unresolved after ${timeoutMs} ms: ${JSON.stringify(last?.servers ?? 'no report')}`);
  }

  /** Log lines at warn level or above so far. */
  warnings(): LogLine[] {
    return this.log.filter((l) => (l.level ?? 0) >= WARN);
  }

  /** SIGTERM, then SIGKILL after 10 s; the "stopped" record (counters empty if there was none). */
  async stop(): Promise<Stopped> {
    const c = this.child;
    let exitCode = c.exitCode;
    if (exitCode === null && c.signalCode === null) {
      const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
      exitCode = await exited;
      clearTimeout(timer);
    }
    const stopped = this.log.find((l) => l.event === 'stopped');
    return {
      exitCode,
      counters: stopped?.counters ?? {},
      ...(stopped?.frames ? { frames: stopped.frames } : {}),
      ...(stopped?.fastPath ? { fastPath: stopped.fastPath } : {}),
      stderr: this.stderr,
    };
  }
}
