// src/demo/cluster-topology.ts — a cluster of xvs nodes behind a real router, in namespaces: the
// router runs BIRD 2 (eBGP with every node, routes merged into kernel ECMP routes, an L4
// multipath hash), the nodes share one L2 segment (a bridge) with the router and the real
// servers, and the client sits behind the router. Servers answer HTTP with their name (python3
// http.server serving a directory), echo lines on ECHO_PORT, and route everything through the router, so Full-NAT replies
// to a local address reach the node the router picks for it.
//
//   client 10.77.0.2 ── router 10.77.0.1 | 10.88.0.1 (BIRD, AS 65000)
//                                  │
//             bridge 10.88.0.0/24 ─┼──────────────┬──────────────┬─────────────┐
//                          node1 10.88.0.11   node2 10.88.0.12   s1 .21        s2 .22
//                          (xvs, AS 65001)    (xvs, AS 65001)    :8080         :8080
//
// With `ipv6`, the same addressing in IPv6 beside it (client fd77::2, router fd77::1 | fd88::1,
// nodes fd88::11.., servers fd88::21..; the router's kernel takes the nodes' IPv6 routes from BIRD
// too, ECMP by an L4 hash) for IPv6 services (cluster-node-config.ts ipv6); sessions and sync
// stay IPv4. Used by the cluster e2e tests and benchmarks; runs on the main thread of whoever
// builds it and needs root and BIRD 2. destroy() removes everything, also after a failure.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { NetnsLab, waitForLine } from '../netns/lab.js';
import type { ClusterClientOptions, ClusterClientResult } from './cluster-client.js';
import {
  CLUSTER_VIP,
  CLUSTER_VIP6,
  clusterNodeConfig,
  ECHO_PORT,
  NODE_API,
  NODE_ASN,
  ROUTER_ASN,
  ROUTER_FABRIC,
  type ClusterMode,
} from './cluster-node-config.js';
import { ECHO_SERVER, HTTP_SERVER } from './python-servers.js';

const XVS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/xvs.js');
const CLIENT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cluster-client.js');

export type { ClusterMode } from './cluster-node-config.js';

/** A running `xvs run` of one node, and every line it printed. */
export interface ClusterNodeProcess {
  child: ChildProcess;
  lines: string[];
}

export { CLUSTER_LIPS, CLUSTER_LIPS6, CLUSTER_VIP, CLUSTER_VIP6, ECHO_PORT, NODE_API, NODE_ASN, ROUTER_ASN, ROUTER_FABRIC } from './cluster-node-config.js';
export const CLUSTER_CLIENT = '10.77.0.2';
export const SERVER_PORT = 8080;

export interface ClusterMember {
  id: number;
  ns: string;
  address: string;
  address6: string;
}

export const CLUSTER_CLIENT6 = 'fd77::2';
const ROUTER_CLIENT_SIDE6 = 'fd77::1';
export const ROUTER_FABRIC6 = 'fd88::1';

export class ClusterTopology {
  readonly lab = new NetnsLab();
  readonly router: string;
  readonly client: string;
  readonly switch: string;
  readonly nodes: ClusterMember[] = [];
  readonly servers: { name: string; ns: string; address: string; address6: string }[] = [];
  private routerBird: ChildProcess | undefined;

  /** The servers' HTTP port: the VIP's own (80) where they answer the client directly (dr, tunnel). */
  readonly httpPort: number;

  private constructor(nodes: number, servers: number, readonly directReturn: boolean, readonly ipv6: boolean) {
    this.httpPort = directReturn ? 80 : SERVER_PORT;
    this.router = `xvs-${this.lab.id}-r`;
    this.client = `xvs-${this.lab.id}-c`;
    this.switch = `xvs-${this.lab.id}-sw`;
    for (let i = 1; i <= nodes; i++) this.nodes.push({ id: i, ns: `xvs-${this.lab.id}-n${i}`, address: `10.88.0.${10 + i}`, address6: `fd88::${10 + i}` });
    for (let i = 1; i <= servers; i++)
      this.servers.push({ name: `s${i}`, ns: `xvs-${this.lab.id}-s${i}`, address: `10.88.0.${20 + i}`, address6: `fd88::${20 + i}` });
  }

  /**
   * directReturn (dr, tunnel): every server holds the VIP on its loopback (answering no ARP for
   * it) and listens on all its addresses, the VIP's ports included; replies go to the client
   * through the router, past the nodes.
   */
  static create(options: { nodes: number; servers: number; directReturn?: boolean; ipv6?: boolean }): ClusterTopology {
    const t = new ClusterTopology(options.nodes, options.servers, options.directReturn ?? false, options.ipv6 ?? false);
    t.lab.buildOrDestroy(() => t.build());
    return t;
  }

  get dir(): string {
    return this.lab.dir;
  }

  private build(): void {
    const { lab } = this;
    for (const role of ['r', 'c', 'sw', ...this.nodes.map((n) => `n${n.id}`), ...this.servers.map((s) => s.name)]) lab.namespace(role);
    lab.bridge(this.switch, 'br0');
    lab.veth('c0', this.client, 'r1', this.router);
    lab.address(this.client, 'c0', `${CLUSTER_CLIENT}/24`);
    lab.up(this.client, 'c0');
    lab.txChecksumOff(this.client, 'c0');
    lab.sysctl(this.client, 'net.core.txrehash', 0);
    lab.route(this.client, 'default', 'via', '10.77.0.1');
    lab.address(this.router, 'r1', '10.77.0.1/24');
    lab.up(this.router, 'r1');
    lab.veth('r0', this.router, 'swr', this.switch);
    lab.up(this.switch, 'swr', 'br0');
    lab.address(this.router, 'r0', `${ROUTER_FABRIC}/24`);
    lab.up(this.router, 'r0');
    lab.sysctl(this.router, 'net.ipv4.ip_forward', 1);
    // What the servers send back out of the segment it came from (their replies through a node):
    // an ICMP redirect would make them send straight to one node, past every later withdrawal.
    for (const scope of ['all', 'default', 'r0']) lab.sysctl(this.router, `net.ipv4.conf.${scope}.send_redirects`, 0);
    // ECMP over the nodes by addresses and ports, as edge routers hash (L4 multipath).
    lab.sysctl(this.router, 'net.ipv4.fib_multipath_hash_policy', 1);
    for (const n of this.nodes) {
      lab.veth('f0', n.ns, `swn${n.id}`, this.switch);
      lab.up(this.switch, `swn${n.id}`, 'br0');
      // The fast path's XDP_TX frames reach the bridge only while its port runs NAPI.
      lab.groOn(this.switch, `swn${n.id}`);
      lab.address(n.ns, 'f0', `${n.address}/24`);
      lab.up(n.ns, 'f0');
    }
    for (const s of this.servers) {
      lab.veth('e0', s.ns, `sw${s.name}`, this.switch);
      lab.up(this.switch, `sw${s.name}`, 'br0');
      lab.address(s.ns, 'e0', `${s.address}/24`);
      lab.up(s.ns, 'e0');
      lab.txChecksumOff(s.ns, 'e0');
      lab.route(s.ns, 'default', 'via', ROUTER_FABRIC);
      if (this.directReturn) {
        lab.address(s.ns, 'lo', `${CLUSTER_VIP}/32`);
        lab.sysctl(s.ns, 'net.ipv4.conf.all.arp_ignore', 1);
        lab.sysctl(s.ns, 'net.ipv4.conf.all.arp_announce', 2);
      }
    }
    if (this.ipv6) this.addIpv6();
    lab.mountBpffs();
  }

  private addIpv6(): void {
    const ip6 = (ns: string, ...args: string[]) => this.lab.exec(ns, ['ip', '-6', ...args]);
    ip6(this.client, 'addr', 'add', `${CLUSTER_CLIENT6}/64`, 'dev', 'c0', 'nodad');
    ip6(this.client, 'route', 'add', 'default', 'via', ROUTER_CLIENT_SIDE6);
    ip6(this.router, 'addr', 'add', `${ROUTER_CLIENT_SIDE6}/64`, 'dev', 'r1', 'nodad');
    ip6(this.router, 'addr', 'add', `${ROUTER_FABRIC6}/64`, 'dev', 'r0', 'nodad');
    this.lab.sysctl(this.router, 'net.ipv6.conf.all.forwarding', 1);
    this.lab.sysctl(this.router, 'net.ipv6.fib_multipath_hash_policy', 1);
    for (const n of this.nodes) ip6(n.ns, 'addr', 'add', `${n.address6}/64`, 'dev', 'f0', 'nodad');
    for (const s of this.servers) {
      ip6(s.ns, 'addr', 'add', `${s.address6}/64`, 'dev', 'e0', 'nodad');
      ip6(s.ns, 'route', 'add', 'default', 'via', ROUTER_FABRIC6);
      // Linux's router sends IPv6 redirects it cannot be told not to (replies to a local address go
      // back out of the segment they came in by): a server following one would keep sending to one
      // node past its withdrawal.
      this.lab.sysctl(s.ns, 'net.ipv6.conf.all.accept_redirects', 0);
      this.lab.sysctl(s.ns, 'net.ipv6.conf.e0.accept_redirects', 0);
    }
  }

  /**
   * The router's BIRD: one session per node, every node's routes merged into ECMP kernel routes.
   * natReplies (nat mode, "servers routed through the nodes"): what the servers send goes to a
   * node that announces the VIP — a default route in table 100, recursive through the VIP's route
   * (so it follows withdrawals), chosen by a rule for packets from the servers.
   */
  async startRouter(options: { natReplies?: boolean } = {}): Promise<void> {
    const dir = path.join(this.dir, 'router');
    fs.mkdirSync(dir, { recursive: true });
    const peers = this.nodes.map((n) => `protocol bgp node${n.id} from xvs_node { neighbor ${n.address} as ${NODE_ASN}; }\n`).join('');
    fs.writeFileSync(
      path.join(dir, 'bird.conf'),
      `log stderr all;
router id ${ROUTER_FABRIC};
protocol device { }
protocol kernel { ipv4 { import none; export all; }; merge paths yes; }
${this.ipv6 ? 'protocol kernel kernel6 { ipv6 { import none; export all; }; merge paths yes; }\n' : ''}template bgp xvs_node {
  local ${ROUTER_FABRIC} as ${ROUTER_ASN};
  hold time 3; keepalive time 1; connect retry time 1; error wait time 1, 5;
  ipv4 { import all; export none; };${this.ipv6 ? '\n  ipv6 { import all; export none; };' : ''}
}
${peers}${
        options.natReplies
          ? `ipv4 table replies;
protocol static server_replies { ipv4 { table replies; }; igp table master4; route 0.0.0.0/0 recursive ${CLUSTER_VIP}; }
protocol kernel replies_kernel { ipv4 { table replies; export all; }; kernel table 100; }
`
          : ''
      }`,
    );
    if (options.natReplies)
      for (const s of this.servers) this.lab.exec(this.router, ['ip', 'rule', 'add', 'from', s.address, 'iif', 'r0', 'lookup', '100', 'pref', '100']);
    this.routerBird = this.lab.spawnIn(this.router, ['bird', '-f', '-c', path.join(dir, 'bird.conf'), '-s', path.join(dir, 'bird.ctl')]);
    const deadline = Date.now() + 5000;
    while (!fs.existsSync(path.join(dir, 'bird.ctl'))) {
      if (this.routerBird.exitCode !== null) throw new Error(`the router's BIRD exited (${this.routerBird.exitCode})`);
      if (Date.now() > deadline) throw new Error("the router's BIRD did not start within 5 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The router's BGP routes in its kernel table (both families): prefix → next-hop addresses (sorted). */
  routerRoutes(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const list = (family: string) =>
      JSON.parse(this.lab.exec(this.router, ['ip', family, '-j', 'route', 'show', 'proto', 'bird'])) as {
        dst: string;
        gateway?: string;
        nexthops?: { gateway: string }[];
      }[];
    for (const r of [...list('-4'), ...(this.ipv6 ? list('-6') : [])]) {
      const prefix = r.dst.includes('/') ? r.dst : `${r.dst}/${r.dst.includes(':') ? 128 : 32}`;
      const via = r.nexthops ? r.nexthops.map((h) => h.gateway) : r.gateway ? [r.gateway] : [];
      out.set(prefix, via.sort());
    }
    return out;
  }

  /** Polls routerRoutes() until `ok` holds; throws with the last table after `timeoutMs`. */
  async waitForRoutes(ok: (routes: Map<string, string[]>) => boolean, timeoutMs: number, what: string, pollMs = 100): Promise<Map<string, string[]>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const routes = this.routerRoutes();
      if (ok(routes)) return routes;
      if (Date.now() > deadline) throw new Error(`router: ${what} not within ${timeoutMs} ms; routes: ${JSON.stringify([...routes])}`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** python3 http.server on every server (GET /name answers the server's name) and a line echo server on ECHO_PORT. */
  async startServers(): Promise<void> {
    await Promise.all(this.servers.map((s) => this.startServer(s.name)));
    await Promise.all(
      this.servers.map((s) =>
        waitForLine(this.lab.spawnIn(s.ns, ['python3', '-u', '-c', ECHO_SERVER, this.bindAddress(s), String(ECHO_PORT)]), (l) => l === 'ready', 10_000),
      ),
    );
  }

  /** Where a server listens: all its addresses (direct return), its IPv6 one (ipv6), else its IPv4 one. */
  private bindAddress(s: { address: string; address6: string }): string {
    return this.directReturn ? '0.0.0.0' : this.ipv6 ? s.address6 : s.address;
  }

  private readonly serverProcesses = new Map<string, ChildProcess>();

  async startServer(name: string): Promise<void> {
    const s = this.servers.find((x) => x.name === name);
    if (!s) throw new Error(`no server ${name}`);
    const root = path.join(this.dir, `www-${s.name}`);
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'name'), s.name);
    const bind = this.bindAddress(s);
    const child = this.lab.spawnIn(s.ns, ['python3', '-u', '-c', HTTP_SERVER, bind, String(this.httpPort), root]);
    this.serverProcesses.set(name, child);
    child.once('exit', () => this.serverProcesses.delete(name));
    await waitForLine(child, (l) => l.startsWith('Serving HTTP'), 10_000);
  }

  async stopServer(name: string): Promise<void> {
    const child = this.serverProcesses.get(name);
    if (!child) throw new Error(`server ${name} is not running`);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Node `id`'s config file for `mode` (cluster-node-config.ts; an ipv6 topology: IPv6 fullnat services), written into the lab. */
  nodeConfig(id: number, mode: ClusterMode = 'fullnat'): string {
    const file = path.join(this.dir, `node${id}.yaml`);
    const key = path.join(this.dir, 'port.key');
    if (!fs.existsSync(key)) fs.writeFileSync(key, Buffer.from('0123456789abcdef0123456789abcdef'));
    const stateDir = path.join(this.dir, `state${id}`);
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(
      file,
      clusterNodeConfig({ id, mode, nodes: this.nodes, servers: this.servers, httpPort: this.httpPort, portKeyFile: key, stateDir, ipv6: this.ipv6 }),
    );
    return file;
  }

  /** Starts `xvs run` on node `id` and waits for its "started" line. */
  async startNode(id: number, config = this.nodeConfig(id)): Promise<ClusterNodeProcess> {
    const ns = this.nodes[id - 1]!.ns;
    // TMPDIR: the BGP speaker's directory is made there, inside the lab (removed with it).
    const child = this.spawnIn(ns, [process.execPath, XVS, 'run', '--config', config], { LIBXDP_BPFFS: this.lab.bpffs, TMPDIR: this.dir });
    const lines: string[] = [];
    child.stdout?.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    child.stderr?.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    await waitForLine(child, (l) => l.includes('"event":"started"'), 20_000).catch((err: Error) => {
      throw new Error(`node ${id}: ${err.message}\n${lines.join('\n')}`);
    });
    return { child, lines };
  }

  /**
   * From the client: long-lived echo connections and a loop of new HTTP connections for
   * `durationMs` (src/demo/cluster-client.ts); resolves with every failure and when it happened.
   */
  startLoad(durationMs: number, options: Partial<ClusterClientOptions> = {}): Promise<ClusterClientResult> {
    const o: ClusterClientOptions = {
      vip: this.ipv6 ? CLUSTER_VIP6 : CLUSTER_VIP,
      echoPort: ECHO_PORT,
      httpPort: 80,
      longLived: 24,
      intervalMs: 100,
      exchangeTimeoutMs: 2000,
      newEveryMs: 20,
      durationMs,
      ...options,
    };
    const child = this.spawnIn(this.client, [process.execPath, CLIENT, JSON.stringify(o)]);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) =>
      child.once('exit', (code) => (code === 0 && out ? resolve(JSON.parse(out) as ClusterClientResult) : reject(new Error(`client exited ${code}: ${err}`)))),
    );
  }

  /** Attaches the IPIP decapsulation program to every server (tunnel mode). */
  decapOnServers(): void {
    for (const s of this.servers) this.lab.exec(s.ns, [process.execPath, XVS, 'decap', '--iface', 'e0'], { timeout: 20_000, env: { LIBXDP_BPFFS: this.lab.bpffs } });
  }

  /** Node `id`'s status document (GET /status on its API). */
  nodeStatus<T = unknown>(id: number): T {
    return JSON.parse(this.lab.exec(this.nodes[id - 1]!.ns, ['curl', '-sS', '--max-time', '3', `http://${NODE_API}/status`])) as T;
  }

  spawnIn(ns: string, argv: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    return this.lab.spawnIn(ns, argv, env);
  }

  destroy(): Promise<void> {
    return this.lab.destroy();
  }
}
