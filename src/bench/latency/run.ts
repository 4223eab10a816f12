// src/bench/latency/run.ts — `xvs bench latency`: what a balancer adds to each request of a
// closed-loop HTTP client (curl: one keep-alive connection, the next request when the last answer
// arrived) through the demo's Full-NAT VIP, interleaved on one topology: xvs as the demo runs it
// (its minimal dataplane section: the XDP fast path on), xvs with `fast_path: off` (every packet
// through a worker), and the kernel doing the same job (../kernel-nat.ts). Per case and round:
// requests/s and the request time's p50/p90/p99/max. Main thread; needs root. A benchmark: it
// asserts no time.
import fs from 'node:fs';
import path from 'node:path';

import { Balancer } from '../../demo/balancer.js';
import { Scenario } from '../../demo/scenario.js';
import { CLIENT, VIP } from '../../demo/topology.js';
import { percentile } from '../../demo/traffic.js';
import { runCurlLoad, type Request } from '../churn/curl-load.js';
import { prepareKernelNat, withKernelNat } from '../kernel-nat.js';

export const LATENCY_CASES = ['xvs', 'xvs-fast-path-off', 'kernel'] as const;
export type LatencyCase = (typeof LATENCY_CASES)[number];

export interface LatencyOptions {
  rounds: number;
  seconds: number;
  progress?: (line: string) => void;
}

export interface LatencySummary {
  requests: number;
  perSecond: number;
  failed: number;
  /** Milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LatencyRound {
  case: LatencyCase;
  round: number;
  summary: LatencySummary;
}

export function summariseLatency(requests: readonly Request[]): LatencySummary {
  const ok = requests.filter((r) => r.status === '200');
  const ms = ok.map((r) => r.seconds * 1000).sort((a, b) => a - b);
  const span = requests.at(-1)?.doneAt ?? 0;
  return {
    requests: requests.length,
    perSecond: span > 0 ? requests.length / span : 0,
    failed: requests.length - ok.length,
    p50: percentile(ms, 50) ?? 0,
    p90: percentile(ms, 90) ?? 0,
    p99: percentile(ms, 99) ?? 0,
    max: ms.at(-1) ?? 0,
  };
}

/** The demo's config with `dataplane.fast_path: off` added, beside it. */
function withoutFastPath(s: Scenario): string {
  const text = fs.readFileSync(s.configFile, 'utf8');
  if (!/^dataplane:\s*$/m.test(text)) throw new Error(`${s.configFile}: no "dataplane:" block to add fast_path to`);
  const file = path.join(s.topology.dir, 'fullnat-no-fast-path.yaml');
  fs.writeFileSync(file, text.replace(/^dataplane:\s*$/m, 'dataplane:\n  fast_path: off'));
  return file;
}

export async function runLatencyBench(o: LatencyOptions): Promise<LatencyRound[]> {
  const s = await Scenario.start('fullnat');
  let xvs: Balancer | undefined = s.balancer;
  const results: LatencyRound[] = [];
  const measure = async (which: LatencyCase, round: number) => {
    const [requests = []] = await runCurlLoad({
      lab: s.topology.lab,
      ns: s.topology.client,
      sources: [CLIENT],
      url: `http://${VIP}/`,
      keepAlive: true,
      until: (_, ms) => ms >= o.seconds * 1000,
    });
    const summary = summariseLatency(requests);
    results.push({ case: which, round, summary });
    o.progress?.(`round ${round} ${which}: p50 ${summary.p50.toFixed(3)} ms, p99 ${summary.p99.toFixed(3)} ms`);
  };
  try {
    prepareKernelNat(s);
    const noFastPath = withoutFastPath(s);
    for (let round = 1; round <= o.rounds; ++round) {
      for (const which of LATENCY_CASES) {
        if (which === 'kernel') {
          await withKernelNat(s, () => measure('kernel', round));
          continue;
        }
        xvs ??= await Balancer.start(s.topology, which === 'xvs' ? s.configFile : noFastPath);
        await measure(which, round);
        await xvs.stop();
        xvs = undefined;
      }
    }
  } finally {
    await xvs?.stop();
    await s.destroy();
  }
  return results;
}
