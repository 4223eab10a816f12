// test/unit/demo.test.ts — the parts of `xvs demo` that need no namespaces: the summary of what
// clients saw (split, peers, percentiles, errors), the table, the download payload's
// determinism, the example configs it runs, and option validation through the binary (exit 2
// before anything is built). The demo itself runs in test/e2e/modes.test.ts. Main thread.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { demoTable } from '../../src/cli/commands/demo.js';
import { loadConfigFile } from '../../src/config/load.js';
import { PAYLOAD_CHUNK, payload, payloadChunk, payloadDigest } from '../../src/demo/payload.js';
import { DEFAULT_ARMS, demoConfigPath } from '../../src/demo/scenario.js';
import { LIP, MODES, VIP } from '../../src/demo/topology.js';
import { summarise, type Answer } from '../../src/demo/traffic.js';

const XVS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/xvs.js');

describe('demo summary', () => {
  const answer = (server: string, ms: number, ok = true): Answer => (ok ? { ok, server, peer: LIP, ms } : { ok, ms, error: 'timeout' });

  it('counts successes per server, the peers seen, and failures apart', () => {
    const s = summarise([answer('s2', 3), answer('s1', 1), answer('s1', 2), answer('x', 9, false), answer('x', 9, false)]);
    assert.equal(s.requests, 5);
    assert.equal(s.ok, 3);
    assert.deepEqual(s.split, { s1: 2, s2: 1 });
    assert.deepEqual(Object.keys(s.split), ['s1', 's2'], 'servers in name order');
    assert.deepEqual(s.peers, [LIP]);
    assert.deepEqual(s.errors, ['timeout'], 'distinct errors');
  });

  it('takes nearest-rank percentiles over successful answers only', () => {
    const all = Array.from({ length: 100 }, (_, i) => answer('s1', i + 1));
    const s = summarise([...all, answer('x', 1e6, false)]);
    assert.equal(s.p50Ms, 50);
    assert.equal(s.p99Ms, 99);
    assert.equal(summarise([]).p50Ms, null);
  });

  it('prints one row per mode, errors in place of figures', () => {
    const http = summarise([answer('s1', 1.25), answer('s2', 2.5)]);
    const text = demoTable([
      { mode: 'fullnat', http, udp: http, balancer: { conn_created: 4, rx_packets: 20, tx_packets: 20, drops: {} } },
      { mode: 'nat', error: 'xvs did not start' },
    ]);
    const [header, fullnat, nat] = text.split('\n');
    assert.match(header!, /^mode\s+requests\s+ok\s+split/);
    assert.match(fullnat!, /^fullnat\s+2\s+2\s+s1 1, s2 1\s+10\.202\.0\.100\s+1\.3\s+2\.5\s+2\/2\s+4 conns, rx 20 tx 20, no drops$/);
    assert.match(nat!, /^nat\s+-.*error: xvs did not start$/);
  });
});

describe('demo download payload', () => {
  it('is deterministic, chunked, and its digest is that of the bytes', () => {
    assert.deepEqual(payloadChunk(3), payloadChunk(3));
    assert.notDeepEqual(payloadChunk(3), payloadChunk(4));
    const bytes = 2 * PAYLOAD_CHUNK + 123;
    const whole = Buffer.concat([...payload(bytes)]);
    assert.equal(whole.length, bytes);
    assert.equal(payloadDigest(bytes), crypto.createHash('sha256').update(whole).digest('hex'));
    assert.equal([...payload(0)].length, 0);
  });
});

describe('demo configs', () => {
  for (const mode of MODES)
    it(`config/demo/${mode}.yaml: ${mode} on the demo topology's VIP and interfaces`, () => {
      const c = loadConfigFile(demoConfigPath(mode));
      assert.equal(c.dataplane.backend, 'afxdp');
      assert.deepEqual(c.dataplane.interfaces, DEFAULT_ARMS[mode] === 2 ? ['l0', 'l1'] : ['l0']);
      assert.deepEqual(
        c.services.map((s) => [s.vip, s.port, s.protocol, s.scheduler, s.forwarding]),
        [
          [VIP, 80, 'tcp', 'rr', mode],
          [VIP, 81, 'tcp', 'wrr', mode],
          [VIP, 7, 'udp', 'rr', mode],
        ],
      );
    });
});

describe('xvs demo options', () => {
  const xvs = (...args: string[]) => spawnSync(process.execPath, [XVS, 'demo', ...args], { encoding: 'utf8', timeout: 30_000 });
  for (const [args, message] of [
    [['--requests', '0'], /--requests must be an integer from 1 to 100000 \(got 0\)/],
    [['--concurrency', '1.5'], /--concurrency must be an integer from 1 to 256 \(got 1.5\)/],
    [['--modes', 'lvs'], /Choices: "dr", "nat", "tunnel", "fullnat"/],
  ] as const)
    it(`exits 2 for ${args.join(' ')}`, () => {
      const r = xvs(...args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
    });
});
