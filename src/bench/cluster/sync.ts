// src/bench/cluster/sync.ts — what connection sync costs and what one node absorbs, on io/mem
// engines (no root): (1) records and bytes on the wire per Full-NAT connection over its life
// (SYN, handshake, data, FIN both ways), through the real packet path of a node that syncs;
// (2) records per second one worker installs, handed straight to the engine (syncInstall); (3)
// records per second one node takes from the network: signed datagrams sent over loopback by a
// sender thread to its ClusterSync (src/cluster/sync-node.ts), and how many of them were lost on
// the way (socket buffers, sequence gaps) or refused (the worker's ring full). Main thread (and
// a sender worker thread); prints figures, asserts nothing.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { ClusterSync } from '../../cluster/sync-node.js';
import { encodeDatagram, HEADER_BYTES, MAC_BYTES, RECORD_BYTES, RECORDS_PER_DATAGRAM, SyncKind, syncKey } from '../../cluster/sync-wire.js';
import { parseConfigText } from '../../config/load.js';
import type { Config } from '../../config/types.js';
import { Dataplane } from '../../control/worker/dataplane.js';
import { RECORDS } from '../../native/abi.js';
import { portKey } from '../../control/worker/port-key.js';
import { tcpFrame, type TcpFlag } from '../frames.js';

export interface SyncBenchOptions {
  /** Connections whose life is followed in (1). */
  connections: number;
  /** Records installed in (2) and sent in (3). */
  records: number;
}

export interface SyncBenchResult {
  record_bytes: number;
  records_per_connection: number;
  /** Records plus their share of datagram, UDP and IPv4 headers. */
  wire_bytes_per_connection: number;
  install: { records: number; seconds: number; records_per_s: number };
  /** The sync socket's receive buffer as granted (bytes). */
  receive_buffer: number;
  network: OfferedRate[];
}

const CLIENT_MAC = Uint8Array.from([2, 0xcc, 0, 0, 0, 1]);
const PORT_MAC = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const SERVER = '10.0.2.11';
const IP_UDP_BYTES = 28;

function nodeConfig(dir: string, node: number, port: number, tableSize: number): Config {
  const key = path.join(dir, 'port.key');
  if (!fs.existsSync(key)) fs.writeFileSync(key, crypto.randomBytes(32));
  return parseConfigText(
    `dataplane: { backend: mem, interfaces: [mem0], conn_table_size: ${tableSize}, port_key_file: ${key} }
local_address_pools: { lan: [10.0.2.100, 10.0.2.101] }
services:
  - { name: web, vip: 203.0.113.10, port: 80, forwarding: fullnat, scheduler: rr, syn_proxy: off, local_address_pool: lan, servers: [{ address: ${SERVER}, port: 8080 }] }
cluster:
  node: ${node}
  nodes: [{ id: 1, address: 10.255.255.1 }, { id: 2, address: 10.255.255.2 }]
  sync: { port: ${port} }
`,
    'bench-sync.yaml',
  );
}

async function engine(config: Config): Promise<Dataplane> {
  const d = Dataplane.create(config, { memFrames: 8192 });
  await d.apply(config);
  d.start();
  return d;
}

function counter(d: Dataplane, name: 'sync_installed' | 'sync_updated' | 'sync_queued'): number {
  return Number(d.counters().total[name]);
}

/** (1) One connection's life through node A; the records it queued. */
function lifeRecords(a: Dataplane, connections: number): number {
  const e = a.engine;
  const send = (frames: Uint8Array[]) => {
    for (let i = 0; i < frames.length; i += 2000) {
      for (const f of frames.slice(i, i + 2000)) e.memInject(0, 0, f);
      e.settle(5000);
      e.memCollect();
    }
  };
  const client = (port: number, flags: TcpFlag[]) =>
    tcpFrame({ srcMac: CLIENT_MAC, dstMac: PORT_MAC, src: '198.51.100.7', dst: '203.0.113.10', sport: port, dport: 80, flags });
  const ports = Array.from({ length: connections }, (_, i) => 20000 + i);
  send(ports.map((p) => client(p, ['SYN'])));
  // The server side's packets need each connection's local address and port: from A's table.
  const locals = new Map<number, { lip: string; lport: number }>();
  for (const w of a.connections(connections + 16))
    for (const c of w.entries) {
      if (c.template || !c.local) continue;
      const [lip, lport] = c.local.split(':');
      locals.set(Number(c.client.split(':')[1]), { lip: lip!, lport: Number(lport) });
    }
  const server = (p: number, flags: TcpFlag[]) => {
    const l = locals.get(p)!;
    return tcpFrame({ srcMac: CLIENT_MAC, dstMac: PORT_MAC, src: SERVER, dst: l.lip, sport: 8080, dport: l.lport, flags });
  };
  send(ports.map((p) => server(p, ['SYN', 'ACK'])));
  send(ports.map((p) => client(p, ['ACK'])));
  send(ports.map((p) => client(p, ['PSH', 'ACK'])));
  send(ports.map((p) => client(p, ['FIN', 'ACK'])));
  send(ports.map((p) => server(p, ['FIN', 'ACK'])));
  send(ports.map((p) => client(p, ['ACK'])));
  return counter(a, 'sync_queued');
}

/** Records for node B's table: A's record shape with distinct clients and local ports. */
// Where a field of an IPv4 sync record lies (native/abi/sync.h, through the ABI layout).
const SYNC_AT = Object.fromEntries(RECORDS.sync.fields.map((f) => [f.name, f.offset])) as Record<string, number>;

function syntheticRecords(template: Buffer, n: number): Buffer {
  const out = Buffer.alloc(n * RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    const r = out.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
    template.copy(r);
    r.writeUInt32BE(0xc6336400 + Math.floor(i / 60000), SYNC_AT.client_saddr!); // client address 198.51.100.0 + i / 60000
    r.writeUInt16BE(1024 + (i % 60000), SYNC_AT.client_sport!); // client port
    r.writeUInt16BE(1024 + (i % 30000), SYNC_AT.server_dport!); // local port
    r.writeUInt32BE(i % 60000 < 30000 ? 0x0a000264 : 0x0a000265, SYNC_AT.server_daddr!); // the other local address for the second half
  }
  return out;
}

/** (2) Installs `records` on B as fast as its worker takes them; seconds. */
async function installRate(b: Dataplane, records: Buffer): Promise<number> {
  const total = records.length / RECORD_BYTES;
  const base = counter(b, 'sync_installed');
  const started = performance.now();
  let pushed = 0;
  while (pushed < total) {
    const room = 60_000 - (pushed - (counter(b, 'sync_installed') - base));
    if (room <= 0) {
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    const n = Math.min(room, total - pushed, 4096);
    const r = b.engine.syncInstall(records.subarray(pushed * RECORD_BYTES, (pushed + n) * RECORD_BYTES));
    if (r.refused) throw new Error('a ring refused records the bench made room for');
    pushed += n;
  }
  while (counter(b, 'sync_installed') - base < total) await new Promise((resolve) => setImmediate(resolve));
  return (performance.now() - started) / 1000;
}

// Sends workerData.datagrams to `to`:`port`, `perMs` datagrams every millisecond (0: as fast as
// the socket takes them, 256 in flight).
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 8 << 20 });
const { datagrams, port, to, perMs } = workerData;
socket.bind(0, workerData.from, () => {
  let i = 0, inFlight = 0;
  const started = Date.now();
  const finish = () => { if (i === datagrams.length && inFlight === 0) { socket.close(); parentPort.postMessage('done'); } };
  const sent = () => { inFlight--; finish(); };
  const pump = () => {
    const due = perMs > 0 ? Math.min(datagrams.length, Math.floor((Date.now() - started + 1) * perMs)) : datagrams.length;
    while (i < due && inFlight < 256) { inFlight++; socket.send(datagrams[i++], port, to, sent); }
    if (i < datagrams.length) setTimeout(pump, perMs > 0 ? 1 : 0);
  };
  pump();
});`;

export interface OfferedRate {
  /** Records per second offered (0: as fast as one sender thread sends). */
  offered_records_per_s: number;
  sent: number;
  /** Entered or updated in the worker's table. */
  installed: number;
  lost_datagrams: number;
  refused: number;
  invalid: number;
  seconds: number;
  records_per_s: number;
}

async function offer(b: Dataplane, sync: ClusterSync, datagrams: Buffer[], records: number, rate: number, port: number): Promise<OfferedRate> {
  const taken = () => counter(b, 'sync_installed') + counter(b, 'sync_updated');
  const before = { taken: taken(), ...sync.status().peers[0]! };
  const started = performance.now();
  const perMs = rate / RECORDS_PER_DATAGRAM / 1000;
  const sender = new Worker(SENDER, { eval: true, workerData: { datagrams, port, from: '127.0.0.1', to: '127.0.0.2', perMs } });
  await new Promise((resolve, reject) => sender.once('message', resolve).once('error', reject));
  // What arrived is in the table within moments; then nothing more comes.
  let last = -1;
  let settledAt = performance.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = taken();
    if (now === last) break;
    last = now;
    settledAt = performance.now();
  }
  const after = sync.status().peers[0]!;
  const seconds = (settledAt - started) / 1000;
  const installed = taken() - before.taken;
  return {
    offered_records_per_s: rate,
    sent: records,
    installed,
    lost_datagrams: after.lost - before.lost,
    refused: after.refused - before.refused,
    invalid: Object.values(sync.status().invalid).reduce((n, x) => n + x, 0),
    seconds,
    records_per_s: installed / seconds,
  };
}

/** Offered rates of (3), records per second; 0 = unpaced. */
export const OFFERED_RATES = [100_000, 300_000, 1_000_000, 0] as const;

export async function runSyncBench(options: SyncBenchOptions): Promise<SyncBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-bench-sync-'));
  const port = 30000 + Math.floor(Math.random() * 20000);
  const tableSize = 1 << Math.ceil(Math.log2(Math.max(1024, options.records, options.connections * 2)));
  let a: Dataplane | undefined;
  let b: Dataplane | undefined;
  let sync: ClusterSync | undefined;
  try {
    a = await engine(nodeConfig(dir, 1, port, tableSize));
    const queued = lifeRecords(a, options.connections);
    const recordsOut = a.sync.syncDrain(queued + 16);
    const perConnection = recordsOut.length / RECORD_BYTES / options.connections;
    const datagramShare = (HEADER_BYTES + MAC_BYTES + IP_UDP_BYTES) / RECORDS_PER_DATAGRAM;
    const template = Buffer.from(recordsOut.subarray(0, RECORD_BYTES));
    a.stop();
    a = undefined;

    b = await engine(nodeConfig(dir, 2, port, tableSize));
    const records = syntheticRecords(template, options.records);
    const installSeconds = await installRate(b, records);
    b.stop();

    // (3) A fresh node 2 behind its ClusterSync; node 1's datagrams come from a sender thread.
    const config = nodeConfig(dir, 2, port, tableSize);
    b = await engine(config);
    const loopback = { ...config.cluster!, nodes: [{ id: 1, address: '127.0.0.1' }, { id: 2, address: '127.0.0.2' }] };
    sync = await ClusterSync.start(loopback, portKey(config).key, b.sync);
    const key = syncKey(portKey(config).key);
    const network: OfferedRate[] = [];
    let sequence = 0;
    for (const rate of OFFERED_RATES) {
      const datagrams: Buffer[] = [];
      for (let at = 0; at < records.length; at += RECORDS_PER_DATAGRAM * RECORD_BYTES)
        datagrams.push(
          encodeDatagram(key, { kind: SyncKind.records, node: 1, sequence: sequence++, sentMs: Date.now() }, records.subarray(at, Math.min(records.length, at + RECORDS_PER_DATAGRAM * RECORD_BYTES))),
        );
      network.push(await offer(b, sync, datagrams, options.records, rate, port));
    }
    return {
      record_bytes: RECORD_BYTES,
      records_per_connection: perConnection,
      wire_bytes_per_connection: perConnection * (RECORD_BYTES + datagramShare),
      install: { records: options.records, seconds: installSeconds, records_per_s: options.records / installSeconds },
      receive_buffer: sync.status().receiveBuffer,
      network,
    };
  } finally {
    await sync?.close();
    a?.stop();
    b?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
