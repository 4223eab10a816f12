// src/control/main/reload-file.ts — the one reload path of `xvs run`, for SIGHUP and POST /reload
// alike: re-read the file, validate it, prepare the main thread's own settings (live-settings.ts),
// hand the rest to the control worker, apply, log what happened. An invalid file, an API address
// in use, a start-only field changed (start-only.ts) or a refused commit leaves the running
// configuration in place and says why.
// Consumes the file path, the ControlClient and the logger; produces a ReloadOutcome. Main
// thread (it relays; the control worker applies).
import { loadConfigFileOffThread } from '../../config/load-off-thread.js';
import { ConfigError, formatProblem, type Config } from '../../config/types.js';
import type { Logger } from '../../log.js';
import { ControlRequestError, type ControlClient } from './client.js';
import type { StartResult } from '../protocol.js';
import type { LiveSettings, PendingSettings } from './live-settings.js';
import { describeRequester, type Requester } from '../../api/requester.js';
import { serviceChanges } from '../../config/service-changes.js';

export type ReloadOutcome =
  | { ok: true; file: string; result: StartResult }
  /** code XVS_CONFIG_INVALID: `problems` lists every problem of the file, one line each. */
  | { ok: false; file: string; code: string; message: string; problems?: string[] };

export function warnUnresolved(log: Logger, unresolved: string[]): void {
  if (unresolved.length > 0)
    log.warn({ event: 'nexthops_unresolved', servers: unresolved }, 'next hops not resolved yet: packets to these servers are dropped until they are');
}

export async function reloadFile(file: string, control: ControlClient, log: Logger, settings: LiveSettings, by: Requester): Promise<ReloadOutcome> {
  let config: Config;
  try {
    // Off the main thread: a large file takes seconds to parse (bench/README.md, control).
    config = await loadConfigFileOffThread(file);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems.map(formatProblem) : [String(err)];
    log.error({ event: 'reload_rejected', file, problems, by }, `config rejected; the running configuration stays${describeRequester(by)}`);
    return { ok: false, file, code: 'XVS_CONFIG_INVALID', message: `${file} is invalid; the running configuration stays`, problems };
  }
  let pending: PendingSettings;
  try {
    pending = await settings.prepare(config);
  } catch (err) {
    const message = `${(err as Error).message}; the running configuration stays`;
    log.error({ event: 'reload_failed', code: 'XVS_EINVAL', error: message, by }, `reload failed; the running configuration stays${describeRequester(by)}`);
    return { ok: false, file, code: 'XVS_EINVAL', message };
  }
  const before = settings.config;
  let result: StartResult;
  try {
    result = await control.reload(config);
  } catch (err) {
    // Only a refused data-plane reload undoes the prepared settings: after it, they are live.
    await pending.abort();
    const e = err as ControlRequestError;
    const code = e instanceof ControlRequestError ? e.code : 'XVS_INTERNAL';
    log.error({ event: 'reload_failed', code, error: e.message, by }, `reload failed; the running configuration stays${describeRequester(by)}`);
    return { ok: false, file, code, message: `reload failed; the running configuration stays: ${e.message}` };
  }
  const applied = pending.commit();
  const changes = serviceChanges(before, config);
  log.info(
    {
      event: 'reloaded',
      file,
      generation: Number(result.generation),
      services: result.services,
      ...Object.fromEntries(Object.entries({ services_added: changes.added, services_removed: changes.removed, services_changed: changes.changed }).filter(([, v]) => v.length)),
      ...(applied.length ? { applied } : {}),
      by,
    },
    `config reloaded${describeRequester(by)}`,
  );
  warnUnresolved(log, result.unresolved);
  if (result.overridesDropped?.length)
    log.warn({ event: 'overrides_dropped', overrides: result.overridesDropped }, 'the reloaded file ended these runtime weight changes');
  return { ok: true, file, result };
}
