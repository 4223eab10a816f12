// src/cli/commands/bench-churn.ts — `xvs bench churn`: requests/s of a client opening a new TCP
// connection per request through a Full-NAT VIP, xvs and the kernel (nftables DNAT + SNAT)
// interleaved on the demo topology (src/bench/churn/run.ts). A table, or one JSON document with
// --json (DESIGN §6), ending with the command. Main thread; needs root. Prints figures, asserts
// nothing.
import { SLOW_SECONDS, runChurnBench, type ChurnRound } from '../../bench/churn/run.js';
import { median } from '../../bench/veth/report.js';
import { netnsUnavailable } from '../../netns/lab.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_RUNTIME } from '../errors.js';
import { checkIntegerOptions } from '../integer-options.js';
import { table } from '../table.js';

interface ChurnArgs {
  rounds: number;
  seconds: number;
  curls: number;
  json: boolean;
}

const LIMITS = { rounds: [1, 20], seconds: [5, 600], curls: [1, 16] } as const;

export function churnCommandLine(a: Omit<ChurnArgs, 'json'>): string {
  return `sudo node bin/xvs.js bench churn --rounds ${a.rounds} --seconds ${a.seconds} --curls ${a.curls}`;
}

export function humanChurnReport(rounds: ChurnRound[], args: Omit<ChurnArgs, 'json'>): string {
  const ms = (s: number) => (s * 1000).toFixed(1);
  const perCase = (which: ChurnRound['case']) => rounds.filter((r) => r.case === which);
  return [
    `xvs bench churn: HTTP over a new TCP connection per request (curl, ${args.curls} per client address, 2 addresses) through`,
    'a Full-NAT VIP to 3 servers; xvs (the demo config) and the kernel (nftables DNAT + SNAT) interleaved, ' +
      `${args.rounds} round(s) of ${args.seconds} s each`,
    '',
    table([
      ['case', 'round', 'requests/s', `over ${SLOW_SECONDS * 1000} ms`, 'p50 ms', 'p99 ms', 'max ms', 'failed'],
      ...rounds.map((r) => [
        r.case,
        String(r.round),
        r.summary.perSecond.toFixed(0),
        String(r.summary.slow),
        ms(r.summary.p50),
        ms(r.summary.p99),
        ms(r.summary.max),
        String(r.summary.failed),
      ]),
    ]),
    '',
    `median requests/s: xvs ${(median(perCase('xvs').map((r) => r.summary.perSecond)) ?? 0).toFixed(0)}, ` +
      `kernel ${(median(perCase('kernel').map((r) => r.summary.perSecond)) ?? 0).toFixed(0)}`,
    '',
    churnCommandLine(args),
  ].join('\n');
}

export const benchChurnCommand: CliCommand<ChurnArgs> = {
  command: 'churn',
  describe: 'New TCP connection per request through a Full-NAT VIP: xvs against nftables DNAT+SNAT, interleaved (root)',
  builder: (y) =>
    y
      .option('rounds', { type: 'number', default: 3, describe: 'interleaved rounds of each case' })
      .option('seconds', { type: 'number', default: 20, describe: 'load per case and round (s)' })
      .option('curls', { type: 'number', default: 2, describe: 'curl processes per client address' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' }) as never,
  handler: async (args) => {
    checkIntegerOptions(args as unknown as Record<string, unknown>, LIMITS);
    const why = netnsUnavailable(true);
    if (why) throw new CliError(`xvs bench churn: ${why}`, EXIT_RUNTIME);
    const options = { rounds: args.rounds, seconds: args.seconds, curls: args.curls };
    const progress = !args.json && process.stderr.isTTY ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
    const rounds = await runChurnBench({ ...options, ...(progress ? { progress } : {}) });
    process.stdout.write(
      args.json ? `${JSON.stringify({ rounds, command: churnCommandLine(options) }, null, 2)}\n` : `${humanChurnReport(rounds, options)}\n`,
    );
  },
};
