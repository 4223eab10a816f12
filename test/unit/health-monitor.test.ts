// test/unit/health-monitor.test.ts — HealthMonitor (src/health/monitor.ts). With a scripted
// runner: fall failures take a server down and rise successes bring it back, with one transition
// and one log line each and counters; quorum is lost and regained; update() keeps unchanged
// checks, restarts changed ones and drops removed ones; pool errors change no state; stop()
// stops probing. With the real piscina pool (ProbePool) against an http server on 127.0.0.1 that
// starts failing and recovers. Short intervals, bounded waits, nothing asserts a duration; every
// monitor, pool and server is closed after its test. Runs under node:test on the main thread.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, test } from 'node:test';

import { pino } from 'pino';

import type { Config } from '../../src/config/types.js';
import { HealthMonitor } from '../../src/health/monitor.js';
import { ProbePool, type ProbeRunner } from '../../src/health/pool.js';
import type { HealthTransition, ProbeResult, ProbeTask, ServerTransition } from '../../src/health/types.js';
import { LOCALHOST, check, config, httpServer, server, service, waitFor, type Closable } from '../support/health.js';

/** A runner whose answer per "address:port" the test sets; counts the probes it ran. */
class ScriptedRunner implements ProbeRunner {
  readonly healthy = new Map<string, boolean | 'error'>();
  readonly runs = new Map<string, number>();
  run(task: ProbeTask): Promise<ProbeResult> {
    const key = `${task.address}:${task.port}`;
    this.runs.set(key, (this.runs.get(key) ?? 0) + 1);
    const answer = this.healthy.get(key) ?? true;
    if (answer === 'error') return Promise.reject(new Error('Task queue is at limit'));
    return Promise.resolve({ ok: answer, latencyMs: 1.5, reason: answer ? 'connected' : 'connection refused (ECONNREFUSED)' });
  }
}

/** A pino logger writing into an array of parsed lines. */
function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const FAST = { interval: 0.05, timeout: 0.05, rise: 2, fall: 3 };
const A = '10.0.0.11:80';
const B = '10.0.0.12:80';
const C = '10.0.0.13:80';

function threeServers(extra: Parameters<typeof service>[2] = {}): Config {
  return config([
    service('web', [server('10.0.0.11', 80), server('10.0.0.12', 80), server('10.0.0.13', 80)], {
      health_check: check('tcp', FAST),
      ...extra,
    }),
  ]);
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function monitorOf(runner: ProbeRunner, jitter = false) {
  const transitions: HealthTransition[] = [];
  const { logger, lines } = memoryLogger();
  const monitor = new HealthMonitor({ runner, logger, jitter, onTransition: (t) => transitions.push(t) });
  cleanups.push(() => monitor.stop());
  return { monitor, transitions, lines };
}

const serverView = (m: HealthMonitor, svc: string, key: string) =>
  m.view().services.find((s) => s.name === svc)?.servers.find((s) => s.server === key);

describe('with a scripted runner', () => {
  test('down after fall failures, up after rise successes; logged and counted', async () => {
    const runner = new ScriptedRunner();
    const { monitor, transitions, lines } = monitorOf(runner);
    monitor.update(threeServers());
    await waitFor('first probes', () => (runner.runs.get(A) ?? 0) >= 2);
    assert.equal(serverView(monitor, 'web', A)?.state, 'up');

    runner.healthy.set(A, false);
    await waitFor('A down', () => serverView(monitor, 'web', A)?.state === 'down');
    const down = transitions.find((t): t is ServerTransition => t.kind === 'server' && t.to === 'down');
    assert.deepEqual(down, {
      kind: 'server', service: 'web', server: A, from: 'up', to: 'down',
      reason: 'connection refused (ECONNREFUSED)', latencyMs: 1.5, successes: 0, failures: 3, rise: 2, fall: 3,
    });
    const line = lines.find((l) => l.event === 'health_transition');
    assert.deepEqual(
      [line?.service, line?.server, line?.from, line?.to, line?.reason, line?.latency_ms, line?.level],
      ['web', A, 'up', 'down', 'connection refused (ECONNREFUSED)', 1.5, 40],
    );

    runner.healthy.set(A, true);
    await waitFor('A up', () => serverView(monitor, 'web', A)?.state === 'up');
    const up = transitions.filter((t) => t.kind === 'server').at(-1) as ServerTransition;
    assert.deepEqual([up.from, up.to, up.successes, up.failures], ['down', 'up', 2, 0]);

    const counters = serverView(monitor, 'web', A)?.counters;
    assert.equal(counters?.transitions, 2);
    assert.ok((counters?.failures ?? 0) >= 3 && (counters?.checks ?? 0) >= 5, JSON.stringify(counters));
    assert.equal(lines.filter((l) => l.event === 'health_transition').length, 2);
    assert.equal(serverView(monitor, 'web', B)?.counters.transitions, 0);
  });

  test('a service version changes with its transitions and with a changed config, not otherwise', async () => {
    const runner = new ScriptedRunner();
    const { monitor } = monitorOf(runner);
    const cfg = threeServers();
    monitor.update(cfg);
    const v1 = monitor.serviceVersion('web');
    assert.equal(typeof v1, 'number');
    assert.equal(monitor.serviceVersion('nothing'), undefined);
    await waitFor('probes', () => (runner.runs.get(A) ?? 0) >= 3);
    assert.equal(monitor.serviceVersion('web'), v1, 'probes without a transition change nothing');
    monitor.update({ ...cfg }); // the same service objects (a runtime weight elsewhere)
    assert.equal(monitor.serviceVersion('web'), v1);
    runner.healthy.set(A, false);
    await waitFor('A down', () => serverView(monitor, 'web', A)?.state === 'down');
    const v2 = monitor.serviceVersion('web');
    assert.notEqual(v2, v1);
    assert.deepEqual(monitor.serviceHealth('web'), monitor.view().services[0]);
    monitor.update(threeServers()); // new objects, equal settings: the checks keep their state
    assert.notEqual(monitor.serviceVersion('web'), v2);
    assert.equal(serverView(monitor, 'web', A)?.state, 'down');
  });

  test('a monitor made anew never repeats a version the one before it gave', () => {
    const first = monitorOf(new ScriptedRunner()).monitor;
    first.update(threeServers());
    const second = monitorOf(new ScriptedRunner()).monitor;
    second.update(threeServers());
    assert.notEqual(second.serviceVersion('web'), first.serviceVersion('web'));
  });

  test('quorum is lost and regained, and view() says so', async () => {
    const runner = new ScriptedRunner();
    const { monitor, transitions, lines } = monitorOf(runner);
    monitor.update(threeServers({ quorum: 2, sorry_server: { address: '10.0.0.250', port: 80 } }));
    assert.equal(monitor.view().services[0]?.quorumMet, true);

    runner.healthy.set(A, false);
    runner.healthy.set(B, false);
    await waitFor('quorum lost', () => monitor.view().services[0]?.quorumMet === false);
    const lost = transitions.find((t) => t.kind === 'quorum');
    assert.deepEqual(lost && { ...lost, reason: undefined }, {
      kind: 'quorum', service: 'web', from: true, to: false, alive: 1, quorum: 2, hysteresis: 0, reason: undefined,
    });
    assert.match(lost?.reason ?? '', /^server 10\.0\.0\.1[12]:80 down$/);
    const v = monitor.view().services[0];
    assert.deepEqual([v?.alive, v?.up, v?.down], [1, 1, 2]);
    assert.ok(lines.some((l) => l.event === 'quorum_transition' && l.quorum === 'lost' && l.service === 'web'));

    runner.healthy.set(A, true);
    await waitFor('quorum regained', () => monitor.view().services[0]?.quorumMet === true);
    assert.deepEqual(transitions.filter((t) => t.kind === 'quorum').map((t) => t.to), [false, true]);
  });

  test('update() keeps unchanged checks, restarts changed ones, drops removed ones', async () => {
    const runner = new ScriptedRunner();
    const { monitor } = monitorOf(runner);
    const initial = threeServers();
    monitor.update(initial);
    runner.healthy.set(A, false);
    runner.healthy.set(B, false);
    await waitFor('A and B down', () => serverView(monitor, 'web', A)?.state === 'down' && serverView(monitor, 'web', B)?.state === 'down');
    runner.healthy.set(A, 'error'); // from now on A's probes cannot run: its state must stay put
    runner.healthy.set(B, 'error');
    const checksOfA = serverView(monitor, 'web', A)?.counters.checks ?? 0;

    // A: only its weight changes (kept). B: its own check, with another initial state (restarted).
    // C: removed. A new service "dns" appears.
    const web = initial.services[0]!;
    const reloaded = config([
      {
        ...web,
        servers: [
          { ...web.servers[0]!, weight: 5 },
          { ...web.servers[1]!, health_check: check('tcp', { ...FAST, initial_state: 'up', rise: 1 }) },
        ],
      },
      service('dns', [server('10.0.0.21', 53)], { health_check: check('udp', FAST) }),
    ]);
    monitor.update(reloaded);
    const a = serverView(monitor, 'web', A);
    assert.equal(a?.state, 'down');
    assert.ok((a?.counters.checks ?? 0) >= checksOfA);
    assert.equal(a?.counters.transitions, 1);
    assert.deepEqual(serverView(monitor, 'web', B)?.counters, { checks: 0, failures: 0, transitions: 0, errors: 0 });
    assert.equal(serverView(monitor, 'web', B)?.state, 'up');
    assert.equal(serverView(monitor, 'web', C), undefined);
    assert.deepEqual(monitor.view().services.map((s) => s.name), ['web', 'dns']);

    await waitFor('errors counted', () => (serverView(monitor, 'web', A)?.counters.errors ?? 0) >= 2);
    assert.equal(serverView(monitor, 'web', A)?.state, 'down', 'a probe that cannot run changes nothing');
    const runsOfC = runner.runs.get(C) ?? 0;
    await waitFor('more probes of A', () => (serverView(monitor, 'web', A)?.counters.errors ?? 0) >= 4);
    assert.equal(runner.runs.get(C) ?? 0, runsOfC, 'a removed check is no longer probed');
  });

  test('stop() ends probing; update() after stop() is a clear error', async () => {
    const runner = new ScriptedRunner();
    const { monitor } = monitorOf(runner, true);
    monitor.update(threeServers());
    await waitFor('probes', () => (runner.runs.get(A) ?? 0) >= 1);
    await monitor.stop();
    const runs = runner.runs.get(A);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(runner.runs.get(A), runs);
    assert.throws(() => monitor.update(threeServers()), /the health monitor is stopped/);
  });

  test('a runner is required', () => {
    assert.throws(() => new HealthMonitor({} as never), /HealthMonitor needs a runner/);
  });
});

describe('with the piscina pool', () => {
  test('an http server that starts failing goes down after fall probes and comes back after rise', async () => {
    let healthy = true;
    const http: Closable = await httpServer((_req, res) => {
      res.statusCode = healthy ? 200 : 503;
      res.end(healthy ? 'ok' : 'sick');
    });
    cleanups.push(() => http.close());
    const pool = new ProbePool({ threads: 1 });
    cleanups.push(() => pool.close());
    const { monitor, transitions } = monitorOf(pool, true);
    const key = `${LOCALHOST}:${http.port}`;
    monitor.update(
      config([
        service('web', [server(LOCALHOST, http.port)], {
          health_check: check('http', { interval: 0.1, timeout: 0.1, rise: 2, fall: 2, path: '/healthz', expect_body: 'ok' }),
        }),
      ]),
    );
    await waitFor('first successful probe', () => serverView(monitor, 'web', key)?.lastResult?.ok === true);

    healthy = false;
    await waitFor('down', () => serverView(monitor, 'web', key)?.state === 'down');
    const down = transitions.find((t) => t.kind === 'server') as ServerTransition;
    assert.deepEqual([down.to, down.failures, down.reason], ['down', 2, 'HTTP 503 (expected 200)']);
    assert.ok(down.latencyMs >= 0);
    assert.equal(monitor.view().services[0]?.quorumMet, false);

    healthy = true;
    await waitFor('up', () => serverView(monitor, 'web', key)?.state === 'up');
    const up = transitions.filter((t) => t.kind === 'server').at(-1) as ServerTransition;
    assert.deepEqual([up.to, up.successes, up.reason], ['up', 2, 'HTTP 200, body matches']);
    assert.equal(monitor.view().services[0]?.quorumMet, true);
  });

  test('probes run concurrently on the pool and it closes cleanly', async () => {
    const http: Closable = await httpServer((_req, res) => res.end('ok'));
    cleanups.push(() => http.close());
    const pool = new ProbePool({ threads: 1, probesPerThread: 4 });
    const task = { address: LOCALHOST, port: http.port, check: check('http') };
    const results = await Promise.all(Array.from({ length: 10 }, () => pool.run(task)));
    assert.ok(results.every((r) => r.ok), JSON.stringify(results));
    await pool.close();
    await pool.close();
    await assert.rejects(pool.run(task), /the probe pool is closed/);
  });

  test('bad pool options are clear errors', () => {
    assert.throws(() => new ProbePool({ threads: 0 }), /threads must be an integer of at least 1 \(got 0\)/);
    assert.throws(() => new ProbePool({ probesPerThread: 1.5 }), /probesPerThread must be an integer of at least 1/);
  });
});
