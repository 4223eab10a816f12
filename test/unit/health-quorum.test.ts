// test/unit/health-quorum.test.ts — quorum with hysteresis (src/health/quorum.ts) as tables: a
// sequence of alive counts → whether the service has quorum after each. Pure.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { nextQuorumMet } from '../../src/health/quorum.js';

/** Quorum after each alive count, as "Y"/"n", starting from no previous state. */
function run(quorum: number, hysteresis: number, alive: number[]): string {
  let met: boolean | undefined;
  return alive
    .map((a) => {
      met = nextQuorumMet(met, a, { quorum, hysteresis });
      return met ? 'Y' : 'n';
    })
    .join('');
}

const TABLE: [number, number, number[], string, string][] = [
  // quorum, hysteresis, alive counts, quorum after each, why
  [1, 0, [3, 2, 1, 0, 1], 'YYYnY', 'no hysteresis: met exactly when alive >= quorum'],
  [2, 0, [1, 2, 1, 3], 'nYnY', 'the first look is plain alive >= quorum'],
  [3, 1, [4, 3, 2, 1, 2, 3, 4], 'YYYnnnY', 'lost below 2, regained at 4'],
  [3, 1, [3, 1, 3, 4, 3, 2, 1], 'YnnYYYn', 'in the band 2..3 the previous state holds'],
  [2, 2, [4, 1, 0, 3, 4], 'YYnnY', 'down threshold 0: only no server alive loses quorum'],
  [1, 1, [1, 0, 1, 2], 'YnnY', 'no server alive always loses quorum; regaining needs 2'],
];

for (const [quorum, hysteresis, alive, expected, why] of TABLE) {
  test(`quorum ${quorum}, hysteresis ${hysteresis}: ${alive.join(' ')} → ${expected} (${why})`, () => {
    assert.equal(run(quorum, hysteresis, alive), expected);
  });
}
