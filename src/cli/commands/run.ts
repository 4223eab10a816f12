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

    // Handlers go in before anything is announced: a signal that arrives before its handler
    // would take the default action (SIGHUP and SIGTERM terminate the process).
    let ready: Promise<unknown> = Promise.resolve();
    const onHup = () => {
      ready = ready.then(() => reload(file, control, log));
    };
    let requestStop: (signal: NodeJS.Signals) => void = () => {};
    const stopRequested = new Promise<NodeJS.Signals>((resolve) => (requestStop = resolve));
    process.on('SIGHUP', onHup);
    process.on('SIGINT', requestStop);
    process.on('SIGTERM', requestStop);
    const removeHandlers = () => {
      process.off('SIGHUP', onHup);
      process.off('SIGINT', requestStop);
      process.off('SIGTERM', requestStop);
    };

    const starting = control.start(config);
    ready = starting;
    try {
      const started = await starting;
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
      removeHandlers();
      await control.close();
      const e = err as ControlRequestError;
      throw new CliError(`cannot start the data plane: ${e.message}${e.code ? ` (${e.code})` : ''}`);
    }

    const signal = await stopRequested;
    process.off('SIGHUP', onHup);
    log.info({ event: 'stopping', signal }, 'stopping');
    try {
      await ready.catch(() => undefined);
      const last = await control.stop();
      log.info({ event: 'stopped', counters: last ? nonZero(last.counters.total) : {} }, 'stopped');
    } catch (err) {
      log.error({ event: 'stop_failed', error: (err as Error).message }, 'stop failed');
      throw new CliError(`stop failed: ${(err as Error).message}`);
    } finally {
      removeHandlers();
      await control.close();
    }
  },
};
