// test/packet/cluster-sync.test.ts — connection sync through the real addon on io/mem (the
// binding's syncDrain, syncInstall and syncDump, native/lb/sync.h): node A opens a Full-NAT
// connection; its records, handed to node B as the control thread would, let B forward the
// connection's next client packet and its server's reply byte for byte as A does, and B counts
// the connection only from then on; a dump gives A's whole table again; bytes that are not
// whole records are refused with XVS_EINVAL; IPv6 and IPv4 records share one stream (each
// starting with its family); and an engine outside a cluster has no sync.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { runSyncBench } from '../../src/bench/cluster/sync.js';
import { RECORDS } from '../../src/native/abi.js';
import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame } from '../support/packets.js';
import { tcp6Frame } from '../support/packets6.js';
import { CLIENT, CLIENT_MAC, portMac } from '../support/rows.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-sync-packet-'));
const key = path.join(dir, 'port.key');
fs.writeFileSync(key, crypto.randomBytes(32));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const VIP = '203.0.113.10';
const config = (node: number, cluster = true) => `
dataplane: { backend: mem, interfaces: [mem0], conn_table_size: 1024, port_key_file: ${key} }
local_address_pools: { lan: [10.0.2.100, 10.0.2.101] }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: fullnat, scheduler: rr, local_address_pool: lan,
      servers: [{ address: 10.0.2.11, port: 8080 }, { address: 10.0.2.12, port: 8080 }] }
${cluster ? `cluster: { node: ${node}, nodes: [{ id: 1, address: 10.255.0.1 }, { id: 2, address: 10.255.0.2 }] }` : ''}
`;

const fromClient = (flags: ('SYN' | 'ACK')[]) =>
  tcpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags, seq: 1000, ack: flags.includes('ACK') ? 5001 : 0 });

describe('connection sync through the addon', () => {
  it("node B forwards node A's connection as A does, and counts it from its first packet", async () => {
    const a = await MemHarness.start(config(1));
    const b = await MemHarness.start(config(2));
    try {
      const syn = a.send(fromClient(['SYN']));
      assert.equal(syn.out.length, 1);
      // The server-side tuple A chose: LIP:lport -> RIP:8080 in A's SYN.
      const out = syn.out[0]!.data;
      const server = `${out[30]}.${out[31]}.${out[32]}.${out[33]}`;
      const reply = tcpFrame({
        srcMac: CLIENT_MAC,
        dstMac: portMac(0),
        src: server,
        dst: `${out[26]}.${out[27]}.${out[28]}.${out[29]}`,
        sport: 8080,
        dport: (out[34]! << 8) | out[35]!,
        flags: ['SYN', 'ACK'],
        seq: 5000,
        ack: 1001,
      });
      const records = a.dataplane.sync.syncDrain(100);
      assert.equal(records.length, RECORDS.sync.size, 'one record: the connection in SYN_RECV');
      const installed = b.measure(() => {
        assert.deepEqual(b.dataplane.sync.syncInstall(records), { accepted: 1, refused: 0 });
        b.dataplane.engine.settle(5000);
        return [];
      });
      assert.deepEqual(installed.moved, { sync_installed: 1 });
      assert.deepEqual(b.connections(), [1]);

      const atA = a.send(reply);
      const atB = b.send(reply);
      assert.equal(atB.out.length, 1);
      assert.deepEqual(atB.out[0]!.data, atA.out[0]!.data, "the server's SYN-ACK leaves B as it leaves A");
      assert.equal(atB.moved.sync_adopted, 1);
      const ack = b.send(fromClient(['ACK']));
      assert.deepEqual(ack.out[0]!.data, a.send(fromClient(['ACK'])).out[0]!.data);
      assert.equal(ack.moved.conn_created, undefined, 'no new connection on B');

      // A dump queues A's whole table again.
      a.dataplane.sync.syncDrain(100);
      a.dataplane.sync.syncDump();
      for (let i = 0; i < 100 && !a.dataplane.sync.syncDumpFinished(); i++) a.advance(0);
      assert.ok(a.dataplane.sync.syncDumpFinished());
      assert.equal(a.dataplane.sync.syncDrain(100).length, RECORDS.sync.size);

      assert.throws(() => b.dataplane.sync.syncInstall(new Uint8Array(RECORDS.sync.size + 1)), { code: 'XVS_EINVAL' });
    } finally {
      a.close();
      b.close();
    }
  });

  it("IPv6 and IPv4 connections in one stream of records: node B forwards both as A does", async () => {
    const VIP6 = '2001:db8:100::10';
    const config6 = (node: number) =>
      config(node)
        .replace('local_address_pools: { lan: [10.0.2.100, 10.0.2.101] }', 'local_address_pools: { lan: [10.0.2.100, 10.0.2.101], lan6: ["fd00:2::100", "fd00:2::101"] }')
        .replace(
          'services:',
          `services:\n  - { name: web6, vip: "${VIP6}", port: 80, forwarding: fullnat, scheduler: rr, local_address_pool: lan6,\n      servers: [{ address: "fd00:2::11", port: 8080 }] }`,
        );
    const a = await MemHarness.start(config6(1));
    const b = await MemHarness.start(config6(2));
    try {
      const syn6 = tcp6Frame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: '2001:db8:c::7', dst: VIP6, sport: 40001, dport: 80, flags: ['SYN'], seq: 1000 });
      const out6 = a.send(syn6).out[0]!.data;
      a.send(fromClient(['SYN']));
      const records = a.dataplane.sync.syncDrain(100);
      assert.equal(records.length, RECORDS.sync6.size + RECORDS.sync.size, 'an IPv6 record and an IPv4 one');
      assert.deepEqual([records[0], records[RECORDS.sync6.size]], [6, 4], 'each starts with its family');
      assert.deepEqual(b.dataplane.sync.syncInstall(records), { accepted: 2, refused: 0 });
      b.dataplane.engine.settle(5000);
      assert.deepEqual(b.connections(), [2]);
      // The IPv6 server's SYN-ACK to the LIP A chose leaves B as it leaves A.
      const ip6 = Buffer.from(out6).subarray(14);
      const text6 = (at: number) => Array.from({ length: 8 }, (_, i) => ip6.readUInt16BE(at + 2 * i).toString(16)).join(':');
      const reply6 = tcp6Frame({
        srcMac: CLIENT_MAC, dstMac: portMac(0), src: text6(24), dst: text6(8), sport: 8080, dport: ip6.readUInt16BE(40), flags: ['SYN', 'ACK'], seq: 5000, ack: 1001,
      });
      const atA = a.send(reply6);
      const atB = b.send(reply6);
      assert.equal(atB.out.length, 1);
      assert.deepEqual(atB.out[0]!.data, atA.out[0]!.data);
      assert.equal(atB.moved.sync_adopted, 1);
      assert.throws(() => b.dataplane.sync.syncInstall(records.subarray(0, RECORDS.sync6.size - 1)), { code: 'XVS_EINVAL' }, 'cut inside a record');
    } finally {
      a.close();
      b.close();
    }
  });

  it('xvs bench cluster: its synthetic records (written through the ABI layout) all install', async () => {
    const r = await runSyncBench({ connections: 4, records: 3000 });
    assert.equal(r.record_bytes, RECORDS.sync.size);
    assert.equal(r.install.records, 3000);
    for (const n of r.network) assert.equal(n.installed, 3000, JSON.stringify(n));
  });

  it('an engine outside a cluster has no sync', async () => {
    const plain = await MemHarness.start(config(1, false));
    try {
      assert.throws(() => plain.dataplane.sync.syncDrain(10), { code: 'XVS_ESTATE', message: /connection sync is off/ });
      assert.throws(() => plain.dataplane.sync.syncInstall(new Uint8Array(RECORDS.sync.size)), { code: 'XVS_ESTATE' });
    } finally {
      plain.close();
    }
  });
});
