// src/bench/veth/measure.ts — one measurement of `xvs bench veth` on whatever path is set up:
// starts the generator (generators/: a process in the generator namespace, pinned to the
// generator CPU), waits for the warm-up, reads the sink's counters, waits the window, reads them
// again, then waits for the generator to finish (it runs warm-up + window + a short tail, so the window never
// sees it start or stop). Produces packets/s delivered to the sink over the window (from the
// counter the path must move: rewritten to the server, or still to the VIP) and the offered
// rate. Main thread; bounded in time.
import { GENERATORS } from './generators/index.js';
import type { VethOptions } from './options.js';
import type { VethTopology } from './topology.js';

const TAIL_SECONDS = 0.5;
/** More than this share of the window's frames at the wrong counter voids the figure. */
const WRONG_SHARE = 0.01;

export interface Measurement {
  mpps: number;
  offeredMpps: number;
  /** Frames that reached the sink in the window, by what they were addressed to. */
  toServer: number;
  otherIpv4: number;
  /** Set when the sink saw frames the path should not have produced. */
  problem?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measure(topo: VethTopology, options: VethOptions, expect: 'server' | 'vip'): Promise<Measurement> {
  const generator = await GENERATORS[options.generator].start(topo, options, options.warmup + options.seconds + TAIL_SECONDS);
  await sleep(options.warmup * 1000);
  const before = topo.readSink();
  const t0 = process.hrtime.bigint();
  await sleep(options.seconds * 1000);
  const after = topo.readSink();
  const window = Number(process.hrtime.bigint() - t0) / 1e9;
  const generated = await generator.finished;

  const toServer = after.toServer - before.toServer;
  const otherIpv4 = after.otherIpv4 - before.otherIpv4;
  const delivered = expect === 'server' ? toServer : otherIpv4;
  const wrong = expect === 'server' ? otherIpv4 : toServer;
  const m: Measurement = {
    mpps: delivered / window / 1e6,
    offeredMpps: generated.frames / generated.seconds / 1e6,
    toServer,
    otherIpv4,
  };
  if (delivered === 0) m.problem = 'nothing reached the sink';
  else if (wrong > WRONG_SHARE * (delivered + wrong))
    m.problem = `${wrong} frames reached the sink ${expect === 'server' ? 'not rewritten to the server' : 'rewritten to the server'}`;
  return m;
}
