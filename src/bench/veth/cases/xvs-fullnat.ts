// src/bench/veth/cases/xvs-fullnat.ts — case "xvs-fullnat": `xvs run` with one worker, a
// fullnat UDP service on the VIP, the sink as its one server, LIPs on l1. Every flow makes a
// connection (checked from the final counters); the sink must see LIP -> server. Main thread.
import { startXvsCase } from './xvs-process.js';
import type { BenchCase } from './types.js';

export const xvsFullnat: BenchCase = {
  name: 'xvs-fullnat',
  describe: 'xvs run, fullnat, 1 worker (AF_XDP copy mode)',
  setup: (env) => startXvsCase(env, 'fullnat'),
};
