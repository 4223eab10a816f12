// test/e2e/fullnat-churn.test.ts — Full-NAT under sustained new connections, client port reuse
// and a restart (issue 12), on AF_XDP between network namespaces with the demo's fullnat scenario
// (2 workers, 3 real servers, one LIP). Two client hosts (two source addresses of the client
// namespace, so two hosts' TCP timestamp clocks) run curl, one new TCP connection per HTTP
// request (`Connection: close`: the servers close first and keep each tuple in TIME_WAIT for
// 60 s), until more connections were made than a LIP has local ports (where a FIFO of ports
// comes round again inside the servers' TIME_WAIT), then xvs is restarted and the clients go on
// at once. A server that meets a SYN from another client on a tuple it holds in TIME_WAIT drops
// or challenges it about half the time (PAWS): a 1 s retransmission. So: every request is
// answered, none takes over 500 ms, and the rate of the last 10 s of the load is at least half
// that of its first 10 s. The client namespace gets the whole port range as ephemeral ports
// (widenClientPorts), so that what is measured is the balancer, not the clients' kernel searching
// for a free source port.
// Needs root; skipped loudly otherwise (CI runs it as root).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { rateBetween, runCurlLoad, summarise, widenClientPorts, type Request } from '../../src/bench/churn/curl-load.js';
import { Balancer } from '../../src/demo/balancer.js';
import { Scenario } from '../../src/demo/scenario.js';
import { CLIENT, VIP } from '../../src/demo/topology.js';
import { netnsUnavailable } from '../../src/netns/lab.js';

const SECOND_CLIENT = '10.201.0.3';
const SOURCES = [CLIENT, CLIENT, SECOND_CLIENT, SECOND_CLIENT];
// The demo's LIP is an address of its own (the host never connects from it), so its operator may
// give Full-NAT every port: 64 512 per LIP. Past them, a FIFO pool hands out ports the servers
// still hold. (With the default local_port_range, 31 744, this load would exhaust the pool:
// drop_lport_exhausted, which the warning at start says.)
const LOCAL_PORT_RANGE = [1024, 65535];
const FIRST_PHASE_CONNECTIONS = 70_000;
const FIRST_PHASE_MAX_MS = 90_000;
const AFTER_RESTART_MS = 15_000;
const SLOW_S = 0.5;
const WINDOW_S = 10;

const skip = netnsUnavailable() ?? (spawnSync('curl', ['--version'], { stdio: 'ignore' }).error ? 'curl is not installed' : undefined);
if (skip) console.warn(`\n*** e2e tests SKIPPED: ${skip} ***\n`);

const load = (s: Scenario, until: (made: number, ms: number) => boolean) =>
  runCurlLoad({ lab: s.topology.lab, ns: s.topology.client, sources: SOURCES, url: `http://${VIP}/`, until });

function assertAllFast(what: string, runs: Request[][]): void {
  const s = summarise(runs, SLOW_S);
  assert.equal(s.failed, 0, `${what}: ${s.failed} of ${s.requests} requests not answered 200`);
  assert.equal(s.slow, 0, `${what}: ${s.slow} of ${s.requests} requests took over ${SLOW_S * 1000} ms (slowest ${s.max} s)`);
}

describe('fullnat under sustained new connections and a restart', { skip }, () => {
  it('every request answered within 500 ms, before and after a restart, and no collapse', { timeout: 240_000 }, async () => {
    const s = await Scenario.start('fullnat', { edit: (doc) => doc.setIn(['dataplane', 'local_port_range'], doc.createNode(LOCAL_PORT_RANGE)) });
    let restarted: Balancer | undefined;
    try {
      s.topology.lab.exec(s.topology.client, ['ip', 'addr', 'add', `${SECOND_CLIENT}/24`, 'dev', 'c0']);
      widenClientPorts(s.topology.lab, s.topology.client);  // the clients' own port search must not be what slows
      const first = await load(s, (made, ms) => made >= FIRST_PHASE_CONNECTIONS || ms >= FIRST_PHASE_MAX_MS);
      const { requests: made, span } = summarise(first, SLOW_S);
      console.log(`fullnat churn: ${made} connections in ${span.toFixed(1)} s before the restart`);
      assertAllFast('before the restart', first);
      assert.ok(span >= 2 * WINDOW_S, `the load ran ${span} s, too short to compare its first and last ${WINDOW_S} s`);
      const early = rateBetween(first, 0, WINDOW_S), late = rateBetween(first, span - WINDOW_S, span);
      console.log(`fullnat churn: ${early.toFixed(0)} requests/s in the first ${WINDOW_S} s, ${late.toFixed(0)} in the last`);
      assert.ok(late >= early / 2, `the rate fell from ${early.toFixed(0)}/s to ${late.toFixed(0)}/s`);

      const stopped = await s.balancer.stop();
      assert.equal(stopped.exitCode, 0, stopped.stderr);
      restarted = await Balancer.start(s.topology, s.configFile);
      const restored = restarted.log.find((l) => l.event === 'port_holds_restored') as { held?: number } | undefined;
      assert.ok((restored?.held ?? 0) > 0, 'the restarted xvs holds the tuples the stopped one left in state_dir');
      const second = await load(s, (_, ms) => ms >= AFTER_RESTART_MS);
      console.log(`fullnat churn: ${second.flat().length} connections in the ${AFTER_RESTART_MS / 1000} s after the restart`);
      assertAllFast('after the restart (inside the servers\' TIME_WAIT)', second);
      const counters = (await restarted.stop()).counters;
      assert.equal(counters.drop_lport_exhausted ?? 0, 0);
    } finally {
      await restarted?.stop();
      await s.destroy();
    }
  });
});
