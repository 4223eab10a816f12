// test/support/config-problems.ts — helpers shared by the config unit tests: build YAML text
// line by line, collect the problems the loader reports, and assert exactly one at a place.
import assert from 'node:assert/strict';

import { parseConfigText } from '../../src/config/load.js';
import { ConfigError, formatProblem, type ConfigProblem } from '../../src/config/types.js';

export const text = (...lines: string[]): string => lines.join('\n') + '\n';

export function problemsOf(source: string, file = 'test.yaml'): ConfigProblem[] {
  try {
    parseConfigText(source, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** The one problem `source` has; fails listing them all when there are more or none. */
export function only(source: string, file = 'test.yaml'): ConfigProblem {
  const ps = problemsOf(source, file);
  assert.equal(ps.length, 1, `expected exactly one problem, got:\n${ps.map(formatProblem).join('\n')}`);
  return ps[0] as ConfigProblem;
}

/** Exactly one problem, at `path`, `line`:`column`, whose message contains `fragment`. */
export function expectOne(source: string, path: string, line: number, column: number, fragment: string): void {
  const p = only(source);
  const listing = formatProblem(p);
  assert.deepEqual([p.path, p.line, p.column], [path, line, column], listing);
  assert.ok(p.message.includes(fragment), `message ${JSON.stringify(p.message)} lacks ${JSON.stringify(fragment)}`);
}
