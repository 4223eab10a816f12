// Address-family rules of a service (issue 18): a service's servers, sorry server and local
// address pool are of its VIP's family, or all IPv4 under an IPv6 fullnat VIP (NAT64); an IPv4
// service's persistence prefix is at most 32 bits; and what IPv6 services cannot have (tunnel
// mode on mem ports without tunnel_source6). Consumes one service of the untyped document and
// the cross-service Context; produces Findings. Runs on the config-loading thread.

import { isIpv6Text, serviceAddressProblem } from './address.js';
import { choice, isObj, type Finding, type Obj, type Segment } from './raw.js';
import { FORWARDING_MODES } from './types.js';
import type { Context } from './validate-service.js';

export type Family = 'IPv4' | 'IPv6';

/** The family of a valid address, undefined for anything else (its own check reports it). */
export function familyOf(address: unknown): Family | undefined {
  if (typeof address !== 'string' || serviceAddressProblem(address)) return undefined;
  return isIpv6Text(address) ? 'IPv6' : 'IPv4';
}

export function checkServiceFamily(s: Obj, base: Segment[], ctx: Context, out: Finding[]): void {
  const family = familyOf(s.vip);
  if (family === undefined) return;
  const forwarding = choice(s, 'forwarding', FORWARDING_MODES);
  // Where each server (and the sorry server) is, with its family: NAT64 (an IPv6 fullnat VIP over
  // IPv4 servers) is the one mix, and then all of them are IPv4.
  const servers: { where: Segment[]; what: string; address: unknown; family: Family }[] = [];
  const add = (where: Segment[], what: string, address: unknown) => {
    const f = familyOf(address);
    if (f !== undefined) servers.push({ where, what, address, family: f });
  };
  if (Array.isArray(s.servers))
    s.servers.forEach((srv, j) => {
      if (isObj(srv)) add([...base, 'servers', j, 'address'], 'server', srv.address);
    });
  if (isObj(s.sorry_server)) add([...base, 'sorry_server', 'address'], 'sorry server', s.sorry_server.address);
  const pool = s.local_address_pool;
  const poolFamilies = typeof pool === 'string' ? ctx.poolFamilies.get(pool) : undefined;
  // (A service has servers: the schema refuses `servers: []`.)
  const serverFamily = servers[0]?.family ?? family;
  const nat64 = serverFamily !== family;
  for (const srv of servers) {
    if (srv.family !== serverFamily)
      out.push({
        path: srv.where,
        message: `${srv.what} ${String(srv.address)} is ${srv.family} but ${servers[0]!.what} ${String(servers[0]!.address)} is ${serverFamily}: a service's servers are of one family`,
      });
    else if (nat64 && (family !== 'IPv6' || forwarding !== 'fullnat'))
      out.push({
        path: srv.where,
        message: `${srv.what} ${String(srv.address)} is ${srv.family} but the VIP ${String(s.vip)} is ${family}: a service's servers are of its VIP's family, but for NAT64 (an IPv6 VIP over IPv4 servers, forwarding: fullnat)`,
      });
  }

  if (forwarding === 'fullnat' && poolFamilies && !poolFamilies.has(serverFamily))
    out.push({
      path: [...base, 'local_address_pool'],
      message: nat64
        ? `pool "${String(pool)}" holds ${[...poolFamilies].join(' and ')} addresses but the servers are ${serverFamily}: NAT64 reaches IPv4 servers from IPv4 local addresses`
        : `pool "${String(pool)}" holds ${[...poolFamilies].join(' and ')} addresses but the VIP is ${family}: a fullnat service's local addresses are of its VIP's family`,
    });

  // Above 128 the schema refuses it already.
  const netmask = isObj(s.persistence) ? s.persistence.netmask : undefined;
  if (family === 'IPv4' && typeof netmask === 'number' && netmask > 32 && netmask <= 128)
    out.push({
      path: [...base, 'persistence', 'netmask'],
      message: `is a prefix length of at most 32 for an IPv4 service (got ${netmask}); up to 128 applies to IPv6 services`,
    });

  if (family === 'IPv4') return;
  if (forwarding === 'tunnel' && ctx.backend === 'mem' && ctx.noTunnelSource6)
    out.push({
      path: [...base, 'forwarding'],
      message: 'tunnel mode over IPv6 on the mem backend needs dataplane.tunnel_source6, the outer source address: mem ports have no address of their own',
    });
}
