// src/bench/veth/measure.ts — one measurement of `xvs bench veth` on whatever path is set up:
// starts the generator process in the generator namespace (pinned to the generator CPU), waits
// for the warm-up, reads the sink's counters, waits the window, reads them again, then waits
// for the generator to finish (it runs warm-up + window + a short tail, so the window never
// sees it start or stop). Produces packets/s delivered to the sink over the window (from the
// counter the path must move: rewritten to the server, or still to the VIP) and the offered
// rate. Main thread; bounded in time.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { waitForLine } from '../../netns/lab.js';
import type { VethOptions } from './options.js';
import {
  GENERATOR_CPU,
  PORTS_PER_SOURCE,
  SOURCE_BASE,
  SOURCE_PORT_BASE,
  VIP,
  VIP_PORT,
  bpfObjects,
  pinnedNiced,
  type VethTopology,
} from './topology.js';

const GENERATOR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'generator.js');
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
  const { g0, l0 } = topo.links;
  const params = {
    object: bpfObjects().pktgen,
    iface: topo.g0,
    srcMac: g0.mac,
    dstMac: l0.mac,
    srcBase: SOURCE_BASE,
    dstAddr: VIP,
    dstPort: VIP_PORT,
    srcPortBase: SOURCE_PORT_BASE,
    flows: options.flows,
    portsPerAddress: PORTS_PER_SOURCE,
    rate: options.rate,
    seconds: options.warmup + options.seconds + TAIL_SECONDS,
    cpu: GENERATOR_CPU,
  };
  const gen = topo.spawnIn(topo.gen, [...pinnedNiced(GENERATOR_CPU), process.execPath, GENERATOR, JSON.stringify(params)]);
  const finished = waitForLine(gen, (l) => l.startsWith('{'), (params.seconds + 15) * 1000);
  finished.catch(() => undefined); // awaited below; a failure before then surfaces there
  await Promise.race([waitForLine(gen, (l) => l === 'running', 15_000), finished]);
  await sleep(options.warmup * 1000);
  const before = topo.readSink();
  const t0 = process.hrtime.bigint();
  await sleep(options.seconds * 1000);
  const after = topo.readSink();
  const window = Number(process.hrtime.bigint() - t0) / 1e9;
  const generated = JSON.parse(await finished) as { frames: number; seconds: number };

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
