// src/control/main/live-settings.ts — what a reload changes on the main thread itself: the
// logger's level (log_level) and the HTTP API. A new api.listen gets its server bound, held (it
// answers nothing yet), before the data plane's reload commits, so that an address in use refuses
// the whole reload; once the reload committed, the old server stops taking connections (the POST
// /reload that moved it still gets its answer) and the new one serves. The same port on another
// host (127.0.0.1:P to 0.0.0.0:P) cannot be bound beside the old server: it stops listening first,
// and listens again if the move fails. New api.hosts or api.token_file (its token re-read: a reload rotates it) apply
// to the requests that follow. It also keeps the configuration in force, for what a reload says it
// changed. Consumes the running and the next Config; produces the names of the fields it applied.
// Main thread.
import type { ApiGuardOptions, ApiServer, ApiStartOptions } from '../../api/server.js';
import { readApiToken } from '../../api/token.js';
import { splitListen } from '../../config/address.js';
import type { Config } from '../../config/types.js';
import type { Logger } from '../../log.js';

/** How long requests in progress on a moved API's old address may take to finish. */
export const API_RETIRE_GRACE_MS = 5_000;


export interface PendingSettings {
  /** Applies them (after the data plane's reload committed); the names of what changed. */
  commit(): string[];
  /** Undoes the preparation (the data plane's reload was refused). */
  abort(): Promise<void>;
}

/** The access rules of api.hosts and api.token_file (the token read now). Throws naming the field. */
export function apiAccess(api: Config['api']): ApiGuardOptions {
  return { ...(api.hosts ? { hosts: api.hosts } : {}), ...(api.token_file !== undefined ? { token: readApiToken(api.token_file) } : {}) };
}

export class LiveSettings {
  private access: ApiGuardOptions;

  constructor(
    private readonly log: Logger,
    private api: ApiServer,
    private running: Config,
    private readonly bind: (listen: string, access: ApiStartOptions) => Promise<ApiServer>,
  ) {
    this.access = apiAccess(running.api);
  }

  /** The API server in use now. */
  get apiServer(): ApiServer {
    return this.api;
  }

  /** The configuration in force: the start's, then each committed reload's. */
  get config(): Config {
    return this.running;
  }

  /** Whether API requests must carry the bearer token now. */
  get tokenRequired(): boolean {
    return this.access.token !== undefined;
  }

  /** Reads and binds what `next` needs; throws (one line) when it cannot, leaving everything as it was. */
  async prepare(next: Config): Promise<PendingSettings> {
    const access = apiAccess(next.api);
    const moved = next.api.listen !== this.running.api.listen;
    // Bound held: it answers nothing until the reload has committed (its settings are not in force before).
    const bindHeld = () => this.bind(next.api.listen, { ...access, held: true });
    let fresh: ApiServer | undefined;
    let oldStopped = false;
    if (moved) {
      try {
        fresh = await bindHeld();
      } catch (err) {
        // The same port on another host (127.0.0.1:P to 0.0.0.0:P): the old server holds it until it stops listening.
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || splitListen(next.api.listen).port !== splitListen(this.running.api.listen).port) throw err;
        // Only the listening stops: the request that asked for the reload waits for its answer, however long the reload takes.
        this.api.stopListening();
        oldStopped = true;
        try {
          fresh = await bindHeld();
        } catch (again) {
          await this.rebindOld();
          throw again;
        }
      }
    }
    return {
      commit: () => {
        const applied: string[] = [];
        if (next.log_level !== this.running.log_level) {
          this.log.level = next.log_level;
          applied.push('log_level');
        }
        if (fresh) {
          this.api.retire(API_RETIRE_GRACE_MS);
          this.api = fresh;
          fresh.open();
          applied.push('api.listen');
        }
        if (JSON.stringify(next.api.hosts ?? []) !== JSON.stringify(this.running.api.hosts ?? [])) applied.push('api.hosts');
        if (access.token !== this.access.token) applied.push('api.token_file');
        if (!fresh) this.api.setAccess(access);
        this.access = access;
        this.running = next;
        return applied;
      },
      abort: async () => {
        await fresh?.close();
        if (oldStopped) await this.rebindOld();
      },
    };
  }

  /** Back on the running address after a move that did not happen; without it the API is gone: said loudly. */
  private async rebindOld(): Promise<void> {
    try {
      const old = this.api;
      this.api = await this.bind(this.running.api.listen, this.access);
      old.retire(API_RETIRE_GRACE_MS);
    } catch (err) {
      this.log.error({ event: 'api_lost', listen: this.running.api.listen, error: (err as Error).message }, 'the API could not listen again on its address: restart xvs to get it back');
    }
  }
}

