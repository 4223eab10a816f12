// src/health/transition-log.ts — the log lines of the health subsystem: one pino JSON line per
// server transition (service, server, from, to, reason, latency; a warning when going down), per
// quorum transition, and per run of probes that could not run. Consumes transitions from
// monitor.ts; produces log lines. Runs on the monitor's thread (the control thread).
import type { Logger } from '../log.js';
import type { QuorumTransition, ServerTransition } from './types.js';

export function logServerTransition(logger: Logger, t: ServerTransition): void {
  logger[t.to === 'down' ? 'warn' : 'info'](
    {
      event: 'health_transition',
      service: t.service,
      server: t.server,
      from: t.from,
      to: t.to,
      reason: t.reason,
      latency_ms: t.latencyMs,
      successes: t.successes,
      failures: t.failures,
    },
    `server ${t.server} of service ${t.service} is ${t.to}: ${t.reason}`,
  );
}

export function logQuorumTransition(logger: Logger, t: QuorumTransition, hasSorryServer: boolean): void {
  const fallback = hasSorryServer ? 'the sorry server' : 'the servers still up';
  logger[t.to ? 'info' : 'warn'](
    {
      event: 'quorum_transition',
      service: t.service,
      quorum: t.to ? 'met' : 'lost',
      alive: t.alive,
      required: t.quorum,
      hysteresis: t.hysteresis,
      reason: t.reason,
    },
    t.to
      ? `service ${t.service} has quorum again (${t.alive} alive): traffic goes back to its servers`
      : `service ${t.service} lost quorum (${t.alive} alive, quorum ${t.quorum}): traffic goes to ${fallback}`,
  );
}

/** Logged once per run of failures to run a probe (pool queue full, pool closed). */
export function logProbeError(logger: Logger, service: string, server: string, err: unknown): void {
  logger.error(
    { event: 'health_probe_error', service, server, error: err instanceof Error ? err.message : String(err) },
    `the probe of server ${server} of service ${service} could not run; its state is kept`,
  );
}
