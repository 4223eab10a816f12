// test/support/ipv6-lab.ts — IPv6 beside IPv4 in the demo's two-arm topology (src/demo/topology.ts)
// for the IPv6 e2e tests: the client, the balancer's two interfaces, an IPv6 LIP and the servers
// get addresses without duplicate address detection (usable at once); the client routes the VIP
// prefix through the balancer and the servers route back through it (nat); with backend dpdk the
// balancer's side goes on the exception interfaces once xvs runs. Also the servers' IPv6 HTTP
// server, and the wait for a first answer through a VIP while the balancer learns its IPv6
// neighbours. Test thread.
import { execFileSync, spawnSync } from 'node:child_process';

import type { Balancer } from '../../src/demo/balancer.js';
import type { Topology } from '../../src/demo/topology.js';
import { waitForLine } from '../../src/netns/lab.js';

export const CLIENT6 = '2001:db8:201::2';
export const BALANCER_CLIENT_SIDE6 = '2001:db8:201::1';
export const BALANCER_SERVER_SIDE6 = '2001:db8:202::1';
export const LIP6 = '2001:db8:202::100';
export const VIP6 = '2001:db8:203::10';
export const SERVERS6 = ['2001:db8:202::11', '2001:db8:202::12'] as const;

const ip6 = (ns: string, ...args: string[]) => execFileSync('ip', ['-n', ns, '-6', ...args], { timeout: 10_000 });

/** Addresses and routes of a two-arm topology (`arms: 2`, at most two servers). */
export function addIpv6TwoArms(t: Topology): void {
  addIpv6Peers(t);
  addIpv6BalancerSide(t, '');
}

/** The client's and the servers' side of addIpv6TwoArms. */
export function addIpv6Peers(t: Topology): void {
  ip6(t.client, 'addr', 'add', `${CLIENT6}/64`, 'dev', 'c0', 'nodad');
  ip6(t.client, 'route', 'add', '2001:db8:203::/64', 'via', BALANCER_CLIENT_SIDE6);
  t.servers.forEach((s, i) => {
    ip6(s.ns, 'addr', 'add', `${SERVERS6[i]}/64`, 'dev', 'e0', 'nodad');
    ip6(s.ns, 'route', 'add', 'default', 'via', BALANCER_SERVER_SIDE6);
  });
}

/**
 * The balancer host's side: on its interfaces (suffix ''), or with backend dpdk on their
 * exception interfaces once xvs has made them ('.kni').
 */
export function addIpv6BalancerSide(t: Topology, suffix: '' | '.kni'): void {
  ip6(t.balancer, 'addr', 'add', `${BALANCER_CLIENT_SIDE6}/64`, 'dev', `l0${suffix}`, 'nodad');
  ip6(t.balancer, 'addr', 'add', `${BALANCER_SERVER_SIDE6}/64`, 'dev', `l1${suffix}`, 'nodad');
  ip6(t.balancer, 'addr', 'add', `${LIP6}/128`, 'dev', `l1${suffix}`, 'nodad');
}

// An HTTP server on one IPv6 address (argv[1]) and ports (argv[3:], default 8080): GET / answers
// "NAME PEER", GET /bytes/N answers N bytes (i % 251). Prints "ready" once listening.
export const IPV6_HTTP_SERVER = `
import http.server, socket, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/bytes/"):
            body = bytes(i % 251 for i in range(int(self.path[7:])))
        else:
            body = ("%s %s\\n" % (sys.argv[2], self.client_address[0])).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
import threading
ports = [int(p) for p in sys.argv[3:]] or [8080]
servers = [Server((sys.argv[1], port), Handler) for port in ports]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print("ready", flush=True)
servers[0].serve_forever()
`;

/** IPV6_HTTP_SERVER in each server's namespace on its SERVERS6 address (or `address`), named after the server. */
export async function startIpv6Servers(t: Topology, address?: string, ports: number[] = []): Promise<void> {
  for (const [i, s] of t.servers.entries()) {
    const child = t.spawnIn(s.ns, ['python3', '-c', IPV6_HTTP_SERVER, address ?? SERVERS6[i]!, s.name, ...ports.map(String)]);
    await waitForLine(child, (line) => line === 'ready', 10_000);
  }
}

/** Returns once curl from the client gets an answer from `url` (15 s at most). */
export async function waitForAnswer(t: Topology, balancer: Balancer, url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (spawnSync('ip', ['netns', 'exec', t.client, 'curl', '-s', '-g', '-o', '/dev/null', '--max-time', '2', url], { timeout: 5000 }).status !== 0) {
    if (Date.now() > deadline) throw new Error(`no answer from ${url}; xvs log: ${JSON.stringify(balancer.log.slice(-5))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
