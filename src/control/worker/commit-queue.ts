// src/control/worker/commit-queue.ts — runs the control worker's snapshot-changing tasks (start,
// reload, runtime weights, health re-commits, next-hop refreshes, stop) one after another. Every
// commit is asynchronous (built and encoded in time slices, decoded by the addon off the
// thread: Dataplane.apply), so without this queue a second change could start while the first
// is half built, and the two would commit out of order or over each other. Read-only requests
// (status, config, connections) do not queue: they see the last commit. Control worker thread.

export class CommitQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` once every task queued before it has settled; settles as the task does. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined); // one task's failure does not stop the next
    return result;
  }
}
