// test/unit/bench-veth.test.ts — the pure parts of `xvs bench veth`: option validation (each
// message names the option and its range; usage errors exit 2 from the CLI), the command line,
// the report (medians, ranges, ratios, targets, void rounds, skipped cases), the --json shape
// of DESIGN §6, and the xvs configs the cases generate (valid, enough LIPs). No namespaces, no
// traffic: the bench itself needs root and is run by hand (bench/README.md).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { lipCount, xvsCaseConfig } from '../../src/bench/veth/cases/xvs-process.js';
import { parseTestpmdSent, testpmdArgv } from '../../src/bench/veth/generators/dpdk.js';
import {
  CASE_NAMES,
  DPDK_GENERATOR_FLOWS,
  VETH_DEFAULTS,
  VethOptionError,
  parseCases,
  validateVethOptions,
  vethCommandLine,
} from '../../src/bench/veth/options.js';
import { buildVethReport, humanVethReport, jsonVethReport, median, pairedRatio } from '../../src/bench/veth/report.js';
import type { CaseRun } from '../../src/bench/veth/run.js';
import { parseConfigText } from '../../src/config/load.js';

const XVS = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..'), 'bin', 'xvs.js');

const sample = (mpps: number | null, problem?: string) => ({ mpps, offeredMpps: mpps === null ? null : 10, notes: [], ...(problem ? { problem } : {}) });

function runsOf(figures: Partial<Record<(typeof CASE_NAMES)[number], (number | null)[]>>): CaseRun[] {
  return CASE_NAMES.map((name) => ({ case: name, describe: name, samples: (figures[name] ?? []).map((m) => sample(m)) }));
}

describe('xvs bench veth options', () => {
  it('fills in the defaults and keeps every case in registry order', () => {
    const o = validateVethOptions({});
    assert.deepEqual(o, { ...VETH_DEFAULTS, cases: [...CASE_NAMES], generator: 'xdp', json: false });
    assert.deepEqual(parseCases('xdp-redirect,xvs-fullnat'), ['xvs-fullnat', 'xdp-redirect']);
    assert.deepEqual(parseCases(['io-loop', 'nft-dnat,io-loop']), ['io-loop', 'nft-dnat']);
  });

  it('names the option and its range in every message', () => {
    const cases: [Parameters<typeof validateVethOptions>[0], RegExp][] = [
      [{ rounds: 0 }, /--rounds must be an integer from 1 to 20 \(got 0\)/],
      [{ rounds: 2.5 }, /--rounds must be an integer/],
      [{ seconds: 0.1 }, /--seconds must be a number from 0.5 to 60/],
      [{ warmup: -1 }, /--warmup must be a number from 0 to 30/],
      [{ flows: 0 }, /--flows must be an integer from 1 to 1048576/],
      [{ rate: -5 }, /--rate must be an integer from 0 to 100000000/],
      [{ rate: Number.NaN }, /--rate must be an integer/],
      [{ workerFifo: 100 }, /--worker-fifo must be an integer from 0 to 99/],
      [{ cases: 'fullnat' }, /--cases: unknown case fullnat \(allowed: xvs-fullnat, xvs-fullnat-dpdk, xvs-dr, io-loop, nft-dnat, nft-flowtable, linux-forward, xdp-redirect\)/],
      [{ cases: ',' }, /--cases needs at least one of/],
    ];
    for (const [raw, message] of cases) assert.throws(() => validateVethOptions(raw), (err: Error) => err instanceof VethOptionError && message.test(err.message));
  });

  it('prints the command that reproduces the run', () => {
    const o = validateVethOptions({ rounds: 5, cases: 'io-loop,xvs-fullnat', json: true });
    assert.equal(vethCommandLine(o), 'xvs bench veth --json --rounds 5 --seconds 3 --warmup 1 --flows 1024 --rate 0 --cases xvs-fullnat,io-loop');
    assert.match(vethCommandLine(validateVethOptions({ workerFifo: 0 })), / --rate 0 --worker-fifo 0$/);
    assert.ok(!vethCommandLine(validateVethOptions({})).includes('--cases'), 'all cases: no --cases');
  });

  it('takes the dpdk generator with its own flow count and no pacing, and refuses what testpmd cannot do', () => {
    const o = validateVethOptions({ generator: 'dpdk' });
    assert.equal(o.generator, 'dpdk');
    assert.equal(o.flows, DPDK_GENERATOR_FLOWS);
    assert.equal(o.rate, 0);
    assert.equal(validateVethOptions({ generator: 'dpdk', flows: DPDK_GENERATOR_FLOWS, rate: 0 }).flows, DPDK_GENERATOR_FLOWS);
    const refused: [Parameters<typeof validateVethOptions>[0], RegExp][] = [
      [{ generator: 'dpdk', rate: 100_000 }, /--rate: the dpdk generator \(dpdk-testpmd txonly\) sends flat out; leave --rate out, or use --generator xdp/],
      [{ generator: 'dpdk', flows: 1024 }, /--flows: the dpdk generator \(dpdk-testpmd --txonly-multi-flow\) sends 256 flows/],
      [{ generator: 'pktgen' }, /--generator must be one of xdp, dpdk \(got pktgen\)/],
    ];
    for (const [raw, message] of refused) assert.throws(() => validateVethOptions(raw), (err: Error) => err instanceof VethOptionError && message.test(err.message));
    const command = vethCommandLine(o);
    assert.equal(command, 'xvs bench veth --generator dpdk --rounds 3 --seconds 3 --warmup 1 --flows 256 --rate 0');
    assert.doesNotThrow(() => validateVethOptions({ generator: 'dpdk', flows: 256, rate: 0 }), 'the printed command is accepted again');
  });

  it('exits 2 with one line on a usage error (before it needs root)', () => {
    const r = spawnSync(process.execPath, [XVS, 'bench', 'veth', '--flows', '0'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--flows must be an integer from 1 to 1048576/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});

describe('xvs bench veth: the dpdk generator (dpdk-testpmd)', () => {
  it('runs txonly with multi-flow on a net_af_xdp vdev, both lcores on the generator CPU, ordinary pages', () => {
    const argv = testpmdArgv('g0-x', '02:00:00:00:00:01', 1, 'xvsgen7');
    assert.equal(argv[0], 'dpdk-testpmd');
    const eal = argv.slice(1, argv.indexOf('--'));
    const app = argv.slice(argv.indexOf('--') + 1);
    for (const arg of ['--lcores=0@1,1@1', '--no-huge', '--no-pci', '--no-shconf', '--file-prefix=xvsgen7', '--vdev=net_af_xdp0,iface=g0-x'])
      assert.ok(eal.includes(arg), arg);
    for (const arg of ['--forward-mode=txonly', '--txonly-multi-flow', '--eth-peer=0,02:00:00:00:00:01', '--txpkts=60', '--stats-period=1'])
      assert.ok(app.includes(arg), arg);
    assert.ok(app.some((a) => a.startsWith('--tx-ip=10.203.0.10,')), 'towards the VIP');
    assert.ok(app.includes('--tx-udp=10000,9000'));
  });

  it('reads what it sent from the accumulated statistics it prints on SIGINT, not from a periodic one', () => {
    const periodic = [
      'Port statistics ====================================',
      '  ######################## NIC statistics for port 0  ########################',
      '  TX-packets: 2524256    TX-errors: 0          TX-bytes:  151455360',
    ].join('\n');
    const final = [
      '  ---------------------- Forward statistics for port 0  ----------------------',
      '  RX-packets: 0              RX-dropped: 0             RX-total: 0',
      '  TX-packets: 5067328        TX-dropped: 0             TX-total: 5067328',
      '  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++',
      '  RX-packets: 0              RX-dropped: 0             RX-total: 0',
      '  TX-packets: 5067328        TX-dropped: 0             TX-total: 5067328',
      'Bye...',
    ].join('\n');
    assert.equal(parseTestpmdSent(periodic), undefined, 'killed before it stopped: no figure');
    assert.equal(parseTestpmdSent(`${periodic}\n${final}`), 5067328);
  });
});

describe('xvs bench veth report', () => {
  const options = validateVethOptions({ rounds: 3 });

  it('takes medians and ranges, ratios to io-loop, nft-dnat and the best kernel case, and judges the targets', () => {
    const runs = runsOf({
      'xvs-fullnat': [0.5, 0.7, 0.6],
      'xvs-fullnat-dpdk': [0.25, 0.7, 0.3],
      'xvs-dr': [0.7, 0.7, 0.8],
      'io-loop': [0.5, 0.6, 0.55],
      'nft-dnat': [0.25, 0.35, 0.3],
      'nft-flowtable': [0.2, 0.3, 0.35],
      'linux-forward': [0.8, 0.9, 0.85],
      'xdp-redirect': [2, 2.2, 2.1],
    });
    const r = buildVethReport(runs, options, 'xvs bench veth');
    const fullnat = r.cases.find((c) => c.case === 'xvs-fullnat')!;
    assert.equal(fullnat.mpps, 0.6);
    assert.equal(fullnat.mpps_min, 0.5);
    assert.equal(fullnat.mpps_max, 0.7);
    assert.deepEqual(fullnat.rounds_mpps, [0.5, 0.7, 0.6]);
    // Paired by round: 0.5/0.5, 0.7/0.6, 0.6/0.55 -> median 0.6/0.55; nft-dnat 2, 2, 2; the kernel's
    // best per round 0.25, 0.35, 0.35 -> 2, 2, 1.71 -> 2.
    assert.ok(Math.abs(fullnat.ratio_io_loop! - 0.6 / 0.55) < 1e-9);
    assert.ok(Math.abs(fullnat.ratio_nft_dnat! - 2) < 1e-9);
    assert.ok(Math.abs(fullnat.ratio_kernel! - 2) < 1e-9);
    assert.equal(r.cases.find((c) => c.case === 'io-loop')!.ratio_io_loop, 1);
    assert.equal(r.targets.fullnat_vs_io_loop.status, 'met');
    assert.equal(r.targets.fullnat_vs_kernel.status, 'met');
    assert.equal(r.offered_mpps, 10);
    // DPDK against AF_XDP, paired by round: 0.5, 1, 0.5 -> 0.5.
    assert.equal(r.dpdk_vs_afxdp, 0.5);

    const text = humanVethReport(r);
    assert.match(text, /^xvs-fullnat +0\.60 +0\.50–0\.70 +109 % +200 % +200 % +10\.00/m);
    assert.match(text, /targets: xvs-fullnat >= 100 % of io-loop: met \(109 %\); xvs-fullnat >= 2 x the kernel's best \(nft-dnat, nft-flowtable\): met \(200 %\)/);
    assert.match(text, /^backends: xvs-fullnat-dpdk \/ xvs-fullnat \(DPDK against AF_XDP, same core\): 50 %$/m);
    assert.match(text, /^cores: cpu 0: .*cpu 1: /m);
    assert.match(text, /^machine: .+, \d+ CPUs?, Linux .+, Node v\d+/m);
    assert.equal(r.machine.node, process.version);
    assert.match(text, /^command: xvs bench veth$/m);
  });

  it('reports a missed target, a void round, a case that never worked and a skipped one', () => {
    const runs = runsOf({ 'xvs-fullnat': [0.3, 0.3, 0.3], 'io-loop': [0.6, 0.6, 0.6], 'xdp-redirect': [2, 2, 2] });
    runs.find((r) => r.case === 'xvs-dr')!.samples = [sample(null, 'nothing reached the sink'), sample(0.5), sample(0.7)];
    runs.find((r) => r.case === 'linux-forward')!.samples = [sample(null, 'setup failed: boom')];
    for (const name of ['nft-dnat', 'nft-flowtable']) runs.find((r) => r.case === name)!.skipped = 'install nftables (nft is missing)';
    const r = buildVethReport(runs, options, 'xvs bench veth');
    assert.equal(r.targets.fullnat_vs_io_loop.status, 'missed');
    assert.equal(r.targets.fullnat_vs_kernel.status, 'not measured');
    const dr = r.cases.find((c) => c.case === 'xvs-dr')!;
    assert.equal(dr.mpps, 0.6);
    assert.deepEqual(dr.rounds_mpps, [null, 0.5, 0.7]);
    assert.match(dr.notes, /1 of 3 rounds void: nothing reached the sink/);
    assert.equal(dr.error, undefined);
    const fwd = r.cases.find((c) => c.case === 'linux-forward')!;
    assert.equal(fwd.mpps, null);
    assert.equal(fwd.error, 'setup failed: boom');
    const skipped = r.cases.find((c) => c.case === 'nft-dnat')!;
    assert.equal(skipped.mpps, null);
    assert.equal(skipped.ratio_nft_dnat, null);
    const text = humanVethReport(r);
    assert.match(text, /skipped: install nftables/);
    assert.match(text, /error: setup failed: boom/);
    assert.match(text, /missed \(50 %\)/);
  });

  it('marks a case that delivered nearly all a dropping generator sent as bound by it', () => {
    const runs = runsOf({ 'io-loop': [0.5, 0.5, 0.5] });
    runs.find((r) => r.case === 'xvs-fullnat')!.samples = [0.9, 0.95, 0.92].map((mpps) => ({ mpps, offeredMpps: 1, notes: ['1024 conns'] }));
    const r = buildVethReport(runs, options, 'xvs bench veth');
    const fullnat = r.cases.find((c) => c.case === 'xvs-fullnat')!;
    assert.equal(fullnat.generator_bound, true);
    assert.match(fullnat.notes, /^bound by the generator: 92 % of what it sent arrived; 1024 conns$/);
    assert.equal(r.cases.find((c) => c.case === 'io-loop')!.generator_bound, false, '0.5 of 10 offered');
  });

  it('with the back-pressured dpdk generator, marks the cases at the run ceiling and says so of the backends ratio', () => {
    // testpmd sends what the path takes: "offered" follows the path, so only the run's fastest case tells the ceiling.
    const runs = runsOf({ 'xvs-fullnat-dpdk': [0.4, 0.45, 0.5], 'xdp-redirect': [0.95, 0.95, 0.95] });
    runs.find((r) => r.case === 'xvs-fullnat')!.samples = [0.9, 0.95, 0.92].map((mpps) => ({ mpps, offeredMpps: mpps * 1.05, notes: [] }));
    runs.find((r) => r.case === 'xvs-fullnat-dpdk')!.samples.forEach((s) => (s.offeredMpps = s.mpps! * 1.05));
    const r = buildVethReport(runs, validateVethOptions({ generator: 'dpdk' }), 'xvs bench veth --generator dpdk');
    const fullnat = r.cases.find((c) => c.case === 'xvs-fullnat')!;
    assert.equal(fullnat.generator_bound, true);
    assert.match(fullnat.notes, /^at the run's ceiling \(97 % of the fastest case\): the generator may be the limit$/);
    assert.equal(r.cases.find((c) => c.case === 'xvs-fullnat-dpdk')!.generator_bound, false, 'it delivered 95 % of its offered, but half the ceiling');
    assert.equal(r.generator, 'dpdk');
    const text = humanVethReport(r);
    assert.match(text, /^generator: dpdk-testpmd txonly .*256 flows from 10\.203\.0\.0\/16/m);
    assert.match(text, /^backends: .*: 47 % \(xvs-fullnat may have been held back by the generator: the DPDK backend is at most this share\)$/m);
    assert.match(text, /cpu 1: the generator \(dpdk-testpmd txonly/);
    // A floor that misses a target says nothing about it.
    assert.equal(r.targets.fullnat_vs_io_loop.status, 'not measured', 'no io-loop in this run');
    const bound = buildVethReport(
      runsOf({ 'xvs-fullnat': [0.7], 'nft-dnat': [0.65], 'xdp-redirect': [0.72] }),
      validateVethOptions({ generator: 'dpdk', rounds: 1 }),
      'xvs bench veth --generator dpdk',
    );
    assert.equal(bound.targets.fullnat_vs_kernel.status, 'generator-bound');
    assert.match(humanVethReport(bound), /the kernel's best \(nft-dnat, nft-flowtable\): generator-bound \(108 %\)/);
  });

  it('prints one JSON document with cases[{case, mpps, ...}] and the command (DESIGN §6)', () => {
    const r = buildVethReport(runsOf({ 'io-loop': [0.6] }), options, 'xvs bench veth --json');
    const doc = JSON.parse(jsonVethReport(r));
    assert.equal(doc.command, 'xvs bench veth --json');
    assert.deepEqual(doc.cases.map((c: { case: string }) => c.case), [...CASE_NAMES]);
    for (const c of doc.cases) {
      assert.ok('mpps' in c && 'mpps_min' in c && 'mpps_max' in c && 'ratio_io_loop' in c && 'ratio_nft_dnat' in c);
    }
    for (const key of ['targets', 'offered_mpps', 'frame_bytes', 'flows', 'rate_pps', 'rounds', 'seconds', 'cores', 'machine'])
      assert.ok(key in doc, key);
    assert.equal(jsonVethReport(r).trim().split('\n').length, 1);
  });

  it('takes the median of an even count as the mean of the middle two', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), null);
  });

  it('pairs ratios by round, skipping void rounds, and falls back to the medians without a common round', () => {
    assert.equal(pairedRatio([1, null, 3], [2, 2, null]), 0.5);
    assert.equal(pairedRatio([1, null], [null, 4]), 0.25);
    assert.equal(pairedRatio([null], [null]), null);
  });
});

describe('xvs bench veth configs', () => {
  const topo = { l0: 'l0-x', l1: 'l1-x', lips: ['10.202.0.100', '10.202.0.101'] };

  it('generates valid xvs configs: fullnat with a LIP pool, dr without', () => {
    for (const mode of ['fullnat', 'dr'] as const) {
      const config = parseConfigText(JSON.stringify(xvsCaseConfig(topo, mode, 100_000)), `${mode}.json`);
      assert.equal(config.dataplane.workers, 1);
      assert.deepEqual(config.dataplane.interfaces, ['l0-x', 'l1-x']);
      assert.ok(config.dataplane.conn_table_size >= 200_000);
      assert.equal(config.dataplane.worker_priority, undefined, 'the minimal config: xvs chooses the priority');
      assert.equal(config.dataplane.cpus, undefined, 'the process is pinned as a whole');
      assert.equal(config.services[0]!.forwarding, mode);
    }
  });

  it('gives fullnat enough local addresses for every flow', () => {
    assert.equal(lipCount(1), 1);
    assert.equal(lipCount(31_744), 1);
    assert.equal(lipCount(31_745), 2);
    assert.equal(lipCount(1_048_576), 34);
  });
});
