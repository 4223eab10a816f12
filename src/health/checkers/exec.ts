// src/health/checkers/exec.ts — the exec check: run `command` with the server's address and port
// appended as the last two arguments; up when it exits 0 before the timeout. It runs in its own
// process group so that a timeout kills the script and everything it started. At most
// MAX_OUTPUT_BYTES of its output are kept, for the reason of a failure. Consumes a ProbeTarget,
// the check config and the timeout's AbortSignal; produces a ProbeResult. Health worker thread.
import { spawn } from 'node:child_process';

import { describeError, excerpt, stopwatch, timeoutReason } from './common.js';
import type { HealthChecker } from './types.js';

export const MAX_OUTPUT_BYTES = 4096;

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

      const child = spawn(program, [...args, target.address, String(target.port)], {
        detached: true, // its own process group, so that -pid reaches its children too
        stdio: ['ignore', 'pipe', 'pipe'],
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
