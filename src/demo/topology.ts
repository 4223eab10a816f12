// src/demo/topology.ts — the load-balancing topology of the demo and the end-to-end tests, built
// in a NetnsLab (src/netns/lab.ts) so that nothing touches the host:
//
//   two arms:  client ── c0|l0 ─ [balancer] ─ l1|swl ── bridge ── server 1..n
//   one arm:   client ── c0|swc ── bridge ── swl|l0 ─ [balancer]
//                                    └─────── server 1..n
//
// Addresses: 10.201.0.0/24 client side, 10.202.0.0/24 server side (one arm: both in one
// segment, 10.200.0.0/14), VIPs in 10.203.0.0/24 routed by the client towards the balancer.
// What the servers need depends on the forwarding mode, as on a real LVS site:
//   fullnat  the LIP is an address of the balancer's server-side interface (its kernel answers
//            ARP for it); servers need no route back to clients.
//   nat      two arms; the servers' default route points at the balancer.
//   dr       one arm; servers hold the VIP on lo (arp_ignore=1, arp_announce=2) and answer the
//            client directly.
//   tunnel   as dr, and each server decapsulates IPIP in XDP (`xvs decap`, attached by the
//            scenario: src/demo/scenario.ts).
// With backend dpdk the balancer's interfaces are DPDK ports, which the kernel no longer serves:
// they carry no address, and the balancer host's own addresses (the same ones) go on the ports'
// exception interfaces NAME.kni once xvs has made them (configureHostSide), as an operator
// configures DPVS's KNI interfaces after it starts.
// Client and server veths have TX checksum offload off (veth hands over unfinished checksums,
// see ENVIRONMENT.md) and sockets there keep their tx queue (net.core.txrehash=0, see
// stableQueues()); the balancer's veths have `queues` queues (one per worker), and their peers
// GRO on, so that they take the XDP fast path's frames (a veth without NAPI refuses them). Real servers
// run src/demo/server.ts. Main thread; needs root.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { NetnsLab, waitForLine } from '../netns/lab.js';

export type Mode = 'dr' | 'nat' | 'tunnel' | 'fullnat';
export const MODES: readonly Mode[] = ['dr', 'nat', 'tunnel', 'fullnat'];

export const CLIENT = '10.201.0.2';
export const VIP = '10.203.0.10';
export const LIP = '10.202.0.100';
export const BALANCER_CLIENT_SIDE = '10.201.0.1';
const BALANCER_SERVER_SIDE = '10.202.0.1';

/** What the real servers listen on (every mode; dr/tunnel use the service ports themselves). */
export const SERVER_TCP_PORTS = [80, 81, 8080, 8081] as const;
export const SERVER_UDP_PORTS = [7] as const;

export interface TopologyOptions {
  arms: 1 | 2;
  /** Queues of the balancer's interfaces (one per worker). */
  queues: number;
  servers: number;
  /** How the servers are set up; undefined: plain servers (fullnat needs nothing else). */
  mode?: Mode;
  /** dpdk: the balancer's addresses go on NAME.kni after xvs starts (configureHostSide). Default afxdp. */
  backend?: 'afxdp' | 'dpdk';
}

export interface RealServer {
  ns: string;
  name: string;
  address: string;
}

const SERVER_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server.js');

export class Topology {
  readonly lab = new NetnsLab();
  readonly client: string;
  readonly balancer: string;
  readonly switch: string;
  readonly servers: RealServer[] = [];
  /** The balancer's interfaces in config order. */
  readonly interfaces: string[];
  private readonly serverProcesses = new Map<string, ChildProcess>();

  private constructor(readonly options: TopologyOptions) {
    this.interfaces = options.arms === 2 ? ['l0', 'l1'] : ['l0'];
    this.client = `xvs-${this.lab.id}-c`;
    this.balancer = `xvs-${this.lab.id}-lb`;
    this.switch = `xvs-${this.lab.id}-sw`;
    for (let i = 1; i <= options.servers; i++)
      this.servers.push({ ns: `xvs-${this.lab.id}-s${i}`, name: `s${i}`, address: `10.202.0.${10 + i}` });
  }

  /** Builds the topology; on failure removes what was built and throws. */
  static create(options: TopologyOptions): Topology {
    const { mode, arms } = options;
    if (mode === 'nat' && arms !== 2) throw new Error('nat needs two arms: the servers route their replies through the balancer');
    if ((mode === 'dr' || mode === 'tunnel') && arms !== 1)
      throw new Error(`${mode} needs one arm here: the servers answer the client directly on the shared segment`);
    const t = new Topology(options);
    t.lab.buildOrDestroy(() => t.build());
    return t;
  }

  get dir(): string {
    return this.lab.dir;
  }

  get bpffs(): string {
    return this.lab.bpffs;
  }

  private build(): void {
    const { lab } = this;
    const { queues, arms, mode } = this.options;
    for (const role of ['c', 'lb', 'sw', ...this.servers.map((s) => s.name)]) lab.namespace(role);
    lab.bridge(this.switch, 'br0');
    const prefix = arms === 2 ? 24 : 14;
    if (arms === 2) {
      lab.veth('c0', this.client, 'l0', this.balancer, queues);
      lab.veth('l1', this.balancer, 'swl', this.switch, queues);
      lab.up(this.switch, 'swl', 'br0');
    } else {
      lab.veth('c0', this.client, 'swc', this.switch, queues);
      lab.veth('l0', this.balancer, 'swl', this.switch, queues);
      lab.up(this.switch, 'swc', 'br0');
      lab.up(this.switch, 'swl', 'br0');
    }
    lab.address(this.client, 'c0', `${CLIENT}/${prefix}`);
    for (const dev of this.interfaces) lab.up(this.balancer, dev);
    if (this.options.backend !== 'dpdk') this.addHostAddresses('');
    lab.up(this.client, 'c0');
    lab.txChecksumOff(this.client, 'c0');
    // The peers of the balancer's interfaces take the XDP fast path's frames (lab.groOn).
    lab.groOn(this.switch, 'swl');
    if (arms === 2) lab.groOn(this.client, 'c0');
    this.stableQueues(this.client);
    lab.route(this.client, '10.203.0.0/24', 'via', BALANCER_CLIENT_SIDE);
    this.servers.forEach((s, i) => {
      lab.veth('e0', s.ns, `sw${i + 1}`, this.switch);
      lab.up(this.switch, `sw${i + 1}`, 'br0');
      lab.address(s.ns, 'e0', `${s.address}/${prefix}`);
      lab.up(s.ns, 'e0');
      lab.txChecksumOff(s.ns, 'e0');
      this.stableQueues(s.ns);
      if (mode === 'nat') lab.route(s.ns, 'default', 'via', BALANCER_SERVER_SIDE);
      if (mode === 'dr' || mode === 'tunnel') {
        lab.address(s.ns, 'lo', `${VIP}/32`);
        // The VIP is on every server: only the balancer may answer ARP for it.
        lab.sysctl(s.ns, 'net.ipv4.conf.all.arp_ignore', 1);
        lab.sysctl(s.ns, 'net.ipv4.conf.all.arp_announce', 2);
      }
    });
    lab.mountBpffs();
  }

  /** The balancer host's addresses, on its interfaces (suffix '') or their exception interfaces ('.kni'). */
  private addHostAddresses(suffix: string): void {
    const { lab } = this;
    const { arms, mode } = this.options;
    lab.address(this.balancer, `l0${suffix}`, `${BALANCER_CLIENT_SIDE}/${arms === 2 ? 24 : 14}`);
    if (arms === 2) lab.address(this.balancer, `l1${suffix}`, `${BALANCER_SERVER_SIDE}/24`);
    if (mode === undefined || mode === 'fullnat') lab.address(this.balancer, `${this.interfaces.at(-1)!}${suffix}`, `${LIP}/32`);
  }

  /**
   * Backend dpdk, once xvs runs: the balancer host's addresses on the exception interfaces xvs
   * made (NAME.kni), which the kernel uses instead of the DPDK ports.
   */
  configureHostSide(): void {
    if (this.options.backend !== 'dpdk') throw new Error('configureHostSide: the topology was not built for backend dpdk');
    this.addHostAddresses('.kni');
  }

  /**
   * On veth the sender picks the receiver's queue, i.e. the balancer's worker, from the socket's
   * hash, and by default a TCP socket re-hashes after a retransmission timeout: its flow would move
   * to another worker mid-connection, which no NIC with RSS does (it hashes the packet, not the
   * socket). Off in the namespaces that send to the balancer.
   */
  private stableQueues(ns: string): void {
    this.lab.sysctl(ns, 'net.core.txrehash', 0);
  }

  /** Starts a process inside a namespace; destroy() kills it. */
  spawnIn(ns: string, argv: string[], env: NodeJS.ProcessEnv = {}) {
    return this.lab.spawnIn(ns, argv, env);
  }

  /**
   * Starts every real server (src/demo/server.ts: HTTP "<name> <peer>" and /bytes/N on the TCP
   * ports, UDP echo on the UDP ports) and waits until each listens.
   */
  async startServers(tcp: readonly number[] = SERVER_TCP_PORTS, udp: readonly number[] = SERVER_UDP_PORTS): Promise<void> {
    await Promise.all(this.servers.map((s) => this.startServer(s.name, tcp, udp)));
  }

  /** Starts one real server's process (see startServers) and waits until it listens. */
  async startServer(name: string, tcp: readonly number[] = SERVER_TCP_PORTS, udp: readonly number[] = SERVER_UDP_PORTS): Promise<void> {
    const s = this.server(name);
    if (this.serverProcesses.has(name)) throw new Error(`server ${name} is already running`);
    const child = this.spawnIn(s.ns, [process.execPath, SERVER_ENTRY, JSON.stringify({ name: s.name, tcp, udp })]);
    this.serverProcesses.set(name, child);
    child.once('exit', () => this.serverProcesses.delete(name));
    await waitForLine(child, (l) => l === 'ready', 10_000);
  }

  /** Kills one real server's process (as a crash would) and waits until it is gone. */
  async stopServer(name: string): Promise<void> {
    const child = this.serverProcesses.get(name);
    if (!child) throw new Error(`server ${name} is not running`);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  private server(name: string): RealServer {
    const s = this.servers.find((x) => x.name === name);
    if (!s) throw new Error(`no server ${name}`);
    return s;
  }

  /** Deletes everything; idempotent. */
  destroy(): Promise<void> {
    return this.lab.destroy();
  }
}
