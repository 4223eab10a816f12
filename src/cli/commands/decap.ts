// src/cli/commands/decap.ts — `xvs decap --iface IF [--detach | --stats] [--json]`: the real
// server's side of tunnel mode. Attaches the IPIP and ip6ip6 decapsulation XDP program (native/bpf/
// decap.bpf.c) to IF and exits, leaving it attached; `--detach` removes it; `--stats` prints its
// counters. The program decapsulates IPIP and ip6ip6 whose outer and inner destinations are local
// addresses of this host as they were when it was attached: run the command again after adding
// a VIP or an address (it replaces its own program). Main thread; each call is a few syscalls.
import { DECAP_COUNTERS, attachDecap, decapCounters, detachDecap } from '../../native/addon.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_RUNTIME, EXIT_USAGE } from '../errors.js';

interface DecapArgs {
  iface: string;
  detach: boolean;
  stats: boolean;
  json: boolean;
}

// Linux interface names: 1-15 bytes, no '/', ':' or whitespace, not "." or "..".
const IFNAME = /^[^/:\s]{1,15}$/;

function checkIface(iface: unknown): string {
  if (typeof iface !== 'string' || !IFNAME.test(iface) || iface === '.' || iface === '..' || Buffer.byteLength(iface) > 15)
    throw new CliError(`xvs: --iface must be an interface name (1-15 characters, no '/', ':' or spaces), got '${String(iface)}'`, EXIT_USAGE);
  return iface;
}

function failure(err: unknown, iface: string): CliError {
  const e = err as { message?: string; code?: string };
  const message = e?.message ?? String(err);
  if (e?.code === 'XVS_EINVAL' || e?.code === 'XVS_EBUSY') return new CliError(`xvs decap: ${message}`, EXIT_RUNTIME);
  const notRoot = typeof process.getuid === 'function' && process.getuid() !== 0;
  const hint = notRoot ? ' (xvs decap needs root: CAP_NET_ADMIN and CAP_BPF)' : '';
  return new CliError(`xvs decap: ${iface}: ${message}${e?.code ? ` (${e.code})` : ''}${hint}`, EXIT_RUNTIME);
}

function print(json: boolean, doc: Record<string, unknown>, line: string): void {
  const replacer = (_key: string, v: unknown) => (typeof v === 'bigint' ? Number(v) : v);
  process.stdout.write(json ? `${JSON.stringify(doc, replacer)}\n` : `${line}\n`);
}

function attach(iface: string, json: boolean): void {
  const r = attachDecap(iface);
  const stale = r.replacedStale ? `, replaced the earlier xvs decap program (${r.replacedStale})` : '';
  print(
    json,
    { iface, action: 'attach', ...r },
    `xvs decap: attached to ${iface} in ${r.mode} mode (program id ${r.id}, ${r.localPrefixes} local addresses and prefixes${stale})`,
  );
  if (r.mode === 'generic')
    process.stderr.write(
      `xvs: warning: native XDP is not available on ${iface}${r.nativeError ? ` (${r.nativeError})` : ''}: ` +
        'using generic (skb) mode, which is slower\n',
    );
}

function detach(iface: string, json: boolean): void {
  const r = detachDecap(iface);
  const other = r.other ? ` (it runs the XDP program ${r.other}, left alone)` : '';
  print(
    json,
    { iface, action: 'detach', ...r },
    r.detached ? `xvs decap: detached from ${iface} (program id ${r.id})` : `xvs decap: nothing to detach: no xvs decap program on ${iface}${other}`,
  );
}

function stats(iface: string, json: boolean): void {
  const r = decapCounters(iface);
  if (!r.attached) {
    const other = r.other ? ` (it runs the XDP program ${r.other})` : '';
    if (json) print(true, { iface, action: 'stats', ...r }, '');
    throw new CliError(`xvs decap: no xvs decap program on ${iface}${other}`, EXIT_RUNTIME);
  }
  const width = Math.max(...DECAP_COUNTERS.map((c) => c.length));
  const lines = [
    `xvs decap on ${iface}: ${r.mode} mode, program id ${r.id}, ${r.localPrefixes} local addresses and prefixes`,
    ...DECAP_COUNTERS.map((c) => `  ${c.padEnd(width)}  ${r.counters[c]}`),
  ];
  print(json, { iface, action: 'stats', ...r }, lines.join('\n'));
}

export const decapCommand: CliCommand<DecapArgs> = {
  command: 'decap',
  describe: 'Attach the real-server IPIP and ip6ip6 decapsulation XDP program (tunnel mode); --detach removes it',
  builder: (y) =>
    y
      .option('iface', { alias: 'i', type: 'string', demandOption: true, describe: 'interface the tunnelled packets arrive on' })
      .option('detach', { type: 'boolean', default: false, describe: 'remove the program instead' })
      .option('stats', { type: 'boolean', default: false, describe: 'print the program counters instead' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' }) as never,
  handler: async ({ iface, detach: remove, stats: show, json }) => {
    const name = checkIface(iface);
    // Not yargs' conflicts(): it counts the options' defaults as given.
    if (remove && show) throw new CliError('xvs: --detach and --stats cannot be combined', EXIT_USAGE);
    try {
      if (remove) detach(name, json);
      else if (show) stats(name, json);
      else attach(name, json);
    } catch (err) {
      throw err instanceof CliError ? err : failure(err, name);
    }
  },
};
