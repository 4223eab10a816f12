// src/config/warnings.ts — what a valid config may still get wrong at the edge, one line each:
// `xvs check` prints these after "ok", `xvs run` logs them at start. Pure; any thread.
//
// A Full-NAT local port is unique per (LIP, server address, server port) (native/lb/local_port.h),
// and a connection keeps its tuple while it lives, in TIME_WAIT (timeouts.tcp_fin) and while held
// (timeouts.server_time_wait). So a pool holds at most LIPs x servers x the ports of
// local_port_range (31 744 by default) connections at once,
// and sustains about that / tcp_fin new connections per second from clients that do not reuse
// their ports (clients that do reuse them get their own tuples back). A pool smaller than the
// connection tables is the limit an operator did not choose.
import { isLoopbackListen } from './address.js';
import type { Config } from './types.js';


export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!isLoopbackListen(config.api.listen) && config.api.token_file === undefined)
    warnings.push(
      `api.listen ${config.api.listen} is reachable from other machines and api.token_file is not set: anyone who can ` +
        `reach it can drain servers, change weights and reload; set api.token_file, or listen on 127.0.0.1`,
    );
  const tables = config.dataplane.workers * config.dataplane.conn_table_size;
  const [firstPort, lastPort] = config.dataplane.local_port_range;
  const portsPerLip = lastPort - firstPort + 1;
  for (const [pool, lips] of Object.entries(config.local_address_pools)) {
    const servers = new Set<string>();
    for (const s of config.services) {
      if (s.forwarding !== 'fullnat' || s.local_address_pool !== pool) continue;
      for (const server of s.servers) servers.add(`${s.protocol}/${server.address}:${server.port}`);
      if (s.sorry_server) servers.add(`${s.protocol}/${s.sorry_server.address}:${s.sorry_server.port}`);
    }
    if (servers.size === 0) continue;
    const capacity = lips.length * servers.size * portsPerLip;
    if (capacity >= tables) continue;
    const perSecond = Math.floor(capacity / config.dataplane.timeouts.tcp_fin);
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 'es'}`;
    warnings.push(
      `local_address_pools.${pool}: ${plural(lips.length, 'address')} x ${servers.size} server${servers.size === 1 ? '' : 's'} ` +
        `hold at most ${group(capacity)} Full-NAT connections at once (about ${group(perSecond)} new ones/s sustained from ` +
        `clients that do not reuse their ports, with tcp_fin ${config.dataplane.timeouts.tcp_fin} s), fewer than the ` +
        `connection tables' ${group(tables)}: beyond that new connections are dropped (drop_lport_exhausted); add addresses ` +
        `to the pool, widen dataplane.local_port_range, or lower conn_table_size`,
    );
  }
  return warnings;
}

function group(n: number): string {
  return n.toLocaleString('en-US').replace(/,/g, ' ');
}
