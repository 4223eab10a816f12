// test/unit/bench-churn.test.ts — `xvs bench churn`'s report: a row per case and round with its
// rate, slow requests and latencies, the medians, and the command that made it; curl's lines
// summed into rates over the shortest curl's span.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { rateBetween, summarise, type Request } from '../../src/bench/churn/curl-load.js';
import type { ChurnRound } from '../../src/bench/churn/run.js';
import { humanChurnReport } from '../../src/cli/commands/bench-churn.js';

const run = (times: number[]): Request[] => {
  let at = 0;
  return times.map((seconds) => ({ seconds, status: '200', doneAt: (at += seconds) }));
};

describe('bench churn', () => {
  it('summarises curl runs: rate over the shortest span, slow and failed requests, percentiles', () => {
    const a = run([0.25, 0.25, 1.25, 0.25, 0.5]); // 2.5 s
    const b = run([0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.5]); // 3 s
    b[3] = { ...b[3]!, status: '000' };
    const s = summarise([a, b], 0.5);
    assert.equal(s.requests, 16);
    assert.equal(s.span, 2.5, 'the shortest curl');
    assert.equal(s.slow, 1);
    assert.equal(s.failed, 1);
    assert.equal(s.max, 1.25);
    assert.equal(s.p50, 0.25);
    assert.equal(rateBetween([a, b], 0, 1), 5, 'done before 1 s: a 2 (0.25, 0.5), b 3 (0.25, 0.5, 0.75)');
  });

  it('prints each round, the medians and the command', () => {
    const summary = (perSecond: number, slow: number) => ({ requests: 0, span: 20, perSecond, failed: 0, slow, p50: 0.0014, p99: 0.006, max: 0.03 });
    const rounds: ChurnRound[] = [
      { case: 'xvs', round: 1, summary: summary(2500, 0) },
      { case: 'kernel', round: 1, summary: summary(2000, 31) },
    ];
    const text = humanChurnReport(rounds, { rounds: 1, seconds: 20, curls: 2 });
    assert.match(text, /xvs\s+1\s+2500\s+0\s+1\.4\s+6\.0\s+30\.0\s+0/);
    assert.match(text, /kernel\s+1\s+2000\s+31/);
    assert.match(text, /median requests\/s: xvs 2500, kernel 2000/);
    assert.match(text, /sudo node bin\/xvs\.js bench churn --rounds 1 --seconds 20 --curls 2$/);
  });
});
