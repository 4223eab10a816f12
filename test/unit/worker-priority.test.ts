// test/unit/worker-priority.test.ts — dataplane.worker_priority reaches the worker threads: with
// 3 the engine's worker threads (xvs-w0, xvs-w1) run at SCHED_FIFO priority 3, with 0 (the
// default) at SCHED_OTHER; read from /proc/self/task/*/stat of this process, which hosts the
// engine (io/mem). Setting SCHED_FIFO needs root (CAP_SYS_NICE): skipped loudly otherwise.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import { Dataplane } from '../../src/control/worker/dataplane.js';

const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const skip = typeof process.getuid === 'function' && process.getuid() !== 0 ? 'not root: SCHED_FIFO needs CAP_SYS_NICE' : undefined;
if (skip) console.warn(`\n*** worker_priority test SKIPPED: ${skip} ***\n`);

/** { policy, priority } of this process's threads named `comm`. */
function threads(comm: string): { policy: number; priority: number }[] {
  const out = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      if (fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== comm) continue;
      // Fields after the ")" that ends comm: state is field 3, rt_priority 40, policy 41.
      const fields = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.push({ priority: Number(fields[40 - 3]), policy: Number(fields[41 - 3]) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

async function withEngine(priorityLine: string, check: () => void): Promise<void> {
  const config = parseConfigText(
    `dataplane: { backend: mem, workers: 2, interfaces: [mem0]${priorityLine} }
services:
  - { name: web, vip: 10.9.0.1, port: 80, forwarding: dr, servers: [{ address: 10.9.0.11, port: 80 }] }
`,
    'priority.yaml',
  );
  const d = Dataplane.create(config);
  try {
    await d.apply(config);
    d.start();
    check();
  } finally {
    d.stop();
  }
}

describe('dataplane.worker_priority', { skip }, () => {
  it('runs every worker at SCHED_FIFO with the configured priority', () =>
    withEngine(', worker_priority: 3', () => {
      for (const name of ['xvs-w0', 'xvs-w1']) assert.deepEqual(threads(name), [{ policy: SCHED_FIFO, priority: 3 }], name);
    }));
  it('leaves workers at SCHED_OTHER by default', () =>
    withEngine('', () => {
      for (const name of ['xvs-w0', 'xvs-w1']) assert.deepEqual(threads(name), [{ policy: SCHED_OTHER, priority: 0 }], name);
    }));
});
