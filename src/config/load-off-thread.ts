// src/config/load-off-thread.ts — loadConfigFile on a short-lived worker thread, for reloads of
// `xvs run`: the main thread stays responsive while a large file is parsed and validated.
// Resolves with the Config or rejects with the same ConfigError loadConfigFile throws. Main thread.
import { Worker } from 'node:worker_threads';

import { ConfigError, type Config, type ConfigProblem } from './types.js';

type Reply = { config: Config } | { problems: ConfigProblem[] } | { error: string };

export function loadConfigFileOffThread(path: string): Promise<Config> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: path });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if ('config' in reply) resolve(reply.config);
      else if ('problems' in reply) reject(new ConfigError(reply.problems));
      else reject(new Error(reply.error));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the config loader thread exited (${code}) without an answer`));
    });
  });
}
