// test/e2e/health.test.ts — health checks wired into `xvs run`: inside a throwaway network
// namespace (so that servers can have real, non-loopback addresses: 10.205.0.x on lo), xvs on
// the mem backend checks two TCP servers. When one stops listening it goes down after `fall`
// failed probes, is committed at weight 0 (inhibit_on_failure: quiescent) and the service loses
// quorum; when it listens again it comes back after `rise` and quorum returns. Observed the way
// an operator would: `xvs list --json` through the API and the JSON log. Needs root (namespaces);
// skipped loudly otherwise.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { NetnsLab, netnsUnavailable, waitForLine } from '../../src/netns/lab.js';

const XVS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/xvs.js');
const STEADY = { address: '10.205.0.11', port: 8080 };
const FLAPPING = { address: '10.205.0.12', port: 8080 };
const API = '127.0.0.1:9199';

const skip = netnsUnavailable();
if (skip) console.warn(`\n*** e2e tests SKIPPED: ${skip} ***\n`);

const config = `dataplane: { backend: mem, workers: 2, interfaces: [mem0] }
api: { listen: ${API} }
local_address_pools: { lan: [10.205.0.100] }
services:
  - name: web
    vip: 10.205.0.10
    port: 80
    scheduler: rr
    forwarding: fullnat
    local_address_pool: lan
    quorum: 2
    health_check: { type: tcp, interval: 0.2, timeout: 0.2, rise: 2, fall: 2 }
    servers:
      - { address: ${STEADY.address}, port: ${STEADY.port} }
      - { address: ${FLAPPING.address}, port: ${FLAPPING.port} }
`;

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('e2e: health checks in xvs run', { skip }, () => {
  it('a server that stops listening goes to weight 0 after fall and returns after rise; quorum follows', { timeout: 90_000 }, async () => {
    const lab = new NetnsLab();
    try {
      const ns = lab.namespace('h');
      for (const s of [STEADY, FLAPPING]) lab.address(ns, 'lo', `${s.address}/32`);
      const listen = (s: typeof STEADY): Promise<ChildProcess> => {
        const child = lab.spawnIn(ns, [
          process.execPath,
          '-e',
          `require('net').createServer((c) => c.end()).listen(${s.port}, '${s.address}', () => console.log('ready'))`,
        ]);
        return waitForLine(child, (l) => l === 'ready', 10_000).then(() => child);
      };
      await listen(STEADY);
      let flapping = await listen(FLAPPING);
      const file = path.join(lab.dir, 'xvs.yaml');
      fs.writeFileSync(file, config);
      const xvs = lab.spawnIn(ns, [process.execPath, XVS, 'run', '--config', file]);
      const events: { event?: string; to?: string; quorum?: string; service?: string; server?: string; reason?: string; latency_ms?: number }[] = [];
      let buffered = '';
      xvs.stdout!.on('data', (c: Buffer) => {
        buffered += c.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) events.push(JSON.parse(line) as (typeof events)[number]);
      });
      await waitFor('xvs started', () => (events.some((e) => e.event === 'started') ? true : undefined), 20_000);

      const server = (s: typeof STEADY) => {
        const status = JSON.parse(lab.exec(ns, [process.execPath, XVS, 'list', '--json', '--api', API])) as {
          services: { servers: { address: string; health: string; weight: number }[] }[];
        };
        const found = status.services[0]!.servers.find((x) => x.address === s.address)!;
        return { health: found.health, weight: found.weight };
      };
      assert.deepEqual(server(FLAPPING), { health: 'up', weight: 1 }, 'checked servers start up (initial_state)');

      flapping.kill('SIGKILL');
      await waitFor('down after fall', () => (server(FLAPPING).health === 'down' ? true : undefined));
      await waitFor('committed at weight 0', () => (server(FLAPPING).weight === 0 ? true : undefined));
      assert.deepEqual(server(STEADY), { health: 'up', weight: 1 });
      // The log line travels its own way (control worker -> main thread -> stdout pipe).
      const down = await waitFor('the transition is logged', () => events.find((e) => e.event === 'health_transition' && e.to === 'down'));
      assert.equal(down.server, `${FLAPPING.address}:${FLAPPING.port}`);
      assert.equal(down.service, 'web');
      assert.match(down.reason ?? '', /refused|connect/i);
      assert.equal(typeof down.latency_ms, 'number');
      await waitFor('quorum lost', () => (events.some((e) => e.event === 'quorum_transition' && e.quorum === 'lost') ? true : undefined));

      flapping = await listen(FLAPPING);
      await waitFor('up after rise', () => (server(FLAPPING).weight === 1 ? true : undefined));
      assert.deepEqual(server(FLAPPING), { health: 'up', weight: 1 });
      await waitFor('quorum met', () => (events.some((e) => e.event === 'quorum_transition' && e.quorum === 'met') ? true : undefined));
      await waitFor('down, then up, logged', () => (events.filter((e) => e.event === 'health_transition').length === 2 ? true : undefined));
      assert.ok(events.some((e) => e.event === 'health_committed'));
      assert.equal(events.filter((e) => e.event === 'health_transition').length, 2, 'no other transitions');

      // Counted: in the status (per server, and the service's quorum) and in /metrics.
      const status = JSON.parse(lab.exec(ns, [process.execPath, XVS, 'list', '--json', '--api', API])) as {
        services: { quorumMet?: boolean; servers: { address: string; checks?: { checks: number; failures: number; transitions: number } }[] }[];
      };
      assert.equal(status.services[0]!.quorumMet, true);
      const counted = status.services[0]!.servers.find((x) => x.address === FLAPPING.address)!.checks!;
      assert.equal(counted.transitions, 2);
      assert.ok(counted.failures >= 2 && counted.checks > counted.failures, JSON.stringify(counted));
      const metrics = lab.exec(ns, [process.execPath, '-e', `fetch('http://${API}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`]);
      const flappingLabels = `service="web",server="${FLAPPING.address}:${FLAPPING.port}"`;
      assert.match(metrics, new RegExp(`^xvs_server_up\\{${flappingLabels}\\} 1$`, 'm'));
      assert.match(metrics, new RegExp(`^xvs_health_transitions_total\\{${flappingLabels}\\} 2$`, 'm'));
      assert.match(metrics, new RegExp(`^xvs_health_probes_total\\{${flappingLabels},result="failed"\\} [1-9]`, 'm'));
      assert.match(metrics, /^xvs_service_quorum_met\{service="web"\} 1$/m);
    } finally {
      await lab.destroy();
    }
  });
});
