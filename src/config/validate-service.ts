// Semantic checks of one service and its servers, sorry server and health checks: addresses,
// forwarding-mode rules, pool references, duplicates, quorum and its hysteresis, thresholds.
// Consumes one service of the untyped document plus the cross-service Context built by
// validate.ts; produces Findings. Runs on the config-loading thread.

import { serviceAddressProblem } from './address.js';
import { parseDuration } from './duration.js';
import { DEFAULTS } from './defaults.js';
import { choice, has, intOr, isInt, isObj, type Finding, type Obj, type Segment } from './raw.js';
import { FORWARDING_MODES, HEALTH_CHECK_TYPES, PROTOCOLS, type ForwardingMode, type HealthCheckType } from './types.js';
import { serverKey } from './keys.js';
import { checkServiceFamily, familyOf } from './validate-family.js';

export interface Context {
  pools: Set<string>; // every pool name, even of malformed pools: a reference to one is not "unknown"
  localAddresses: Map<string, { pool: string; where: string }>;
  vips: Map<string, string>; // VIP → service name
  /** The mem backend without dataplane.tunnel_source: its ports have no address for tunnel mode. */
  noTunnelSource: boolean;
  /** The same for dataplane.tunnel_source6 and tunnel mode over IPv6. */
  noTunnelSource6: boolean;
  poolFamilies: Map<string, Set<'IPv4' | 'IPv6'>>; // pool name → the families of its valid addresses
  backend: unknown; // dataplane.backend as written
  cluster: boolean;
}

/** Why dr and tunnel cannot map ports: the balancer never touches the transport header. */
const KEEPS_PORT: Partial<Record<ForwardingMode, string>> = {
  dr: 'dr rewrites only the MAC address',
  tunnel: 'tunnel mode encapsulates the packet unchanged',
};

const HEALTH_FIELD_OWNER: Record<string, HealthCheckType> = {
  path: 'http',
  host: 'http',
  expect_status: 'http',
  expect_body: 'http',
  payload: 'udp',
  expect_payload: 'udp',
  command: 'exec',
  user: 'exec',
};

export function checkService(s: Obj, i: number, ctx: Context, out: Finding[]): void {
  const base: Segment[] = ['services', i];
  const name = typeof s.name === 'string' ? s.name : `services[${i}]`;
  const forwarding = choice(s, 'forwarding', FORWARDING_MODES);
  const protocol = choice(s, 'protocol', PROTOCOLS, 'tcp');
  const port = isInt(s.port, 1, 65535) ? s.port : undefined;

  if (typeof s.vip === 'string') {
    const bad = serviceAddressProblem(s.vip);
    if (bad) out.push({ path: [...base, 'vip'], message: bad });
  }

  checkPoolReference(s, base, forwarding, ctx, out);
  checkServiceFamily(s, base, ctx, out);

  if (forwarding === 'tunnel' && ctx.noTunnelSource && familyOf(s.vip) !== 'IPv6') {
    out.push({
      path: [...base, 'forwarding'],
      message:
        'tunnel mode on the mem backend needs dataplane.tunnel_source, the outer source address: mem ports have no address of their own',
    });
  }

  if (s.one_packet === true && protocol === 'tcp') {
    out.push({
      path: [...base, 'one_packet'],
      at: 'key',
      message: 'one_packet applies only to udp services (this service is tcp): a TCP connection needs its connection entry',
    });
  }

  // The proxy answers SYNs and translates sequence numbers both ways: dr and tunnel replies
  // bypass the balancer, and UDP has no handshake. auto (the default) means "where it can".
  if (s.syn_proxy === 'on' && (protocol === 'udp' || forwarding === 'dr' || forwarding === 'tunnel')) {
    out.push({
      path: [...base, 'syn_proxy'],
      message: `a SYN proxy needs a tcp service in nat or fullnat mode (this one is ${protocol}${forwarding ? ` ${forwarding}` : ''}): remove syn_proxy or set it to off`,
    });
  }

  // TOA and the PROXY protocol header ride on a TCP stream the balancer itself sends on to the
  // server: Full-NAT only (in nat mode the server sees the client's address anyway).
  const clientAddress = s.client_address;
  if (clientAddress !== undefined && clientAddress !== 'none') {
    if (protocol === 'udp' || (forwarding !== undefined && forwarding !== 'fullnat')) {
      out.push({
        path: [...base, 'client_address'],
        message: `client_address: ${String(clientAddress)} needs a tcp service in fullnat mode (this one is ${protocol}${forwarding ? ` ${forwarding}` : ''}): remove client_address (nat, dr and tunnel servers see the client's address already)`,
      });
    } else if (s.syn_proxy === 'on') {
      out.push({
        path: [...base, 'syn_proxy'],
        message: `syn_proxy: on cannot be combined with client_address: ${String(clientAddress)} (both translate the connection's sequence numbers): set syn_proxy to off, or remove client_address`,
      });
    }
  }

  const servers = Array.isArray(s.servers) ? s.servers : undefined;
  const quorum = intOr(s, 'quorum', 1, Infinity, DEFAULTS.quorum);
  if (servers && servers.length > 0 && quorum !== undefined && quorum > servers.length) {
    const n = servers.length;
    out.push({ path: [...base, 'quorum'], message: `quorum ${quorum} exceeds the ${n} server${n === 1 ? '' : 's'} of service ${name}` });
  } else if (servers && servers.length > 0 && quorum !== undefined && has(s, 'quorum_hysteresis')) {
    const hysteresis = intOr(s, 'quorum_hysteresis', 0, Infinity, DEFAULTS.quorum_hysteresis);
    const n = servers.length;
    if (hysteresis !== undefined && quorum + hysteresis > n) {
      out.push({
        path: [...base, 'quorum_hysteresis'],
        message: `quorum ${quorum} + quorum_hysteresis ${hysteresis} exceeds the ${n} server${n === 1 ? '' : 's'} of service ${name}: once lost, quorum could never be regained`,
      });
    }
  }

  if (isObj(s.sorry_server)) {
    const sorry = s.sorry_server;
    checkTarget(sorry, [...base, 'sorry_server'], 'sorry server', ctx, out);
    const why = forwarding && KEEPS_PORT[forwarding];
    if (why && port !== undefined && isInt(sorry.port, 1, 65535) && sorry.port !== port) {
      out.push({
        path: [...base, 'sorry_server', 'port'],
        message: `in ${forwarding} mode the sorry server port must equal the service port ${port} (got ${sorry.port}): ${why}`,
      });
    }
  }

  if (isObj(s.health_check)) checkHealth(s.health_check, [...base, 'health_check'], out);

  const seen = new Map<string, number>();
  servers?.forEach((srv, j) => {
    if (!isObj(srv)) return;
    const path: Segment[] = [...base, 'servers', j];
    checkTarget(srv, path, 'server', ctx, out);
    const why = forwarding && KEEPS_PORT[forwarding];
    const srvPort = isInt(srv.port, 1, 65535) ? srv.port : undefined;
    if (why && port !== undefined && srvPort !== undefined && srvPort !== port) {
      out.push({
        path: [...path, 'port'],
        message: `in ${forwarding} mode the server port must equal the service port ${port} (got ${srvPort}): ${why}`,
      });
    }
    if (typeof srv.address === 'string' && !serviceAddressProblem(srv.address) && srvPort !== undefined) {
      const key = serverKey({ address: srv.address, port: srvPort });
      const first = seen.get(key);
      if (first === undefined) seen.set(key, j);
      else out.push({ path, message: `duplicates servers[${first}] (${key}) of service ${name}: list each server once` });
    }
    checkThresholds(srv, path, out);
    if (isObj(srv.health_check)) checkHealth(srv.health_check, [...path, 'health_check'], out);
  });
}

function checkPoolReference(s: Obj, base: Segment[], forwarding: ForwardingMode | undefined, ctx: Context, out: Finding[]): void {
  const defined = [...ctx.pools];
  const known = defined.length ? `defined pools: ${defined.join(', ')}` : 'no pools are defined under local_address_pools';
  if (!has(s, 'local_address_pool')) {
    if (forwarding === 'fullnat') {
      out.push({
        path: [...base, 'local_address_pool'],
        at: 'parent',
        message: `fullnat needs a local_address_pool: the client address is replaced by one of the balancer's local addresses (${known})`,
      });
    }
    return;
  }
  const pool = s.local_address_pool;
  if (forwarding !== undefined && forwarding !== 'fullnat') {
    out.push({
      path: [...base, 'local_address_pool'],
      at: 'key',
      message: `local_address_pool applies only to fullnat services (this service is ${forwarding})`,
    });
  } else if (typeof pool === 'string' && !ctx.pools.has(pool)) {
    out.push({ path: [...base, 'local_address_pool'], message: `no pool named "${pool}" (${known})` });
  }
}

/** Address checks shared by servers and the sorry server. */
function checkTarget(t: Obj, path: Segment[], what: string, ctx: Context, out: Finding[]): void {
  if (typeof t.address !== 'string') return;
  const addr = t.address;
  const bad = serviceAddressProblem(addr);
  const vipOf = ctx.vips.get(addr);
  const local = ctx.localAddresses.get(addr);
  let message: string | undefined = bad;
  if (!bad && vipOf !== undefined) {
    message = `${addr} is the VIP of service ${vipOf} on this balancer: a ${what} there would loop traffic back into it`;
  } else if (!bad && local) {
    message = `${addr} is a local address of this balancer (pool "${local.pool}"): a ${what} must be another host`;
  }
  if (message) out.push({ path: [...path, 'address'], message });
}

function checkThresholds(srv: Obj, path: Segment[], out: Finding[]): void {
  const upper = intOr(srv, 'upper_threshold', 0, Infinity, DEFAULTS.upper_threshold);
  const lower = intOr(srv, 'lower_threshold', 0, Infinity, DEFAULTS.lower_threshold);
  if (upper === undefined || lower === undefined || lower === 0) return;
  const message =
    upper === 0
      ? `lower_threshold ${lower} has no effect without an upper_threshold: the lower one only ends an overload that the upper one starts`
      : lower > upper
        ? `lower_threshold ${lower} must not exceed upper_threshold ${upper}`
        : undefined;
  if (message) out.push({ path: [...path, 'lower_threshold'], message });
}

function checkHealth(hc: Obj, path: Segment[], out: Finding[]): void {
  const type = choice(hc, 'type', HEALTH_CHECK_TYPES);
  if (type === undefined) return;
  for (const key of Object.keys(hc)) {
    const owner = HEALTH_FIELD_OWNER[key];
    if (owner && owner !== type) {
      out.push({ path: [...path, key], at: 'key', message: `"${key}" applies only to ${owner} checks (this check is ${type})` });
    }
  }
  const program = Array.isArray(hc.command) ? hc.command[0] : undefined;
  if (type === 'exec' && typeof program === 'string' && program !== '' && !program.startsWith('/')) {
    out.push({
      path: [...path, 'command', 0],
      message: `must be an absolute path (got ${JSON.stringify(program)}): checks run with a minimal PATH from /, so a relative program would not be the one you tested`,
    });
  }
  if (type === 'exec' && !has(hc, 'command')) {
    out.push({
      path: [...path, 'command'],
      at: 'parent',
      message: 'exec checks need a command: a list of program and arguments such as [/usr/local/bin/check, --quick]',
    });
  }
  const interval = has(hc, 'interval') ? parseDuration(hc.interval) : DEFAULTS.health_check.interval;
  const timeout = has(hc, 'timeout') ? parseDuration(hc.timeout) : DEFAULTS.health_check.timeout;
  if (interval && timeout && timeout > interval) {
    out.push({
      path: [...path, has(hc, 'timeout') ? 'timeout' : 'interval'],
      message: `timeout ${timeout}s must not exceed interval ${interval}s: a probe would still be running when the next one starts`,
    });
  }
}
