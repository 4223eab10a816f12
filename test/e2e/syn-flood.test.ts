// test/e2e/syn-flood.test.ts — a spoofed SYN flood against a Full-NAT VIP (issue 12), on AF_XDP
// between network namespaces with the demo's fullnat scenario (2 workers, 3 real servers, one
// LIP, the minimal config: syn_proxy auto). hping3, the tool operators test with, sends SYNs
// from random source addresses — more than the LIP has local ports — while curl, one new
// connection per request, must get every request answered. The SYN-ACKs to the spoofed sources
// go back to the client namespace, whose kernel drops them: nothing leaves the namespaces. Needs
// root, hping3 and curl; skipped loudly otherwise (CI runs it as root and installs both).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { runCurlLoad, summarise } from '../../src/bench/churn/curl-load.js';
import { Scenario } from '../../src/demo/scenario.js';
import { CLIENT, VIP } from '../../src/demo/topology.js';
import { netnsUnavailable } from '../../src/netns/lab.js';

// One LIP has 64 512 local ports; a flood of spoofed SYNs without a proxy would take them all.
const FLOOD_SYNS = 200_000;
const FLOOD_MAX_S = 60;
const LOAD_MS = 12_000;

const missing = (tool: string) => (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error ? `${tool} is not installed` : undefined);
const skip = netnsUnavailable() ?? missing('curl') ?? (spawnSync('hping3', ['--help'], { stdio: 'ignore' }).error ? 'hping3 is not installed' : undefined);
if (skip) console.warn(`\n*** e2e tests SKIPPED: ${skip} ***\n`);

describe('fullnat under a spoofed SYN flood', { skip }, () => {
  it('the SYN proxy engages by itself and every real request is answered', { timeout: 180_000 }, async () => {
    const s = await Scenario.start('fullnat');
    let flood: ReturnType<typeof spawn> | undefined;
    try {
      const ns = s.topology.client;
      // -i u5: a SYN every 5 µs at most; hping3 sends what it can, bounded by the count and `timeout`.
      flood = spawn('ip', ['netns', 'exec', ns, 'timeout', String(FLOOD_MAX_S), 'hping3', '-q', '-S', '-p', '80', '--rand-source',
        '-c', String(FLOOD_SYNS), '-i', 'u5', VIP], { stdio: ['ignore', 'ignore', 'pipe'] });
      const floodDone = new Promise<number | null>((resolve) => flood!.once('exit', (code) => resolve(code)));
      await new Promise((r) => setTimeout(r, 1_000));  // the flood is under way
      const runs = await runCurlLoad({ lab: s.topology.lab, ns, sources: [CLIENT, CLIENT],
        url: `http://${VIP}/`, until: (_, ms) => ms >= LOAD_MS });
      const summary = summarise(runs, 0.5);
      console.log(`syn flood: ${summary.requests} requests during the flood, ${summary.failed} unanswered, ${summary.slow} over 500 ms (slowest ${summary.max} s)`);
      await floodDone;
      const counters = (await s.balancer.stop()).counters;
      console.log(`syn flood: ${JSON.stringify(Object.fromEntries(Object.entries(counters).filter(([k]) => /syn|evict|half|lport|conn_/.test(k))))}`);
      assert.ok(summary.requests > 100, `only ${summary.requests} requests were made`);
      assert.equal(summary.failed, 0, `${summary.failed} of ${summary.requests} requests were not answered 200`);
      assert.ok((counters.syn_proxy_cookie_sent ?? 0) > 64_512, `the proxy answered ${counters.syn_proxy_cookie_sent ?? 0} SYNs`);
      assert.ok((counters.syn_proxy_accepted ?? 0) >= 1, 'the real clients came through the proxy');
      assert.equal(counters.drop_lport_exhausted ?? 0, 0);
      assert.equal(counters.drop_conn_table_full ?? 0, 0);
    } finally {
      flood?.kill('SIGKILL');
      await s.destroy();
    }
  });
});
