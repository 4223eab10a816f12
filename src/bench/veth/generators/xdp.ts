// src/bench/veth/generators/xdp.ts — generator "xdp": XDP live frames (BPF_PROG_RUN with
// XDP_TX of built frames on g0, native/bench/pktgen.h) in a child process (generator.ts), from
// `--flows` flows (SOURCE_BASE addresses × PORTS_PER_SOURCE ports), paced to `--rate` or flat
// out. Main thread; the child is bounded by `seconds`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { vethBenchNative } from '../../../native/addon.js';
import { waitForLine } from '../../../netns/lab.js';
import { GENERATOR_CPU, PORTS_PER_SOURCE, SOURCE_BASE, SOURCE_PORT_BASE, VIP, VIP_PORT, bpfObjects, pinnedNiced } from '../topology.js';
import type { Sent, VethGenerator } from './types.js';

let liveFrames: { refusal: string | undefined } | undefined;  // asked once
function liveFramesRefusal(): string | undefined {
  let refusal: string | null;
  try {
    refusal = vethBenchNative().vethLiveFramesRefusal();
  } catch (err) {
    // No addon: the missing build is what the run reports. Anything else (no XDP program loads)
    // stops every generator and the balancer alike: thrown.
    if ((err as { code?: string }).code === 'XVS_NO_ADDON') return undefined;
    throw err;
  }
  return refusal === null ? undefined : `${refusal}; run with --generator dpdk instead`;
}

const GENERATOR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'generator.js');

export const xdpGenerator: VethGenerator = {
  describe: `XDP live frames via BPF_PROG_RUN (sources ${SOURCE_BASE}/17, ${PORTS_PER_SOURCE} ports each)`,
  backPressured: false, // frames l0's full ring refuses are dropped, and counted as sent
  onCpu: 'BPF_PROG_RUN live frames',
  // Its BPF object is checked with the others (run.ts); the kernel is asked once whether it runs
  // live frames at all (run.ts asks only once root and namespaces are there).
  unavailable: () => (liveFrames ??= { refusal: liveFramesRefusal() }).refusal,
  async start(topo, options, seconds) {
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
      seconds,
      cpu: GENERATOR_CPU,
    };
    const gen = topo.spawnIn(topo.gen, [...pinnedNiced(GENERATOR_CPU), process.execPath, GENERATOR, JSON.stringify(params)]);
    const done = waitForLine(gen, (l) => l.startsWith('{'), (seconds + 15) * 1000);
    done.catch(() => undefined); // the caller awaits `finished`; a failure before then surfaces there
    await Promise.race([waitForLine(gen, (l) => l === 'running', 15_000), done]);
    return { finished: done.then((line) => JSON.parse(line) as Sent) };
  },
};
