// src/bench/veth/topology.ts — the namespaces of `xvs bench veth`, built in a NetnsLab so that
// nothing touches the host and everything goes away afterwards (also on failure or Ctrl-C):
//
//   gen ns                    balancer ns                         sink ns
//   g0 10.201.0.2/24 ──veth── l0 10.201.0.1/24 │ l1 10.202.0.1/24 ──veth── s0 10.202.0.11/24
//   pktgen (BPF_PROG_RUN)     xvs / kernel / XDP redirect          XDP: count IPv4, drop; ARP passes
//   sources 10.201.128.0/17   LIP 10.202.0.100.. /32 on l1         (the "server" of every case)
//   → VIP 10.203.0.10 udp 9000
//
// One queue per veth: frames BPF_PROG_RUN injects land on rx queue (sending CPU) % queues of
// l0, so with one queue everything reaches queue 0, the one xvs's single worker reads.
// Cores: l0 and s0 use threaded NAPI; l0's NAPI thread is pinned to the balancer CPU (it shares
// that core with the balancer process, both SCHED_OTHER), s0's to the generator CPU at
// SCHED_FIFO (it preempts the generator, so the sink never limits a figure), so the balancer
// core pays for receive on l0, the balancing and transmit into l1, and nothing else. GRO is on at l0 so
// that veth runs NAPI there even without an XDP program (kernel-path cases), as ENVIRONMENT.md
// measured them. Interface names carry the lab id: NAPI threads are named napi/<dev>-<id>,
// which is how they are found among other labs' threads on a shared machine.
// Main thread of the bench; needs root.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { vethBenchNative, bpfObjectPath, type SinkCounts } from '../../native/addon.js';
import { NetnsLab, run } from '../../netns/lab.js';

export const BALANCER_CPU = 0;
/** SCHED_FIFO priority of the sink veth's NAPI thread on the generator CPU. */
export const SINK_NAPI_PRIORITY = 10;
/**
 * Nice value of everything else the bench runs (l0's NAPI thread, the balancer process, the
 * generator): on a machine shared with other users' unpinned work, nice 0 would give the
 * balancer core's threads a share that depends on what else runs there; -10 weighs ~9x a
 * nice-0 task, so the figures measure the paths, not the neighbours. Every case gets the same.
 */
export const BENCH_NICE = -10;

/** argv prefix: run a command at BENCH_NICE pinned to `cpu`. */
export function pinnedNiced(cpu: number): string[] {
  return ['nice', '-n', String(BENCH_NICE), 'taskset', '-c', String(cpu)];
}
export const GENERATOR_CPU = 1;
export const GEN_ADDR = '10.201.0.2';
export const L0_ADDR = '10.201.0.1';
export const L1_ADDR = '10.202.0.1';
export const SINK_ADDR = '10.202.0.11';
export const VIP = '10.203.0.10';
export const VIP_PORT = 9000;
export const SOURCE_BASE = '10.201.128.0';
export const SOURCE_PORT_BASE = 10000;
/** Where dpdk-testpmd's --txonly-multi-flow sources fall: the VIP's /16 (generators/dpdk.ts). */
export const TESTPMD_SOURCES = '10.203.0.0/16';
export const PORTS_PER_SOURCE = 256;
/** Ethernet/IPv4/UDP frame size the generator sends (64 bytes on a wire, with the FCS). */
export const FRAME_BYTES = 60;

const HELPER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'xdp-helper.js');

export interface LinkFacts {
  ifindex: number;
  mac: string;
}

export class VethTopology {
  readonly lab = new NetnsLab();
  readonly gen = `xvs-${this.lab.id}-gen`;
  readonly balancer = `xvs-${this.lab.id}-lb`;
  readonly sink = `xvs-${this.lab.id}-sink`;
  readonly g0 = `g0-${this.lab.id}`;
  readonly l0 = `l0-${this.lab.id}`;
  readonly l1 = `l1-${this.lab.id}`;
  readonly s0 = `s0-${this.lab.id}`;
  readonly sinkPin = path.join(this.lab.bpffs, 'sink_counts');
  /** Set once the topology is built. */
  links!: { g0: LinkFacts; l0: LinkFacts; l1: LinkFacts; s0: LinkFacts };

  private constructor(readonly lips: string[]) {}

  get bpffs(): string {
    return this.lab.bpffs;
  }

  get dir(): string {
    return this.lab.dir;
  }

  /** Builds everything; on failure removes what was built and throws. */
  static create(lipCount: number): VethTopology {
    const lips = Array.from({ length: lipCount }, (_, i) => `10.202.0.${100 + i}`);
    const t = new VethTopology(lips);
    t.lab.buildOrDestroy(() => t.build());
    return t;
  }

  private build(): void {
    const { lab } = this;
    for (const role of ['gen', 'lb', 'sink']) lab.namespace(role);
    lab.mountBpffs();
    lab.veth(this.g0, this.gen, this.l0, this.balancer, 1);
    lab.veth(this.l1, this.balancer, this.s0, this.sink, 1);
    lab.address(this.gen, this.g0, `${GEN_ADDR}/24`);
    lab.address(this.sink, this.s0, `${SINK_ADDR}/24`);
    for (const [ns, dev] of [
      [this.gen, this.g0],
      [this.balancer, this.l0],
      [this.balancer, this.l1],
      [this.sink, this.s0],
    ] as const)
      lab.up(ns, dev);
    this.hostSideOn('');
    lab.route(this.gen, '10.203.0.0/24', 'via', L0_ADDR);
    lab.sysctl(this.balancer, 'net.ipv4.ip_forward', 0);
    lab.exec(this.balancer, ['ethtool', '-K', this.l0, 'gro', 'on']);
    this.links = {
      g0: this.link(this.gen, this.g0),
      l0: this.link(this.balancer, this.l0),
      l1: this.link(this.balancer, this.l1),
      s0: this.link(this.sink, this.s0),
    };
    this.helper(this.sink, ['sink', this.s0, SINK_ADDR, this.sinkPin]);
    this.threadedNapi(this.balancer, this.l0);
    this.threadedNapi(this.sink, this.s0);
    // The balancer's kernel learns the sink's MAC now (the sink drops the ping, answers ARP).
    spawnQuiet(['ip', 'netns', 'exec', this.balancer, 'ping', '-c', '1', '-W', '1', SINK_ADDR]);
  }

  /**
   * The balancer host's addresses (l0's, l1's, the LIPs) and its route back to the generator's
   * sources (replies, none expected, and the reverse-path check), on l0/l1 (suffix '') or, for
   * the DPDK case while xvs runs, on their exception interfaces l0.kni/l1.kni.
   */
  private hostSideOn(suffix: '' | '.kni'): void {
    const { lab } = this;
    lab.address(this.balancer, this.l0 + suffix, `${L0_ADDR}/24`);
    lab.address(this.balancer, this.l1 + suffix, `${L1_ADDR}/24`);
    for (const lip of this.lips) lab.address(this.balancer, this.l1 + suffix, `${lip}/32`);
    lab.route(this.balancer, '10.201.128.0/17', 'via', GEN_ADDR);
    // dpdk-testpmd's sources (generators/dpdk.ts); the VIP itself is never the kernel's to route
    // back (xvs and nftables take it first; linux-forward routes it to the sink with a /32).
    lab.route(this.balancer, TESTPMD_SOURCES, 'via', GEN_ADDR);
  }

  /** Backend dpdk: before xvs starts, the ports lose the host's addresses (DPDK takes them). */
  releasePortsForDpdk(): void {
    for (const dev of [this.l0, this.l1]) run(['ip', '-n', this.balancer, 'addr', 'flush', 'dev', dev]);
  }

  /** Backend dpdk, once xvs made l0.kni and l1.kni: the host's side goes there. */
  hostSideOnExceptionInterfaces(): void {
    this.hostSideOn('.kni');
  }

  /** Backend dpdk, after xvs stopped (its exception interfaces went with it): back on the ports. */
  hostSideBackOnPorts(): void {
    this.hostSideOn('');
  }

  private link(ns: string, dev: string): LinkFacts {
    const [info] = JSON.parse(run(['ip', '-j', '-n', ns, 'link', 'show', 'dev', dev])) as { ifindex: number; address: string }[];
    if (!info) throw new Error(`cannot read ${dev} in ${ns}`);
    return { ifindex: info.ifindex, mac: info.address };
  }

  private threadedNapi(ns: string, dev: string): void {
    this.lab.exec(ns, ['sh', '-c', `echo 1 > /sys/class/net/${dev}/threaded`]);
  }

  /** Runs the XDP helper entry (xdp-helper.ts) inside `ns`. */
  helper(ns: string, args: string[]): void {
    this.lab.exec(ns, [process.execPath, HELPER, ...args], { timeout: 20_000 });
  }

  /** Attaches the XDP-redirect ceiling program to l0 (towards l1 and the sink's MAC). */
  attachRedirect(): void {
    this.helper(this.balancer, ['redirect', this.l0, String(this.links.l1.ifindex), this.links.l1.mac, this.links.s0.mac]);
  }

  detachXdp(ns: string, dev: string): void {
    this.lab.exec(ns, ['ip', 'link', 'set', 'dev', dev, 'xdp', 'off']);
  }

  /**
   * Pins l0's NAPI thread to the balancer CPU and s0's to the generator CPU (again before every
   * measurement: a NAPI instance re-created by an XDP attach gets a new thread). Returns what
   * could not be done, for the report's notes.
   */
  pinNapiThreads(): string[] {
    const problems: string[] = [];
    for (const [dev, cpu] of [
      [this.l0, BALANCER_CPU],
      [this.s0, GENERATOR_CPU],
    ] as const) {
      const pids = napiThreads(dev);
      if (pids.length === 0) problems.push(`no NAPI thread for ${dev}: its NAPI runs in softirq on the sending CPU`);
      for (const pid of pids) {
        run(['taskset', '-p', '-c', String(cpu), String(pid)]);
        // The sink must never be what limits a figure: at SCHED_OTHER beside a flat-out
        // generator it waits milliseconds for the CPU while its 256-frame ring overflows.
        if (dev === this.s0) run(['chrt', '-f', '-p', String(SINK_NAPI_PRIORITY), String(pid)]);
        else run(['renice', '-n', String(BENCH_NICE), '-p', String(pid)]);
      }
    }
    return problems;
  }

  readSink(): SinkCounts {
    return vethBenchNative().vethReadSink(this.sinkPin);
  }

  destroy(): Promise<void> {
    return this.lab.destroy();
  }

  /** For BalancerHost (src/demo/balancer.ts). */
  spawnIn(ns: string, argv: string[], env: NodeJS.ProcessEnv = {}) {
    return this.lab.spawnIn(ns, argv, env);
  }
}

/** PIDs of the kernel threads named napi/<dev>-<napi id> (the comm is cut at 15 characters). */
function napiThreads(dev: string): number[] {
  const prefix = `napi/${dev}-`.slice(0, 15);
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim().startsWith(prefix)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function spawnQuiet(argv: string[]): void {
  try {
    run(argv, 5_000);
  } catch {
    // the sink drops the echo request on purpose; only the ARP exchange matters
  }
}

export function bpfObjects(): { pktgen: string; sink: string; redirect: string } {
  return { pktgen: bpfObjectPath('pktgen'), sink: bpfObjectPath('sink'), redirect: bpfObjectPath('redirect') };
}
