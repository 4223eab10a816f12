// src/bench/churn/curl-load.ts — the curl clients of the Full-NAT churn test and benchmarks: curl
// processes in a namespace, each bound to one source address, each requesting http://VIP/ back
// to back (a closed loop) with `Connection: close` (a new TCP connection per request; the server
// closes first and keeps the tuple in TIME_WAIT) or, with keepAlive, over one connection (`xvs
// bench latency`), reporting every request's total time (connect to last byte) and status.
// A request retried after a dropped SYN shows as one that took a second or more. Main thread.
import type { ChildProcess } from 'node:child_process';

import { percentile } from '../../demo/traffic.js';
import type { NetnsLab } from '../../netns/lab.js';

export interface Request {
  seconds: number; // curl's time_total
  status: string; // HTTP status, "000" when none came
  doneAt: number; // seconds since its curl started (one curl's requests run back to back)
}

/** One curl process requesting `url` from `source` until stopped. */
class Curl {
  readonly requests: Request[] = [];
  private partial = '';
  private elapsed = 0;
  private readonly child: ChildProcess;

  constructor(lab: NetnsLab, ns: string, source: string, url: string, keepAlive: boolean) {
    this.child = lab.spawnIn(ns, [
      'curl', '-s', '-o', '/dev/null', ...(keepAlive ? [] : ['-H', 'Connection: close']), '--interface', source, '--max-time', '5',
      '-w', '%{time_total} %{http_code}\\n', `${url}?[1-100000000]`,
    ]);
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        const [seconds, status] = line.trim().split(' ');
        this.elapsed += Number(seconds);
        this.requests.push({ seconds: Number(seconds), status: status ?? '', doneAt: this.elapsed });
      }
    });
  }

  /** Stops it; the request it was in the middle of is not counted. */
  async stop(): Promise<Request[]> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    return this.requests;
  }
}

export interface LoadOptions {
  lab: NetnsLab;
  ns: string;
  /** One entry per curl: its source address (repeat an address for more curls from it). */
  sources: readonly string[];
  url: string;
  /** Polled every 250 ms with the requests made so far and the milliseconds since the start. */
  until: (made: number, ms: number) => boolean;
  /** Every curl keeps one connection for all its requests (curl's default) instead of one per request. */
  keepAlive?: boolean;
}

/**
 * Gives the client namespace every port above 1023 as ephemeral ports. curl binds its source
 * address, and a client keeps about half of its `Connection: close` connections in TIME_WAIT
 * (it often closes first): with Linux's default 28 232 ports a source address runs out after
 * ~28 000 connections within a minute, and from then on every bind() searches the port space
 * (seen on a 2026-12-07 guest: 1.6 -> ~11 ms a request, whatever forwarded the traffic). With
 * 64 512 ports per address what is measured is the path, not the client's port search; clients
 * still reuse ports whose TIME_WAIT only the server holds.
 */
export function widenClientPorts(lab: NetnsLab, ns: string): void {
  lab.sysctl(ns, 'net.ipv4.ip_local_port_range', '1024 65535');
}

/** Runs the curls until `until` says so; every curl's requests, in order. */
export async function runCurlLoad(o: LoadOptions): Promise<Request[][]> {
  const curls = o.sources.map((source) => new Curl(o.lab, o.ns, source, o.url, o.keepAlive ?? false));
  const started = Date.now();
  try {
    while (!o.until(curls.reduce((n, c) => n + c.requests.length, 0), Date.now() - started))
      await new Promise((resolve) => setTimeout(resolve, 250));
  } finally {
    await Promise.all(curls.map((c) => c.stop()));
  }
  return curls.map((c) => c.requests);
}

export interface LoadSummary {
  requests: number;
  /** Seconds the shortest curl ran: the span every rate below is measured over. */
  span: number;
  perSecond: number;
  failed: number;
  /** Requests that took longer than `slowSeconds`. */
  slow: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarise(runs: readonly Request[][], slowSeconds: number): LoadSummary {
  const all = runs.flat();
  const span = Math.min(...runs.map((run) => run.at(-1)?.doneAt ?? 0));
  const times = all.map((r) => r.seconds).sort((a, b) => a - b);
  return {
    requests: all.length,
    span,
    perSecond: span > 0 ? rateBetween(runs, 0, span) : 0,
    failed: all.filter((r) => r.status !== '200').length,
    slow: all.filter((r) => r.seconds > slowSeconds).length,
    p50: percentile(times, 50) ?? 0,
    p99: percentile(times, 99) ?? 0,
    max: times.at(-1) ?? 0,
  };
}

/** Requests per second finished in [from, to) seconds of their curls, summed over the curls. */
export function rateBetween(runs: readonly Request[][], from: number, to: number): number {
  return runs.reduce((n, run) => n + run.filter((r) => r.doneAt >= from && r.doneAt < to).length, 0) / (to - from);
}
