// src/health/quorum.ts — a service's quorum with hysteresis (keepalived semantics, counting
// servers rather than weights): a service that has quorum loses it when fewer than
// quorum - hysteresis servers are alive, and one without quorum regains it when at least
// quorum + hysteresis are; in between it keeps its current state, so one flapping server cannot
// swing all traffic between the servers and the sorry server. No server alive always means no
// quorum. The first evaluation, with no previous state, is plain alive >= quorum. Pure; runs
// wherever the monitor runs (the control thread).

export interface QuorumSettings {
  quorum: number; // ServiceConfig.quorum, ≥ 1
  hysteresis: number; // ServiceConfig.quorum_hysteresis, ≥ 0
}

/** Whether the service has quorum with `alive` servers, given whether it had it (undefined: first look). */
export function nextQuorumMet(previous: boolean | undefined, alive: number, { quorum, hysteresis }: QuorumSettings): boolean {
  if (alive <= 0) return false;
  if (previous === undefined) return alive >= quorum;
  if (previous) return !(alive < quorum - hysteresis);
  return alive >= quorum + hysteresis;
}
