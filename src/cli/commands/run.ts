// src/cli/commands/run.ts — `xvs run --config FILE`: start the data plane in the foreground
// through the control worker and serve the HTTP API on api.listen; SIGHUP and POST /reload
// reload the file through one queue (an invalid file is logged and the running config kept),
// SIGTERM/SIGINT stop cleanly, leaving the Full-NAT tuples the servers may still hold in
// dataplane.state_dir for the next start. Under systemd (Type=notify) it tells the service manager
// when it is ready, reloading and stopping, and pings its watchdog (service/systemd-notify.ts). Main thread: it relays, it holds no policy.
import type { Requester } from '../../api/requester.js';
import type { ApiContext } from '../../api/route.js';
import { startApiServer, type ApiStartOptions, type ApiServer } from '../../api/server.js';
import { loadConfigFile } from '../../config/load.js';
import { ConfigError, type Config } from '../../config/types.js';
import { hostWarnings } from '../../config/host-warnings.js';
import { configWarnings } from '../../config/warnings.js';
import { ControlClient, ControlRequestError } from '../../control/main/client.js';
import { logControlEvent } from '../../control/main/event-log.js';
import { apiAccess, LiveSettings } from '../../control/main/live-settings.js';
import { portHoldDirExists, portHoldPath, readPortHolds, writePortHolds } from '../../control/main/port-hold-file.js';
import { reloadFile, warnUnresolved, type ReloadOutcome } from '../../control/main/reload-file.js';
import { SerialQueue } from '../../control/main/serial-queue.js';
import { createLogger, LOG_FORMATS, type LogFormat } from '../../log.js';
import type { StartResult } from '../../control/protocol.js';
import { ServiceManager } from '../../service/systemd-notify.js';
import { nonZero } from '../../stats/counters.js';
import { MetricsExporter } from '../../stats/metrics.js';
import { ReloadHistory } from '../../stats/reload-history.js';
import type { CliCommand } from '../command.js';
import { CliError } from '../errors.js';

interface RunArgs {
  config: string;
  'log-format': LogFormat;
}

/** The service manager's one-line status of a running instance. */
function runningStatus(r: StartResult, api: string): string {
  return `running: generation ${r.generation}, ${r.services} services, API on ${api}`;
}

function load(file: string): Config {
  try {
    return loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}

export const runCommand: CliCommand<RunArgs> = {
  command: 'run',
  describe: 'Run the load balancer in the foreground (SIGHUP reloads, SIGTERM/SIGINT stop)',
  builder: (y) =>
    y
      .option('config', { alias: 'f', type: 'string', demandOption: true, describe: 'YAML or JSON config file' })
      .option('log-format', {
        choices: LOG_FORMATS,
        default: 'json' as LogFormat,
        describe: 'json: one JSON object per line (for log shippers); pretty: a human-readable line per entry',
      }) as never,
  handler: async ({ config: file, 'log-format': format }) => {
    const config = load(file);
    const log = createLogger(config.log_level, format);
    const control = new ControlClient();
    const manager = new ServiceManager(log);

    // Handlers go in before anything is announced: a signal that arrives before its handler
    // would take the default action (SIGHUP and SIGTERM terminate the process).
    // One queue for start, reloads (SIGHUP or API) and stop: a reload never overtakes another,
    // and reloads requested while one waits join it.
    const steps = new SerialQueue<ReloadOutcome>();
    const reloads = new ReloadHistory();
    let settings: LiveSettings | undefined; // once the API listens
    let stopping = false; // no reload begins after a stop was asked for
    // Reloads asked for while one waits join it: the log names who asked for the one that runs.
    const queueReload = (by: Requester): Promise<ReloadOutcome> =>
      steps.coalesced(async () => {
        if (!settings) return { ok: false, file, code: 'XVS_ESTATE', message: 'xvs is still starting: reload again once it runs' };
        if (stopping) return { ok: false, file, code: 'XVS_ESTATE', message: 'xvs is stopping: no reload' };
        manager.reloading();
        const outcome = await reloadFile(file, control, log, settings, by);
        reloads.record(outcome.ok);
        manager.reloaded(outcome.ok ? runningStatus(outcome.result, settings.apiServer.address) : `running; the last reload failed: ${outcome.message}`);
        return outcome;
      });
    const onHup = () => void queueReload({ via: 'SIGHUP' });
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

    control.onEvent = (e) => logControlEvent(log, e);
    // The API listens first: a port already taken fails the start before the data plane exists.
    let api: ApiServer | undefined;
    const apiContext: ApiContext = {
      control,
      reload: queueReload,
      metrics: new MetricsExporter({ backend: config.dataplane.backend, reloads }),
      log,
      tokenRequired: () => settings?.tokenRequired ?? config.api.token_file !== undefined,
    };
    const bindApi = (listen: string, access: ApiStartOptions) => startApiServer(listen, apiContext, log, access);
    try {
      api = await bindApi(config.api.listen, apiAccess(config.api));
      settings = new LiveSettings(log, api, config, bindApi);
    } catch (err) {
      removeHandlers();
      await control.close();
      throw new CliError((err as Error).message);
    }
    const holdFile = portHoldPath(config.dataplane.state_dir);
    const keepHolds = portHoldDirExists(holdFile);
    if (!keepHolds && config.services.some((s) => s.forwarding === 'fullnat'))
      log.warn(
        { event: 'no_state_dir', state_dir: config.dataplane.state_dir },
        `dataplane.state_dir ${config.dataplane.state_dir} does not exist: after a restart, Full-NAT clients may get tuples their servers still hold (1 s stalls); create it, or point state_dir at a directory`,
      );
    const previous = readPortHolds(holdFile, config.dataplane.workers * config.dataplane.conn_table_size);
    if (previous.problem) log.warn({ event: 'port_holds_unreadable', file: holdFile }, previous.problem);
    const starting = steps.then(() => control.start(config, previous.holds));
    try {
      const started = await starting;
      for (const warning of started.warnings ?? []) log.warn({ event: 'backend_warning' }, warning);
      for (const warning of [...configWarnings(config), ...hostWarnings(config)]) log.warn({ event: 'config_warning' }, warning);
      log.info(
        {
          event: 'started',
          backend: config.dataplane.backend,
          workers: config.dataplane.workers,
          interfaces: config.dataplane.interfaces,
          services: started.services,
          generation: Number(started.generation),
          io: started.backend,
          api: api.address,
        },
        'xvs running',
      );
      warnUnresolved(log, started.unresolved);
      manager.ready(runningStatus(started, api.address));
      manager.startWatchdog(async () => (await control.ping(), true));
      if (started.portHoldsKept)
        log.info({ event: 'port_holds_restored', file: holdFile, held: started.portHoldsKept }, 'Full-NAT tuples the servers may still hold: kept from other clients');
    } catch (err) {
      removeHandlers();
      await api.close();
      await control.close();
      const e = err as ControlRequestError;
      throw new CliError(`cannot start the data plane: ${e.message}${e.code ? ` (${e.code})` : ''}`);
    }

    const signal = await stopRequested;
    stopping = true;
    process.off('SIGHUP', onHup);
    log.info({ event: 'stopping', signal }, 'stopping');
    manager.stopping();
    try {
      await steps.idle();
      const last = await control.stop();
      log.info(
        {
          event: 'stopped',
          counters: last ? nonZero(last.counters.total) : {},
          ...(last?.engine.fastPath ? { fastPath: last.engine.fastPath } : {}),
          ...(last?.engine.frames ? { frames: last.engine.frames } : {}),
        },
        'stopped',
      );
      if (last && keepHolds) {
        try {
          writePortHolds(holdFile, last.portHolds);
        } catch (err) {
          log.warn({ event: 'port_holds_unsaved', file: holdFile, error: (err as Error).message }, 'the next start cannot keep the held Full-NAT tuples');
        }
      }
      if (last?.engine.frames && last.engine.frames.lost !== 0)
        log.error({ event: 'frames_lost', frames: last.engine.frames }, 'the I/O backend did not get every frame back');
    } catch (err) {
      log.error({ event: 'stop_failed', error: (err as Error).message }, 'stop failed');
      throw new CliError(`stop failed: ${(err as Error).message}`);
    } finally {
      removeHandlers();
      await settings.apiServer.close();
      await control.close();
    }
  },
};
