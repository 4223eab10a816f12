// src/cli/ipvsadm-format.ts — the virtual server table exactly as ipvsadm 1.31 prints it
// (ipvsadm.c print_title / print_service_entry / print_largenum): the plain listing, --stats,
// --rate, --thresholds, --persistent-conn, with --exact, sorted as libipvs sorts (services by protocol, address,
// port; servers by address, port) unless --nosort, names cut where ipvsadm cuts them (33
// characters for a service, 28 for a server) and ipvsadm's padding, trailing spaces included,
// so that scripts written against ipvsadm's output read xvs's. Differences: without -n, ports
// are named from /etc/services but addresses stay numeric (ipvsadm asks reverse DNS); the
// Full-NAT method is named FullNat as DPVS's ipvsadm names it. Pure apart from the
// /etc/services lookup; main thread of the CLI.
import type { ServerStatus, ServiceStatus, Traffic } from '../control/protocol.js';
import { portName } from './port-names.js';
import { hostPort, isIpv6Text } from '../config/address.js';
import { ipv6ToBytes } from '../config/ipv6-address.js';

export type TableKind = 'plain' | 'stats' | 'rate' | 'thresholds' | 'persistent';

export interface TableOptions {
  numeric: boolean;
  /** --exact: whole numbers instead of K, M, G, T. */
  exact: boolean;
  /** false with --nosort: the configuration's order. */
  sort: boolean;
}

/** Per-second rates of a Traffic (ipvsadm --rate's columns). */
export interface TrafficRate {
  cps: number;
  inpps: number;
  outpps: number;
  inbps: number;
  outbps: number;
}

/** --rate's figures: per service key, per server address:port. */
export type RateLookup = (service: ServiceStatus, server?: ServerStatus) => TrafficRate;

// ipvsadm's names for the forwarding methods (FullNat as DPVS prints it).
const FORWARD: Record<ServiceStatus['forwarding'], string> = { dr: 'Route', nat: 'Masq', tunnel: 'Tunnel', fullnat: 'FullNat' };
const PROTOCOL_NUMBER: Record<ServiceStatus['protocol'], number> = { tcp: 6, udp: 17 };

/** print_largenum: 9 columns; above 8 digits scaled to K, M, G, T unless exact. */
export function largeNumber(n: number, exact: boolean): string {
  const digits = String(n);
  if (exact) return digits.padStart(digits.length <= 8 ? 9 : digits.length + 1);
  if (n < 1e8) return digits.padStart(9);
  const scaled = (divisor: number, unit: string) => `${String(Math.floor(n / divisor)).padStart(8)}${unit}`;
  if (n < 1e9) return scaled(1e3, 'K');
  if (n < 1e11) return scaled(1e6, 'M');
  if (n < 1e14) return scaled(1e9, 'G');
  return scaled(1e12, 'T');
}

// IPv4 before IPv6, then the address as an unsigned number (libipvs's ipvs_cmp_services compares
// the family first, then the protocol, then the address: compareServices).
function addressNumber(address: string): bigint {
  if (isIpv6Text(address)) return (1n << 128n) + (ipv6ToBytes(address) ?? new Uint8Array(16)).reduce((n, b) => (n << 8n) | BigInt(b), 0n);
  return address.split('.').reduce((n, octet) => (n << 8n) | BigInt(octet), 0n);
}
const compareAddresses = (a: string, b: string): number => {
  const x = addressNumber(a), y = addressNumber(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

// libipvs compares addresses with an int subtraction, which only orders addresses less than 2^31
// apart (all of 10/8, or of 192.168/16, ...); xvs orders them as unsigned numbers, which is the same there.
function compareServices(a: ServiceStatus, b: ServiceStatus): number {
  return (
    Number(isIpv6Text(a.vip)) - Number(isIpv6Text(b.vip)) ||
    PROTOCOL_NUMBER[a.protocol] - PROTOCOL_NUMBER[b.protocol] ||
    compareAddresses(a.vip, b.vip) ||
    a.port - b.port
  );
}

function compareServers(a: ServerStatus, b: ServerStatus): number {
  return compareAddresses(a.address, b.address) || a.port - b.port;
}

export function sortedServices(services: readonly ServiceStatus[], sort: boolean): ServiceStatus[] {
  return sort ? [...services].sort(compareServices) : [...services];
}

function endpoint(address: string, port: number, protocol: ServiceStatus['protocol'], numeric: boolean): string {
  return hostPort(address, numeric ? port : portName(port, protocol));
}

/** "%-4s %s" cut at 33 characters, as ipvsadm names a service. */
function serviceName(s: ServiceStatus, numeric: boolean): string {
  return `${s.protocol.toUpperCase().padEnd(4)} ${endpoint(s.vip, s.port, s.protocol, numeric)}`.slice(0, 33);
}

function serverName(s: ServiceStatus, srv: ServerStatus, numeric: boolean): string {
  return endpoint(srv.address, srv.port, s.protocol, numeric).slice(0, 28);
}

function netmask(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (m >>> shift) & 0xff).join('.');
}

const left = (v: string | number, width: number) => String(v).padEnd(width);
const right = (v: string | number, width: number) => String(v).padStart(width);

/** print_title. */
export function title(kind: TableKind): string {
  const columns = (names: string[], width: number, align: typeof left) => `${left('Prot LocalAddress:Port', 33)} ${names.map((n) => align(n, width)).join(' ')}`;
  switch (kind) {
    case 'stats':
      return `${columns(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'], 8, right)}\n  -> RemoteAddress:Port\n`;
    case 'rate':
      return `${columns(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'], 8, right)}\n  -> RemoteAddress:Port\n`;
    case 'thresholds':
      return `${columns(['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'], 10, left)}\n  -> RemoteAddress:Port\n`;
    case 'persistent':
      return `${left('Prot LocalAddress:Port', 33)} ${left('Weight', 9)} ${left('PersistConn', 11)} ${left('ActiveConn', 10)} ${left('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
    case 'plain':
      return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  }
}

function trafficColumns(t: Traffic | TrafficRate, exact: boolean): string {
  const v = 'conns' in t ? [t.conns, t.inPackets, t.outPackets, t.inBytes, t.outBytes] : [t.cps, t.inpps, t.outpps, t.inbps, t.outbps];
  return v.map((n) => largeNumber(n, exact)).join('');
}

/** print_service_entry: the service's line, then one line per server. */
export function serviceEntry(s: ServiceStatus, kind: TableKind, o: TableOptions, rate?: RateLookup): string {
  const name = serviceName(s, o.numeric);
  const lines: string[] = [];
  if (kind === 'stats') lines.push(`${left(name, 33)}${trafficColumns(s.traffic, o.exact)}`);
  else if (kind === 'rate') lines.push(`${left(name, 33)}${trafficColumns(rate!(s), o.exact)}`);
  else {
    let line = `${name} ${s.scheduler}`;
    if (s.persistence) {
      line += ` persistent ${s.persistence.timeout}`;
      // ipvsadm: a dotted mask for IPv4 unless /32, the prefix length for IPv6 unless /128.
      if (isIpv6Text(s.vip)) {
        if (s.persistence.netmask !== 128) line += ` mask ${s.persistence.netmask}`;
      } else if (s.persistence.netmask !== 32) line += ` mask ${netmask(s.persistence.netmask)}`;
    }
    if (s.onePacket) line += ' ops';
    lines.push(line);
  }
  const servers = o.sort ? [...s.servers].sort(compareServers) : s.servers;
  for (const srv of servers) {
    const dest = `  -> ${left(serverName(s, srv, o.numeric), 28)}`;
    if (kind === 'stats') lines.push(`${dest}${trafficColumns(srv.traffic, o.exact)}`);
    else if (kind === 'rate') {
      const r = rate!(s, srv);
      lines.push(`${dest} ${right(r.cps, 8)} ${right(r.inpps, 8)} ${right(r.outpps, 8)}${largeNumber(r.inbps, o.exact)}${largeNumber(r.outbps, o.exact)}`);
    } else if (kind === 'persistent')
      lines.push(`${dest} ${left(srv.weight, 9)} ${left(srv.persistent, 11)} ${left(srv.active, 10)} ${left(srv.inactive, 10)}`);
    else if (kind === 'thresholds')
      lines.push(`${dest} ${left(srv.upperThreshold, 10)} ${left(srv.lowerThreshold, 10)} ${left(srv.active, 10)} ${left(srv.inactive, 10)}`);
    else lines.push(`${dest} ${left(FORWARD[s.forwarding], 7)} ${left(srv.weight, 6)} ${left(srv.active, 10)} ${left(srv.inactive, 10)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The title, then every service (list_all without its version line, or list_service for one). */
export function serviceTable(services: readonly ServiceStatus[], kind: TableKind, o: TableOptions, rate?: RateLookup): string {
  return title(kind) + sortedServices(services, o.sort).map((s) => serviceEntry(s, kind, o, rate)).join('');
}
