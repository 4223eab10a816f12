// src/bench/veth/forwarder.ts — the "I/O loop only" balancer of `xvs bench veth`, started in
// the balancer namespace instead of `xvs run` (`node forwarder.js CONFIG_FILE`). It builds the
// same engine `xvs run` would for the config (same AF_XDP backend, steering program, worker,
// CPU pinning, snapshot, next hops) but with the bench-only engine option forwardOnly: the
// worker skips lb::process and sends every frame out to the first server's next hop with only
// its MACs rewritten (native/bench/forward_only.h). Prints the same JSON log lines as
// `xvs run` ("started", then "stopped" with the summed counters) so src/demo/balancer.ts can
// drive it. Its main thread owns the engine; runs until SIGTERM/SIGINT.
import { loadConfigFile } from '../../config/load.js';
import { Dataplane } from '../../control/worker/dataplane.js';
import { nonZero } from '../../stats/counters.js';

const log = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ level: 30, name: 'xvs', ...record })}\n`);

try {
  const file = process.argv[2];
  if (!file) throw new Error('usage: forwarder.js CONFIG_FILE');
  const config = loadConfigFile(file);
  const dataplane = Dataplane.create(config, { forwardOnly: true });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    dataplane.stop();
    // Workers publish their counters once more when they exit; the engine keeps them.
    const counters = nonZero(dataplane.counters().total);
    log({ event: 'stopped', counters, msg: 'stopped' });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await dataplane.apply(config, { waitForNextHopsMs: 3000 });
    dataplane.start();
  } catch (err) {
    dataplane.stop();
    throw err;
  }
  const unresolved = dataplane.unresolvedNextHops();
  log({ event: 'started', mode: 'forward-only', io: dataplane.describe().backend, msg: 'xvs I/O loop only (bench)' });
  if (unresolved.length > 0) log({ level: 40, event: 'nexthops_unresolved', servers: unresolved, msg: 'next hops not resolved' });
  // Keeps the event loop alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
} catch (err) {
  process.stderr.write(`xvs bench veth: forwarder: ${(err as Error).message}\n`);
  process.exit(1);
}
