// test/unit/worker-priority.test.ts — dataplane.worker_priority reaches the worker threads: with
// 3 the engine's worker threads (xvs-w0, xvs-w1) run at SCHED_FIFO priority 3, with 0 at
// SCHED_OTHER, without the field at SCHED_FIFO 1 (DEFAULTS.worker_priority); read from
// /proc/self/task/*/stat of this process, which hosts the engine (io/mem). Without CAP_SYS_NICE
// (a child process under setpriv) the default falls back to SCHED_OTHER with one warning, and an
// explicit priority fails the start. Setting SCHED_FIFO needs root: skipped loudly otherwise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

async function withEngine(priorityLine: string, check: (warnings: string[]) => void): Promise<void> {
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
    check(d.describe().warnings);
  } finally {
    d.stop();
  }
}

// The child (below) runs no tests: run directly, node:test would run this suite again in it.
if (process.argv[2] !== '--child')
  describe('dataplane.worker_priority', { skip }, () => {
  it('runs every worker at SCHED_FIFO with the configured priority', () =>
    withEngine(', worker_priority: 3', () => {
      for (const name of ['xvs-w0', 'xvs-w1']) assert.deepEqual(threads(name), [{ policy: SCHED_FIFO, priority: 3 }], name);
    }));
  it('runs workers at SCHED_FIFO 1 by default', () =>
    withEngine('', (warnings) => {
      for (const name of ['xvs-w0', 'xvs-w1']) assert.deepEqual(threads(name), [{ policy: SCHED_FIFO, priority: 1 }], name);
      assert.deepEqual(warnings, []);
    }));
  it('runs workers at SCHED_OTHER with 0', () =>
    withEngine(', worker_priority: 0', () => {
      for (const name of ['xvs-w0', 'xvs-w1']) assert.deepEqual(threads(name), [{ policy: SCHED_OTHER, priority: 0 }], name);
    }));
  it('without CAP_SYS_NICE: the default falls back to SCHED_OTHER with one warning; an explicit priority fails', () => {
    const child = (priorityLine: string) => {
      const r = spawnSync(
        'setpriv',
        ['--inh-caps=-sys_nice', '--bounding-set=-sys_nice', process.execPath, process.argv[1]!, '--child', priorityLine],
        { encoding: 'utf8', timeout: 30_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { policies?: { policy: number }[]; warnings?: string[]; error?: string };
    };
    const fallback = child('');
    assert.deepEqual(fallback.policies, [{ policy: SCHED_OTHER, priority: 0 }, { policy: SCHED_OTHER, priority: 0 }]);
    assert.equal(fallback.warnings?.length, 1, JSON.stringify(fallback.warnings));
    assert.match(fallback.warnings[0]!, /^workers run at normal priority \(SCHED_OTHER\): cannot run worker 0 at SCHED_FIFO priority 1: Operation not permitted .*set dataplane\.worker_priority: 0/);
    const explicit = child(', worker_priority: 3');
    assert.match(explicit.error ?? '', /cannot run worker 0 at SCHED_FIFO priority 3: Operation not permitted \(needs CAP_SYS_NICE/);
  });
});

// The child of the CAP_SYS_NICE test: one engine, its threads' policies or the start's error.
if (process.argv[2] === '--child') {
  const priorityLine = process.argv[3] ?? '';
  withEngine(priorityLine, (warnings) => {
    console.log(JSON.stringify({ policies: [...threads('xvs-w0'), ...threads('xvs-w1')], warnings }));
  }).catch((err: Error) => console.log(JSON.stringify({ error: err.message })));
}
