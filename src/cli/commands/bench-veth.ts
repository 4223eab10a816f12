// src/cli/commands/bench-veth.ts — `xvs bench veth`: a pktgen-style generator through network
// namespaces, xvs (fullnat on AF_XDP and DPDK, dr, its I/O loop alone) beside Linux forwarding,
// nftables DNAT and XDP redirect in one run (src/bench/veth/); the generator is XDP live frames
// or dpdk-testpmd. Prints a table, or one JSON document with --json
// (DESIGN §6), ending with the command. Usage errors exit 2; not root, missing programs or a
// case with no valid round exit 1. Main thread; a benchmark, not a test: it asserts no time.
import { CASE_NAMES, DPDK_GENERATOR_FLOWS, GENERATOR_NAMES, VETH_DEFAULTS, VethOptionError, validateVethOptions, vethCommandLine, type RawVethArgs } from '../../bench/veth/options.js';
import { buildVethReport, humanVethReport, jsonVethReport } from '../../bench/veth/report.js';
import { runVethBench, vethUnavailable } from '../../bench/veth/run.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_RUNTIME, EXIT_USAGE } from '../errors.js';

export const benchVethCommand: CliCommand<RawVethArgs> = {
  command: 'veth',
  describe: 'Generator -> balancer -> sink through veth namespaces: xvs fullnat/dr/io-loop, nftables DNAT, Linux forwarding, XDP redirect (root)',
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON document' })
      .option('rounds', { type: 'number', default: VETH_DEFAULTS.rounds, describe: 'interleaved rounds of every case' })
      .option('seconds', { type: 'number', default: VETH_DEFAULTS.seconds, describe: 'measured window per case and round (s)' })
      .option('warmup', { type: 'number', default: VETH_DEFAULTS.warmup, describe: 'traffic before each window (s)' })
      // No yargs defaults for --flows and --rate: validateVethOptions fills them in, and refuses
      // them when given with a generator that cannot honour them.
      .option('flows', {
        type: 'number',
        describe: `distinct UDP flows (source address, port) [default: ${VETH_DEFAULTS.flows}; ${DPDK_GENERATOR_FLOWS}, fixed, with --generator dpdk]`,
      })
      .option('rate', { type: 'number', describe: `offered frames per second; 0 = flat out [default: ${VETH_DEFAULTS.rate}]` })
      .option('generator', {
        type: 'string',
        choices: [...GENERATOR_NAMES],
        describe: 'xdp: XDP live frames (BPF_PROG_RUN) [default]; dpdk: dpdk-testpmd txonly on a net_af_xdp vdev',
      })
      .option('worker-fifo', {
        type: 'number',
        describe: "dataplane.worker_priority of the xvs cases (default: left out, i.e. xvs's default); 0 = SCHED_OTHER",
      })
      .option('cases', { type: 'string', describe: `comma-separated subset of: ${CASE_NAMES.join(', ')}` }) as never,
  handler: async (args) => {
    let options;
    try {
      options = validateVethOptions(args);
    } catch (err) {
      if (err instanceof VethOptionError) throw new CliError(err.message, EXIT_USAGE);
      throw err;
    }
    const why = vethUnavailable(options.generator);
    if (why) throw new CliError(`xvs bench veth: ${why}`, EXIT_RUNTIME);
    const command = vethCommandLine(options);
    const progress = !options.json && process.stderr.isTTY ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
    const runs = await runVethBench(options, progress);
    const report = buildVethReport(runs, options, command);
    process.stdout.write(options.json ? jsonVethReport(report) : humanVethReport(report));
    const failed = report.cases.filter((c) => c.error);
    if (failed.length > 0)
      throw new CliError(`xvs bench veth: ${failed.map((c) => `${c.case} failed: ${c.error}`).join('; ')}`, EXIT_RUNTIME);
  },
};
