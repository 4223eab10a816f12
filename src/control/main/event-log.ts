// src/control/main/event-log.ts — the log lines of what the control worker does on its own
// initiative (ControlEvent): next hops followed and re-committed, the route monitor failing,
// health transitions (one JSON line each: service, server, reason, latency) and their commits,
// BGP sessions, announced routes and speaker failures; at debug, every commit with its size and
// timings.
// Runs on the main thread, the one writer of the log.
import { logQuorumTransition, logServerTransition } from '../../health/transition-log.js';
import type { Logger } from '../../log.js';
import type { ControlEvent } from '../protocol.js';
import { warnUnresolved } from './reload-file.js';

export function logControlEvent(log: Logger, e: ControlEvent): void {
  switch (e.event) {
    case 'nexthops_changed':
      log.info({ event: e.event, generation: Number(e.generation), unresolved: e.unresolved.length }, 'next hops changed: configuration committed again');
      warnUnresolved(log, e.unresolved);
      return;
    case 'nexthops_failed':
      log.error({ event: e.event, code: e.code, error: e.message }, 'next hops changed but the commit failed');
      return;
    case 'route_monitor_failed':
      log.warn(
        { event: e.event, code: e.code, error: e.message },
        'cannot follow the kernel route and neighbour changes: next hops are re-resolved every second instead',
      );
      return;
    case 'health':
      if (e.transition.kind === 'server') logServerTransition(log, e.transition);
      else logQuorumTransition(log, e.transition, e.hasSorryServer);
      return;
    case 'health_committed':
      log.info({ event: e.event, generation: Number(e.generation) }, 'health changed: configuration committed again');
      return;
    case 'health_commit_failed':
      log.error({ event: e.event, code: e.code, error: e.message }, 'health changed but the commit failed: the data plane keeps the previous servers');
      return;
    case 'bgp_session':
      if (e.established) log.info({ event: e.event, peer: e.peer, asn: e.asn, state: e.info }, `BGP session with ${e.peer} established`);
      else log.warn({ event: e.event, peer: e.peer, asn: e.asn, state: e.info }, `BGP session with ${e.peer} not established: ${e.info}`);
      return;
    case 'bgp_routes':
      log.info({ event: e.event, changes: e.changes }, 'announced routes changed');
      return;
    case 'sync_tables':
      log.info(
        { event: e.event, received: e.received, missing: e.missing, records: e.records, ms: e.ms },
        e.missing.length ? `connection tables of nodes ${e.missing.join(', ')} did not arrive (not running?)` : 'connection tables of every peer received',
      );
      return;
    case 'bgp_failed':
      log.error({ event: e.event, error: e.message }, 'BGP speaker failed');
      return;
    case 'committed': {
      const r = e.report;
      log.debug(
        {
          event: e.event,
          generation: Number(r.generation),
          services: r.services,
          servers: r.servers,
          snapshot_bytes: r.snapshotBytes,
          encode_ms: Math.round(r.encodeMs * 10) / 10,
          commit_ms: Math.round(r.commitMs * 10) / 10,
        },
        `generation ${r.generation} committed`,
      );
      return;
    }
  }
}
