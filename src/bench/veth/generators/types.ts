// src/bench/veth/generators/types.ts — what one traffic generator of `xvs bench veth` is: a
// process in the generator namespace, pinned to the generator CPU, that sends 60-byte UDP frames
// from g0 to the VIP for a given time and then says how many it sent. measure.ts starts one per
// measurement. Main thread.
import type { VethOptions } from '../options.js';
import type { VethTopology } from '../topology.js';

export interface Sent {
  frames: number;
  seconds: number;
}

export interface RunningGenerator {
  /** Resolves when the generator has finished and reported what it sent; rejects on failure. */
  finished: Promise<Sent>;
}

export interface VethGenerator {
  /** For the report: how the frames are made and what they look like (flows, sources). */
  describe: string;
  /**
   * True when it sends only what the path takes (it waits for room rather than dropping): its
   * "offered" is then the path's rate, not a load (report.ts, markGeneratorBound).
   */
  backPressured: boolean;
  /** What runs on the generator CPU, for the report's cores line. */
  onCpu: string;
  /** Why it cannot run on this machine (a missing tool), or undefined. */
  unavailable(): string | undefined;
  /** Starts sending for `seconds`; resolves once frames flow. Bounded in time. */
  start(topo: VethTopology, options: VethOptions, seconds: number): Promise<RunningGenerator>;
}
