// test/e2e/health-traffic.test.ts — health checks steering real traffic (issue 5), on the demo's
// nat scenario (AF_XDP and again DPDK, 2 workers) with an http check on service web and s4 as its sorry
// server: a server whose process dies is detected and gets no new connection, and after
// detection no client request fails; restarted, it takes connections again after `rise`; with
// every server down the service is below quorum and the sorry server answers. nat also proves
// that the checks' replies (from a nat server to the balancer itself) reach the kernel, not xvs.
// Detection times are printed, not asserted. Needs root; skipped loudly otherwise.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Scenario } from '../../src/demo/scenario.js';
import { VIP } from '../../src/demo/topology.js';
import { answers, summarise } from '../../src/demo/traffic.js';
import { netnsUnavailable } from '../../src/netns/lab.js';
import { describeDpdk } from './dpdk-available.js';

const XVS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/xvs.js');
const skip = netnsUnavailable();
if (skip) console.warn(`\n*** e2e tests SKIPPED: ${skip} ***\n`);

const INTERVAL = 0.3;
const FALL = 2;
const RISE = 2;

async function scenarioRun(backend: 'afxdp' | 'dpdk'): Promise<void> {
  const scenario = await Scenario.start('nat', {
    servers: 4,
    edit: (doc) => {
      const services = doc.get('services') as { items: { get(k: string): unknown; set(k: string, v: unknown): void }[] };
      const web = services.items.find((s) => s.get('name') === 'web')!;
      web.set('health_check', doc.createNode({ type: 'http', path: '/', interval: INTERVAL, timeout: INTERVAL, rise: RISE, fall: FALL }, { flow: true }));
      web.set('quorum', 1);
      web.set('sorry_server', doc.createNode({ address: '10.202.0.14', port: 8080 }, { flow: true }));
    },
  });
  try {
    const t = scenario.topology;
    const health = () => {
      const status = JSON.parse(t.lab.exec(t.balancer, [process.execPath, XVS, 'list', '--json'])) as {
        services: { name: string; servers: { address: string; health: string; weight: number }[] }[];
      };
      const web = status.services.find((s) => s.name === 'web')!;
      // "down" only once committed (weight 0), "up" once committed with its weight back.
      const state = (s: { health: string; weight: number }) => (s.health === 'down' && s.weight === 0 ? 'down' : s.health === 'up' && s.weight > 0 ? 'up' : 'changing');
      return Object.fromEntries(web.servers.map((s) => [t.servers.find((x) => x.address === s.address)!.name, state(s)]));
    };
    const waitHealth = async (what: string, want: (h: Record<string, string>) => boolean): Promise<number> => {
      const started = Date.now();
      for (;;) {
        const h = health();
        if (want(h)) return Date.now() - started;
        if (Date.now() - started > 15_000) assert.fail(`${what}: not within 15 s: ${JSON.stringify(h)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const web = (count: number) => answers(t, { kind: 'http', url: `http://${VIP}/`, count, concurrency: 1 });

    await waitHealth('all up', (h) => h.s1 === 'up' && h.s2 === 'up' && h.s3 === 'up');
    assert.deepEqual(Object.keys(summarise(await web(30)).split), ['s1', 's2', 's3']);

    await t.stopServer('s2');
    const detected = await waitHealth('s2 down', (h) => h.s2 === 'down');
    const during = summarise(await web(60));
    assert.equal(during.ok, 60, `no failed request after detection: ${during.errors.join('; ')}`);
    assert.deepEqual(Object.keys(during.split), ['s1', 's3'], `s2 gets no new connection: ${JSON.stringify(during.split)}`);

    await t.startServer('s2');
    const returned = await waitHealth('s2 up again', (h) => h.s2 === 'up');
    const after = summarise(await web(30));
    assert.equal(after.ok, 30);
    assert.deepEqual(Object.keys(after.split), ['s1', 's2', 's3'], `s2 is back: ${JSON.stringify(after.split)}`);

    for (const s of ['s1', 's2', 's3']) await t.stopServer(s);
    await waitHealth('all down', (h) => h.s1 === 'down' && h.s2 === 'down' && h.s3 === 'down');
    // The sorry server is committed with the transition that lost quorum; allow that commit.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sorry = summarise(await web(20));
    assert.equal(sorry.ok, 20, `the sorry server answers: ${sorry.errors.join('; ')}`);
    assert.deepEqual(sorry.split, { s4: 20 });
    assert.ok(scenario.balancer.log.some((l) => l.event === 'quorum_transition'), 'quorum loss logged');

    const stopped = await scenario.balancer.stop();
    assert.equal(stopped.exitCode, 0, stopped.stderr);
    console.log(`  detection ${detected} ms (interval ${INTERVAL} s x fall ${FALL}), return ${returned} ms (rise ${RISE})`);
  } finally {
    await scenario.destroy();
  }
}

describe('e2e: health checks steer real traffic (nat, AF_XDP, 2 workers)', { skip }, () => {
  it('a dead server stops getting connections, comes back after rise; all down: the sorry server answers', { timeout: 180_000 }, () => scenarioRun('afxdp'));
});

describeDpdk('e2e: health checks steer real traffic (nat, DPDK, 2 workers)', skip, () => {
  it('a dead server stops getting connections, comes back after rise; all down: the sorry server answers', { timeout: 180_000 }, () => scenarioRun('dpdk'));
});
