// src/service/systemd-notify.ts — `xvs run` under systemd (Type=notify, systemd/xvs.service):
// READY=1 once the first snapshot is live, RELOADING=1 / READY=1 around each reload, STOPPING=1
// on shutdown, STATUS= lines saying what runs, and WATCHDOG=1 at half of WatchdogSec while the
// control worker answers (a wedged control plane stops the pings, and systemd restarts xvs).
// Outside systemd ($NOTIFY_SOCKET unset) every call does nothing and the addon is not loaded.
// A datagram that cannot be sent is logged once, never fatal. Main thread.
import { serviceNotify } from '../native/addon.js';
import type { Logger } from '../log.js';

export class ServiceManager {
  private readonly socket: string | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private failed = false;

  constructor(
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.socket = env.NOTIFY_SOCKET || undefined;
    const usec = Number(env.WATCHDOG_USEC);
    // WATCHDOG_PID, when set, names the process the watchdog is for: not us, no pings.
    this.watchdogMs = this.socket && Number.isFinite(usec) && usec > 0 && (!env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid) ? usec / 1000 : undefined;
  }

  /** WatchdogSec in milliseconds, when systemd asked for pings (they come at half of it). */
  readonly watchdogMs: number | undefined;

  /** Under a service manager that listens. */
  get active(): boolean {
    return this.socket !== undefined;
  }

  private send(lines: string[]): void {
    if (!this.socket) return;
    // One datagram of KEY=VALUE lines: a value with a newline would add a field of its own.
    lines = lines.map((l) => l.replace(/[\r\n]+/g, ' '));
    try {
      serviceNotify(this.socket, `${lines.join('\n')}\n`);
    } catch (err) {
      if (!this.failed) this.log.warn({ event: 'notify_failed', socket: this.socket, error: (err as Error).message }, 'cannot notify the service manager');
      this.failed = true;
    }
  }

  ready(status: string): void {
    this.send(['READY=1', `STATUS=${status}`, `MAINPID=${process.pid}`]);
  }

  reloading(): void {
    // MONOTONIC_USEC lets Type=notify-reload match this to the reload it asked for.
    this.send(['RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`, 'STATUS=reloading']);
  }

  reloaded(status: string): void {
    this.send(['READY=1', `STATUS=${status}`]);
  }

  stopping(): void {
    this.stopWatchdog();
    this.send(['STOPPING=1', 'STATUS=stopping']);
  }

  /** Pings at half the watchdog period while `alive()` resolves true within it. */
  startWatchdog(alive: () => Promise<boolean>): void {
    if (this.watchdogMs === undefined || this.watchdog) return;
    const period = this.watchdogMs / 2;
    this.watchdog = setInterval(() => {
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), period).unref());
      void Promise.race([alive().catch(() => false), timeout]).then((ok) => {
        if (ok && this.watchdog) this.send(['WATCHDOG=1']);
      });
    }, period);
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }
}
