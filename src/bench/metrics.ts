// src/bench/metrics.ts — `xvs bench metrics`: what a Prometheus scrape of a large table costs.
// Starts a real `xvs run` (mem backend, the minimal dataplane section, no health checks: on mem
// their probes would leave the machine) with `services` Full-NAT services of `servers` servers
// each, then scrapes GET /metrics `scrapes` times as Prometheus does (Accept-Encoding: gzip) and
// as well without compression: the time to the last byte, the bytes on the wire and the series.
// Counters are zero (no traffic on mem): busy counters write a few more digits per series.
// Main thread (the xvs under test is a child process). A benchmark: prints, asserts nothing.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { Balancer, type BalancerHost } from '../demo/balancer.js';
import { freePort } from '../free-port.js';

export interface MetricsBenchOptions {
  services: number;
  servers: number;
  scrapes: number;
  progress?: (line: string) => void;
}

export interface ScrapeFigures {
  /** Milliseconds from the request to the last byte. */
  p50_ms: number;
  max_ms: number;
  /** Bytes of the response body as sent. */
  bytes: number;
}

export interface MetricsBenchReport {
  services: number;
  servers: number;
  /** Sample lines of the exposition (not # lines). */
  series: number;
  gzip: ScrapeFigures;
  plain: ScrapeFigures;
}

/** A config of `services` × `servers` on the mem backend, API on 127.0.0.1:port. */
export function metricsBenchConfig(services: number, servers: number, port: number): string {
  const lines = [
    'dataplane: { backend: mem, interfaces: [mem0] }',
    `api: { listen: "127.0.0.1:${port}" }`,
    'local_address_pools: { lan: [10.255.0.1] }',
    'services:',
  ];
  for (let i = 0; i < services; i++) {
    lines.push(`  - { name: svc${i}, vip: 203.0.${113 + (i >> 8)}.${i & 255}, port: 80, protocol: tcp, scheduler: wrr, forwarding: fullnat, local_address_pool: lan, servers: [`);
    for (let j = 0; j < servers; j++) lines.push(`      { address: 10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}, port: ${8000 + (i % 1000)} },`);
    lines.push('    ] }');
  }
  return `${lines.join('\n')}\n`;
}

/** One GET /metrics: milliseconds to the last byte, and the body as received. */
function scrape(port: number, gzip: boolean): Promise<{ ms: number; body: Buffer }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', headers: gzip ? { 'accept-encoding': 'gzip' } : {}, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET /metrics answered ${res.statusCode}`));
        else if (gzip !== (res.headers['content-encoding'] === 'gzip')) reject(new Error(`GET /metrics: content-encoding ${res.headers['content-encoding'] ?? 'none'}`));
        else resolve({ ms: performance.now() - started, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('GET /metrics took over 60 s')));
    req.on('error', reject);
  });
}

function figures(runs: { ms: number; body: Buffer }[]): ScrapeFigures {
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  return { p50_ms: ms[Math.floor((ms.length - 1) / 2)]!, max_ms: ms.at(-1)!, bytes: runs.at(-1)!.body.length };
}

const local: BalancerHost = {
  balancer: 'host',
  bpffs: '',
  spawnIn: (_ns, argv, env) => spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }),
};

export async function runMetricsBench(o: MetricsBenchOptions): Promise<MetricsBenchReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-bench-metrics-'));
  let xvs: Balancer | undefined;
  try {
    const port = await freePort();
    const file = path.join(dir, 'xvs.yaml');
    fs.writeFileSync(file, metricsBenchConfig(o.services, o.servers, port));
    o.progress?.(`starting xvs with ${o.services * o.servers} servers ...`);
    xvs = await Balancer.start(local, file);
    // One scrape first: the processes' first-call costs (compilation) are not what a scrape costs.
    const first = await scrape(port, false);
    const series = first.body.toString('utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    const gzip: { ms: number; body: Buffer }[] = [];
    const plain: { ms: number; body: Buffer }[] = [];
    for (let i = 0; i < o.scrapes; i++) {
      gzip.push(await scrape(port, true));
      plain.push(await scrape(port, false));
    }
    return { services: o.services, servers: o.services * o.servers, series, gzip: figures(gzip), plain: figures(plain) };
  } finally {
    await xvs?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
