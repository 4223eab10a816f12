// src/health/probe.ts — runs one probe: checks the task (it crossed a thread boundary), picks the
// checker for its type and bounds it by the check's timeout, whether or not the checker honours
// its AbortSignal. Never throws: a bad task or a checker bug is a failed probe with a reason.
// Consumes a ProbeTask; produces a ProbeResult. Runs on a health worker thread (probe-worker.ts);
// tests call it directly.
import { isIP } from 'node:net';

import { checkerFor, checkerTypes } from './checkers/index.js';
import { describeError, timeoutReason } from './checkers/common.js';
import type { ProbeResult, ProbeTask } from './types.js';

/** Extra time a checker gets to settle after its signal fired before the probe is cut off. */
const SETTLE_GRACE_MS = 50;

/** Why `task` cannot be run, or undefined when it can. */
export function probeTaskProblem(task: unknown): string | undefined {
  const t = task as Partial<ProbeTask> | null;
  if (t === null || typeof t !== 'object') return 'the task is not an object';
  if (typeof t.address !== 'string' || isIP(t.address) === 0) return `address must be an IPv4 or IPv6 address (got ${JSON.stringify(t.address)})`;
  if (!Number.isInteger(t.port) || (t.port as number) < 1 || (t.port as number) > 65535)
    return `port must be an integer from 1 to 65535 (got ${JSON.stringify(t.port)})`;
  const check = t.check;
  if (check === null || typeof check !== 'object') return 'the task has no check';
  if (!checkerFor(check.type)) return `unknown check type ${JSON.stringify(check.type)} (known: ${checkerTypes().join(', ')})`;
  if (typeof check.timeout !== 'number' || !(check.timeout > 0) || !Number.isFinite(check.timeout))
    return `timeout must be a number of seconds greater than 0 (got ${JSON.stringify(check.timeout)})`;
  return undefined;
}

export async function runProbe(task: ProbeTask): Promise<ProbeResult> {
  const problem = probeTaskProblem(task);
  if (problem) return { ok: false, latencyMs: 0, reason: `invalid probe: ${problem}` };
  const checker = checkerFor(task.check.type)!;
  const timeoutMs = task.check.timeout * 1000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let cutOff: NodeJS.Timeout | undefined;
  const hardLimit = new Promise<ProbeResult>((resolve) => {
    cutOff = setTimeout(
      () => resolve({ ok: false, latencyMs: timeoutMs, reason: timeoutReason(task.check.timeout, 'no result') }),
      timeoutMs + SETTLE_GRACE_MS,
    );
  });
  try {
    const probe = checker.probe({ address: task.address, port: task.port }, task.check, controller.signal);
    return await Promise.race([probe, hardLimit]);
  } catch (err) {
    return { ok: false, latencyMs: 0, reason: `probe error: ${describeError(err)}` };
  } finally {
    clearTimeout(timer);
    clearTimeout(cutOff);
    controller.abort(); // lets a checker still running release its socket or process
  }
}
