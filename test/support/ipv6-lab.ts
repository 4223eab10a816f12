// test/support/ipv6-lab.ts — IPv6 beside IPv4 in the demo's two-arm topology (src/demo/topology.ts)
// for the IPv6 e2e tests: the client, the balancer's two interfaces, an IPv6 LIP and the servers
// get addresses without duplicate address detection (usable at once); the client routes the VIP
// prefix through the balancer and the servers route back through it (nat). Also the wait for a
// first answer through a VIP, while the balancer learns its IPv6 neighbours. Test thread.
import { execFileSync, spawnSync } from 'node:child_process';

import type { Balancer } from '../../src/demo/balancer.js';
import type { Topology } from '../../src/demo/topology.js';

export const CLIENT6 = '2001:db8:201::2';
export const BALANCER_CLIENT_SIDE6 = '2001:db8:201::1';
export const BALANCER_SERVER_SIDE6 = '2001:db8:202::1';
export const LIP6 = '2001:db8:202::100';
export const VIP6 = '2001:db8:203::10';
export const SERVERS6 = ['2001:db8:202::11', '2001:db8:202::12'] as const;

const ip6 = (ns: string, ...args: string[]) => execFileSync('ip', ['-n', ns, '-6', ...args], { timeout: 10_000 });

/** Addresses and routes of a two-arm topology (`arms: 2`, at most two servers). */
export function addIpv6TwoArms(t: Topology): void {
  ip6(t.client, 'addr', 'add', `${CLIENT6}/64`, 'dev', 'c0', 'nodad');
  ip6(t.client, 'route', 'add', '2001:db8:203::/64', 'via', BALANCER_CLIENT_SIDE6);
  ip6(t.balancer, 'addr', 'add', `${BALANCER_CLIENT_SIDE6}/64`, 'dev', 'l0', 'nodad');
  ip6(t.balancer, 'addr', 'add', `${BALANCER_SERVER_SIDE6}/64`, 'dev', 'l1', 'nodad');
  ip6(t.balancer, 'addr', 'add', `${LIP6}/128`, 'dev', 'l1', 'nodad');
  t.servers.forEach((s, i) => {
    ip6(s.ns, 'addr', 'add', `${SERVERS6[i]}/64`, 'dev', 'e0', 'nodad');
    ip6(s.ns, 'route', 'add', 'default', 'via', BALANCER_SERVER_SIDE6);
  });
}

/** Returns once curl from the client gets an answer from `url` (15 s at most). */
export async function waitForAnswer(t: Topology, balancer: Balancer, url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (spawnSync('ip', ['netns', 'exec', t.client, 'curl', '-s', '-g', '-o', '/dev/null', '--max-time', '2', url], { timeout: 5000 }).status !== 0) {
    if (Date.now() > deadline) throw new Error(`no answer from ${url}; xvs log: ${JSON.stringify(balancer.log.slice(-5))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
