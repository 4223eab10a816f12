// test/unit/exposition.test.ts — the Prometheus text writer (src/stats/exposition.ts): families
// with HELP and TYPE, label values escaped as the format requires, label sets joined, special
// values, a family written twice or a bad name refused; and which Accept-Encoding headers get
// gzip (src/api/http-io.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { acceptsGzip } from '../../src/api/http-io.js';
import { Exposition, joinLabels, labelSet } from '../../src/stats/exposition.js';

describe('Exposition', () => {
  it('writes families with their samples, escaping help and label values', () => {
    const out = new Exposition(16);
    out.family('a_total', 'counter', 'Help with a \\ and a\nnewline').sample('', 3).sample(labelSet({ x: 'q"uote', y: 'back\\slash\nline' }), 1.5);
    out.family('b', 'gauge', 'B').sample(labelSet({ n: 7 }), Number.NaN).sample('', Number.POSITIVE_INFINITY).sample('{s="é"}', -2);
    assert.equal(
      out.text(),
      [
        '# HELP a_total Help with a \\\\ and a\\nnewline',
        '# TYPE a_total counter',
        'a_total 3',
        'a_total{x="q\\"uote",y="back\\\\slash\\nline"} 1.5',
        '# HELP b B',
        '# TYPE b gauge',
        'b{n="7"} NaN',
        'b +Inf',
        'b{s="é"} -2',
        '',
      ].join('\n'),
    );
    assert.equal(out.bytes().length, Buffer.byteLength(out.text()), 'grown past its 16-byte start, UTF-8 intact');
  });

  it('joins label sets and leaves an empty one out', () => {
    assert.equal(joinLabels(labelSet({ a: 1 }), labelSet({ b: 'x' })), '{a="1",b="x"}');
    assert.equal(joinLabels('', '{b="x"}'), '{b="x"}');
    assert.equal(joinLabels('{a="1"}', ''), '{a="1"}');
    assert.equal(labelSet({}), '');
  });

  it('refuses a family written twice, a bad metric name and a bad label name', () => {
    const out = new Exposition();
    out.family('x', 'gauge', 'X');
    assert.throws(() => out.family('x', 'gauge', 'X'), /family x written twice/);
    assert.throws(() => out.family('1x', 'gauge', 'X'), /invalid metric name "1x"/);
    assert.throws(() => labelSet({ 'bad-name': 1 }), /invalid label name "bad-name"/);
  });

  it('appends text in the format as it is, ending it with a newline', () => {
    assert.equal(new Exposition().raw('# TYPE p gauge\np 1').text(), '# TYPE p gauge\np 1\n');
  });
});

describe('acceptsGzip', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['GZIP', true],
    ['br, gzip;q=0.8', true],
    ['gzip;q=0', false],
    ['gzip; q=0.0, identity', false],
    ['identity', false],
    ['*', true],
    ['*;q=0', false],
    ['deflate, *;q=0.1', true],
    ['gzip;q=0, *', false],
  ];
  for (const [header, expected] of cases)
    it(`${JSON.stringify(header)} → ${expected ? 'gzip' : 'plain'}`, () => assert.equal(acceptsGzip(header), expected));
});
