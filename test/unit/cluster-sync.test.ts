// Unit tests of connection sync's control-thread side (src/cluster/sync-wire.ts, sync-node.ts):
// datagrams round-trip (records of both families, never cut inside one) and refuse every
// malformed or foreign form; two ClusterSync nodes on
// loopback addresses (127.0.0.1 and 127.0.0.2) over real UDP sockets, each with a fake engine,
// move records both ways in order, answer a starting node's table request with the table and
// its end, count lost datagrams, and refuse datagrams that are not signed with the cluster's key
// or that come from an address or id that is not a node. Needs no root.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { after, describe, it } from 'node:test';

import { ClusterSync, type SyncEngine } from '../../src/cluster/sync-node.js';
import {
  countRecords, datagramChunks, decodeDatagram, encodeDatagram, recordSize, RECORD_BYTES, RECORD6_BYTES, RECORDS_PER_DATAGRAM, SyncKind, syncKey, MAX_DATAGRAM,
} from '../../src/cluster/sync-wire.js';
import type { ClusterConfig } from '../../src/config/types.js';

const KEY = syncKey(Buffer.from('0123456789abcdef'));

/** An IPv4 record (family byte 4) numbered `n`; record6: an IPv6 one (family 6). Opaque beyond that here. */
function record(n: number): Buffer {
  const r = Buffer.alloc(RECORD_BYTES);
  r.writeUInt8(4, 0);
  r.writeUInt32LE(n, 4);
  return r;
}
function record6(n: number): Buffer {
  const r = Buffer.alloc(RECORD6_BYTES);
  r.writeUInt8(6, 0);
  r.writeUInt32LE(n, 4);
  return r;
}

describe('sync datagrams', () => {
  it('round-trip header and records, within one MTU', () => {
    const records = Buffer.concat(Array.from({ length: RECORDS_PER_DATAGRAM }, (_, i) => record(i)));
    const d = encodeDatagram(KEY, { kind: SyncKind.records, node: 7, sequence: 0xfffffffe, sentMs: 1_796_000_000_123 }, records);
    assert.ok(d.length <= MAX_DATAGRAM);
    const back = decodeDatagram(KEY, d);
    assert.ok(back.ok);
    assert.deepEqual(back.header, { kind: SyncKind.records, node: 7, sequence: 0xfffffffe, sentMs: 1_796_000_000_123, count: RECORDS_PER_DATAGRAM });
    assert.deepEqual(back.records, records);
    assert.throws(() => encodeDatagram(KEY, { kind: SyncKind.records, node: 1, sequence: 0, sentMs: 0 }, Buffer.concat([record(1), Buffer.alloc(1, 4)])), /whole records/);
  });

  it('carry IPv4 and IPv6 records side by side, cut into datagrams only between records', () => {
    const mixed = Buffer.concat(Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? record6(i) : record(i))));
    const chunks = [...datagramChunks(mixed)];
    assert.ok(chunks.length > 1);
    assert.deepEqual(Buffer.concat(chunks), mixed, 'nothing lost, nothing reordered');
    let sequence = 0;
    for (const chunk of chunks) {
      const d = encodeDatagram(KEY, { kind: SyncKind.records, node: 1, sequence: sequence++, sentMs: 0 }, chunk);
      assert.ok(d.length <= MAX_DATAGRAM, `${d.length} bytes`);
      const back = decodeDatagram(KEY, d);
      assert.ok(back.ok);
      assert.equal(back.header.count, countRecords(chunk));
    }
    assert.equal(countRecords(mixed), 40);
    assert.equal(recordSize(5), 0);
    assert.equal(countRecords(Buffer.concat([record(1), record6(2).subarray(0, 50)])), undefined, 'cut inside a record');
    // A signed datagram whose records are of no known family comes from a newer format.
    const foreign = encodeDatagram(KEY, { kind: SyncKind.records, node: 1, sequence: 0, sentMs: 0 }, record(9));
    foreign.writeUInt8(5, 24);
    const resigned = Buffer.from(foreign);
    crypto.createHmac('sha256', KEY).update(resigned.subarray(0, 24 + RECORD_BYTES)).digest().copy(resigned, 24 + RECORD_BYTES, 0, 16);
    assert.deepEqual(decodeDatagram(KEY, resigned), { ok: false, reason: 'version' });
  });

  it('refuses what is short, foreign, of another version, of a wrong length or not signed with the key', () => {
    const good = encodeDatagram(KEY, { kind: SyncKind.records, node: 1, sequence: 1, sentMs: 1 }, record(1));
    const edit = (f: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      f(b);
      return decodeDatagram(KEY, b);
    };
    assert.deepEqual(decodeDatagram(KEY, good.subarray(0, 20)), { ok: false, reason: 'short' });
    assert.deepEqual(edit((b) => b.writeUInt32LE(0, 0)), { ok: false, reason: 'magic' });
    assert.deepEqual(edit((b) => b.writeUInt8(9, 4)), { ok: false, reason: 'version' });
    assert.deepEqual(edit((b) => b.writeUInt16LE(RECORD_BYTES + 1, 22)), { ok: false, reason: 'length' });
    assert.deepEqual(edit((b) => b.writeUInt8(b.readUInt8(30) ^ 1, 30)), { ok: false, reason: 'mac' });
    assert.deepEqual(decodeDatagram(syncKey(Buffer.from('another key 1234')), good), { ok: false, reason: 'mac' });
  });
});

class FakeEngine implements SyncEngine {
  queued: Buffer[] = [];
  installed: Buffer[] = [];
  dumps = 0;
  table: Buffer[] = [];
  syncDrain(max: number): Buffer {
    const out = this.queued.splice(0, max);
    return Buffer.concat(out);
  }
  syncInstall(records: Uint8Array) {
    let accepted = 0;
    for (let at = 0; at < records.length; accepted++) {
      const size = recordSize(records[at]!);
      this.installed.push(Buffer.from(records.subarray(at, at + size)));
      at += size;
    }
    return { accepted, refused: 0 };
  }
  syncDump(): void {
    this.dumps++;
    this.queued.push(...this.table);
  }
  syncDumpFinished(): boolean {
    return true;
  }
}

const PORT = 20000 + Math.floor(Math.random() * 20000);
const cluster = (node: number): ClusterConfig => ({
  node,
  nodes: [
    { id: 1, address: '127.0.0.1' },
    { id: 2, address: '127.0.0.2' },
  ],
  drain_time: 1,
  sync: { port: PORT },
});
const PORT_KEY = Buffer.from('0123456789abcdef');

async function until(ok: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('two sync nodes on loopback', () => {
  const open: ClusterSync[] = [];
  after(async () => {
    for (const s of open) await s.close();
  });

  it('move records both ways, answer a table request, count gaps and refuse strangers', async () => {
    const engines = [new FakeEngine(), new FakeEngine()];
    engines[0]!.table = [record(100), record(101)];
    const one = await ClusterSync.start(cluster(1), PORT_KEY, engines[0]!);
    open.push(one);
    const two = await ClusterSync.start(cluster(2), PORT_KEY, engines[1]!);
    open.push(two);

    // A starting node asks and waits for the whole table of every running peer.
    const started = Date.now();
    await two.receiveTables(3000);
    assert.ok(Date.now() - started < 1000, 'the end of the table arrived, no timeout');
    assert.equal(engines[0]!.dumps, 1);
    assert.deepEqual(engines[1]!.installed, [record(100), record(101)]);
    assert.equal(two.status().peers[0]!.tableReceived, true);

    // Many records of both families, both ways, in order, over several datagrams.
    const many = Array.from({ length: 3 * RECORDS_PER_DATAGRAM + 5 }, (_, i) => (i % 4 === 1 ? record6(1000 + i) : record(1000 + i)));
    engines[0]!.queued.push(...many);
    engines[1]!.queued.push(record(7));
    await until(() => engines[1]!.installed.length === 2 + many.length && engines[0]!.installed.length === 1);
    assert.deepEqual(engines[1]!.installed.slice(2), many);
    assert.deepEqual(engines[0]!.installed, [record(7)]);
    const s2 = two.status();
    assert.equal(s2.peers[0]!.records, 2 + many.length);
    assert.equal(s2.peers[0]!.lost, 0);
    assert.equal(one.status().sent.records, 2 + many.length);

    // A sender at node 1's address: gaps in its sequence are lost datagrams; other keys and ids are refused.
    const stranger = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.1', () => resolve()));
    const send = (b: Buffer) => new Promise<void>((resolve) => stranger.send(b, PORT, '127.0.0.2', () => resolve()));
    const last = s2.peers[0]!.datagrams;
    await send(encodeDatagram(KEY, { kind: SyncKind.records, node: 1, sequence: 1_000_000, sentMs: Date.now() }, record(1)));
    await send(encodeDatagram(syncKey(Buffer.from('not the cluster!')), { kind: SyncKind.records, node: 1, sequence: 1_000_001, sentMs: 0 }, record(2)));
    await send(encodeDatagram(KEY, { kind: SyncKind.records, node: 3, sequence: 1_000_002, sentMs: 0 }, record(3)));
    await until(() => two.status().peers[0]!.datagrams === last + 1 && Object.keys(two.status().invalid).length === 2);
    const s = two.status();
    assert.ok(s.peers[0]!.lost > 0, 'the jump in sequence counts as lost datagrams');
    assert.deepEqual(s.invalid, { mac: 1, sender: 1 });
    assert.deepEqual(engines[1]!.installed.at(-1), record(1));
    const outsider = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => outsider.bind(0, '127.0.0.3', () => resolve()));
    await new Promise<void>((resolve) =>
      outsider.send(encodeDatagram(KEY, { kind: SyncKind.records, node: 1, sequence: 5, sentMs: 0 }, record(4)), PORT, '127.0.0.2', () => resolve()),
    );
    await until(() => two.status().invalid.sender === 2);
    stranger.close();
    outsider.close();
  });

  it('a table request to a peer that is not running ends at its bound', async () => {
    const lonely = await ClusterSync.start({ ...cluster(1), sync: { port: PORT + 1 } }, PORT_KEY, new FakeEngine());
    open.push(lonely);
    const started = Date.now();
    await lonely.receiveTables(300);
    assert.ok(Date.now() - started >= 290);
    assert.equal(lonely.status().peers[0]!.tableReceived, false);
  });

  it('refuses to start on an address that is not this machine', async () => {
    await assert.rejects(
      ClusterSync.start({ ...cluster(1), nodes: [{ id: 1, address: '192.0.2.1' }, { id: 2, address: '127.0.0.2' }] }, PORT_KEY, new FakeEngine()),
      /cluster\.sync: cannot listen on 192\.0\.2\.1:\d+ \(EADDRNOTAVAIL\): 192\.0\.2\.1 \(cluster\.nodes, id 1\) is not an address of this machine/,
    );
  });
});
