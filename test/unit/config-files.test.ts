// Unit tests of config input handling (src/config/load.ts): YAML and JSON files, strict JSON,
// unreadable files, YAML syntax errors, repeated keys, empty documents, the ConfigError text, and
// every shipped example in config/. Runs under node:test on the main thread; reads config/ and
// writes only a temporary directory.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { ConfigError, formatProblem, type ConfigProblem } from '../../src/config/types.js';
import { text, problemsOf, only } from '../support/config-problems.js';

const tmp = mkdtempSync(join(tmpdir(), 'xvs-config-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The repository root, found from this file whether it runs compiled (dist/) or not. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'config'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

const EXAMPLE = text(
  'dataplane:',
  '  workers: 2',
  '  interfaces: [eth0, eth1]',
  '  timeouts: { tcp: 15m, udp: 300 }',
  'local_address_pools:',
  '  lan: [10.0.2.100, 10.0.2.101]',
  'services:',
  '  - name: web',
  '    vip: 203.0.113.10',
  '    port: 80',
  '    forwarding: fullnat',
  '    local_address_pool: lan',
  '    health_check: { type: http, path: /healthz }',
  '    servers:',
  '      - { address: 10.0.2.11, port: 8080, weight: 2 }',
  '      - { address: 10.0.2.12, port: 8080 }',
);

describe('files and formats', () => {
  test('YAML and JSON files load to the same Config', () => {
    const yamlPath = join(tmp, 'same.yaml');
    const jsonPath = join(tmp, 'same.json');
    writeFileSync(yamlPath, EXAMPLE);
    const fromYaml = parseConfigText(EXAMPLE, 'x.yaml');
    writeFileSync(jsonPath, JSON.stringify({ ...fromYaml, source: undefined }, null, '\t'));
    const a = loadConfigFile(yamlPath);
    const b = loadConfigFile(jsonPath);
    assert.equal(a.source, resolve(yamlPath));
    assert.equal(b.source, resolve(jsonPath));
    assert.deepEqual({ ...b, source: '' }, { ...a, source: '' });
  });

  test('JSON problems have JSON positions', () => {
    const p = only(text('{', '  "dataplane": { "interfaces": ["eth0"] },', '  "log_level": "loud"', '}'), 'c.json');
    assert.deepEqual([p.path, p.line, p.column], ['log_level', 3, 16]);
    assert.match(p.message, /^must be one of trace, debug, info, warn, error, fatal, silent \(got "loud"\)$/);
  });

  test('a .json file must be strict JSON', () => {
    const p = only(text('{', '  "dataplane": { "interfaces": ["eth0"], },', '}'), 'c.json');
    assert.equal(p.path, '');
    assert.equal(p.line, 2);
    assert.match(p.message, /^not valid JSON: /);
  });

  test('an unreadable file is one problem naming the file and the OS error', () => {
    const missing = join(tmp, 'missing.yaml');
    assert.throws(
      () => loadConfigFile(missing),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'XVS_CONFIG_INVALID');
        assert.equal(err.problems.length, 1);
        const p = err.problems[0] as ConfigProblem;
        assert.deepEqual([p.file, p.line, p.column, p.path], [missing, 0, 0, '']);
        assert.match(p.message, /cannot read the config file: ENOENT: no such file or directory/);
        return true;
      },
    );
  });

  test('a YAML syntax error is reported with its position and stops further checks', () => {
    const p = only(text('dataplane:', '  interfaces: [eth0', 'services: 5'));
    assert.deepEqual([p.path, p.line, p.column], ['', 3, 1]);
    assert.match(p.message, /^YAML syntax error: /);
  });

  test('a repeated key is named and checking goes on', () => {
    const ps = problemsOf(text('dataplane:', '  interfaces: [eth0]', '  workers: 2', '  workers: 0'));
    assert.equal(ps.length, 2, ps.map(formatProblem).join('\n'));
    assert.deepEqual([ps[0]?.line, ps[0]?.column], [4, 3]);
    assert.equal(ps[0]?.message, 'field "workers" appears twice in one mapping: give each field once');
    assert.equal(ps[1]?.path, 'dataplane.workers');
  });

  test('two YAML documents in one file', () => {
    const p = only(text('dataplane: { interfaces: [eth0] }', '---', 'log_level: info'));
    assert.deepEqual([p.line, p.column], [2, 1]);
    assert.match(p.message, /more than one YAML document/);
  });

  test('a value a YAML tag made into something else than plain data', () => {
    const p = only(text('dataplane:', '  interfaces: !!set { eth0 }'));
    assert.deepEqual([p.path, p.line, p.column], ['dataplane.interfaces', 2, 21]);
    assert.match(p.message, /^must be plain YAML data: .* \(got a Set; drop the !! tag\)$/);
  });

  test('an empty file', () => {
    const p = only('# nothing here\n');
    assert.deepEqual([p.path, p.line, p.column], ['', 1, 1]);
    assert.equal(p.message, 'the config must be a mapping with at least a dataplane section (got an empty document)');
  });

  test('ConfigError.message lists every problem as file:line:column: path: message', () => {
    try {
      parseConfigText(text('dataplane:', '  interfaces: [eth0]', '  workers: 0', 'log_level: loud'), 'f.yaml');
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(
        err.message,
        'f.yaml:3:12: dataplane.workers: must be an integer from 1 to 64 (got 0)\n' +
          'f.yaml:4:12: log_level: must be one of trace, debug, info, warn, error, fatal, silent (got "loud")',
      );
    }
  });
});

test('every example in config/ and config/demo/ loads without problems', () => {
  const dir = join(repoRoot(), 'config');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
  for (const name of ['fullnat.yaml', 'nat.yaml', 'dr.yaml', 'tunnel.yaml', 'mem.yaml'])
    for (const example of [name, ...(name === 'mem.yaml' ? [] : [join('demo', name)])]) assert.ok(files.includes(example), example);
  for (const f of files) {
    const c = loadConfigFile(join(dir, f));
    assert.ok(c.services.length > 0, `${f} has services`);
  }
});

test('config/mem.yaml is the fullnat, mem-backend config the packet tests expect', () => {
  const c = loadConfigFile(join(repoRoot(), 'config', 'mem.yaml'));
  assert.equal(c.dataplane.backend, 'mem');
  assert.deepEqual(c.dataplane.interfaces, ['mem0']);
  assert.equal(c.dataplane.workers, 2);
  assert.equal(c.services.length, 1);
  const s = c.services[0];
  assert.equal(s?.forwarding, 'fullnat');
  assert.equal(s?.scheduler, 'rr');
  assert.equal(s?.servers.length, 3);
  assert.equal(s?.health_check, undefined);
  assert.ok(s?.local_address_pool && (c.local_address_pools[s.local_address_pool]?.length ?? 0) > 0);
});

test('each forwarding mode has its example', () => {
  for (const mode of ['fullnat', 'nat', 'dr', 'tunnel'] as const) {
    const c = loadConfigFile(join(repoRoot(), 'config', `${mode}.yaml`));
    assert.ok(
      c.services.every((s) => s.forwarding === mode && (s.scheduler === 'rr' || s.scheduler === 'wrr')),
      mode,
    );
  }
});
