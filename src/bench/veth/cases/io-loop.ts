// src/bench/veth/cases/io-loop.ts — case "io-loop": the xvs worker loop and AF_XDP backend of
// the fullnat case with no balancing logic (the engine's bench-only forwardOnly option: MACs
// rewritten, no lb::process), i.e. the ceiling of xvs's own I/O path on this machine. Runs
// src/bench/veth/forwarder.ts instead of `xvs run`. Main thread.
import { startXvsCase } from './xvs-process.js';
import type { BenchCase } from './types.js';

export const ioLoop: BenchCase = {
  name: 'io-loop',
  describe: 'xvs worker loop + AF_XDP, no lb::process (forwardOnly)',
  setup: (env) => startXvsCase(env, 'fullnat', true),
};
