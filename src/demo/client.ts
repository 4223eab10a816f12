// src/demo/client.ts — the client of the demo topology, run as its own process inside the
// client namespace: `node client.js '<ClientJob JSON>'`; prints one JSON document (ClientResult)
// and exits. Jobs: `http` (count requests over fresh TCP connections, `concurrency` at a time),
// `udp` (count datagrams, each from a fresh socket, i.e. a fresh source port), `download` (one
// GET streamed into SHA-256). Every reply names the server that answered and the peer it saw.
// Bounded: per-request timeouts, and a job stops starting requests after `maxFailures`
// failures, so a broken data path fails in seconds. Main thread of that process.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';

export type ClientJob =
  | { kind: 'http'; url: string; count: number; concurrency: number; timeoutMs?: number; maxFailures?: number }
  | { kind: 'udp'; host: string; port: number; count: number; timeoutMs?: number; maxFailures?: number }
  | { kind: 'download'; url: string; timeoutMs?: number }
  /** Requests every intervalMs for durationMs over ONE kept-alive TCP connection (its port in every answer). */
  | { kind: 'keepalive'; url: string; durationMs: number; intervalMs: number; timeoutMs?: number };

export interface Answer {
  ok: boolean;
  /** The client's source port: one balancer connection per distinct port. */
  port?: number;
  server?: string;
  peer?: string;
  ms: number;
  error?: string;
}

export interface DownloadResult {
  ok: boolean;
  bytes: number;
  sha256: string;
  ms: number;
  server?: string;
  peer?: string;
  error?: string;
}

export type ClientResult = { answers: Answer[] } | { download: DownloadResult };

const elapsedMs = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function httpOnce(url: string, timeoutMs: number, agent: http.Agent | false = false): Promise<Answer> {
  const start = process.hrtime.bigint();
  let port: number | undefined;
  return new Promise<Answer>((resolve) => {
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      port = req.socket?.localPort;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const [server, peer] = body.split(' ');
        const ok = res.statusCode === 200 && Boolean(server && peer);
        resolve({ ok, server, peer, ms: elapsedMs(start), ...(ok ? {} : { error: `status ${res.statusCode}: ${body.slice(0, 80)}` }) });
      });
      res.on('error', (err) => resolve({ ok: false, ms: elapsedMs(start), error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, ms: elapsedMs(start), error: err.message }));
  }).then((a) => (port === undefined ? a : { ...a, port }));
}

function udpOnce(host: string, port: number, seq: number, timeoutMs: number): Promise<Answer> {
  const start = process.hrtime.bigint();
  const socket = dgram.createSocket('udp4');
  return new Promise<Answer>((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, ms: elapsedMs(start), error: `no echo within ${timeoutMs} ms` }), timeoutMs);
    const payload = `ping-${seq}`;
    socket.on('message', (msg) => {
      clearTimeout(timer);
      const [server, peer, echoed] = msg.toString().split(' ');
      const ok = echoed === payload && Boolean(server && peer);
      resolve({ ok, server, peer, ms: elapsedMs(start), ...(ok ? {} : { error: `bad echo: ${msg.toString().slice(0, 80)}` }) });
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, ms: elapsedMs(start), error: err.message });
    });
    socket.send(payload, port, host);
  })
    .then((a) => {
      try {
        return { ...a, port: socket.address().port };
      } catch {
        return a; // never bound: the send failed
      }
    })
    .finally(() => socket.close());
}

/** Runs `count` attempts, `concurrency` at a time, stopping new ones after `maxFailures`. */
async function pool(count: number, concurrency: number, maxFailures: number, once: (i: number) => Promise<Answer>): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  let failures = 0;
  const lane = async () => {
    while (next < count && failures < maxFailures) {
      const a = await once(next++);
      if (!a.ok) failures++;
      answers.push(a);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  return answers;
}

function download(url: string, timeoutMs: number): Promise<DownloadResult> {
  const start = process.hrtime.bigint();
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  return new Promise((resolve) => {
    const fail = (error: string) => resolve({ ok: false, bytes, sha256: '', ms: elapsedMs(start), error });
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      res.on('end', () =>
        resolve({
          ok: res.statusCode === 200,
          bytes,
          sha256: hash.digest('hex'),
          ms: elapsedMs(start),
          server: String(res.headers['x-server'] ?? ''),
          peer: String(res.headers['x-peer'] ?? ''),
        }),
      );
      res.on('error', (err) => fail(err.message));
    });
    req.on('timeout', () => req.destroy(new Error(`stalled for ${timeoutMs} ms`)));
    req.on('error', (err) => fail(err.message));
  });
}

async function runJob(job: ClientJob): Promise<ClientResult> {
  switch (job.kind) {
    case 'http':
      return { answers: await pool(job.count, job.concurrency, job.maxFailures ?? 10, () => httpOnce(job.url, job.timeoutMs ?? 3000)) };
    case 'udp':
      return {
        answers: await pool(job.count, 1, job.maxFailures ?? 10, (i) => udpOnce(job.host, job.port, i, job.timeoutMs ?? 1000)),
      };
    case 'download':
      return { download: await download(job.url, job.timeoutMs ?? 10_000) };
    case 'keepalive': {
      // One socket for the whole run: a reset or a new connection shows as a changed port.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const answers: Answer[] = [];
      for (const until = Date.now() + job.durationMs; Date.now() < until; ) {
        answers.push(await httpOnce(job.url, job.timeoutMs ?? 3000, agent));
        await new Promise((resolve) => setTimeout(resolve, job.intervalMs));
      }
      agent.destroy();
      return { answers };
    }
  }
}

// An entry point: importers take its types only (`import type`), which runs nothing.
runJob(JSON.parse(process.argv[2] ?? '{}') as ClientJob).then(
  (result) => process.stdout.write(JSON.stringify(result) + '\n'),
  (err: Error) => {
    console.error(`client: ${err.message}`);
    process.exit(1);
  },
);
