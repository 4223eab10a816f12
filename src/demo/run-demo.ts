// src/demo/run-demo.ts — what `xvs demo` does, mode after mode: build the mode's topology
// (Scenario), send real HTTP requests over fresh TCP connections and UDP echoes through xvs,
// stop xvs, tear everything down, and report per mode what the clients saw (successes,
// per-server split, the peer address the servers saw, p50/p99 latency) beside what the balancer
// counted. A mode that fails to set up is reported with its error; the others still run.
// Main thread.
import { Scenario } from './scenario.js';
import { VIP, type Mode } from './topology.js';
import { answers, summarise, type Summary } from './traffic.js';

export interface DemoOptions {
  modes: readonly Mode[];
  requests: number;
  concurrency: number;
  /** Called as each mode starts, e.g. to print progress. */
  onMode?: (mode: Mode) => void;
}

export interface DemoRow {
  mode: Mode;
  http?: Summary;
  udp?: Summary;
  /** What the balancer counted: connections created, packets in and out, drops by reason. */
  balancer?: { conn_created: number; rx_packets: number; tx_packets: number; drops: Record<string, number> };
  error?: string;
}

const UDP_ECHOES = 30;

export async function runDemo(options: DemoOptions): Promise<DemoRow[]> {
  const rows: DemoRow[] = [];
  for (const mode of options.modes) {
    options.onMode?.(mode);
    let scenario: Scenario | undefined;
    try {
      scenario = await Scenario.start(mode);
      const t = scenario.topology;
      const http = summarise(
        await answers(t, { kind: 'http', url: `http://${VIP}/`, count: options.requests, concurrency: options.concurrency }),
      );
      const udp = summarise(await answers(t, { kind: 'udp', host: VIP, port: 7, count: UDP_ECHOES }));
      const stopped = await scenario.balancer.stop();
      const c = stopped.counters;
      const drops = Object.fromEntries(Object.entries(c).filter(([k, v]) => k.startsWith('drop_') && v > 0));
      rows.push({
        mode,
        http,
        udp,
        balancer: { conn_created: c.conn_created ?? 0, rx_packets: c.rx_packets ?? 0, tx_packets: c.tx_packets ?? 0, drops },
      });
    } catch (err) {
      rows.push({ mode, error: (err as Error).message.split('\n')[0]! });
    } finally {
      await scenario?.destroy();
    }
  }
  return rows;
}
