// test/unit/health-checkers.test.ts — each health checker (src/health/checkers) through runProbe
// against real servers on 127.0.0.1 (and ::1, for IPv6 servers): tcp (listening, closed port, silent), http (statuses, body,
// Host header, no keep-alive, no answer), udp (echo, payload match, no reply, ICMP unreachable),
// exec (exit 0 with the target appended, exit 1 with its output, timeout killing the process
// group, a missing program). Every server started is closed after its test. Runs under node:test
// on the main thread (runProbe is what a health worker runs).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';

import { runProbe } from '../../src/health/probe.js';
import type { ProbeResult } from '../../src/health/types.js';
import type { HealthCheckConfig } from '../../src/config/types.js';
import {
  LOCALHOST,
  check,
  closedTcpPort,
  closedUdpPort,
  httpServer,
  tcpServer,
  udpServer,
  waitFor,
  type Closable,
} from '../support/health.js';

let open: Closable[] = [];
afterEach(async () => {
  await Promise.all(open.map((s) => s.close()));
  open = [];
});
const started = <T extends Closable>(s: T): T => {
  open.push(s);
  return s;
};

const probe = (port: number, c: HealthCheckConfig): Promise<ProbeResult> => runProbe({ address: LOCALHOST, port, check: c });

function assertResult(r: ProbeResult, ok: boolean, reasonFragment: string): void {
  assert.equal(r.ok, ok, `expected ok=${ok}, got ${JSON.stringify(r)}`);
  assert.ok(r.reason.includes(reasonFragment), `reason ${JSON.stringify(r.reason)} lacks ${JSON.stringify(reasonFragment)}`);
  assert.ok(Number.isFinite(r.latencyMs) && r.latencyMs >= 0, `latency ${r.latencyMs}`);
}

// IPv6 servers are checked the same way (servers of IPv6 services): ::1 here.
const ipv6Loopback = await new Promise<boolean>((resolve) => {
  const probeSocket = net.createServer().once('error', () => resolve(false));
  probeSocket.listen(0, '::1', () => probeSocket.close(() => resolve(true)));
});
// Skipped (loudly) only outside CI: CI machines have ::1, and there these tests must run.
const skipIpv6 = !ipv6Loopback && !process.env.CI;
if (skipIpv6) console.warn('\n*** IPv6 health-check tests SKIPPED: ::1 is not available here ***\n');

describe('over IPv6 (::1)', { skip: skipIpv6 }, () => {
  const at = (port: number, c: HealthCheckConfig): Promise<ProbeResult> => runProbe({ address: '::1', port, check: c });
  test('tcp, http (Host [::1]:port) and udp reach an IPv6 server', async () => {
    const t = started(await tcpServer(undefined, '::1'));
    assertResult(await at(t.port, check('tcp')), true, 'connected');
    let host: string | undefined;
    const h = started(await httpServer((req, res) => ((host = req.headers.host), res.end('ok')), '::1'));
    assertResult(await at(h.port, check('http', { path: '/' })), true, 'HTTP 200');
    assert.equal(host, `[::1]:${h.port}`);
    const u = started(await udpServer((m) => `pong ${m.toString()}`, '::1'));
    assertResult(await at(u.port, check('udp', { payload: 'ping', expect_payload: 'pong ping' })), true, 'reply');
  });
});

describe('tcp', () => {
  test('a listening port is up', async () => {
    const s = started(await tcpServer());
    assertResult(await probe(s.port, check('tcp')), true, 'connected');
  });

  test('a closed port is down: connection refused', async () => {
    assertResult(await probe(await closedTcpPort(), check('tcp')), false, 'connection refused (ECONNREFUSED)');
  });
});

describe('http', () => {
  const seen: { host?: string; connection?: string; path?: string }[] = [];
  const start = async () =>
    started(
      await httpServer((req, res) => {
        seen.push({ host: req.headers.host, connection: req.headers.connection, path: req.url });
        if (req.url === '/healthz') return res.end('all good');
        if (req.url === '/host') return res.end(`host=${req.headers.host}`);
        if (req.url === '/big') return res.end('x'.repeat(200_000) + 'needle');
        if (req.url === '/hang') return; // never answers
        res.statusCode = 503;
        res.end('sick');
      }),
    );

  test('expected status is up; another status is down, saying both', async () => {
    const s = await start();
    assertResult(await probe(s.port, check('http', { path: '/healthz', expect_status: 200 })), true, 'HTTP 200');
    assertResult(await probe(s.port, check('http', { path: '/sick', expect_status: 200 })), false, 'HTTP 503 (expected 200)');
    assertResult(await probe(s.port, check('http', { path: '/sick', expect_status: 503 })), true, 'HTTP 503');
  });

  test('defaults: path / and status 200 when the check does not say', async () => {
    const s = await start();
    assertResult(await probe(s.port, check('http')), false, 'HTTP 503 (expected 200)');
    assert.equal(seen.at(-1)?.path, '/');
  });

  test('expect_body: a substring of the body', async () => {
    const s = await start();
    assertResult(await probe(s.port, check('http', { path: '/healthz', expect_body: 'good' })), true, 'body matches');
    assertResult(await probe(s.port, check('http', { path: '/healthz', expect_body: 'bad' })), false, 'body lacks "bad"');
  });

  test('the body is read only up to its cap', async () => {
    const s = await start();
    assertResult(await probe(s.port, check('http', { path: '/big', expect_body: 'needle' })), false, 'body lacks');
    assertResult(await probe(s.port, check('http', { path: '/big', expect_body: 'xxx' })), true, 'body matches');
  });

  test('Host header: configured, else address:port; no keep-alive', async () => {
    const s = await start();
    assertResult(await probe(s.port, check('http', { path: '/host', host: 'www.example.test', expect_body: 'host=www.example.test' })), true, 'HTTP 200');
    assert.equal(seen.at(-1)?.connection, 'close');
    await probe(s.port, check('http', { path: '/host' }));
    assert.equal(seen.at(-1)?.host, `${LOCALHOST}:${s.port}`);
  });

  test('no answer within the timeout is down', async () => {
    const s = await start();
    assertResult(await probe(s.port, check('http', { path: '/hang', timeout: 0.2 })), false, 'no complete answer within the 200 ms timeout');
  });

  test('a closed port is down', async () => {
    assertResult(await probe(await closedTcpPort(), check('http')), false, 'ECONNREFUSED');
  });
});

describe('udp', () => {
  test('a reply is up; expect_payload must be in it', async () => {
    const s = started(await udpServer((m) => `pong ${m.toString()}`));
    assertResult(await probe(s.port, check('udp', { payload: 'ping' })), true, 'reply of 9 bytes');
    assertResult(await probe(s.port, check('udp', { payload: 'ping', expect_payload: 'pong ping' })), true, 'reply');
    assertResult(await probe(s.port, check('udp', { payload: 'ping', expect_payload: 'PONG' })), false, 'lacks "PONG"');
  });

  test('no reply within the timeout is down', async () => {
    const s = started(await udpServer(() => undefined));
    assertResult(await probe(s.port, check('udp', { payload: 'ping', timeout: 0.2 })), false, 'no reply within the 200 ms timeout');
  });

  test('ICMP port unreachable is down, with that reason', async () => {
    assertResult(await probe(await closedUdpPort(), check('udp', { payload: 'ping' })), false, 'ICMP port unreachable');
  });
});

/** Gone, or a zombie: killed, waiting for whichever process adopted it to reap it. */
function isDead(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

describe('exec', () => {
  test('exit 0 is up; the address and port are the last two arguments', async () => {
    const c = check('exec', { command: ['/bin/sh', '-c', '[ "$0:$1" = "127.0.0.1:8080" ]'] });
    assertResult(await probe(8080, c), true, 'exit 0');
    assertResult(await probe(8081, c), false, 'exit 1');
  });

  test('a non-zero exit is down, with the start of its output', async () => {
    const c = check('exec', { command: ['/bin/sh', '-c', 'echo backend is sick >&2; exit 3'] });
    assertResult(await probe(80, c), false, 'exit 3: backend is sick');
  });

  test('output is capped', async () => {
    const r = await probe(80, check('exec', { command: ['/bin/sh', '-c', 'head -c 1000000 /dev/zero | tr "\\0" x; exit 1'] }));
    assertResult(r, false, 'exit 1: xxx');
    assert.ok(r.reason.length < 300, `reason of ${r.reason.length} characters`);
  });

  test('a timeout kills the script and what it started (its process group)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xvs-health-'));
    try {
      const pidFile = join(dir, 'pid');
      const c = check('exec', { timeout: 0.3, command: ['/bin/sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`] });
      assertResult(await probe(80, c), false, 'no exit within the 300 ms timeout (killed)');
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      assert.ok(pid > 0);
      await waitFor(`the background sleep (pid ${pid}) to be killed`, () => isDead(pid));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("it runs as the check's user (when xvs is root), from /, with PATH and HOME only", async () => {
    process.env.XVS_TEST_SECRET = 'xvs-internal';
    try {
      const script = '[ "$(pwd)" = / ] && [ -z "$XVS_TEST_SECRET" ] && [ "$HOME" = / ] && echo "$(id -un)" >&2 && exit 1';
      const r = await probe(80, check('exec', { user: 'nobody', command: ['/bin/sh', '-c', script] }));
      const expected = process.getuid?.() === 0 ? 'nobody' : userInfo().username;
      assertResult(r, false, `exit 1: ${expected}`);
    } finally {
      delete process.env.XVS_TEST_SECRET;
    }
  });

  test('a relative program or an unknown user is down, saying so', async () => {
    assertResult(await probe(80, check('exec', { command: ['sh', '-c', 'exit 0'] })), false, 'cannot run sh: the program must be an absolute path');
    if (process.getuid?.() === 0) {
      assertResult(await probe(80, check('exec', { user: 'no-such-user-xvs', command: ['/bin/true'] })), false,
        'cannot run /bin/true as no-such-user-xvs: no user "no-such-user-xvs" on this host');
    }
  });

  test('a missing program is down, saying so', async () => {
    assertResult(await probe(80, check('exec', { command: ['/nonexistent/xvs-check'] })), false, 'cannot run /nonexistent/xvs-check: no such file (ENOENT)');
  });
});

describe('runProbe', () => {
  test('a malformed task is a failed probe with a clear reason, never a throw', async () => {
    const cases: [unknown, string][] = [
      [null, 'the task is not an object'],
      [{ address: '10.0.0.256', port: 80, check: check('tcp') }, 'address must be an IPv4 or IPv6 address (got "10.0.0.256")'],
      [{ address: LOCALHOST, port: 0, check: check('tcp') }, 'port must be an integer from 1 to 65535 (got 0)'],
      [{ address: LOCALHOST, port: 80 }, 'the task has no check'],
      [{ address: LOCALHOST, port: 80, check: { ...check('tcp'), type: 'icmp' } }, 'unknown check type "icmp" (known: tcp, http, udp, exec)'],
      [{ address: LOCALHOST, port: 80, check: { ...check('tcp'), timeout: 0 } }, 'timeout must be a number of seconds greater than 0 (got 0)'],
    ];
    for (const [task, reason] of cases) {
      const r = await runProbe(task as never);
      assert.equal(r.ok, false);
      assert.equal(r.reason, `invalid probe: ${reason}`);
    }
  });
});
