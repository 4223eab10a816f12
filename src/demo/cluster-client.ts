// src/demo/cluster-client.ts — the client side of the cluster tests and the failover benchmark,
// run as its own process in the client namespace: long-lived TCP connections that exchange a line
// with an echo server every `intervalMs` (each exchange must come back within `exchangeTimeoutMs`),
// and beside them a loop that opens a new HTTP connection every `newEveryMs`. After `durationMs`
// it closes everything and prints one JSON line: every failure with its time (ms since the epoch),
// so that the caller can tell failures before a router withdrew a node from failures after.
// Usage: node cluster-client.js '{"vip":"10.99.0.10","echoPort":9000,"httpPort":80,...}'.
import http from 'node:http';
import net from 'node:net';

export interface ClusterClientOptions {
  vip: string;
  echoPort: number;
  httpPort: number;
  longLived: number;
  intervalMs: number;
  exchangeTimeoutMs: number;
  newEveryMs: number;
  durationMs: number;
}

export interface Failure {
  atMs: number;
  reason: string;
}

export interface ClusterClientResult {
  established: { opened: number; exchanges: number; failures: (Failure & { id: number })[] };
  /** okAt: when each answered request started (ms since the epoch). */
  fresh: { ok: number; okAt: number[]; failures: Failure[] };
}

function longLived(o: ClusterClientOptions, id: number, result: ClusterClientResult, until: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(o.echoPort, o.vip);
    let buffered = '';
    let waiting: NodeJS.Timeout | undefined;
    let ticker: NodeJS.Timeout | undefined;
    let done = false;
    let n = 0;
    const finish = (reason?: string) => {
      if (done) return;
      done = true;
      clearTimeout(waiting);
      clearInterval(ticker);
      if (reason) result.established.failures.push({ id, atMs: Date.now(), reason });
      socket.destroy();
      resolve();
    };
    socket.setNoDelay(true);
    socket.on('connect', () => {
      result.established.opened++;
      ticker = setInterval(() => {
        if (Date.now() >= until) return finish();
        if (waiting) return; // the previous exchange is still out
        const line = `ping ${id} ${n++}\n`;
        socket.write(line);
        waiting = setTimeout(() => finish(`no echo within ${o.exchangeTimeoutMs} ms`), o.exchangeTimeoutMs);
        buffered = line;
      }, o.intervalMs);
    });
    socket.on('data', (d: Buffer) => {
      const got = d.toString();
      if (!buffered.startsWith(got)) return finish(`wrong echo ${JSON.stringify(got)}`);
      buffered = buffered.slice(got.length);
      if (buffered === '') {
        clearTimeout(waiting);
        waiting = undefined;
        result.established.exchanges++;
      }
    });
    socket.on('error', (e) => finish(e.message));
    socket.on('close', () => finish(Date.now() < until ? 'closed' : undefined));
  });
}

function freshLoop(o: ClusterClientOptions, result: ClusterClientResult, until: number): Promise<void> {
  return new Promise((resolve) => {
    const one = () => {
      if (Date.now() >= until) return resolve();
      const started = Date.now();
      const req = http.get({ host: o.vip, port: o.httpPort, path: '/name', agent: false, timeout: 2000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) {
            result.fresh.ok++;
            result.fresh.okAt.push(started);
          }
          else result.fresh.failures.push({ atMs: started, reason: `status ${res.statusCode}` });
          setTimeout(one, o.newEveryMs);
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        result.fresh.failures.push({ atMs: started, reason: e.message });
        setTimeout(one, o.newEveryMs);
      });
    };
    one();
  });
}

export async function runClusterClient(o: ClusterClientOptions): Promise<ClusterClientResult> {
  const result: ClusterClientResult = { established: { opened: 0, exchanges: 0, failures: [] }, fresh: { ok: 0, okAt: [], failures: [] } };
  const until = Date.now() + o.durationMs;
  await Promise.all([...Array.from({ length: o.longLived }, (_, id) => longLived(o, id, result, until)), freshLoop(o, result, until)]);
  return result;
}

if (process.argv[1]?.endsWith('cluster-client.js') && process.argv[2]) {
  void runClusterClient(JSON.parse(process.argv[2]) as ClusterClientOptions).then((r) => console.log(JSON.stringify(r)));
}
