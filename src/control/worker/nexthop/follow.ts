// src/control/worker/nexthop/follow.ts — turns the kernel's route/neighbour notifications (a
// RouteMonitor from the addon) into next-hop refreshes for the control thread: it consumes
// RouteChanges, and produces calls of refresh(scope) — the neighbours named, or everything.
//
// - Debounce: the first notification opens a short window (debounceMs); everything that arrives
//   in it is merged into one refresh at its end. The window does not slide, so a steady stream
//   of notifications still refreshes every debounceMs rather than never.
// - Scope: a neighbour notification names the neighbour, so only the servers depending on it are
//   re-resolved; route changes, link and address changes, and lost notifications (overflow,
//   ENOBUFS) re-resolve everything (links and addresses re-read the interfaces too).
// - Safety re-resolve (everything, every safetyMs, 30 s): the notifications do not cover every
//   way a next hop can move — policy rules and nexthop objects have groups of their own, some
//   neighbour transitions are not notified, notifications can be lost without the kernel
//   telling (a namespace moved under us) — and a neighbour that failed to resolve is solicited
//   again at least this often. It is cheap: two netlink queries per server.
// - Whenever the monitor opens, everything is re-resolved once: what happened before it
//   listened is unknown. If it cannot open, or fails (reported through onMonitorError), next hops
//   are re-resolved every fallbackMs (1 s, as before notifications were followed) and the
//   monitor is opened again at each of those ticks.
// Runs on the control thread; timers are the thread's own (setTimeout).
import type { RouteChanges, RouteMonitor } from '../../../native/addon.js';
import type { NextHopScope } from '../next-hop-refresh.js';

export interface FollowOptions {
  /** Opens the kernel subscription (openRouteMonitor); may throw. */
  open(onChanges: (changes: RouteChanges) => void): RouteMonitor;
  /** Re-resolves what `scope` concerns and commits if something changed; must not throw. */
  refresh(scope: NextHopScope): void;
  /** The monitor could not open, or stopped: next hops fall back to polling until it reopens. Once per outage. */
  onMonitorError(message: string): void;
  debounceMs?: number;
  safetyMs?: number;
  fallbackMs?: number;
}

export const FOLLOW_DEBOUNCE_MS = 30;
export const FOLLOW_SAFETY_MS = 30_000;
export const FOLLOW_FALLBACK_MS = 1000;

export class NextHopFollower {
  private monitor: RouteMonitor | undefined;
  private everything = false;
  private links = false;
  private readonly neighbours = new Set<string>();
  private debounceTimer: ReturnType<typeof setTimeout> | undefined;
  private periodicTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private failureReported = false;  // one report per outage, not one per reopening attempt
  private readonly debounceMs: number;
  private readonly safetyMs: number;
  private readonly fallbackMs: number;

  constructor(private readonly options: FollowOptions) {
    this.debounceMs = options.debounceMs ?? FOLLOW_DEBOUNCE_MS;
    this.safetyMs = options.safetyMs ?? FOLLOW_SAFETY_MS;
    this.fallbackMs = options.fallbackMs ?? FOLLOW_FALLBACK_MS;
    for (const [name, ms] of [['debounceMs', this.debounceMs], ['safetyMs', this.safetyMs], ['fallbackMs', this.fallbackMs]] as const)
      if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`NextHopFollower: ${name} must be a positive number of ms, not ${ms}`);
    this.openMonitor();
    this.schedulePeriodic();
  }

  /** True while the kernel's notifications are followed (false: polling every fallbackMs). */
  get listening(): boolean {
    return this.monitor !== undefined;
  }

  /** Stops the monitor and every timer; idempotent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.debounceTimer);
    clearTimeout(this.periodicTimer);
    this.debounceTimer = this.periodicTimer = undefined;
    this.monitor?.close();
    this.monitor = undefined;
  }

  private openMonitor(): void {
    try {
      this.monitor = this.options.open((changes) => this.onChanges(changes));
    } catch (err) {
      this.monitor = undefined;
      this.reportFailure((err as Error)?.message ?? String(err));
      return;
    }
    this.failureReported = false;
    this.note({ everything: true, links: true });
  }

  private reportFailure(message: string): void {
    if (this.failureReported) return;
    this.failureReported = true;
    this.options.onMonitorError(message);
  }

  private onChanges(changes: RouteChanges): void {
    if (this.closed) return;
    if (changes.error !== undefined) {
      this.monitor?.close();
      this.monitor = undefined;
      this.reportFailure(changes.error);
      // Re-arm the periodic timer at the fallback pace at once, not after up to safetyMs.
      this.schedulePeriodic();
    }
    const links = changes.links || changes.addresses;
    this.note({
      everything: links || changes.routes || changes.overflow || changes.error !== undefined,
      links,
      neighbours: changes.neighbours.map((n) => n.address),
    });
  }

  private note(what: { everything: boolean; links: boolean; neighbours?: string[] }): void {
    this.everything ||= what.everything;
    this.links ||= what.links;
    for (const address of what.neighbours ?? []) this.neighbours.add(address);
    if (!this.everything && this.neighbours.size === 0) return;
    this.debounceTimer ??= setTimeout(() => this.flush(), this.debounceMs);
  }

  private flush(): void {
    this.debounceTimer = undefined;
    if (this.closed) return;
    const scope: NextHopScope = this.everything
      ? { kind: 'all', links: this.links }
      : { kind: 'neighbours', addresses: new Set(this.neighbours) };
    this.everything = this.links = false;
    this.neighbours.clear();
    this.options.refresh(scope);
  }

  private schedulePeriodic(): void {
    clearTimeout(this.periodicTimer);
    this.periodicTimer = setTimeout(() => this.onPeriodic(), this.monitor ? this.safetyMs : this.fallbackMs);
  }

  private onPeriodic(): void {
    this.periodicTimer = undefined;
    if (this.closed) return;
    if (this.monitor) this.note({ everything: true, links: true });
    else this.openMonitor();  // notes everything when it opens
    if (!this.monitor) this.note({ everything: true, links: false });
    this.schedulePeriodic();
  }
}
