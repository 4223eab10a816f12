// src/demo/server.ts — a real server of the demo topology, run as its own process inside a
// server namespace: `node server.js '{"name":"s1","tcp":[80],"udp":[7]}'`. HTTP on every TCP
// port: `GET /` answers "<name> <peer address>" (so the client learns who answered and whom
// the server saw), `GET /bytes/N` streams N bytes of src/demo/payload.ts (N ≤ 1 GiB). UDP echo
// on every UDP port answers "<name> <peer address> <payload>". Prints "ready" once everything
// listens; exits on SIGTERM. Main thread of that process.
import dgram from 'node:dgram';
import http from 'node:http';
import { Readable } from 'node:stream';

import { payload } from './payload.js';

interface ServerSpec {
  name: string;
  tcp: number[];
  udp: number[];
}

const MAX_DOWNLOAD = 1 << 30;
const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
if (typeof spec.name !== 'string' || !Array.isArray(spec.tcp) || !Array.isArray(spec.udp)) {
  console.error('usage: server.js \'{"name": "s1", "tcp": [80], "udp": [7]}\'');
  process.exit(2);
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const peer = req.socket.remoteAddress ?? '?';
  const download = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
  if (download) {
    const bytes = Number(download[1]);
    if (bytes > MAX_DOWNLOAD) {
      res.writeHead(400).end(`at most ${MAX_DOWNLOAD} bytes\n`);
      return;
    }
    res.writeHead(200, { 'content-length': bytes, 'x-server': spec.name, 'x-peer': peer });
    Readable.from(payload(bytes)).pipe(res);
    return;
  }
  res.writeHead(200, { 'x-server': spec.name }).end(`${spec.name} ${peer}`);
}

const listening = [
  ...spec.tcp.map(
    (port) => new Promise<void>((resolve, reject) => http.createServer(handle).once('error', reject).listen(port, '0.0.0.0', resolve)),
  ),
  ...spec.udp.map(
    (port) =>
      new Promise<void>((resolve, reject) => {
        const socket = dgram.createSocket('udp4');
        socket.on('message', (msg, rinfo) => socket.send(`${spec.name} ${rinfo.address} ${msg.toString()}`, rinfo.port, rinfo.address));
        socket.once('error', reject).bind(port, '0.0.0.0', resolve);
      }),
  ),
];
Promise.all(listening).then(
  () => console.log('ready'),
  (err: Error) => {
    console.error(`server ${spec.name}: ${err.message}`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => process.exit(0));
