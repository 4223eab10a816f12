// test/support/rows.ts — the packet-fixture table: each row is one frame in, the verdict, the
// exact frame out (the port it leaves on and, where it matters, the worker that sent it) and the
// exact counters moved; runRows turns a table
// into one test per row, run in order against one harness. Shared addresses and MACs of the
// io/mem topology (src/control/worker/nexthop/mem.ts) live here too.
import assert from 'node:assert/strict';
import { it } from 'node:test';

import { memPortMac, memServerMac } from '../../src/control/worker/nexthop/mem.js';
import type { MemFrame } from '../../src/native/addon.js';
import type { Exchange, MemHarness, Moved, Where } from './mem-harness.js';
import { checksumProblems, decodeFrame, macText } from './packets.js';

export const CLIENT_MAC = '02:cc:00:00:00:07';
export const ROUTER_MAC = '02:ee:00:00:00:01';
export const CLIENT = '198.51.100.7';
export const VIP = '203.0.113.10';
export const LIP = '10.0.2.100';
export const TUNNEL_SOURCE = '10.0.2.1';

/** MAC of the balancer's interface `i` on io/mem. */
export const portMac = (i = 0): string => macText(memPortMac(i));
/** MAC io/mem gives a server: 02:00 + its IPv4 address. */
export const rsMac = (ip: string): string => macText(memServerMac(ip));
/** The server a frame was sent to, from its destination MAC (02:00:a:b:c:d -> a.b.c.d). */
export const serverOf = (frame: Uint8Array): string => [...frame.subarray(2, 6)].join('.');

export type Verdict = 'tx' | 'pass' | 'drop';

export interface Row {
  name: string;
  input: () => Buffer;
  /** Where the frame arrives (default port 0, queue 0). */
  on?: Where;
  verdict: Verdict;
  /** The one frame out; for 'pass' it defaults to the input, unchanged. */
  output?: () => Buffer;
  /** Port the frame leaves on (default: the port it arrived on). */
  outPort?: number;
  /** Queue, i.e. worker, that sends the frame out (unchecked if absent): the owner, after a hand-over. */
  outQueue?: number;
  moved: Moved;
}

/** Checks one exchange: counters, byte counts, the single output frame byte for byte, its port and checksums. */
export function expectExchange(
  ex: Exchange,
  input: Buffer,
  expected: { verdict: Verdict; output?: Buffer; port?: number; queue?: number; moved: Moved },
): void {
  assert.deepEqual(ex.moved, expected.moved, 'counters moved');
  assert.equal(ex.bytes.rx, input.length, 'rx_bytes');
  if (expected.verdict === 'drop') {
    assert.equal(ex.out.length, 0, 'nothing comes out of a drop');
    assert.equal(ex.bytes.tx, 0);
    return;
  }
  const output = expected.output ?? input;
  assert.equal(ex.bytes.tx, expected.verdict === 'tx' ? output.length : 0, 'tx_bytes');
  assert.equal(ex.out.length, 1, 'exactly one frame out');
  expectFrame(ex.out[0]!, expected.verdict, output, expected.port);
  if (expected.queue !== undefined) assert.equal(ex.out[0]!.queue, expected.queue, 'sent by worker');
}

/** One frame out: verdict, port, every checksum (for tx), then the bytes. */
export function expectFrame(frame: MemFrame, verdict: 'tx' | 'pass', output: Buffer, port?: number): void {
  assert.equal(frame.verdict, verdict, 'verdict');
  if (port !== undefined) assert.equal(frame.port, port, 'leaves on port');
  const d = frame.data;
  const ipv4 = (d[12] === 0x08 && d[13] === 0x00) || (d[12] === 0x81 && d[13] === 0x00 && d[16] === 0x08 && d[17] === 0x00);
  if (verdict === 'tx' && ipv4) assert.deepEqual(checksumProblems(decodeFrame(d)), [], 'every checksum verifies');
  assert.equal(frame.data.toString('hex'), output.toString('hex'), 'frame bytes');
}

/** One test per row, in order, against the harness `lb()` returns. */
export function runRows(lb: () => MemHarness, rows: readonly Row[]): void {
  for (const row of rows) {
    it(row.name, () => {
      const input = row.input();
      const ex = lb().send(input, row.on ?? {});
      expectExchange(ex, input, {
        verdict: row.verdict,
        ...(row.output ? { output: row.output() } : {}),
        port: row.outPort ?? row.on?.port ?? 0,
        ...(row.outQueue !== undefined ? { queue: row.outQueue } : {}),
        moved: row.moved,
      });
    });
  }
}
