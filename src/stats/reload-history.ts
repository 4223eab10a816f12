// src/stats/reload-history.ts — how the reloads of `xvs run` went, for /metrics
// (xvs_reloads_total, xvs_config_last_reload_*; Prometheus's own prometheus_config_* pattern):
// successes, failures, whether the last one worked and when the running configuration was
// loaded. Written by the run loop after each reload, read by the metrics exporter. Main thread.
export class ReloadHistory {
  successes = 0;
  failures = 0;
  /** false from a failed reload until the next successful one. */
  lastOk = true;
  /** When the running configuration was loaded: the start, then each successful reload (ms since the epoch). */
  lastSuccessMs: number;

  constructor(startedMs = Date.now()) {
    this.lastSuccessMs = startedMs;
  }

  record(ok: boolean, atMs = Date.now()): void {
    this.lastOk = ok;
    if (ok) {
      this.successes++;
      this.lastSuccessMs = atMs;
    } else {
      this.failures++;
    }
  }
}
