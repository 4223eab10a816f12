// test/support/mem-harness.ts — runs the real addon on io/mem for packet tests: frames in (one,
// or bursts), the frames out (transmitted or passed to the kernel) and which counters moved;
// the engine clock moved forward for expiry; connections per worker. Everything runs on the
// test thread, which owns the engine.
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { Dataplane } from '../../src/control/worker/dataplane.js';
import type { MemFrame } from '../../src/native/addon.js';
import type { CounterName } from '../../src/native/abi.js';
import { nonZero, type CounterSet } from '../../src/stats/counters.js';

export type Moved = Partial<Record<CounterName, number>>;

export interface Exchange {
  out: MemFrame[];
  /** Packet counters that changed, summed over workers, as numbers (byte counters apart). */
  moved: Moved;
  bytes: { rx: number; tx: number };
}

export interface Where {
  port?: number;
  queue?: number;
}

export interface StartOptions {
  /** Frames of the mem backend (default 4096). */
  memFrames?: number;
  /** false: start the engine without committing any configuration. */
  commit?: boolean;
}

function delta(after: CounterSet, before: CounterSet): CounterSet {
  const out = { ...after };
  for (const k of Object.keys(out) as CounterName[]) out[k] = after[k] - before[k];
  return out;
}

export class MemHarness {
  private constructor(readonly dataplane: Dataplane, readonly config: Config) {}

  static async start(yaml: string, options: StartOptions = {}): Promise<MemHarness> {
    const config = parseConfigText(yaml, 'packet-test.yaml');
    const dataplane = Dataplane.create(config, options.memFrames ? { memFrames: options.memFrames } : {});
    try {
      if (options.commit !== false) await dataplane.apply(config);
      dataplane.start();
    } catch (err) {
      dataplane.stop();
      throw err;
    }
    const harness = new MemHarness(dataplane, config);
    harness.settle();
    return harness;
  }

  private settle(): void {
    if (!this.dataplane.engine.settle(5000)) throw new Error('workers did not settle within 5 s');
  }

  /** Counters moved (byte counters apart) and bytes, while `action` runs. */
  measure(action: () => MemFrame[]): Exchange {
    const before = this.dataplane.counters().total;
    const out = action();
    const { rx_bytes, tx_bytes, ...moved } = nonZero(delta(this.dataplane.counters().total, before));
    return { out, moved, bytes: { rx: rx_bytes ?? 0, tx: tx_bytes ?? 0 } };
  }

  /** Injects one frame on (port, queue) and waits until the workers have dealt with it. */
  send(frame: Uint8Array, where: Where = {}): Exchange {
    return this.measure(() => {
      if (!this.dataplane.engine.memInject(where.port ?? 0, where.queue ?? 0, frame)) throw new Error('memInject refused the frame');
      this.settle();
      return this.dataplane.engine.memCollect();
    });
  }

  /**
   * Injects many frames on (port, queue), `burst` at a time (each burst settles and is collected
   * before the next), and returns every frame out in order.
   */
  sendBurst(frames: readonly Uint8Array[], where: Where = {}, burst = 2000): Exchange {
    const engine = this.dataplane.engine;
    return this.measure(() => {
      const out: MemFrame[] = [];
      for (let i = 0; i < frames.length; i += burst) {
        for (const frame of frames.slice(i, i + burst))
          if (!engine.memInject(where.port ?? 0, where.queue ?? 0, frame)) throw new Error('memInject refused a frame');
        this.settle();
        out.push(...engine.memCollect());
      }
      return out;
    });
  }

  /** Moves the engine clock forward and waits until every worker has expired what is due. */
  advance(seconds: number): Exchange {
    return this.measure(() => {
      this.dataplane.engine.advanceClock(seconds);
      this.settle();
      this.settle(); // each safe point expires a bounded number: give them a second round
      return this.dataplane.engine.memCollect();
    });
  }

  /** Live entries (connections and persistence templates) per worker. */
  connections(): number[] {
    return this.dataplane.status().workers.map((w) => w.connections);
  }

  /** Commits a new config and waits until every worker has installed it. */
  async reload(yaml: string): Promise<void> {
    await this.apply(parseConfigText(yaml, 'packet-test.yaml'));
  }

  /** Commits `config` as it is and waits until every worker has installed it. */
  async apply(config: Config): Promise<void> {
    await this.dataplane.apply(config);
    this.settle();
  }

  close(): void {
    this.dataplane.stop();
  }
}
