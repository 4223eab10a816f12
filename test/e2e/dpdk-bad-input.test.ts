// test/e2e/dpdk-bad-input.test.ts — `xvs run` with backend dpdk on bad input, in a namespace with
// a veth of two queues: an interface that does not exist, EAL arguments the EAL refuses, more
// workers than the interface has queues. Each exits 1 with one line on stderr naming the field,
// and leaves nothing behind: no exception interface, no XDP program on the veth, no DPDK runtime
// directory. Needs root and the DPDK build; skipped loudly otherwise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { NetnsLab, netnsUnavailable } from '../../src/netns/lab.js';
import { dpdkUnbuilt } from './dpdk-available.js';

const XVS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/xvs.js');
const skip = netnsUnavailable() ?? dpdkUnbuilt();
if (skip) console.warn(`\n*** e2e tests of backend dpdk on bad input SKIPPED: ${skip} ***\n`);

// Ordinary pages, said explicitly: these runs fail before any traffic, hugepages or not.
const EAL = '[--no-huge, -m, "256"]';

describe('e2e: backend dpdk refuses bad input with one line and leaves nothing attached', { skip }, () => {
  const lab = new NetnsLab();
  let ns = '';

  before(() => {
    lab.buildOrDestroy(() => {
      ns = lab.namespace('lb');
      const peer = lab.namespace('peer');
      lab.veth('d0', ns, 'p0', peer, 2);
      lab.up(ns, 'd0');
      lab.up(peer, 'p0');
      lab.mountBpffs();
    });
  });
  after(() => lab.destroy());

  function runWith(dataplane: string): { code: number | null; stderr: string; pid: number } {
    const file = path.join(lab.dir, 'xvs.yaml');
    fs.writeFileSync(file, `dataplane: ${dataplane}\napi: { listen: 127.0.0.1:9190 }\nservices: []\n`);
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, XVS, 'run', '--config', file], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, LIBXDP_BPFFS: lab.bpffs },
    });
    return { code: r.status, stderr: r.stderr, pid: r.pid };
  }

  function assertNothingLeft(pid: number): void {
    // `ip netns exec` execs xvs: its pid is the one the EAL names its runtime directory after.
    assert.ok(!fs.existsSync(`/var/run/dpdk/xvs${pid}`), 'no DPDK runtime directory left behind');
    const links = lab.exec(ns, ['ip', '-d', 'link', 'show']);
    assert.doesNotMatch(links, /\.kni/, 'no exception interface left behind');
    assert.doesNotMatch(lab.exec(ns, ['ip', 'link', 'show', 'd0']), /xdp/, 'no XDP program left on the veth');
  }

  const cases: [string, string, RegExp][] = [
    ['an interface that does not exist', `{ backend: dpdk, interfaces: [nope0], dpdk: { eal: ${EAL} } }`, /^cannot start the data plane: dataplane\.interfaces\[0\] \(nope0\): no network interface 'nope0'.*\(XVS_EINVAL\)$/],
    ['EAL arguments the EAL refuses', `{ backend: dpdk, interfaces: [d0], dpdk: { eal: [--bogus] } }`, /^cannot start the data plane: DPDK's EAL did not start with dataplane\.dpdk\.eal \[--bogus\]: .*unrecognized option '--bogus'.*\(XVS_ESYSTEM\)$/],
    ['more workers than the interface has queues', `{ backend: dpdk, workers: 3, interfaces: [d0], dpdk: { eal: ${EAL} } }`, /^cannot start the data plane: dataplane\.interfaces\[0\] \(d0\) has 2 receive and 2 transmit queues; workers: 3 needs one of each.*\(XVS_EINVAL\)$/],
  ];
  for (const [what, dataplane, line] of cases)
    it(`${what}: exit 1, one line naming the field`, () => {
      const r = runWith(dataplane);
      assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
      assert.match(lines[0]!, line);
      assertNothingLeft(r.pid);
    });
});
