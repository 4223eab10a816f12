// src/health/checkers/exec.ts — the exec check: run `command` with the server's address and port
// appended as the last two arguments; up when it exits 0 before the timeout. As keepalived runs
// its scripts: as the configured unprivileged user (`user`, default nobody) when xvs runs as root,
// with a minimal environment (PATH and HOME only: nothing of xvs's own reaches the script) from
// `/`. It runs in its own process group so that a timeout kills the script and everything it
// started. At most MAX_OUTPUT_BYTES of its output are kept, for the reason of a failure. Consumes
// a ProbeTarget, the check config and the timeout's AbortSignal; produces a ProbeResult. Health
// worker thread.
import { spawn, spawnSync } from 'node:child_process';

import { describeError, excerpt, stopwatch, timeoutReason } from './common.js';
import type { HealthChecker } from './types.js';

export const MAX_OUTPUT_BYTES = 4096;
export const SCRIPT_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/' } as const;

interface Account {
  uid: number;
  gid: number;
}
const accounts = new Map<string, Account | string>();

/** The uid and gid of `user` (through NSS, as login does), or why not; looked up once per user. */
function account(user: string): Account | string {
  let found = accounts.get(user);
  if (found === undefined) {
    const r = spawnSync('getent', ['passwd', user], { encoding: 'utf8', timeout: 5_000 });
    const fields = r.status === 0 ? r.stdout.trim().split(':') : [];
    found = fields.length >= 4 ? { uid: Number(fields[2]), gid: Number(fields[3]) } : `no user "${user}" on this host`;
    accounts.set(user, found);
  }
  return found;
}

/** spawn()'s uid and gid for `user`: set only where xvs can switch to them (it runs as root). */
function identity(user: string | undefined): Account | undefined | string {
  if (user === undefined || process.getuid?.() !== 0) return undefined;
  return account(user);
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

export const execChecker: HealthChecker = {
  type: 'exec',
  probe: (target, check, signal) =>
    new Promise((resolve) => {
      const finish = stopwatch();
      const [program, ...args] = check.command ?? [];
      if (program === undefined) return resolve(finish(false, 'exec check without a command'));
      if (signal.aborted) return resolve(finish(false, timeoutReason(check.timeout, 'no exit')));

      if (!program.startsWith('/')) return resolve(finish(false, `cannot run ${program}: the program must be an absolute path`));
      const as = identity(check.user);
      if (typeof as === 'string') return resolve(finish(false, `cannot run ${program} as ${check.user}: ${as}`));

      const child = spawn(program, [...args, target.address, String(target.port)], {
        detached: true, // its own process group, so that -pid reaches its children too
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: '/',
        env: SCRIPT_ENV,
        ...(as ?? {}),
      });
      let output = '';
      const keep = (chunk: Buffer): void => {
        if (output.length < MAX_OUTPUT_BYTES) output += chunk.toString('utf8', 0, MAX_OUTPUT_BYTES - output.length);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);

      let settled = false;
      const settle = (ok: boolean, reason: string): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        child.stdout.destroy();
        child.stderr.destroy();
        resolve(finish(ok, reason));
      };
      const said = (): string => (output.trim() ? `: ${excerpt(output)}` : '');
      const onAbort = (): void => {
        killGroup(child.pid);
        settle(false, `${timeoutReason(check.timeout, 'no exit')} (killed)`);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', (err) => settle(false, `cannot run ${program}: ${describeError(err)}`));
      // 'close' rather than 'exit': the output is read to its end. A process the script left
      // behind holding the pipes delays it until the timeout, which then kills the whole group.
      child.once('close', (code, signalName) => {
        if (code === 0) settle(true, 'exit 0');
        else if (code !== null) settle(false, `exit ${code}${said()}`);
        else settle(false, `killed by ${signalName ?? 'a signal'}${said()}`);
      });
    }),
};
