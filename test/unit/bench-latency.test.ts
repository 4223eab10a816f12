// test/unit/bench-latency.test.ts — `xvs bench latency`'s arithmetic and report (no namespaces):
// percentiles over the answered requests, requests/s over the curl's span, issue 14's targets
// judged on the medians over rounds, and usage errors with one line before it needs root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { summariseLatency, type LatencyRound } from '../../src/bench/latency/run.js';
import { humanLatencyReport, judgeLatency } from '../../src/cli/commands/bench-latency.js';

const XVS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/xvs.js');

const round = (which: LatencyRound['case'], r: number, p50: number, p99: number): LatencyRound => ({
  case: which,
  round: r,
  summary: { requests: 100, perSecond: 1000, failed: 0, p50, p90: p50, p99, max: p99 },
});

describe('xvs bench latency', () => {
  it('summarises answered requests in milliseconds over the curl span', () => {
    const requests = Array.from({ length: 100 }, (_, i) => ({ seconds: (i + 1) / 10000, status: '200', doneAt: (i + 1) / 100 }));
    requests.push({ seconds: 5, status: '000', doneAt: 2 });
    const s = summariseLatency(requests);
    assert.equal(s.requests, 101);
    assert.equal(s.failed, 1);
    assert.equal(s.perSecond, 101 / 2);
    assert.ok(Math.abs(s.p50 - 5) < 1e-9, `p50 ${s.p50}`);
    assert.ok(Math.abs(s.p99 - 9.9) < 1e-9, `p99 ${s.p99}`);
    assert.ok(Math.abs(s.max - 10) < 1e-9, 'the failed request is not a latency');
  });

  it('judges the targets on the medians over rounds', () => {
    const met = judgeLatency([round('xvs', 1, 0.15, 0.4), round('xvs', 2, 0.17, 0.5), round('kernel', 1, 0.07, 0.25), round('kernel', 2, 0.07, 0.25)]);
    assert.match(met.targets.p50, /^met \(xvs p50 0\.160 ms <= kernel p50 0\.070 \+ 0\.1 ms\)$/);
    assert.match(met.targets.p99, /^met /);
    const missed = judgeLatency([round('xvs', 1, 0.2, 0.6), round('kernel', 1, 0.07, 0.25)]);
    assert.match(missed.targets.p50, /^missed /);
    assert.match(missed.targets.p99, /^missed \(xvs p99 0\.600 ms <= 2 x kernel p99 0\.250\)$/);
    assert.match(judgeLatency([round('xvs', 1, 0.1, 0.2)]).targets.p50, /^not measured/);
    const text = humanLatencyReport([round('xvs', 1, 0.1, 0.2)], { rounds: 1, seconds: 5 });
    assert.match(text, /^xvs +1 +1000 +0\.100 +0\.100 +0\.200 +0\.200 +0$/m);
    assert.match(text, /sudo node bin\/xvs\.js bench latency --rounds 1 --seconds 5$/);
  });

  it('exits 2 with one line on a usage error', () => {
    const r = spawnSync(process.execPath, [XVS, 'bench', 'latency', '--rounds', '0'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--rounds must be an integer from 1 to 20 \(got 0\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
