// test/unit/cli.test.ts — the `xvs` binary as a user runs it: exit codes (0 ok, 1 runtime or
// invalid config, 2 usage), one clear line instead of stack traces, and `run` on the mem
// backend starting, reloading on SIGHUP and stopping cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { freePort, memConfig, startXvs } from './xvs-instance.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const XVS = path.join(ROOT, 'bin', 'xvs.js');

function xvs(...args: string[]) {
  return xvsWith({}, ...args);
}

function xvsWith(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, [XVS, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempConfig(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-cli-'));
  const file = path.join(dir, 'xvs.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('xvs CLI manners', () => {
  it("--version prints xvs's own version", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = xvs('--version');
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), `xvs ${pkg.version}`);
  });

  it('-h works everywhere, also on a command whose required option is missing', () => {
    for (const args of [['-h'], ['check', '-h'], ['list', '-h'], ['bench', 'veth', '-h'], ['weight', '-h']]) {
      const r = xvs(...args);
      assert.equal(r.code, 0, `xvs ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Options:/, args.join(' '));
    }
  });

  it('prints a shell completion script', () => {
    const r = xvs('completion');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /xvs-completions/);
  });

  it('stops quietly when its reader goes away (xvs list | head): no EPIPE stack trace', async () => {
    // 2 000 services: the listing is far more than a pipe holds, so xvs still writes after head left.
    const services = Array.from(
      { length: 2000 },
      (_, i) => `  - { name: s${i}, vip: 203.0.${113 + (i >> 8)}.${i & 255}, port: 80, forwarding: fullnat, local_address_pool: lan, servers: [{ address: 10.0.0.11, port: 8080 }, { address: 10.0.0.12, port: 8080 }] }`,
    );
    const instance = await startXvs((port) => memConfig(port, (t) => `${t.slice(0, t.indexOf('services:'))}services:\n${services.join('\n')}\n`));
    try {
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn('sh', ['-c', `"${process.execPath}" "${XVS}" list --api ${instance.api} | head -n 2`], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
      assert.equal(r.stderr, '', 'nothing on stderr');
      assert.equal(r.stdout.trim().split('\n').length, 2);
    } finally {
      await instance.kill();
    }
  });

  it('talks to an API on a port fetch refuses (6000, 10080)', async () => {
    // A stand-in API that answers every request with an xvs error document.
    const server = http.createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'XVS_EAGAIN', message: 'stand-in API reached' } }));
    });
    let port: number | undefined;
    for (const candidate of [10080, 6000]) {
      port = await new Promise<number | undefined>((resolve) => {
        server.once('error', () => resolve(undefined));
        server.listen(candidate, '127.0.0.1', () => resolve(candidate));
      });
      if (port) break;
    }
    if (!port) return; // both taken on this machine: nothing to prove here
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [XVS, 'list', '--api', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
      assert.equal(r.stderr.trim(), 'xvs: stand-in API reached');
      assert.equal(r.code, 1);
    } finally {
      server.close();
    }
  });
});

describe('xvs check', () => {
  for (const example of fs.readdirSync(path.join(ROOT, 'config')).filter((f) => f.endsWith('.yaml'))) {
    it(`accepts the example config/${example}`, () => {
      // A port_key_file is read by check: an example's /etc path points at a temporary key here.
      const text = fs.readFileSync(path.join(ROOT, 'config', example), 'utf8');
      const keyed = /port_key_file: (\S+)/.exec(text);
      let file = path.join(ROOT, 'config', example);
      if (keyed) {
        file = tempConfig(text);
        const key = path.join(path.dirname(file), 'port.key');
        fs.writeFileSync(key, crypto.randomBytes(32));
        fs.writeFileSync(file, text.replace(keyed[0], `port_key_file: ${key}`));
      }
      const r = xvs('check', '--config', file);
      if (keyed) fs.rmSync(path.dirname(file), { recursive: true, force: true });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /: ok \(\d+ services, \d+ servers\)/);
    });
  }

  it('lists every problem, one per line with file:line:column, and exits 1', () => {
    const file = tempConfig(`dataplane: { backend: mem, interfaces: [mem0] }
services:
  - { name: a, vip: 10.0.0.300, port: 80, forwarding: dr, servers: [{ address: 10.0.0.11, port: 8080 }] }
  - { name: b, vip: 10.0.0.2, port: 70000, forwarding: fullnat, servers: [{ address: 10.0.0.12, port: 80 }] }
`);
    const r = xvs('check', '--config', file);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.length >= 4, r.stderr);
    for (const line of lines) assert.match(line, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: services\\[\\d\\]`));
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  });

  it('exits 2 with a usage line when --config is missing', () => {
    const r = xvs('check');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Missing required argument: config/);
  });

  it('exits 2 for an unknown command', () => {
    assert.equal(xvs('frobnicate').code, 2);
  });

  it('exits 1 with one line for a file that does not exist', () => {
    const r = xvs('check', '--config', '/nonexistent/xvs.yaml');
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  it('reads the files the config names as xvs run will (port_key_file, token_file), and refuses one it cannot use', () => {
    const file = tempConfig(`dataplane: { backend: mem, interfaces: [mem0], port_key_file: /nonexistent/port.key }\nservices: []\n`);
    let r = xvs('check', '--config', file);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /: dataplane\.port_key_file: cannot read \/nonexistent\/port\.key: ENOENT\n$/);
    r = xvs('check', '--config', tempConfig(`dataplane: { backend: mem, interfaces: [mem0] }\napi: { token_file: /dev/zero }\nservices: []\n`));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /: api\.token_file: \/dev\/zero is not a regular file\n$/);
  });
});

describe('xvs run', () => {
  it('exits 1 with one line when the backend is not built', () => {
    // Never a real interface: with the DPDK build present, it would take it.
    const file = tempConfig(`dataplane: { backend: dpdk, interfaces: [xvs-none0] }\n`);
    const r = xvsWith({ XVS_DPDK_ADDON: '/nonexistent/xvs.node' }, 'run', '--config', file);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^cannot start the data plane: backend 'dpdk' needs the DPDK build of the addon .*npm run build:dpdk \(XVS_ENOTSUP\)$/);
  });

  it('runs config/mem.yaml, reloads on SIGHUP, stops on SIGTERM with exit 0', async () => {
    // Its API on a free port: other tests run xvs at the same time.
    const file = tempConfig(memConfig(await freePort()));
    const child = spawn(process.execPath, [XVS, 'run', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: string[] = [];
    const waiters: { event: string; resolve: () => void }[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const waitFor = (event: string) =>
      new Promise<void>((resolve, reject) => {
        if (events.includes(event)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no "${event}" log line within 15 s; got ${events.join(', ')}; stderr ${stderr}`)), 15_000);
        waiters.push({ event, resolve: () => (clearTimeout(timer), resolve()) });
      });
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const { event } = JSON.parse(line) as { event: string };
        events.push(event);
        for (const w of waiters.filter((w) => w.event === event)) w.resolve();
      }
    });
    const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
    try {
      await waitFor('started');
      child.kill('SIGHUP');
      await waitFor('reloaded');
      child.kill('SIGTERM');
      await waitFor('stopped');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('xvs run under systemd (Type=notify)', () => {
  // A stand-in for systemd's notification socket: python3 (Node has no AF_UNIX datagrams) prints
  // each datagram it receives as one JSON line.
  const LISTENER = [
    'import json, socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    's.bind(sys.argv[1])',
    'print(json.dumps("listening"), flush=True)',
    'while True:',
    '    print(json.dumps(s.recv(4096).decode()), flush=True)',
  ].join('\n');

  it('says READY once running, RELOADING/READY around a reload, pings the watchdog, says STOPPING', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-notify-'));
    const socketPath = path.join(dir, 'notify');
    const listener = spawn('python3', ['-u', '-c', LISTENER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    const messages: string[] = [];
    const waiters: { match: (m: string) => boolean; resolve: () => void }[] = [];
    let buffered = '';
    listener.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        messages.push(JSON.parse(line) as string);
        for (const w of waiters.filter((w) => w.match(messages.at(-1)!))) w.resolve();
      }
    });
    const seen = (match: (m: string) => boolean, what: string) =>
      new Promise<void>((resolve, reject) => {
        if (messages.some(match)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no ${what} within 15 s: ${JSON.stringify(messages)}`)), 15_000);
        waiters.push({ match, resolve: () => (clearTimeout(timer), resolve()) });
      });
    let child: ReturnType<typeof spawn> | undefined;
    try {
      await seen((m) => m === 'listening', 'listener');
      const file = tempConfig(memConfig(await freePort()));
      child = spawn(process.execPath, [XVS, 'run', '--config', file], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '400000' },
      });
      await seen((m) => m.startsWith('READY=1\nSTATUS=running: generation 1, 1 services, API on 127.0.0.1:'), 'READY=1');
      await seen((m) => m === 'WATCHDOG=1\n', 'a watchdog ping');
      child.kill('SIGHUP');
      await seen((m) => /^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading\n$/.test(m), 'RELOADING=1');
      await seen((m) => m.startsWith('READY=1\nSTATUS=running: generation 2,'), 'READY=1 after the reload');
      const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      await seen((m) => m === 'STOPPING=1\nSTATUS=stopping\n', 'STOPPING=1');
      assert.equal(await exited, 0);
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      listener.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('xvs run --log-format pretty', () => {
  it('logs a human-readable line per entry instead of JSON', async () => {
    const file = tempConfig(memConfig(await freePort()));
    const child = spawn(process.execPath, [XVS, 'run', '--config', file, '--log-format', 'pretty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const running = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "xvs running" line within 15 s: ${out}`)), 15_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('xvs running')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await running;
      const line = out.split('\n').find((l) => l.includes('xvs running'))!;
      assert.match(line, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: xvs running \{"event":"started",/);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses another format (usage, exit 2)', () => {
    const r = xvs('run', '--config', 'x.yaml', '--log-format', 'xml');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Invalid values:[\s\S]*log-format/);
  });
});

// Attaching needs root and is covered by test/e2e/decap.test.ts; argument handling is not.
describe('xvs decap', () => {
  it('exits 2 with a usage line when --iface is missing', () => {
    const r = xvs('decap');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Missing required argument: iface/);
  });

  for (const bad of ['a/b', 'has space', 'x'.repeat(16), '..']) {
    it(`exits 2 for the interface name '${bad}'`, () => {
      const r = xvs('decap', '--iface', bad);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /--iface must be an interface name/);
    });
  }

  it('exits 2 for --detach with --stats', () => {
    const r = xvs('decap', '--iface', 'lo', '--detach', '--stats');
    assert.equal(r.code, 2);
    assert.match(r.stderr.trim(), /^xvs: --detach and --stats cannot be combined$/);
  });

  it('exits 1 with one line for an interface that does not exist', () => {
    const r = xvs('decap', '--iface', 'xvs-nope0');
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), "xvs decap: no network interface 'xvs-nope0' in this network namespace");
  });
});

describe('system packages before each npm step (scripts/system-packages.mjs)', () => {
  // A fake dpkg-query and apt-get first on PATH: packages in FAKE_MISSING are not installed until
  // the fake apt-get installs them (it records what it was asked). The real system is not touched.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-apt-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const installedFile = path.join(dir, 'installed');
  const aptLog = path.join(dir, 'apt.log');
  fs.writeFileSync(
    path.join(dir, 'dpkg-query'),
    `#!/bin/sh\n[ "$1" = --version ] && exit 0\nfor p; do pkg=$p; done\n` +
      `case " $FAKE_MISSING " in *" $pkg "*) grep -qx "$pkg" ${installedFile} 2>/dev/null || exit 1;; esac\nprintf 'install ok installed'\n`,
    { mode: 0o755 },
  );
  fs.writeFileSync(
    path.join(dir, 'apt-get'),
    `#!/bin/sh\necho "$@" >> ${aptLog}\n[ "$1" = install ] || exit 0\nfor p; do case $p in -*|install) ;; *) echo $p >> ${installedFile};; esac; done\n`,
    { mode: 0o755 },
  );
  const run = (steps: string[], env: Record<string, string>) => {
    fs.rmSync(installedFile, { force: true });
    fs.rmSync(aptLog, { force: true });
    return spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'system-packages.mjs'), ...steps], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, XVS_BUILD_DPDK: '', XVS_NO_APT: '', ...env },
    });
  };
  const root = process.getuid?.() === 0;

  it('says nothing and succeeds when every package is there', () => {
    const r = run(['build', 'demo', 'test', 'fuzz'], { FAKE_MISSING: '' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  it('without apt-get rights (XVS_NO_APT=1, or not root) prints the one command and exits 1', () => {
    const r = run(['build'], { FAKE_MISSING: 'libxdp-dev clang', XVS_NO_APT: '1' });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^xvs: missing system packages for the build \(XVS_NO_APT=1\); install them with: (sudo )?apt-get install -y --no-install-recommends libxdp-dev clang$/m);
    assert.ok(!fs.existsSync(aptLog), 'apt-get was not run');
  });

  it('as root on Debian installs what is missing, saying what, and the DPDK build adds its packages', { skip: root ? undefined : 'needs root' }, () => {
    const r = run(['build'], { FAKE_MISSING: 'libxdp-dev libdpdk-dev', XVS_BUILD_DPDK: '1' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^xvs: installing system packages for the build, the DPDK build: libxdp-dev libdpdk-dev$/m);
    const calls = fs.readFileSync(aptLog, 'utf8').trim().split('\n');
    assert.deepEqual(calls, ['update -qq', 'install -y -qq --no-install-recommends libxdp-dev libdpdk-dev']);
  });

  it("names the fuzz runtime after this machine's clang (Debian 12: 14, elsewhere another)", () => {
    fs.writeFileSync(path.join(dir, 'clang'), '#!/bin/sh\necho "Ubuntu clang version 18.1.3 (1ubuntu1)"\n', { mode: 0o755 });
    try {
      const r = run(['fuzz'], { FAKE_MISSING: 'libclang-rt-18-dev', XVS_NO_APT: '1' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /install them with: (sudo )?apt-get install -y --no-install-recommends libclang-rt-18-dev$/m);
    } finally {
      fs.rmSync(path.join(dir, 'clang'));
    }
  });

  it('refuses an unknown step (usage, exit 2)', () => {
    const r = run(['bogus'], {});
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown step bogus/);
  });
});

describe('systemd/xvs.service', () => {
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  it('is a unit systemd accepts (systemd-analyze verify)', { skip: analyze.status === 0 ? undefined : 'systemd-analyze is missing' }, () => {
    const unit = path.join(ROOT, 'systemd', 'xvs.service');
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const text = fs.readFileSync(unit, 'utf8');
    for (const line of ['Type=notify', 'ExecReload=/bin/kill -HUP $MAINPID', 'WatchdogSec=10s', 'StateDirectory=xvs'])
      assert.ok(text.includes(`\n${line}\n`), line);
  });
});

describe('man/xvs.1', () => {
  it('is generated from the CLI: every command, subcommand and option has its place', () => {
    const page = fs.readFileSync(path.join(ROOT, 'man', 'xvs.1'), 'utf8');
    assert.match(page, /^\.TH XVS 1 "" "xvs \d+\.\d+\.\d+"/m);
    for (const name of ['run', 'check', 'list', 'save', 'weight', 'drain', 'import', 'demo', 'decap', 'bench', 'bench veth', 'bench dataplane', 'bench metrics'])
      assert.ok(page.includes(`.SS "xvs ${name}"`), name);
    for (const option of ['--log-format', '--reason', '--generator', '--token-file']) assert.ok(page.includes(option), option);
    assert.ok(!/^[.'](?!SS|SH|TH|TP|nf|fi|B |I |RI|BR|\\")/m.test(page), 'no help line is taken for a roff request');
  });
});
