// src/bench/churn/run.ts — `xvs bench churn`: sustained new connections through a Full-NAT VIP,
// xvs against the kernel doing the same job, interleaved on one topology (the demo's fullnat
// scenario: client namespace, balancer namespace, three real HTTP servers). Each round runs
// xvs (`xvs run` with config/demo/fullnat.yaml as the demo does, its minimal dataplane section)
// and then the kernel: xvs stopped, Linux forwarding with nftables DNAT round-robin over the same
// three servers and SNAT to a local address of its own (so neither meets the other's tuples in
// the servers' TIME_WAIT). The client: curl processes from two source addresses, one new TCP
// connection per request (curl-load.ts). Prints requests/s, slow requests and latency per case
// and round. Main thread; needs root. A benchmark: it asserts no time.
import fs from 'node:fs';
import path from 'node:path';

import { Balancer } from '../../demo/balancer.js';
import { Scenario } from '../../demo/scenario.js';
import { CLIENT, VIP } from '../../demo/topology.js';
import { runCurlLoad, summarise, type LoadSummary } from './curl-load.js';

export const SECOND_CLIENT = '10.201.0.3';
// The kernel's own local address: another /32 on the balancer's server-side interface.
const KERNEL_LIP = '10.202.0.101';
const SERVERS = ['10.202.0.11', '10.202.0.12', '10.202.0.13'];
const SERVER_PORT = 8080;
const TABLE = 'xvs_churn';
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
  const { lab, balancer: ns, client } = s.topology;
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
    lab.exec(ns, ['ip', 'addr', 'add', `${KERNEL_LIP}/32`, 'dev', 'l1']);
    const rules = path.join(s.topology.dir, 'churn.nft');
    fs.writeFileSync(rules, kernelRules());
    for (let round = 1; round <= o.rounds; ++round) {
      xvs ??= await Balancer.start(s.topology, s.configFile);
      await measure('xvs', round);
      await xvs.stop();
      xvs = undefined;
      lab.exec(ns, ['nft', '-f', rules]);
      lab.sysctl(ns, 'net.ipv4.ip_forward', 1);
      try {
        await measure('kernel', round);
      } finally {
        lab.sysctl(ns, 'net.ipv4.ip_forward', 0);
        lab.exec(ns, ['nft', 'delete', 'table', 'ip', TABLE]);
      }
    }
  } finally {
    await xvs?.stop();
    await s.destroy();
  }
  return results;
}

/** The kernel's best plain answer: conntrack DNAT round-robin to the servers, SNAT to its LIP. */
function kernelRules(): string {
  const map = SERVERS.map((a, i) => `${i} : ${a} . ${SERVER_PORT}`).join(', ');
  return [
    `table ip ${TABLE} {`,
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    `    ip daddr ${VIP} tcp dport 80 dnat ip to numgen inc mod ${SERVERS.length} map { ${map} }`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip daddr { ${SERVERS.join(', ')} } tcp dport ${SERVER_PORT} snat ip to ${KERNEL_LIP}`,
    '  }',
    '}',
    '',
  ].join('\n');
}
