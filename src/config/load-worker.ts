// src/config/load-worker.ts — loads one config file on a worker thread (loadConfigFileOffThread):
// parsing and validating 100 000 servers takes seconds (bench/README.md, control), which must not
// block the main thread's event loop (signals, the HTTP API). Consumes the path as workerData;
// posts { config } or { problems }. Runs on its own short-lived worker thread.
import { parentPort, workerData } from 'node:worker_threads';

import { loadConfigFile } from './load.js';
import { ConfigError } from './types.js';

try {
  parentPort?.postMessage({ config: loadConfigFile(workerData as string) });
} catch (err) {
  if (err instanceof ConfigError) parentPort?.postMessage({ problems: err.problems });
  else parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
