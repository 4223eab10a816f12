// test/support/mem-harness.ts — runs the real addon on io/mem for packet tests: one frame in,
// the frames out (transmitted or passed to the kernel) and which counters moved. Everything
// runs on the test thread, which owns the engine.
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { Dataplane } from '../../src/control/dataplane.js';
import type { MemFrame } from '../../src/native/addon.js';
import type { CounterName } from '../../src/native/abi.js';
import { nonZero, type CounterSet } from '../../src/stats/counters.js';

export interface Exchange {
  out: MemFrame[];
  /** Packet counters that changed, summed over workers, as numbers (byte counters apart). */
  moved: Partial<Record<CounterName, number>>;
  bytes: { rx: number; tx: number };
}

function delta(after: CounterSet, before: CounterSet): CounterSet {
  const out = { ...after };
  for (const k of Object.keys(out) as CounterName[]) out[k] = after[k] - before[k];
  return out;
}

export class MemHarness {
  private constructor(readonly dataplane: Dataplane, readonly config: Config) {}

  static start(yaml: string): MemHarness {
    const config = parseConfigText(yaml, 'packet-test.yaml');
    const dataplane = Dataplane.create(config);
    try {
      dataplane.apply(config);
      dataplane.start();
    } catch (err) {
      dataplane.stop();
      throw err;
    }
    return new MemHarness(dataplane, config);
  }

  /** Injects one frame on (port, queue) and waits until the workers have dealt with it. */
  send(frame: Uint8Array, where: { port?: number; queue?: number } = {}): Exchange {
    const engine = this.dataplane.engine;
    const before = this.dataplane.counters().total;
    if (!engine.memInject(where.port ?? 0, where.queue ?? 0, frame)) throw new Error('memInject refused the frame');
    if (!engine.settle(5000)) throw new Error('workers did not settle within 5 s');
    const out = engine.memCollect();
    const { rx_bytes, tx_bytes, ...moved } = nonZero(delta(this.dataplane.counters().total, before));
    return { out, moved, bytes: { rx: rx_bytes ?? 0, tx: tx_bytes ?? 0 } };
  }

  /** Commits a new config and waits until every worker has installed it. */
  reload(yaml: string): void {
    this.dataplane.apply(parseConfigText(yaml, 'packet-test.yaml'));
    if (!this.dataplane.engine.settle(5000)) throw new Error('workers did not settle within 5 s');
  }

  close(): void {
    this.dataplane.stop();
  }
}
