// src/bench/veth/generator.ts — the generator process of `xvs bench veth`, started inside the
// generator namespace (`ip netns exec NS node generator.js PARAMS_JSON`). Prints "running",
// then runs the native generator (native/bench/pktgen.h: BPF_PROG_RUN with live frames on the
// generator's veth, pinned to one CPU) for the given seconds on its main thread, which it
// blocks, and prints one JSON line {frames, calls, seconds}. Errors: one line on stderr, exit 1.
// Bounded by `seconds`; SIGTERM ends it at once (no handler is installed).
import { vethBenchNative, type PktgenParams } from '../../native/addon.js';

try {
  const params = JSON.parse(process.argv[2] ?? '') as Omit<PktgenParams, 'srcMac' | 'dstMac'> & { srcMac: string; dstMac: string };
  const mac = (text: string) => Uint8Array.from(text.split(':').map((h) => Number.parseInt(h, 16)));
  process.stdout.write('running\n');
  const result = vethBenchNative().vethPktgen({ ...params, srcMac: mac(params.srcMac), dstMac: mac(params.dstMac) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
  process.stderr.write(`xvs bench veth: generator: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
