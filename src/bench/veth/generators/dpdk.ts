// src/bench/veth/generators/dpdk.ts — generator "dpdk": dpdk-testpmd (Debian's `dpdk-dev` package since 22.11.11, `dpdk` before)
// in txonly mode on a net_af_xdp vdev over g0, as a DPDK user would drive a pktgen-style run:
// its forwarding lcore and its main lcore on the generator CPU, ordinary pages (a 60-byte
// transmit-only run needs no hugepages, and it leaves them to the DPDK backend's case),
// `--txonly-multi-flow` for DPDK_GENERATOR_FLOWS flows, flat out. testpmd prints its port
// statistics every second; SIGINT after `seconds` makes it print the accumulated forward
// statistics (TX-packets) and exit. Main thread; the child is bounded by `seconds` (and killed
// by the lab on a failure).
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

import { waitForLine } from '../../../netns/lab.js';
import { DPDK_GENERATOR_FLOWS } from '../options.js';
import { FRAME_BYTES, GENERATOR_CPU, SOURCE_PORT_BASE, TESTPMD_SOURCES, VIP, VIP_PORT, pinnedNiced } from '../topology.js';
import type { Sent, VethGenerator } from './types.js';

export const TESTPMD = 'dpdk-testpmd';
/** EAL lcore of testpmd's forwarding core (lcore 0 is its main lcore, idle in a sleep loop). */
const FORWARDING_LCORE = 1;
/** testpmd's default pool wants hugepages' worth of mbufs; a transmit-only run needs few. */
const MBUFS = 8192;
const EXIT_GRACE_MS = 10_000;

/** The command line, EAL arguments first; the file prefix keeps concurrent DPDK processes apart. */
export function testpmdArgv(iface: string, peerMac: string, cpu: number, filePrefix: string): string[] {
  return [
    TESTPMD,
    `--lcores=0@${cpu},${FORWARDING_LCORE}@${cpu}`,
    '--no-huge',
    '-m',
    '256',
    '--no-pci',
    '--no-shconf',
    '--no-telemetry',
    `--file-prefix=${filePrefix}`,
    `--vdev=net_af_xdp0,iface=${iface}`,
    '--',
    '--forward-mode=txonly',
    '--txonly-multi-flow',
    // testpmd 22.11 replaces the source per frame: the destination with its third octet counting
    // 0–255, plus the forwarding lcore's id (so TESTPMD_SOURCES, which the balancer routes back).
    `--tx-ip=${VIP},${VIP}`,
    `--tx-udp=${SOURCE_PORT_BASE},${VIP_PORT}`,
    `--eth-peer=0,${peerMac}`,
    `--txpkts=${FRAME_BYTES}`,
    `--total-num-mbufs=${MBUFS}`,
    '--stats-period=1',
  ];
}

/** TX-packets of the "Accumulated forward statistics" block testpmd prints when it stops, or undefined. */
export function parseTestpmdSent(output: string): number | undefined {
  const at = output.lastIndexOf('Accumulated forward statistics');
  if (at < 0) return undefined;
  const m = /TX-packets:\s+(\d+)/.exec(output.slice(at));
  return m ? Number(m[1]) : undefined;
}

/** --no-shconf still makes an (empty) runtime directory named after the file prefix. */
const runtimeDir = (filePrefix: string) => `/var/run/dpdk/${filePrefix}`;

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join(' | ');
}

function collect(child: ChildProcess): { text: () => string } {
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return { text: () => out };
}

export const dpdkGenerator: VethGenerator = {
  describe:
    `dpdk-testpmd txonly --txonly-multi-flow on net_af_xdp (g0), ordinary pages: ${DPDK_GENERATOR_FLOWS} flows from ${TESTPMD_SOURCES}, ` +
    'one source port; it sends what l0 takes, so "offered" follows the path',
  backPressured: true, // frames l0's full ring refuses stay in the PMD's ring: testpmd counts only what it took
  onCpu: `dpdk-testpmd txonly, lcores 0 and ${FORWARDING_LCORE}`,
  unavailable() {
    const r = spawnSync('sh', ['-c', `command -v ${TESTPMD}`], { encoding: 'utf8' });
    return r.status === 0 ? undefined : `${TESTPMD} is missing: apt-get install dpdk dpdk-dev (Debian 12 ships it with DPDK 22.11, in dpdk-dev since 22.11.11)`;
  },
  async start(topo, _options, seconds) {
    const filePrefix = `xvsgen${process.pid}`;
    // Line-buffered: into a pipe its statistics would arrive in 4 KiB blocks, late.
    const argv = [...pinnedNiced(GENERATOR_CPU), 'stdbuf', '-oL', ...testpmdArgv(topo.g0, topo.links.l0.mac, GENERATOR_CPU, filePrefix)];
    const child = topo.spawnIn(topo.gen, argv);
    const output = collect(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // testpmd prints its first port statistics as forwarding starts.
    try {
      await waitForLine(child, (l) => l.includes('Port statistics'), 20_000);
    } catch (err) {
      child.kill('SIGKILL');
      await exited;
      fs.rmSync(runtimeDir(filePrefix), { recursive: true, force: true });
      throw new Error(`${TESTPMD} did not start: ${(err as Error).message}; ${lastLines(output.text(), 3)}`);
    }
    const t0 = process.hrtime.bigint();
    const finished = (async (): Promise<Sent> => {
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
      const code = await exited;
      // testpmd sends until it has stopped its forwarding cores (up to ~1 s after SIGINT), and
      // its count includes those frames: the time runs to its exit.
      const stopped = process.hrtime.bigint();
      clearTimeout(timer);
      fs.rmSync(runtimeDir(filePrefix), { recursive: true, force: true });
      const frames = parseTestpmdSent(output.text());
      if (frames === undefined) throw new Error(`${TESTPMD} exited (${code}) without its statistics: ${lastLines(output.text(), 3)}`);
      return { frames, seconds: Number(stopped - t0) / 1e9 };
    })();
    finished.catch(() => undefined); // the caller awaits it
    return { finished };
  },
};
