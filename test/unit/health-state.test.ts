// test/unit/health-state.test.ts — the rise/fall state machine (src/health/state.ts) as tables:
// a sequence of probe outcomes from an initial state → the state after each, and where the
// transitions happen with the reason and latency of the probe that completed them. Pure.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { initialCheckState, recordProbe, type CheckState } from '../../src/health/state.js';
import type { HealthState } from '../../src/health/types.js';

/** Runs `outcomes` ("+" success, "-" failure) and returns the states after each, as "u"/"d". */
function run(initial: HealthState, rise: number, fall: number, outcomes: string): { states: string; transitions: string[] } {
  let current: CheckState = initialCheckState(initial);
  let states = '';
  const transitions: string[] = [];
  [...outcomes].forEach((o, i) => {
    const ok = o === '+';
    const { next, change } = recordProbe(current, { ok, latencyMs: i, reason: `probe ${i}` }, { rise, fall });
    current = next;
    states += next.state === 'up' ? 'u' : 'd';
    if (change) transitions.push(`${change.from}->${change.to} at ${i} (${change.reason}, ${change.latencyMs} ms)`);
  });
  return { states, transitions };
}

const TABLE: [HealthState, number, number, string, string, string[]][] = [
  // initial, rise, fall, outcomes, states after each, transitions
  ['up', 2, 3, '++++', 'uuuu', []],
  ['up', 2, 3, '--+---', 'uuuuud', ['up->down at 5 (probe 5, 5 ms)']],
  ['up', 2, 3, '---++', 'uuddu', ['up->down at 2 (probe 2, 2 ms)', 'down->up at 4 (probe 4, 4 ms)']],
  ['up', 1, 1, '-+-+', 'dudu', ['up->down at 0 (probe 0, 0 ms)', 'down->up at 1 (probe 1, 1 ms)', 'up->down at 2 (probe 2, 2 ms)', 'down->up at 3 (probe 3, 3 ms)']],
  ['down', 2, 3, '+-+-', 'dddd', []],
  ['down', 2, 3, '++', 'du', ['down->up at 1 (probe 1, 1 ms)']],
  ['down', 3, 1, '++-+++', 'dddddu', ['down->up at 5 (probe 5, 5 ms)']],
  ['down', 1, 2, '---', 'ddd', []],
];

for (const [initial, rise, fall, outcomes, states, transitions] of TABLE) {
  test(`initial ${initial}, rise ${rise}, fall ${fall}: ${outcomes}`, () => {
    assert.deepEqual(run(initial, rise, fall, outcomes), { states, transitions });
  });
}

test('consecutive counts reset on the opposite outcome', () => {
  let s = initialCheckState('up');
  s = recordProbe(s, { ok: false, latencyMs: 1, reason: 'x' }, { rise: 2, fall: 3 }).next;
  s = recordProbe(s, { ok: false, latencyMs: 1, reason: 'x' }, { rise: 2, fall: 3 }).next;
  assert.deepEqual(s, { state: 'up', successes: 0, failures: 2 });
  s = recordProbe(s, { ok: true, latencyMs: 1, reason: 'x' }, { rise: 2, fall: 3 }).next;
  assert.deepEqual(s, { state: 'up', successes: 1, failures: 0 });
});
