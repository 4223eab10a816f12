// test/e2e/reload.test.ts — hot reload and runtime drain under traffic (issue 5), on the demo's
// fullnat scenario (AF_XDP and again DPDK, 2 workers, 3 real servers): while one kept-alive TCP connection sends
// a request every 50 ms and a loop opens fresh connections to another service, the file is
// rewritten (services added, one on a new VIP, one removed, weights changed) and reloaded with
// SIGHUP (DPDK: the new VIP is announced by gratuitous ARP), an invalid
// file is rejected with the running config kept, and the server under the kept-alive connection
// is drained with `xvs drain` (found through `xvs list --json` and seen in `xvs list -c`).
// Nothing established is reset (same client port, every answer from the same server), the loop
// loses no request, the drained server gets no new connection, the added service answers and
// the removed one no longer does. Needs root; skipped loudly otherwise.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

import { Scenario } from '../../src/demo/scenario.js';
import { VIP } from '../../src/demo/topology.js';
import { answers, summarise } from '../../src/demo/traffic.js';
import { netnsUnavailable } from '../../src/netns/lab.js';
import { describeDpdk } from './dpdk-available.js';

const XVS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/xvs.js');
const skip = netnsUnavailable();
if (skip) console.warn(`\n*** e2e tests SKIPPED: ${skip} ***\n`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ServiceDoc {
  name: string;
  port: number;
  servers: { address: string; port: number; weight?: number }[];
}

/** A VIP the first reload adds (the demo's VIPs are 10.203.0.0/24, routed by the client to the balancer). */
const MOVED_VIP = '10.203.0.20';

/**
 * DPDK: xvs announced the new VIP by gratuitous ARP on its ports, so the client, which never asked
 * for it (it routes VIPs through the balancer host's address), has it with the port's MAC.
 */
async function assertAnnounced(t: Scenario['topology'], vip: string): Promise<void> {
  const [port] = JSON.parse(t.lab.exec(t.balancer, ['ip', '-j', 'link', 'show', 'l0'])) as { address: string }[];
  let seen = '';
  for (let i = 0; i < 20; i++) {
    seen = t.lab.exec(t.client, ['ip', 'neigh', 'show', vip, 'dev', 'c0']);
    if (seen.includes(port!.address)) return;
    await sleep(100);
  }
  assert.fail(`the client did not learn ${vip} at ${port!.address} from xvs's announcement: ${JSON.stringify(seen)}`);
}

async function scenarioRun(backend: 'afxdp' | 'dpdk'): Promise<void> {
  const scenario = await Scenario.start('fullnat', { backend });
  try {
    const t = scenario.topology;
    const original = fs.readFileSync(scenario.configFile, 'utf8');
    const doc = YAML.parse(original) as { services: ServiceDoc[] };

    const kept = answers(t, { kind: 'keepalive', url: `http://${VIP}:80/`, durationMs: 8000, intervalMs: 50 });
    const loop = answers(t, { kind: 'http', url: `http://${VIP}:81/`, count: 250, concurrency: 1 });
    await sleep(1000);

    // Reload 1: add web-extra (82) and web-moved (a new VIP), remove echo (udp 7), weights of
    // web-weighted 3:2:1 -> 1:1:1. The client takes gratuitous ARP as a neighbour would that
    // knew the new VIP elsewhere (Linux creates entries from them with arp_accept).
    if (backend === 'dpdk') t.lab.sysctl(t.client, 'net.ipv4.conf.c0.arp_accept', 1);
    const web = doc.services.find((s) => s.name === 'web')!;
    const weighted = doc.services.find((s) => s.name === 'web-weighted')!;
    const next = {
      ...doc,
      services: [
        web,
        { ...weighted, servers: weighted.servers.map((s) => ({ ...s, weight: 1 })) },
        { ...web, name: 'web-extra', port: 82 },
        { ...web, name: 'web-moved', vip: MOVED_VIP },
      ],
    };
    fs.writeFileSync(scenario.configFile, YAML.stringify(next));
    const reloaded = await scenario.balancer.reload();
    assert.equal(reloaded.event, 'reloaded', JSON.stringify(reloaded));
    await sleep(500);
    if (backend === 'dpdk') await assertAnnounced(t, MOVED_VIP);

    // Reload 2: an invalid file is rejected; the running config stays.
    fs.writeFileSync(scenario.configFile, YAML.stringify(next).replace('port: 82', 'port: 70000'));
    const rejected = await scenario.balancer.reload();
    assert.equal(rejected.event, 'reload_rejected', JSON.stringify(rejected));
    fs.writeFileSync(scenario.configFile, YAML.stringify(next));
    await sleep(500);

    // Drain the server under the kept-alive connection, through the API, as an operator would.
    const status = JSON.parse(t.lab.exec(t.balancer, [process.execPath, XVS, 'list', '--json'])) as {
      services: { name: string; servers: { server: string; active: number }[] }[];
    };
    const busy = status.services.find((s) => s.name === 'web')!.servers.find((s) => s.active > 0);
    assert.ok(busy, `the kept-alive connection shows as active on a web server: ${JSON.stringify(status.services[0])}`);
    const drainedName = t.servers.find((s) => busy.server.startsWith(`${s.address}:`))!.name;
    // ... and `xvs list -c` lists it: established, to that server (every entry, streamed: one JSON object per line).
    const streamed = t.lab.exec(t.balancer, [process.execPath, XVS, 'list', '-c', '--json']).trim().split('\n');
    const entries = streamed.map((line) => JSON.parse(line) as { worker: number; state: string; virtual: string; server?: string });
    assert.ok(entries.every((e) => Number.isInteger(e.worker)), 'each line names its worker');
    const listed = entries.filter((e) => e.state === 'tcp_established' && e.virtual === `${VIP}:80`);
    assert.ok(listed.some((e) => e.server === busy.server), `xvs list -c shows the kept-alive connection to ${busy.server}: ${JSON.stringify(listed)}`);
    t.lab.exec(t.balancer, [process.execPath, XVS, 'drain', 'web', busy.server]);

    const afterDrain = await answers(t, { kind: 'http', url: `http://${VIP}:80/`, count: 30, concurrency: 1 });
    const extra = await answers(t, { kind: 'http', url: `http://${VIP}:82/`, count: 6, concurrency: 1 });
    const removed = await answers(t, { kind: 'udp', host: VIP, port: 7, count: 1, timeoutMs: 500, maxFailures: 1 });

    const keptAnswers = await kept;
    const loopAnswers = await loop;
    const keptSummary = summarise(keptAnswers);
    assert.equal(keptSummary.ok, keptSummary.requests, `kept-alive connection: ${keptSummary.errors.join('; ')}`);
    assert.ok(keptSummary.requests > 50, `kept-alive connection made ${keptSummary.requests} requests`);
    assert.equal(new Set(keptAnswers.map((a) => a.port)).size, 1, 'one TCP connection throughout: never reset or reopened');
    assert.deepEqual(Object.keys(keptSummary.split), [drainedName], 'every answer from the one server, drained meanwhile');
    const loopSummary = summarise(loopAnswers);
    assert.equal(loopSummary.ok, 250, `request loop through the reloads: ${loopSummary.errors.join('; ')}`);
    assert.equal(summarise(afterDrain).ok, 30);
    assert.equal(summarise(afterDrain).split[drainedName], undefined, `the drained ${drainedName} got no new connection: ${JSON.stringify(summarise(afterDrain).split)}`);
    assert.equal(summarise(extra).ok, 6, 'the added service answers');
    assert.equal(summarise(removed).ok, 0, 'the removed service no longer answers');

    const stopped = await scenario.balancer.stop();
    assert.equal(stopped.exitCode, 0, stopped.stderr);
    assert.equal(stopped.frames?.lost ?? 0, 0);
  } finally {
    await scenario.destroy();
  }
}

describe('e2e: reload and drain under traffic (fullnat, AF_XDP, 2 workers)', { skip }, () => {
  it('a kept-alive connection and a request loop survive reloads and a drain; the new table is in force', { timeout: 180_000 }, () => scenarioRun('afxdp'));
});

describeDpdk('e2e: reload and drain under traffic (fullnat, DPDK, 2 workers)', skip, () => {
  it('a kept-alive connection and a request loop survive reloads and a drain; the new table is in force', { timeout: 180_000 }, () => scenarioRun('dpdk'));
});
