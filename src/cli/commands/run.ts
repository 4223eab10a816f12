// src/cli/commands/run.ts — `xvs run --config FILE`: start the data plane in the foreground
// through the control worker; SIGHUP reloads the file (an invalid file is logged and the running
// config kept), SIGTERM/SIGINT stop cleanly. Main thread: it relays, it holds no policy.
import { loadConfigFile } from '../../config/load.js';
import { ConfigError, type Config } from '../../config/types.js';
import { ControlClient, ControlRequestError } from '../../control/control-client.js';
import { createLogger, type Logger } from '../../log.js';
import { nonZero } from '../../stats/counters.js';
import type { CliCommand } from '../command.js';
import { CliError } from '../errors.js';

interface RunArgs {
  config: string;
}

function load(file: string): Config {
  try {
    return loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}

async function reload(file: string, control: ControlClient, log: Logger): Promise<void> {
  let config: Config;
  try {
    config = loadConfigFile(file);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems.map((p) => `${p.path}: ${p.message}`) : [String(err)];
    log.error({ event: 'reload_rejected', file, problems }, 'config rejected; the running configuration stays');
    return;
  }
  try {
    const result = await control.reload(config);
    log.info({ event: 'reloaded', file, generation: Number(result.generation), services: result.services }, 'config reloaded');
  } catch (err) {
    const e = err as ControlRequestError;
    log.error({ event: 'reload_failed', code: e.code, error: e.message }, 'reload failed; the running configuration stays');
  }
}

export const runCommand: CliCommand<RunArgs> = {
  command: 'run',
  describe: 'Run the load balancer in the foreground (SIGHUP reloads, SIGTERM/SIGINT stop)',
  builder: (y) =>
    y.option('config', { alias: 'f', type: 'string', demandOption: true, describe: 'YAML or JSON config file' }) as never,
  handler: async ({ config: file }) => {
    const config = load(file);
    const log = createLogger(config.log_level);
    const control = new ControlClient();
    try {
      const started = await control.start(config);
      log.info(
        {
          event: 'started',
          backend: config.dataplane.backend,
          workers: config.dataplane.workers,
          interfaces: config.dataplane.interfaces,
          services: started.services,
          generation: Number(started.generation),
        },
        'xvs running',
      );
    } catch (err) {
      await control.close();
      const e = err as ControlRequestError;
      throw new CliError(`cannot start the data plane: ${e.message}${e.code ? ` (${e.code})` : ''}`);
    }

    await new Promise<void>((resolve) => {
      let reloading = Promise.resolve();
      const onHup = () => {
        reloading = reloading.then(() => reload(file, control, log));
      };
      const onStop = (signal: NodeJS.Signals) => {
        process.off('SIGHUP', onHup);
        process.off('SIGINT', onStop);
        process.off('SIGTERM', onStop);
        log.info({ event: 'stopping', signal }, 'stopping');
        void reloading
          .then(() => control.stop())
          .then((last) => {
            log.info({ event: 'stopped', counters: last ? nonZero(last.counters.total) : {} }, 'stopped');
          })
          .catch((err: Error) => log.error({ event: 'stop_failed', error: err.message }, 'stop failed'))
          .finally(() => void control.close().then(resolve));
      };
      process.on('SIGHUP', onHup);
      process.on('SIGINT', onStop);
      process.on('SIGTERM', onStop);
    });
  },
};
