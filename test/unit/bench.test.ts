// test/unit/bench.test.ts — `xvs bench dataplane` and `xvs bench control` with tiny parameters:
// the shape of the report and of the --json document, that the counts are sane (every timed
// packet forwarded, one connection per SYN, a skipped case says why) and that the process exits
// once it has printed. Never asserts a time: benchmarks measure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  DATAPLANE_CASES,
  IPV6_COUNTERPARTS,
  caseConfig,
  lipsFor,
  runDataplaneBench,
  type BenchFunction,
  type DataplaneCaseResult,
} from '../../src/bench/dataplane.js';
import { machineFromCpuinfo, machineText } from '../../src/bench/machine.js';
import { parseConfigText } from '../../src/config/load.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const XVS = path.join(ROOT, 'bin', 'xvs.js');

const FLOWS = 1000;
const PACKETS = 3000;
const REPEAT = 2;

function checkMeasured(c: DataplaneCaseResult): void {
  assert.equal(c.error, undefined, `${c.case}: ${c.error}`);
  if (c.skipped !== undefined) {
    assert.ok(c.skipped.length > 10, `${c.case}: a skipped case gives its reason`);
    assert.equal(c.mpps, null, 'a skipped case has no figure');
    assert.equal(c.ns_per_packet, null);
    return;
  }
  assert.equal(c.packets, PACKETS);
  assert.equal(c.repeat, REPEAT);
  assert.equal(c.forwarded, PACKETS * REPEAT, `${c.case}: every timed packet forwarded`);
  if (c.workers) {
    // Several workers: Mpps is their sum, ns/packet one worker's; each forwarded every packet (checked natively).
    for (const v of [c.mpps, c.ns_per_packet, c.ns_per_packet_best, c.scaling, c.mpps_alone])
      assert.ok(typeof v === 'number' && Number.isFinite(v) && v > 0, `${c.case}: positive figures`);
    assert.ok(Math.abs(c.scaling! - c.mpps! / c.mpps_alone!) < c.scaling! * 0.5, `${c.case}: scaling is together over alone`);
    return;
  }
  for (const v of [c.mpps, c.ns_per_packet, c.ns_per_packet_best, c.copy_ns_per_packet])
    assert.ok(typeof v === 'number' && Number.isFinite(v) && v > 0, `${c.case}: positive figures`);
  assert.ok(c.ns_per_packet! >= c.ns_per_packet_best!, 'the median is never below the best');
  assert.ok(Math.abs(c.mpps! * c.ns_per_packet! - 1000) < 10, 'Mpps and ns/packet describe the same run');
}

describe('xvs bench dataplane', () => {
  it('runs every case with tiny parameters: fullnat measured, the others measured or skipped with a reason', () => {
    const report = runDataplaneBench({ flows: FLOWS, packets: PACKETS, repeat: REPEAT });
    assert.deepEqual(report.cases.map((c) => c.case), [...DATAPLANE_CASES]);
    for (const c of report.cases) checkMeasured(c);

    const established = report.cases.find((c) => c.case === 'fullnat-established')!;
    assert.equal(established.skipped, undefined, 'fullnat is implemented: it must be measured');
    assert.equal(established.connections, FLOWS, 'one connection per flow in the table');
    assert.equal(established.cps, undefined);

    const two = report.cases.find((c) => c.case === 'fullnat-established-2w')!;
    assert.equal(two.workers, 2);
    assert.equal(two.connections, FLOWS, "worker 0's table holds every flow (each worker has its own)");

    const fresh = report.cases.find((c) => c.case === 'fullnat-new')!;
    assert.equal(fresh.skipped, undefined);
    assert.ok(typeof fresh.cps === 'number' && fresh.cps > 0, 'new connections per second');
    assert.ok(Math.abs(fresh.cps! - fresh.mpps! * 1e6) / fresh.cps! < 0.01, 'one connection per SYN');

    assert.ok(report.bytes_per_connection !== null && report.bytes_per_connection >= 64, 'a connection holds two tuples');
    assert.ok(report.rss_bytes_per_connection !== null, 'RSS growth is measured');
    assert.ok(report.cases.every((c) => c.ipv4_ratio === undefined), 'no rounds asked for, none run');
    assert.ok(['avx512f', 'avx2', 'baseline'].includes(report.machine.hash_batch ?? ''), `hash batch ${report.machine.hash_batch}`);
    assert.ok(report.machine.cpus >= 1 && report.machine.cpu.length > 0 && report.machine.node === process.version);
  });

  // A substitute data path whose speed drifts run by run (quadratically, as no interleaving
  // cancels exactly), as this VM's does; each run's best repetition is the drifted figure, its
  // median 5 or 15 % above it (every other run). `failAt`: the run (0-based) that forwards nothing.
  function driftingBench(order: string[], failAt = -1): BenchFunction {
    let run = 0;
    return (_snapshot, params) => {
      const k = run++;
      const ipv6 = params.templates.syn[12] === 0x86 && params.templates.syn[13] === 0xdd;
      order.push(ipv6 ? 'v6' : 'v4');
      const best = (ipv6 ? 12 : 10) * (1 + (k * k) / 20);
      const tx = k === failAt ? 0 : params.packets * params.repeat;
      return {
        packets: params.packets, flows: params.flows, nsPerPacket: [best * 1.3, best, best * (1.05 + 0.1 * (k % 2))], copyNsPerPacket: [1, 1, 1],
        workerNsPerPacket: [[best]], workerAloneNsPerPacket: [[]], verdicts: { tx, pass: 0, drop: params.packets * params.repeat - tx },
        connCreated: params.flows, connections: params.flows, fillSeconds: 0, bytesPerConnection: 88,
        rss: { before: 0, built: 0, filled: 0 }, counters: {}, hashBatch: 'avx2',
        ...(k === failAt ? { problem: `new connections: ${params.packets} of ${params.packets} packets were not forwarded` } : {}),
      };
    };
  }

  it('holds each IPv6 case against its IPv4 counterpart in interleaved rounds: IPv4, IPv6, IPv6, IPv4', () => {
    const order: string[] = [];
    const cases = ['fullnat-new', 'fullnat-new-ipv6', 'fullnat-established-ipv6'] as const;
    const report = runDataplaneBench({ flows: FLOWS, packets: PACKETS, repeat: 3, cases, rounds: 3 }, driftingBench(order));
    // The cases once, then three rounds of the one pair whose both cases ran.
    const round = ['v4', 'v6', 'v6', 'v4'];
    assert.deepEqual(order, ['v4', 'v6', 'v6', ...round, ...round, ...round]);
    assert.equal(report.rounds, 3);
    // Each round's ratio from its own four runs' best repetitions.
    const best = (base: number, k: number): number => base * (1 + (k * k) / 20);
    const ratio = (first: number): number =>
      (best(12, first + 1) + best(12, first + 2)) / (best(10, first) + best(10, first + 3));
    const ratios = [ratio(3), ratio(7), ratio(11)].sort((a, b) => a - b);
    assert.ok(ratios[1]! - ratios[0]! > 0.002 && ratios[2]! - ratios[1]! > 0.002 && ratios[1]! !== (ratios[0]! + ratios[2]!) / 2,
      'the rounds differ, and their median is not their mean');
    const newIpv6 = report.cases.find((c) => c.case === 'fullnat-new-ipv6')!;
    assert.deepEqual(newIpv6.ipv4_ratio, {
      against: IPV6_COUNTERPARTS['fullnat-new-ipv6'],
      median: Number(ratios[1]!.toFixed(3)),
      min: Number(ratios[0]!.toFixed(3)),
      max: Number(ratios[2]!.toFixed(3)),
      rounds: 3,
    });
    assert.equal(newIpv6.ipv4_ratio_error, undefined);
    const establishedIpv6 = report.cases.find((c) => c.case === 'fullnat-established-ipv6')!;
    assert.equal(establishedIpv6.ipv4_ratio, undefined, 'no ratio without its counterpart measured');
    assert.equal(establishedIpv6.ipv4_ratio_error, undefined);
  });

  it('ends the rounds at a run that fails, and says which and why instead of a ratio', () => {
    const order: string[] = [];
    const cases = ['fullnat-new', 'fullnat-new-ipv6'] as const;
    // The fifth run (index 4) is round 1's second IPv6 run.
    const report = runDataplaneBench({ flows: FLOWS, packets: PACKETS, repeat: 3, cases, rounds: 3 }, driftingBench(order, 4));
    assert.deepEqual(order, ['v4', 'v6', 'v4', 'v6', 'v6'], 'nothing runs after the failure');
    const newIpv6 = report.cases.find((c) => c.case === 'fullnat-new-ipv6')!;
    assert.equal(newIpv6.ipv4_ratio, undefined);
    assert.match(newIpv6.ipv4_ratio_error ?? '', /^round 1 of 3: fullnat-new-ipv6: the data path did not forward every packet: .*not forwarded/);
    assert.ok(typeof newIpv6.ns_per_packet === 'number', "the case's own figures stay");
  });

  it('runs no rounds when asked for none, or for a number of rounds that is not a whole number', () => {
    for (const rounds of [0, 1.5, Number.NaN]) {
      const order: string[] = [];
      const report = runDataplaneBench({ flows: FLOWS, packets: PACKETS, repeat: 3, cases: ['fullnat-new', 'fullnat-new-ipv6'], rounds },
        driftingBench(order));
      assert.equal(order.length, 2, `rounds ${rounds}: the two cases only`);
      assert.ok(report.cases.every((c) => c.ipv4_ratio === undefined && c.ipv4_ratio_error === undefined));
    }
  });

  it('reports a mode the data plane does not implement as skipped with the reason, never with a figure', () => {
    const report = runDataplaneBench({ flows: FLOWS, packets: PACKETS, repeat: REPEAT, cases: ['dr-established'] }, () => {
      throw Object.assign(new Error("service #0 (203.0.113.10:80/tcp): forwarding mode 'dr' is not implemented"), {
        code: 'XVS_ENOTSUP',
      });
    });
    const [dr] = report.cases;
    assert.match(dr!.skipped ?? '', /forwarding mode 'dr' is not implemented/);
    assert.equal(dr!.mpps, null);
    assert.equal(dr!.ns_per_packet, null);
    assert.equal(dr!.error, undefined);
    assert.equal(report.bytes_per_connection, null);
  });

  it('reports a run whose packets were not all forwarded as an error without figures', () => {
    const report = runDataplaneBench({ flows: FLOWS, packets: PACKETS, repeat: 1, cases: ['fullnat-new'] }, () => ({
      packets: PACKETS, flows: FLOWS, nsPerPacket: [10], copyNsPerPacket: [1], workerNsPerPacket: [[10]], workerAloneNsPerPacket: [[]],
      verdicts: { tx: 5, pass: 0, drop: PACKETS - 5 },
      connCreated: 5, connections: 5, fillSeconds: 0, bytesPerConnection: 88, rss: { before: 0, built: 0, filled: 0 },
      counters: { drop_lport_exhausted: PACKETS - 5 }, hashBatch: 'baseline', problem: 'new connections: 2995 of 3000 packets were not forwarded',
    }));
    const [fresh] = report.cases;
    assert.match(fresh!.error ?? '', /2995 of 3000 packets were not forwarded/);
    assert.equal(fresh!.mpps, null);
    assert.equal(fresh!.cps, null);
  });

  it('gives fullnat enough local addresses for every flow on one worker', () => {
    const config = parseConfigText(caseConfig('fullnat', 1_000_000, 1_000_000), 'bench.json');
    assert.equal(config.local_address_pools.lan!.length, lipsFor(1_000_000));
    assert.ok(lipsFor(1_000_000) * (65535 - 1024 + 1) >= 1_000_000);
    assert.equal(config.services[0]!.forwarding, 'fullnat');
  });

  it('--json prints exactly one JSON document with cases, bytes_per_connection and the command', () => {
    const args = ['bench', 'dataplane', '--json', '--flows', '1000', '--packets', '2000', '--repeat', '1', '--rounds', '1'];
    const r = spawnSync(process.execPath, [XVS, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { cases: DataplaneCaseResult[]; bytes_per_connection: number; command: string };
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one line, one document');
    assert.ok(Array.isArray(doc.cases) && doc.cases.length === DATAPLANE_CASES.length);
    for (const c of doc.cases) {
      assert.equal(typeof c.case, 'string');
      assert.ok('mpps' in c && 'ns_per_packet' in c);
      if (c.case === 'fullnat-new') assert.ok('cps' in c);
    }
    assert.equal(typeof doc.bytes_per_connection, 'number');
    assert.equal(doc.command, 'xvs bench dataplane --json --flows 1000 --packets 2000 --repeat 1 --rounds 1');
    const machine = (doc as unknown as { machine: { cpu: string; cpus: number; hash_batch: string } }).machine;
    assert.ok(machine.cpu.length > 0 && machine.cpus >= 1 && typeof machine.hash_batch === 'string', JSON.stringify(machine));
    for (const [ipv6, ipv4] of Object.entries(IPV6_COUNTERPARTS)) {
      const ratio = doc.cases.find((c) => c.case === ipv6)!.ipv4_ratio;
      assert.equal(ratio?.against, ipv4);
      assert.ok(ratio!.min > 0 && ratio!.min <= ratio!.median && ratio!.median <= ratio!.max, `${ipv6}: a ratio and its range`);
    }
  });

  it('prints a table ending with the command line', () => {
    const r = spawnSync(process.execPath, [XVS, 'bench', 'dataplane', '--flows', '1000', '--packets', '1000', '--repeat', '1', '--rounds', '1'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[lines.length - 1]!, /^command: xvs bench dataplane --flows 1000 --packets 1000 --repeat 1 --rounds 1$/);
    assert.ok(lines.some((l) => /^case\s+Mpps\s+ns\/packet\s+CPS\s+notes$/.test(l)));
    assert.ok(lines.some((l) => l.startsWith('fullnat-established ') && l.includes('target ≤ 40 ns/packet')));
    assert.ok(lines.some((l) => l.startsWith('fullnat-new-ipv6 ') && / × fullnat-new per packet, 1 interleaved round \(/.test(l)));
    assert.match(lines[lines.length - 2]!, /^machine: .+, \d+ CPUs?, Linux .+, Node v\d+.*; hash batch (avx512f|avx2|baseline)$/);
  });

  it('names the machine from /proc/cpuinfo: model name, x86 family and model', () => {
    const cpuinfo = [
      'processor\t: 0', 'vendor_id\t: AuthenticAMD', 'cpu family\t: 25', 'model name\t: AMD EPYC', 'model\t\t: 1',
      'stepping\t: 1', '', 'processor\t: 1', 'cpu family\t: 26', 'model\t\t: 2', 'model name\t: Other', '',
    ].join('\n');
    const m = machineFromCpuinfo(cpuinfo, 2, 'Linux 6.18.0', 'v20.20.2');
    assert.deepEqual(m, { cpu: 'AMD EPYC', cpu_family: 25, cpu_model: 1, cpus: 2, kernel: 'Linux 6.18.0', node: 'v20.20.2' });
    assert.equal(machineText(m), 'AMD EPYC (family 25, model 1), 2 CPUs, Linux 6.18.0, Node v20.20.2');
    // An empty value is no value: it never takes the next line's.
    const empty = machineFromCpuinfo('model name\t: \ncpu family\t:\nmodel\t\t: 7\n', 1, 'Linux 6.1.0', 'v20.0.0');
    assert.deepEqual([empty.cpu, empty.cpu_family, empty.cpu_model], ['unknown', null, 7]);
    // An ARM system's /proc/cpuinfo has neither field, and a system without /proc has nothing.
    for (const text of ['processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n', '']) {
      const arm = machineFromCpuinfo(text, 1, 'Linux 6.1.0', 'v20.0.0');
      assert.deepEqual([arm.cpu, arm.cpu_family, arm.cpu_model], ['unknown', null, null]);
      assert.equal(machineText(arm), 'unknown, 1 CPU, Linux 6.1.0, Node v20.0.0');
    }
  });

  it('exits 2 on a bad parameter and when no benchmark is named', () => {
    const bad = spawnSync(process.execPath, [XVS, 'bench', 'dataplane', '--flows', '0'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--flows must be an integer/);
    const rounds = spawnSync(process.execPath, [XVS, 'bench', 'dataplane', '--rounds', '-1'], { encoding: 'utf8' });
    assert.equal(rounds.status, 2);
    assert.match(rounds.stderr, /--rounds must be an integer from 0 to 100/);
    assert.equal(spawnSync(process.execPath, [XVS, 'bench'], { encoding: 'utf8' }).status, 2);
  });
});

describe('xvs bench control', () => {
  it('runs with tiny parameters, prints one JSON document with every change, and exits', () => {
    const args = ['bench', 'control', '--services', '3', '--servers', '4', '--schedulers', 'wrr', 'mh', '--json'];
    // A timer left running kept this process alive once after it had printed: the timeout catches it.
    const r = spawnSync(process.execPath, [XVS, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.error, undefined, 'exited on its own');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one line, one document');
    const doc = JSON.parse(r.stdout) as { cases: { case: string; snapshot_bytes: number; changes: { change: string; total_ms: number; held_ms: number; slices: number }[] }[]; command: string };
    assert.deepEqual(doc.cases.map((c) => c.case), ['wrr', 'mh']);
    for (const c of doc.cases) {
      assert.ok(c.snapshot_bytes > 0);
      assert.deepEqual(c.changes.map((x) => x.change), ['weight', 'server_down', 'shared_server_down', 'reload_unchanged']);
      for (const x of c.changes) {
        assert.ok(x.total_ms >= 0 && x.held_ms >= 0, JSON.stringify(x));
        assert.ok(Number.isInteger(x.slices) && x.slices >= 1, JSON.stringify(x));
      }
    }
    assert.equal(doc.command, 'xvs bench control --services 3 --servers 4 --schedulers wrr mh --json');
  });
});

describe('xvs bench metrics', () => {
  it('scrapes a real xvs run with tiny parameters, prints one JSON document, and leaves no process behind', () => {
    const args = ['bench', 'metrics', '--services', '2', '--servers', '5', '--scrapes', '2', '--json'];
    const r = spawnSync(process.execPath, [XVS, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.error, undefined, 'exited on its own');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { servers: number; series: number; gzip: { p50_ms: number; bytes: number }; plain: { max_ms: number; bytes: number }; command: string };
    assert.equal(doc.servers, 10);
    // 10 servers: 3 node_ipvs + 7 xvs series each, beside the engine's and the process's.
    assert.ok(doc.series > 100, `${doc.series} series`);
    assert.ok(doc.gzip.bytes > 0 && doc.gzip.bytes < doc.plain.bytes, JSON.stringify(doc));
    assert.ok(doc.gzip.p50_ms > 0 && doc.plain.max_ms > 0);
    assert.equal(doc.command, 'xvs bench metrics --services 2 --servers 5 --scrapes 2 --json');
    const left = spawnSync('pgrep', ['-f', 'xvs-bench-metrics-'], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', 'the xvs it started is gone');
  });
});
