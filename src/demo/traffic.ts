// src/demo/traffic.ts — runs client jobs (src/demo/client.ts) in the client namespace of a
// Topology and summarises what came back: successes, who answered, whom the servers saw,
// latency percentiles. Main thread; each job is its own bounded child process.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Answer, ClientJob, ClientResult, DownloadResult } from './client.js';
import type { Topology } from './topology.js';

export type { Answer, ClientJob, DownloadResult };

const CLIENT_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'client.js');
const JOB_TIMEOUT_MS = 120_000;

/** Runs one job in the client namespace; rejects if the client fails or runs too long. */
export function runClient(t: Topology, job: ClientJob): Promise<ClientResult> {
  const child = t.spawnIn(t.client, [process.execPath, CLIENT_ENTRY, JSON.stringify(job)]);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), JOB_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`client ${job.kind}: exit ${code ?? signal}: ${stderr.trim()}`));
      try {
        resolve(JSON.parse(stdout) as ClientResult);
      } catch {
        reject(new Error(`client ${job.kind}: unreadable output: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

export async function answers(t: Topology, job: Extract<ClientJob, { kind: 'http' | 'udp' | 'keepalive' }>): Promise<Answer[]> {
  const r = await runClient(t, job);
  if (!('answers' in r)) throw new Error(`client ${job.kind}: no answers in its output`);
  return r.answers;
}

export async function download(t: Topology, url: string): Promise<DownloadResult> {
  const r = await runClient(t, { kind: 'download', url, timeoutMs: 20_000 });
  if (!('download' in r)) throw new Error('client download: no result in its output');
  return r.download;
}

export interface Summary {
  requests: number;
  ok: number;
  /** Successful answers per server name, in name order. */
  split: Record<string, number>;
  /** Peer addresses the servers reported. */
  peers: string[];
  p50Ms: number | null;
  p99Ms: number | null;
  /** The first few distinct errors. */
  errors: string[];
}

/** The p-th percentile (nearest rank) of ascending `sorted`; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summarise(all: readonly Answer[]): Summary {
  const ok = all.filter((a) => a.ok);
  const split: Record<string, number> = {};
  for (const name of ok.map((a) => a.server!).sort()) split[name] = (split[name] ?? 0) + 1;
  const ms = ok.map((a) => a.ms).sort((a, b) => a - b);
  return {
    requests: all.length,
    ok: ok.length,
    split,
    peers: [...new Set(ok.map((a) => a.peer!))].sort(),
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    errors: [...new Set(all.filter((a) => !a.ok).map((a) => a.error ?? 'failed'))].slice(0, 3),
  };
}
