// src/import/ipvsadm.ts — `xvs import ipvsadm [FILE]`: the rules `ipvsadm-save -n` (ipvsadm -Sn)
// writes, and `ipvsadm -R` reads, as an xvs config: -A services (-t/-u VIP:PORT, -s scheduler,
// -p timeout, -M netmask, -o) and -a servers (-r RIP:PORT, -g/-m/-i, -w weight, -x/-y
// thresholds), short or long options; --set tcp tcpfin udp as dataplane.timeouts. IPVS sets the
// forwarding method per server, xvs per service: servers of one service with different methods
// take the most common one, and the others are noted. IPv6 services and servers come in
// ipvsadm's [address]:port form. Firewall-mark services, persistence engines, scheduler flags and
// sync daemons have no xvs equivalent: noted. Consumes
// the rules' text; produces an ImportResult. CLI thread.
import { canonicalIpv6 } from '../config/ipv6-address.js';
import { ImportError, ImportNotes, IPV4, prefixOfMask, serviceName, type ImportResult } from './result.js';

const SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'fo']);
const METHODS: Record<string, string> = { '-g': 'dr', '--gatewaying': 'dr', '-m': 'nat', '--masquerading': 'nat', '-i': 'tunnel', '--ipip': 'tunnel' };
const LONG: Record<string, string> = {
  '--add-service': '-A', '--add-server': '-a', '--edit-service': '-E', '--edit-server': '-e', '--tcp-service': '-t', '--udp-service': '-u',
  '--fwmark-service': '-f', '--scheduler': '-s', '--persistent': '-p', '--netmask': '-M', '--real-server': '-r', '--weight': '-w',
  '--u-threshold': '-x', '--l-threshold': '-y', '--ops': '-o', '--sched-flags': '-b',
};
// ipvsadm's default persistence timeout (-p without a value).
const DEFAULT_PERSISTENCE = 300;

interface Service {
  key: string;
  vip: string;
  port: number;
  fields: Record<string, unknown>;
  servers: { server: Record<string, unknown>; method: string; where: string }[];
  where: string;
}

/** Words of a rule line, long options as their short forms. */
function words(line: string): string[] {
  return line.trim().split(/\s+/).filter(Boolean).map((w) => LONG[w] ?? w);
}

/** VIP:PORT or RIP[:PORT], IPv4 or ipvsadm's [IPv6]:PORT (the address in its canonical form). */
function endpoint(text: string | undefined): { address: string; port: number } | undefined {
  const v4 = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(text ?? '');
  if (v4) return IPV4.test(v4[1]!) ? { address: v4[1]!, port: v4[2] === undefined ? 0 : Number(v4[2]) } : undefined;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(text ?? '');
  const address = v6 ? canonicalIpv6(v6[1]!) : undefined;
  return address === undefined ? undefined : { address, port: v6![2] === undefined ? 0 : Number(v6![2]) };
}

export function importIpvsadm(text: string, source: string, interfaces: string[]): ImportResult {
  if (interfaces.length === 0) throw new ImportError('name the interfaces xvs takes traffic on: --interface NAME (ipvsadm rules do not say)');
  const notes = new ImportNotes();
  const services = new Map<string, Service>();
  const timeouts: Record<string, number> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const where = `${source}:${i + 1}`;
    const w = words(line.replace(/#.*/, ''));
    if (w.length === 0) return;
    const command = w[0]!;
    if (command === '--set' && w.length === 4) {
      const [tcp, tcpfin, udp] = w.slice(1).map(Number);
      // 0 leaves a timeout unchanged, as in ipvsadm.
      for (const [key, value] of [['tcp', tcp], ['tcp_fin', tcpfin], ['udp', udp]] as const) if (value! > 0) timeouts[key] = value!;
      return;
    }
    if (command !== '-A' && command !== '-a') {
      notes.add(where, `${w.join(' ')}: not a rule xvs imports (-A services, -a servers, --set timeouts)`);
      return;
    }
    const option = (name: string) => {
      const at = w.indexOf(name);
      return at < 0 ? undefined : (w[at + 1] ?? '');
    };
    if (w.includes('-f')) {
      notes.add(where, `firewall-mark service ${option('-f')}: xvs has no firewall-mark services; not imported`);
      return;
    }
    const protocol = w.includes('-t') ? 'tcp' : w.includes('-u') ? 'udp' : undefined;
    const vip = endpoint(option(protocol === 'tcp' ? '-t' : '-u'));
    if (!protocol || !vip || !(vip.port >= 1 && vip.port <= 65535)) {
      notes.add(where, `${w.join(' ')}: no TCP or UDP service address with a port (-t/-u VIP:PORT or [IPv6]:PORT); not imported`);
      return;
    }
    const key = serviceName(protocol, vip.address, vip.port);
    if (command === '-A') {
      const fields: Record<string, unknown> = { protocol, scheduler: 'wlc' };
      const scheduler = option('-s');
      if (scheduler !== undefined) {
        if (SCHEDULERS.has(scheduler)) fields.scheduler = scheduler;
        else notes.add(where, `-s ${scheduler}: no such xvs scheduler; wlc (ipvsadm's default) instead`);
      }
      if (w.includes('-p')) {
        const value = option('-p');
        const timeout = value !== undefined && /^\d+$/.test(value) ? Number(value) : DEFAULT_PERSISTENCE;
        const mask = option('-M');
        // IPv4: a dotted mask; IPv6: ipvsadm writes the prefix length.
        const ipv6 = vip.address.includes(':');
        const whole = ipv6 ? 128 : 32;
        const netmask = mask === undefined ? whole : ipv6 ? (/^\d+$/.test(mask) && Number(mask) <= 128 ? Number(mask) : undefined) : prefixOfMask(mask);
        if (netmask === undefined) notes.add(where, `-M ${mask}: not ${ipv6 ? 'an IPv6 prefix length' : 'an IPv4 prefix mask'}; /${whole} instead`);
        fields.persistence = { timeout, netmask: netmask ?? whole };
      }
      if (w.includes('-o')) {
        if (protocol === 'udp') fields.one_packet = true;
        else notes.add(where, '-o: one-packet scheduling is for UDP services; not imported');
      }
      if (w.includes('-b')) notes.add(where, `-b ${option('-b')}: xvs has no scheduler flags; ignored`);
      if (w.includes('--pe')) notes.add(where, `--pe ${option('--pe')}: xvs has no persistence engines; ignored`);
      if (services.has(key)) notes.add(where, `${key}: added twice; the later -A wins`);
      services.set(key, { key, vip: vip.address, port: vip.port, fields, servers: services.get(key)?.servers ?? [], where });
      return;
    }
    const service = services.get(key);
    if (!service) {
      notes.add(where, `-a for ${key} before its -A: not imported`);
      return;
    }
    const real = endpoint(option('-r'));
    if (!real) {
      notes.add(where, `-r ${option('-r')}: not a server address (RIP[:PORT] or [IPv6]:PORT); not imported`);
      return;
    }
    // A server without a port (port 0) takes the service's, as IPVS does for dr and tunnel.
    const server: Record<string, unknown> = { address: real.address, port: real.port || vip.port };
    for (const [flag, field] of [['-w', 'weight'], ['-x', 'upper_threshold'], ['-y', 'lower_threshold']] as const) {
      const value = option(flag);
      if (value === undefined) continue;
      if (/^\d+$/.test(value)) server[field] = Number(value);
      else notes.add(where, `${flag} ${value}: not a whole number; ignored`);
    }
    const flags = w.filter((x) => x in METHODS);
    const method = flags.length ? METHODS[flags[flags.length - 1]!]! : 'dr'; // -g is ipvsadm's default
    if (method !== 'nat' && real.port !== 0 && real.port !== vip.port) {
      notes.add(where, `${real.address}:${real.port}: IPVS ignores a server's port in ${method === 'dr' ? 'direct routing' : 'tunnelling'}; the service's port ${vip.port} instead`);
      server.port = vip.port;
    }
    if (w.some((x) => x.startsWith('--tun-'))) notes.add(where, 'tunnel options (--tun-type ...): xvs tunnels are IPIP only; ignored');
    service.servers.push({ server, method, where });
  });
  const out: Record<string, unknown>[] = [];
  for (const s of services.values()) {
    if (s.servers.length === 0) {
      notes.add(s.where, `${s.key}: no server (-a) for it; not imported (xvs services need at least one server)`);
      continue;
    }
    const counts = new Map<string, number>();
    for (const x of s.servers) counts.set(x.method, (counts.get(x.method) ?? 0) + 1);
    const method = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    for (const x of s.servers.filter((x) => x.method !== method))
      notes.add(x.where, `${x.server.address}:${x.server.port} forwards by ${x.method} in IPVS; xvs forwards a whole service one way: ${method} here`);
    out.push({ name: s.key, vip: s.vip, port: s.port, ...s.fields, forwarding: method, servers: s.servers.map((x) => x.server) });
  }
  return { doc: { dataplane: { interfaces, ...(Object.keys(timeouts).length ? { timeouts } : {}) }, services: out }, notes: notes.lines };
}
