// src/demo/scenario.ts — one forwarding mode set up end to end: the Topology that mode needs,
// its real servers (decapsulating IPIP in XDP for tunnel), and `xvs run` with the mode's example
// config from config/demo/ (interfaces adapted when the caller asks for another number of arms;
// one queue per configured worker). Used by `xvs demo` and the end-to-end tests. Main thread.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

import { Balancer } from './balancer.js';
import { BALANCER_CLIENT_SIDE, Topology, type Mode } from './topology.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const XVS = path.join(ROOT, 'bin', 'xvs.js');

/** The example config `xvs demo` runs for `mode`. */
export function demoConfigPath(mode: Mode): string {
  return path.join(ROOT, 'config', 'demo', `${mode}.yaml`);
}

/** Arms each mode's example uses (dr and tunnel: one; nat and fullnat: two). */
export const DEFAULT_ARMS: Record<Mode, 1 | 2> = { dr: 1, tunnel: 1, nat: 2, fullnat: 2 };

export interface ScenarioOptions {
  arms?: 1 | 2;
  /**
   * dpdk: the example config runs on the DPDK backend (its vdevs on the same veths), and the
   * balancer's addresses go on its exception interfaces once it runs, before traffic starts.
   */
  backend?: 'afxdp' | 'dpdk';
  /** dataplane.dpdk.driver with backend dpdk (default: xvs's, af_xdp). */
  dpdkDriver?: 'af_xdp' | 'af_packet';
  /** dataplane.workers instead of the example's. */
  workers?: number;
  servers?: number;
  /** Changes the example config before xvs starts (tests: health checks, a sorry server). */
  edit?: (config: YAML.Document) => void;
}

export class Scenario {
  private constructor(
    readonly mode: Mode,
    readonly topology: Topology,
    readonly balancer: Balancer,
    readonly workers: number,
    /** The config xvs runs: rewrite it and call balancer.reload() to reload. */
    readonly configFile: string,
  ) {}

  /** Builds and starts everything; on failure tears down what exists and throws. */
  static async start(mode: Mode, options: ScenarioOptions = {}): Promise<Scenario> {
    const arms = options.arms ?? DEFAULT_ARMS[mode];
    const doc = YAML.parseDocument(fs.readFileSync(demoConfigPath(mode), 'utf8'));
    if (options.workers !== undefined) doc.setIn(['dataplane', 'workers'], options.workers);
    const workers = Number(doc.getIn(['dataplane', 'workers']) ?? 1);
    const backend = options.backend ?? 'afxdp';
    const t = Topology.create({ arms, queues: workers, servers: options.servers ?? 3, mode, backend });
    try {
      if (backend === 'dpdk') {
        doc.setIn(['dataplane', 'backend'], 'dpdk');
        // The EAL on the host's hugepages (xvs's default; the caller reserves them).
        if (options.dpdkDriver) doc.setIn(['dataplane', 'dpdk'], doc.createNode({ driver: options.dpdkDriver }, { flow: true }));
        // The host side is addressed only once xvs runs; tunnel's outer source is needed at start.
        if (mode === 'tunnel') doc.setIn(['dataplane', 'tunnel_source'], BALANCER_CLIENT_SIDE);
      }
      if (arms !== DEFAULT_ARMS[mode]) doc.setIn(['dataplane', 'interfaces'], doc.createNode(t.interfaces, { flow: true }));
      // State across restarts (Full-NAT held tuples) stays in the topology's own directory.
      doc.setIn(['dataplane', 'state_dir'], t.dir);
      options.edit?.(doc);
      const configFile = path.join(t.dir, `${mode}.yaml`);
      fs.writeFileSync(configFile, doc.toString());
      await t.startServers();
      if (mode === 'tunnel') {
        for (const s of t.servers) t.lab.exec(s.ns, [process.execPath, XVS, 'decap', '--iface', 'e0'], { timeout: 20_000, env: { LIBXDP_BPFFS: t.bpffs } });
      }
      const balancer = await Balancer.start(t, configFile);
      if (backend === 'dpdk') {
        try {
          t.configureHostSide();
          await balancer.nextHopsResolved();
        } catch (err) {
          await balancer.stop();
          throw err;
        }
      }
      return new Scenario(mode, t, balancer, workers, configFile);
    } catch (err) {
      await t.destroy();
      throw err;
    }
  }

  /** Stops xvs (if still running) and removes the topology. */
  async destroy(): Promise<void> {
    try {
      await this.balancer.stop();
    } finally {
      await this.topology.destroy();
    }
  }
}
