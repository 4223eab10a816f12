// src/control/main/serial-queue.ts — the order of `xvs run`'s control steps: start, reloads
// (SIGHUP and POST /reload) and stop run one after the other, never overlapping. Reloads
// coalesce: while one waits to start, later requests join it (they would re-read the same file
// anyway), so a burst of signals or API calls costs at most one running and one waiting reload,
// however long it is. Main thread.

export class SerialQueue<T> {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting: Promise<T> | undefined;

  /** Runs `step` after everything queued before it; its result (or failure) is the caller's. */
  then<R>(step: () => Promise<R>): Promise<R> {
    const result = this.tail.then(step);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Queues `reload`, or joins the one already waiting to start. */
  coalesced(reload: () => Promise<T>): Promise<T> {
    if (this.waiting) return this.waiting;
    const waiting = this.then(() => {
      this.waiting = undefined;  // started: a request from now on needs a reload of its own
      return reload();
    });
    this.waiting = waiting;
    return waiting;
  }

  /** Resolves once everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
