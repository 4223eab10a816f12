// src/bench/veth/cases/xvs-dr.ts — case "xvs-dr": `xvs run` with one worker, a dr UDP service
// on the VIP, the sink as its server. Two arms: the server sits on l1's segment, so dr only
// changes the MACs and sends the frame out of l1 (the sink would answer the client directly on
// a real site; here it counts and drops). The sink sees the frames still addressed to the VIP.
// Main thread.
import { startXvsCase } from './xvs-process.js';
import type { BenchCase } from './types.js';

export const xvsDr: BenchCase = {
  name: 'xvs-dr',
  describe: 'xvs run, dr, 1 worker (two arms: server on l1)',
  setup: (env) => startXvsCase(env, 'dr'),
};
