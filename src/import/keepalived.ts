// src/import/keepalived.ts — `xvs import keepalived FILE`: keepalived's LVS configuration as an
// xvs config. virtual_server blocks (by address and port, or by virtual_server_group) become
// services: lb_algo, lb_kind (NAT, DR, TUN; FNAT with local_address_group as keepalived-DPVS
// writes it), persistence_timeout/_granularity, protocol, ops, quorum and hysteresis (weights in
// keepalived, servers in xvs: converted), sorry_server, virtualhost, alpha, inhibit_on_failure
// and the checker defaults; real_server blocks become servers (weight, uthreshold, lthreshold) with their checker
// (keepalived-checks.ts); global_defs' lvs_timeouts become dataplane.timeouts. Addresses are IPv4
// or IPv6 (written canonically; an IPv6 range ends in its last group, in hex). VRRP and
// everything else xvs has no equivalent of is noted with its place, never dropped silently.
// Consumes parsed statements (keepalived-syntax.ts); produces an ImportResult. CLI thread.
import { canonicalIpv6, ipv6Text, ipv6ToBytes } from '../config/ipv6-address.js';
import { CHECKERS, importChecker, KEEPALIVED_CHECK_DEFAULTS, numberArg, type CheckDefaults } from './keepalived-checks.js';
import type { Statement } from './keepalived-syntax.js';
import { ImportError, ImportNotes, IPV4, prefixOfMask, serviceName, type ImportResult } from './result.js';

const SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'fo']);
const METHODS: Record<string, string> = { NAT: 'nat', DR: 'dr', TUN: 'tunnel', FNAT: 'fullnat' };
const VRRP = new Set(['vrrp_instance', 'vrrp_sync_group', 'vrrp_script', 'vrrp_track_process', 'static_ipaddress', 'static_routes', 'static_rules', 'garp_group', 'bfd_instance', 'linkbeat_interfaces', 'track_file']);

interface VirtualAddress {
  vip: string;
  port: number;
}

/** An IPv4 address, or an IPv6 one in its canonical form; undefined for anything else. */
function addressOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return IPV4.test(text) ? text : canonicalIpv6(text);
}

/**
 * keepalived's address ranges: 192.168.1.1-10 (the last octet, decimal) and 2001:db8::1-1f (the
 * last 16-bit group, hexadecimal); undefined when `text` is neither an address nor a range.
 */
function addressRange(text: string): string[] | undefined {
  const dash = text.lastIndexOf('-');
  const first = dash < 0 ? text : text.slice(0, dash);
  const end = dash < 0 ? undefined : text.slice(dash + 1);
  if (IPV4.test(first)) {
    if (end === undefined) return [first];
    if (!/^\d{1,3}$/.test(end)) return undefined;
    const prefix = first.slice(0, first.lastIndexOf('.') + 1), start = Number(first.slice(prefix.length));
    return Array.from({ length: Math.max(0, Math.min(255, Number(end)) - start + 1) }, (_, i) => `${prefix}${start + i}`);
  }
  const bytes = ipv6ToBytes(first);
  if (!bytes) return undefined;
  if (end === undefined) return [ipv6Text(bytes)];
  if (!/^[0-9A-Fa-f]{1,4}$/.test(end)) return undefined;
  const start = (bytes[14]! << 8) | bytes[15]!;
  return Array.from({ length: Math.max(0, parseInt(end, 16) - start + 1) }, (_, i) => {
    const b = Uint8Array.from(bytes);
    b[14] = (start + i) >> 8;
    b[15] = (start + i) & 0xff;
    return ipv6Text(b);
  });
}

/** 192.168.1.1-10 80 → 192.168.1.1..10 port 80; 2001:db8::10-1f 80 likewise (keepalived's range forms). */
function groupAddresses(s: Statement, notes: ImportNotes): VirtualAddress[] {
  if (s.keyword === 'fwmark') {
    notes.add(s.where, `fwmark ${s.args[0]}: xvs has no firewall-mark services; not imported`);
    return [];
  }
  const addresses = addressRange(s.keyword);
  const port = Number(s.args[0]);
  if (!addresses || !(port >= 1 && port <= 65535)) {
    notes.add(s.where, `${s.keyword} ${s.args.join(' ')}: not an IPv4 or IPv6 address (or range) and port; not imported`);
    return [];
  }
  return addresses.map((vip) => ({ vip, port }));
}

/** local_address_group entries: "IP [dev]" or "IP-last [dev]". */
function poolAddresses(block: Statement[], notes: ImportNotes): string[] {
  return block.flatMap((s) => groupAddresses({ ...s, args: ['1'] }, notes).map((a) => a.vip));
}

function realServer(rs: Statement, defaults: CheckDefaults, notes: ImportNotes): Record<string, unknown> | undefined {
  const address = addressOf(rs.args[0]);
  const port = Number(rs.args[1]);
  if (!address || !(port >= 1 && port <= 65535)) {
    notes.add(rs.where, `real_server ${rs.args.join(' ')}: not an IPv4 or IPv6 address and port; not imported`);
    return undefined;
  }
  const server: Record<string, unknown> = { address, port };
  const own = { ...defaults };
  const checkers = (rs.block ?? []).filter((s) => CHECKERS.includes(s.keyword));
  for (const s of rs.block ?? []) {
    if (CHECKERS.includes(s.keyword)) continue;
    if (s.keyword === 'weight') server.weight = numberArg(s, notes);
    else if (s.keyword === 'uthreshold') server.upper_threshold = numberArg(s, notes);
    else if (s.keyword === 'lthreshold') server.lower_threshold = numberArg(s, notes);
    else if (s.keyword === 'inhibit_on_failure') own.inhibitOnFailure = s.args[0] !== 'false';
    else if (s.keyword === 'delay_loop') own.delayLoop = numberArg(s, notes) ?? own.delayLoop;
    else notes.add(s.where, `real_server ${s.keyword}: no xvs equivalent; ignored`);
  }
  if (checkers.length > 1)
    for (const extra of checkers.slice(1)) notes.add(extra.where, `${extra.keyword}: xvs runs one check per server; only ${checkers[0]!.keyword} is imported`);
  const check = checkers[0] && importChecker(checkers[0], own, notes);
  if (check) server.health_check = check;
  return server;
}

interface ServiceSettings {
  fields: Record<string, unknown>;
  protocol: string;
  servers: Record<string, unknown>[];
  /** Where persistence_granularity was given, for a note when it does not fit a VIP's family. */
  granularityAt?: string;
}

function virtualServer(vs: Statement, pools: Map<string, string[]>, notes: ImportNotes): ServiceSettings | undefined {
  const fields: Record<string, unknown> = { scheduler: 'wlc', forwarding: 'nat' };
  const defaults: CheckDefaults = { ...KEEPALIVED_CHECK_DEFAULTS };
  let protocol = 'tcp';
  let persistence: { timeout?: number; netmask?: number; where?: string } | undefined;
  let quorum: WeightSetting | undefined;
  let hysteresis: WeightSetting | undefined;
  const realServers: Statement[] = [];
  for (const s of vs.block ?? []) {
    const arg = s.args[0] ?? '';
    switch (s.keyword) {
      case 'lb_algo':
      case 'lvs_sched':
        if (SCHEDULERS.has(arg)) fields.scheduler = arg;
        else notes.add(s.where, `${s.keyword} ${arg}: no such xvs scheduler; wlc instead`);
        break;
      case 'lb_kind':
      case 'lvs_method':
        if (METHODS[arg.toUpperCase()]) fields.forwarding = METHODS[arg.toUpperCase()];
        else notes.add(s.where, `${s.keyword} ${arg}: no such forwarding method; NAT (keepalived's default) instead`);
        break;
      case 'protocol':
        if (arg.toUpperCase() === 'TCP' || arg.toUpperCase() === 'UDP') protocol = arg.toLowerCase();
        else {
          notes.add(s.where, `protocol ${arg}: xvs balances TCP and UDP only; this virtual_server is not imported`);
          return undefined;
        }
        break;
      case 'persistence_timeout':
        persistence = { ...persistence, timeout: numberArg(s, notes) };
        break;
      case 'persistence_granularity': {
        // A dotted mask for IPv4 services, a prefix length for IPv6 ones (as ipvsadm's -M).
        const prefix = /^\d{1,3}$/.test(arg) && Number(arg) <= 128 ? Number(arg) : prefixOfMask(arg);
        if (prefix === undefined) notes.add(s.where, `persistence_granularity ${arg}: not a prefix mask (IPv4) or length (IPv6); one address instead`);
        else persistence = { ...persistence, netmask: prefix, where: s.where };
        break;
      }
      case 'ops':
        fields.one_packet = true;
        break;
      case 'quorum':
        quorum = { value: numberArg(s, notes), where: s.where };
        break;
      case 'hysteresis':
        hysteresis = { value: numberArg(s, notes), where: s.where };
        break;
      case 'sorry_server': {
        const address = addressOf(arg);
        if (address && Number(s.args[1]) >= 1 && Number(s.args[1]) <= 65535) fields.sorry_server = { address, port: Number(s.args[1]) };
        else notes.add(s.where, `sorry_server ${s.args.join(' ')}: not an IPv4 or IPv6 address and port; not imported`);
        break;
      }
      case 'delay_loop':
        defaults.delayLoop = numberArg(s, notes) ?? defaults.delayLoop;
        break;
      case 'connect_timeout':
        defaults.connectTimeout = numberArg(s, notes) ?? defaults.connectTimeout;
        break;
      case 'retry':
        defaults.retry = numberArg(s, notes) ?? defaults.retry;
        break;
      case 'inhibit_on_failure':
        defaults.inhibitOnFailure = arg !== 'false';
        break;
      case 'alpha':
        defaults.alpha = true;
        break;
      case 'virtualhost':
        defaults.virtualhost = arg;
        break;
      case 'laddr_group_name':
        if (pools.has(arg)) fields.local_address_pool = arg;
        else notes.add(s.where, `laddr_group_name ${arg}: no local_address_group of that name`);
        break;
      case 'syn_proxy':
        fields.syn_proxy = 'on';
        break;
      case 'real_server':
        realServers.push(s);
        break;
      default:
        notes.add(s.where, `${s.keyword}${s.args.length ? ` ${s.args.join(' ')}` : ''}: no xvs equivalent; ignored`);
    }
  }
  if (fields.one_packet && protocol !== 'udp') {
    notes.add(vs.where, 'ops: one-packet scheduling is for UDP services; not imported');
    delete fields.one_packet;
  }
  // The prefix length is given its family's default per address (importKeepalived).
  if (persistence?.timeout !== undefined) fields.persistence = { timeout: persistence.timeout, netmask: persistence.netmask };
  else if (persistence) notes.add(vs.where, 'persistence_granularity without persistence_timeout: not a persistent service in keepalived either; ignored');
  if (fields.forwarding === 'fullnat' && !fields.local_address_pool)
    notes.add(vs.where, 'lb_kind FNAT needs local addresses: add local_address_pool (a local_address_group with laddr_group_name)');
  const servers = realServers.map((rs) => realServer(rs, defaults, notes)).filter((x): x is Record<string, unknown> => x !== undefined);
  Object.assign(fields, quorumInServers(quorum, hysteresis, servers.map((s) => (s.weight as number | undefined) ?? 1), notes));
  return { fields: { protocol, ...fields }, protocol, servers, ...(persistence?.where ? { granularityAt: persistence.where } : {}) };
}

/** The persistence of `settings` for one VIP: its family's prefix length (32 or 128) unless a fitting one was given. */
function persistenceFor(vip: string, settings: ServiceSettings, notes: ImportNotes): Record<string, unknown> | undefined {
  const p = settings.fields.persistence as { timeout: number; netmask?: number } | undefined;
  if (!p) return undefined;
  const bits = IPV4.test(vip) ? 32 : 128;
  if (p.netmask !== undefined && p.netmask > bits && settings.granularityAt)
    notes.add(settings.granularityAt, `persistence_granularity /${p.netmask} is longer than an address of ${vip}: /${bits} (one client address) for it`);
  return { timeout: p.timeout, netmask: p.netmask !== undefined && p.netmask <= bits ? p.netmask : bits };
}

interface WeightSetting {
  value: number | undefined;
  where: string;
}

/**
 * keepalived's quorum and hysteresis are weights (the live servers' weights summed); xvs counts
 * live servers. With equal weights w the two agree at quorum ceil(Q / w) and hysteresis
 * floor(H / w); otherwise the quorum becomes the fewest servers whose weights reach it and the
 * hysteresis goes. Every conversion that is not exact is noted.
 */
function quorumInServers(quorum: WeightSetting | undefined, hysteresis: WeightSetting | undefined, weights: number[], notes: ImportNotes): Record<string, number> {
  const out: Record<string, number> = {};
  if (quorum?.value === undefined || weights.length === 0) {
    if (hysteresis?.value) notes.add(hysteresis.where, 'hysteresis without a quorum: ignored');
    return out;
  }
  const q = quorum.value;
  const equal = weights.every((w) => w === weights[0]) && weights[0]! > 0;
  if (equal) {
    const w = weights[0]!;
    out.quorum = Math.max(1, Math.min(weights.length, Math.ceil(q / w)));
    if (q % w !== 0 || out.quorum * w < q)
      notes.add(quorum.where, `quorum ${q}: keepalived counts weight (each server ${w}), xvs counts servers: quorum ${out.quorum}`);
    if (hysteresis?.value) {
      const h = Math.floor(hysteresis.value / w);
      if (h > 0) out.quorum_hysteresis = Math.min(h, Math.max(0, weights.length - out.quorum));
      if (hysteresis.value % w !== 0 || out.quorum_hysteresis !== h)
        notes.add(hysteresis.where, `hysteresis ${hysteresis.value}: in servers of weight ${w}, ${out.quorum_hysteresis ?? 0}`);
    }
    return out;
  }
  const sorted = [...weights].sort((a, b) => b - a);
  let sum = 0;
  let n = 0;
  while (n < sorted.length && sum < q) sum += sorted[n++]!;
  out.quorum = Math.max(1, n);
  notes.add(
    quorum.where,
    `quorum ${q}: keepalived counts weight, xvs counts servers: quorum ${out.quorum} (the fewest servers whose weights reach it${sum < q ? '; all of them do not' : ''})`,
  );
  if (hysteresis?.value) notes.add(hysteresis.where, `hysteresis ${hysteresis.value}: weights differ, no server count matches; not imported`);
  return out;
}

/** One check for the whole service when every server has the same one (the file reads as people write it). */
function hoistCommonCheck(service: Record<string, unknown>, servers: Record<string, unknown>[]): void {
  const checks = servers.map((s) => JSON.stringify(s.health_check ?? null));
  if (servers.length < 2 || checks[0] === 'null' || checks.some((c) => c !== checks[0])) return;
  service.health_check = servers[0]!.health_check;
  for (const s of servers) delete s.health_check;
}

export interface KeepalivedImportOptions {
  /** dataplane.interfaces; default: the vrrp_instance interfaces of the file. */
  interfaces?: string[];
}

export function importKeepalived(statements: Statement[], options: KeepalivedImportOptions = {}): ImportResult {
  const notes = new ImportNotes();
  const groups = new Map<string, Statement>();
  const pools = new Map<string, string[]>();
  const vrrpInterfaces: string[] = [];
  const timeouts: Record<string, number> = {};
  for (const s of statements) {
    if (s.keyword === 'virtual_server_group' && s.args[0]) groups.set(s.args[0], s);
    else if (s.keyword === 'local_address_group' && s.args[0]) pools.set(s.args[0], poolAddresses(s.block ?? [], notes));
    else if (VRRP.has(s.keyword)) {
      for (const i of (s.block ?? []).filter((x) => x.keyword === 'interface' && x.args[0])) vrrpInterfaces.push(i.args[0]!);
      notes.add(s.where, `${s.keyword}${s.args[0] ? ` ${s.args[0]}` : ''}: xvs has no VRRP; keep keepalived for it, or announce the VIPs with cluster.bgp`);
    } else if (s.keyword === 'global_defs') {
      for (const g of s.block ?? []) {
        if (g.keyword === 'lvs_timeouts') {
          for (let i = 0; i + 1 < g.args.length; i += 2) {
            const key = { tcp: 'tcp', tcpfin: 'tcp_fin', udp: 'udp' }[g.args[i]!];
            const value = numberArg({ ...g, args: [g.args[i + 1]!] }, notes);
            if (key && value !== undefined) timeouts[key] = value;
            else notes.add(g.where, `lvs_timeouts ${g.args[i]}: no xvs equivalent; ignored`);
          }
        } else notes.add(g.where, `global_defs ${g.keyword}: no xvs equivalent; ignored`);
      }
    } else if (s.keyword !== 'virtual_server') notes.add(s.where, `${s.keyword}: no xvs equivalent; ignored`);
  }
  const interfaces = options.interfaces?.length ? options.interfaces : [...new Set(vrrpInterfaces)].slice(0, 2);
  if (interfaces.length === 0) throw new ImportError('name the interfaces xvs takes traffic on: --interface NAME (the file has no vrrp_instance to take them from)');
  const services: Record<string, unknown>[] = [];
  const names = new Set<string>();
  for (const vs of statements.filter((s) => s.keyword === 'virtual_server')) {
    let addresses: VirtualAddress[];
    if (vs.args[0] === 'group') {
      const group = groups.get(vs.args[1] ?? '');
      if (!group) {
        notes.add(vs.where, `virtual_server group ${vs.args[1]}: no virtual_server_group of that name; not imported`);
        continue;
      }
      addresses = (group.block ?? []).flatMap((e) => groupAddresses(e, notes));
    } else if (vs.args[0] === 'fwmark') {
      notes.add(vs.where, `virtual_server fwmark ${vs.args[1]}: xvs has no firewall-mark services; not imported`);
      continue;
    } else {
      addresses = groupAddresses({ keyword: vs.args[0] ?? '', args: vs.args.slice(1), where: vs.where }, notes);
    }
    const settings = virtualServer(vs, pools, notes);
    if (!settings) continue;
    if (settings.servers.length === 0) {
      notes.add(vs.where, 'virtual_server without a real_server xvs could import: not imported (xvs services need at least one server)');
      continue;
    }
    for (const a of addresses) {
      const name = serviceName(settings.protocol, a.vip, a.port);
      if (names.has(name)) {
        notes.add(vs.where, `${name}: a second virtual_server for the same address, port and protocol; not imported`);
        continue;
      }
      names.add(name);
      const servers = settings.servers.map((s) => structuredClone(s));
      const service: Record<string, unknown> = { name, vip: a.vip, port: a.port, ...settings.fields };
      const persistence = persistenceFor(a.vip, settings, notes);
      if (persistence) service.persistence = persistence;
      hoistCommonCheck(service, servers);
      services.push({ ...service, servers });
    }
  }
  const dataplane: Record<string, unknown> = { interfaces };
  if (Object.keys(timeouts).length) dataplane.timeouts = timeouts;
  return {
    doc: { dataplane, ...(pools.size ? { local_address_pools: Object.fromEntries(pools) } : {}), services },
    notes: notes.lines,
  };
}
