// src/bench/churn/run.ts — `xvs bench churn`: sustained new connections through a Full-NAT VIP,
// xvs against the kernel doing the same job, interleaved on one topology (the demo's fullnat
// scenario: client namespace, balancer namespace, three real HTTP servers). Each round runs
// xvs (`xvs run` with config/demo/fullnat.yaml as the demo does, its minimal dataplane section)
// and then the kernel: xvs stopped, Linux forwarding with nftables DNAT and SNAT
// (../kernel-nat.ts). The client: curl processes from two source addresses, one new TCP
// connection per request, the whole port range theirs (curl-load.ts). Prints requests/s, slow
// requests and latency per case and round. Main thread; needs root. A benchmark: it asserts no
// time.
import { Balancer } from '../../demo/balancer.js';
import { Scenario } from '../../demo/scenario.js';
import { CLIENT, VIP } from '../../demo/topology.js';
import { prepareKernelNat, withKernelNat } from '../kernel-nat.js';
import { runCurlLoad, summarise, widenClientPorts, type LoadSummary } from './curl-load.js';

export const SECOND_CLIENT = '10.201.0.3';
export const SLOW_SECONDS = 0.5;

export interface ChurnOptions {
  rounds: number;
  seconds: number;
  /** curl processes per client address. */
  curls: number;
  progress?: (line: string) => void;
}

export interface ChurnRound {
  case: 'xvs' | 'kernel';
  round: number;
  summary: LoadSummary;
}

export async function runChurnBench(o: ChurnOptions): Promise<ChurnRound[]> {
  const s = await Scenario.start('fullnat');
  const { lab, client } = s.topology;
  let xvs: Balancer | undefined = s.balancer;
  const results: ChurnRound[] = [];
  const sources = [CLIENT, SECOND_CLIENT].flatMap((a) => Array.from({ length: o.curls }, () => a));
  const measure = async (which: ChurnRound['case'], round: number) => {
    const runs = await runCurlLoad({ lab, ns: client, sources, url: `http://${VIP}/`, until: (_, ms) => ms >= o.seconds * 1000 });
    const summary = summarise(runs, SLOW_SECONDS);
    results.push({ case: which, round, summary });
    o.progress?.(`round ${round} ${which}: ${summary.perSecond.toFixed(0)} requests/s, ${summary.slow} over ${SLOW_SECONDS * 1000} ms`);
  };
  try {
    lab.exec(client, ['ip', 'addr', 'add', `${SECOND_CLIENT}/24`, 'dev', 'c0']);
    widenClientPorts(lab, client);  // both cases alike: otherwise the later measures inherit the earlier ones' TIME_WAIT
    prepareKernelNat(s);
    for (let round = 1; round <= o.rounds; ++round) {
      xvs ??= await Balancer.start(s.topology, s.configFile);
      await measure('xvs', round);
      await xvs.stop();
      xvs = undefined;
      await withKernelNat(s, () => measure('kernel', round));
    }
  } finally {
    await xvs?.stop();
    await s.destroy();
  }
  return results;
}
