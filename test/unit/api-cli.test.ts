// test/unit/api-cli.test.ts — `xvs list`, `xvs save`, `xvs weight` and `xvs drain` against a
// real `xvs run` (mem backend): ipvsadm-style output, --stats, --rate, -c, --json, a saved
// config that reads back, the address taken from --config, usage errors (exit 2), API refusals
// and an unreachable API (exit 1, one line).
// Each test starts its own instance and kills it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';

import { freePort, startXvs, xvs, type Instance } from './xvs-instance.js';

async function withXvs(fn: (x: Instance) => Promise<void> | void): Promise<void> {
  const x = await startXvs();
  try {
    await fn(x);
  } finally {
    await x.kill();
  }
}

const HEADER = /^xvs \(generation \d+, 2 workers, running\)\nProt LocalAddress:Port Scheduler Flags\n {2}-> RemoteAddress:Port {11}Forward Weight ActiveConn InActConn\n/;

describe('xvs list', () => {
  it('prints the ipvsadm table: -n numeric, ports named without it, --config finds the API', () =>
    withXvs((x) => {
      let r = xvs('list', '-n', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, HEADER);
      assert.match(r.stdout, /^TCP  203\.0\.113\.10:80 rr$/m);
      for (const rs of ['10.0.0.11', '10.0.0.12', '10.0.0.13'])
        assert.match(r.stdout, new RegExp(`^  -> ${rs.replace(/\./g, '\\.')}:8080 +FullNat 1 +0 +0 {9}$`, 'm'));
      r = xvs('list', '--config', x.file);
      assert.equal(r.code, 0, r.stderr);
      // /etc/services names 80/tcp "http" where it exists; without it ports stay numeric.
      assert.match(r.stdout, /^TCP  203\.0\.113\.10:(http|80) rr$/m);
      // One service (-t), without the banner, as ipvsadm -L -t prints it.
      r = xvs('list', '-n', '-t', '203.0.113.10:80', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Prot LocalAddress:Port Scheduler Flags\n {2}-> RemoteAddress:Port {11}Forward Weight ActiveConn InActConn\nTCP  203\.0\.113\.10:80 rr\n/);
      r = xvs('list', '-n', '-u', '203.0.113.10:80', '--api', x.api);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'xvs: No such service: UDP 203.0.113.10:80\n');
      r = xvs('list', '-t', '203.0.113.10', '--api', x.api);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^xvs: -t wants VIP:PORT such as 203\.0\.113\.10:80 or \[2001:db8::10\]:80 \(got "203\.0\.113\.10"\)\n$/);
      r = xvs('list', '-n', '--thresholds', '--api', x.api);
      assert.match(r.stdout, /^Prot LocalAddress:Port {12}Uthreshold Lthreshold ActiveConn InActConn \n/m);
      assert.match(r.stdout, /^ {2}-> 10\.0\.0\.11:8080 +0 +0 +0 +0 {9}$/m);
      // The timeouts the instance runs with (config/mem.yaml has none: the defaults).
      r = xvs('list', '--timeout', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Timeout \(tcp tcpfin udp\): \d+ \d+ \d+\n$/);
      r = xvs('list', '--timeout', '--stats', '--api', x.api);
      assert.equal(r.code, 2);
    }));

  it('--stats prints per-server and per-worker counters, --rate per-second rates, --json one document', () =>
    withXvs((x) => {
      let r = xvs('list', '-n', '--stats', '--workers', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Prot LocalAddress:Port +Conns +InPkts +OutPkts +InBytes +OutBytes$/m);
      assert.match(r.stdout, /^TCP  203\.0\.113\.10:80 +0 +0 +0 +0 +0$/m);
      assert.match(r.stdout, /^ {2}-> 10\.0\.0\.11:8080 +0 +0 +0 +0 +0$/m);
      assert.match(r.stdout, /^Worker +Conns +Entries +InPkts +OutPkts +InBytes +OutBytes +Passed +Dropped$/m);
      assert.match(r.stdout, /^0 +0 +0 +0 +0 +0 +0 +0 +0$/m);
      assert.match(r.stdout, /^total +0 +0 +0 +0 +0 +0 +0 +0$/m);
      r = xvs('list', '-n', '--rate', '--workers', '--interval', '0.2', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Prot LocalAddress:Port +CPS +InPPS +OutPPS +InBPS +OutBPS$/m);
      assert.match(r.stdout, /^ {2}-> 10\.0\.0\.12:8080 +0 +0 +0 +0 +0$/m);
      assert.match(r.stdout, /^Worker +CPS +InPPS +OutPPS +InBPS +OutBPS +DropPPS$/m);
      assert.match(r.stdout, /^total +0 +0 +0 +0 +0 +0$/m);
      assert.match(r.stdout, /^\(over 0\.\d\d s\)$/m);
      r = xvs('list', '--json', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.services[0].name, 'web');
      assert.equal(r.stdout.trim().split('\n').length, 1, 'one JSON document on one line');
      r = xvs('list', '--json', '--rate', '--interval', '0.1', '--api', x.api);
      assert.equal(JSON.parse(r.stdout).rates.workers.length, 2);
    }));

  it('-c lists the connection entries (none here), --json as one document; -c with --stats or a bad --limit exits 2', () =>
    withXvs((x) => {
      let r = xvs('list', '-c', '-n', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'IPVS connection entries\npro expire state       source             virtual            destination\n', "ipvsadm -Lc's title, no entry");
      r = xvs('list', '-c', '-n', '--wide', '--api', x.api);
      assert.match(r.stdout, /^IPVS connection entries\npro expire state {7}source {13}virtual {12}destination {8}local {14}worker\n$/);
      r = xvs('list', '-c', '--json', '--api', x.api);
      assert.deepEqual([r.code, r.stdout], [0, ''], 'no entry: no line');
      r = xvs('list', '-c', '-n', '--limit', '5', '--api', x.api);
      assert.match(r.stdout, /^IPVS connection entries \(xvs: 0 in 2 workers\)\npro +expire +state +source +virtual +destination +local +worker\n$/);
      r = xvs('list', '-c', '--json', '--limit', '5', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.deepEqual([doc.limit, doc.total, doc.shown, doc.workers.length], [5, 0, 0, 2]);
      r = xvs('list', '-c', '--stats', '--api', x.api);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^xvs: -c lists connections; it does not combine with --stats or --rate\n$/);
      r = xvs('list', '-c', '--limit', '0', '--api', x.api);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^xvs: --limit must be an integer from 1 to 100000 \(got 0\)\n$/);
    }));

  it('refuses --stats with --rate (exit 2) in one line', () =>
    withXvs((x) => {
      const r = xvs('list', '--stats', '--rate', '--api', x.api);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^xvs: --stats and --rate cannot be combined\n/);
    }));

  it('exits 1 with one line when nothing answers, and 2 for a malformed --api', async () => {
    const port = await freePort();
    let r = xvs('list', '--api', `127.0.0.1:${port}`);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^xvs: cannot reach the xvs API at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    r = xvs('list', '--api', 'localhost');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^xvs: --api must be host:port/);
  });
});

describe('xvs save', () => {
  it('prints the running configuration with its runtime weights; it reads back to the file plus those weights', () =>
    withXvs((x) => {
      assert.equal(xvs('weight', 'web', '10.0.0.12:8080', '5', '--api', x.api).code, 0);
      const r = xvs('save', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^# xvs save from 127\.0\.0\.1:\d+ at \d{4}-/);
      const saved = parseConfigText(r.stdout, 'saved.yaml');
      const file = parseConfigText(fs.readFileSync(x.file, 'utf8'), x.file);
      const expected = { ...file, services: file.services.map((s) => ({ ...s, servers: s.servers.map((srv) => (srv.address === '10.0.0.12' ? { ...srv, weight: 5 } : srv)) })) };
      assert.deepEqual({ ...saved, source: file.source }, expected);
      const json = xvs('save', '--json', '--api', x.api);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout).services[0].servers[1].weight, 5);
      fs.writeFileSync(`${x.file}.saved`, r.stdout);
      assert.equal(xvs('check', '--config', `${x.file}.saved`).code, 0, 'xvs check accepts it');
    }));
});

describe('xvs weight and xvs drain', () => {
  it('change the weight through the API and say what changed', () =>
    withXvs((x) => {
      let r = xvs('weight', 'web', '10.0.0.12:8080', '5', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'web 10.0.0.12:8080: weight 1 -> 5 (configured 1), generation 2\n');
      r = xvs('drain', '203.0.113.10:80/tcp', '10.0.0.11:8080', '--api', x.api);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'web 10.0.0.11:8080: weight 1 -> 0 (configured 1), generation 3\n');
      r = xvs('list', '-n', '--api', x.api);
      assert.match(r.stdout, /^ {2}-> 10\.0\.0\.11:8080 +FullNat 0 +0 +0 {9}$/m);
      assert.match(r.stdout, /^ {2}-> 10\.0\.0\.12:8080 +FullNat 5 +0 +0 {9}$/m);
      r = xvs('weight', 'web', '10.0.0.12:8080', '1', '--api', x.api);
      assert.equal(r.stdout, 'web 10.0.0.12:8080: weight 5 -> 1 (the configured weight), generation 4\n');
    }));

  it('usage errors exit 2 and API refusals exit 1, one line each, nothing changed', () =>
    withXvs((x) => {
      const usage = [
        ['weight', 'web', '10.0.0.12:8080', '70000'],
        ['weight', 'web', '10.0.0.12:8080', '1.5'],
        ['weight', 'web', '10.0.0.12', '3'],
        ['weight', 'web', '10.0.0.12:8080'],
        ['drain', 'web'],
      ];
      for (const args of usage) {
        const r = xvs(...args, '--api', x.api);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      }
      assert.match(xvs('weight', 'web', '10.0.0.12:8080', '70000', '--api', x.api).stderr, /^xvs: weight must be an integer from 0 to 65535 \(got "70000"\)/);
      for (const [args, says] of [
        [['weight', 'web', '10.0.0.99:8080', '3'], /^xvs: service web has no server "10\.0\.0\.99:8080" \(its servers: 10\.0\.0\.11:8080, /],
        [['drain', 'mail', '10.0.0.11:8080'], /^xvs: no service "mail"/],
      ] as const) {
        const r = xvs(...args, '--api', x.api);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, says);
      }
      assert.match(xvs('list', '-n', '--api', x.api).stdout, /^xvs \(generation 1,/);
    }));
});
