// test/unit/list-format.test.ts — `xvs list --stats` and `--rate` output from status documents:
// ipvsadm's per-service and per-server columns with exact figures, services summing their
// servers as the status reports them, rates as per-second differences between two samples (a
// server that appeared between them starts at zero; a service's rate is its servers' summed),
// then the per-worker table. Pure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { CounterNumbers, StatusDocument } from '../../src/api/status-document.js';
import { formatRates, formatStats, rates } from '../../src/cli/list-format.js';
import type { ServerStatus, Traffic } from '../../src/control/protocol.js';
import { COUNTERS } from '../../src/native/abi.js';

const counters = (set: Partial<CounterNumbers> = {}) => ({ ...Object.fromEntries(COUNTERS.map((n) => [n, 0])), ...set }) as CounterNumbers;
const traffic = (conns: number, inPackets: number, outPackets: number): Traffic => ({ conns, inPackets, outPackets, inBytes: inPackets * 100, outBytes: outPackets * 1000 });
const sum = (a: Traffic, b: Traffic): Traffic => ({
  conns: a.conns + b.conns, inPackets: a.inPackets + b.inPackets, outPackets: a.outPackets + b.outPackets, inBytes: a.inBytes + b.inBytes, outBytes: a.outBytes + b.outBytes,
});

function server(address: string, t: Traffic): ServerStatus {
  return {
    server: `${address}:8080`, address, port: 8080, weight: 1, configuredWeight: 1, overridden: false, health: 'unchecked',
    nextHopResolved: true, active: 0, inactive: 0, traffic: t, workers: [{ worker: 0, active: 0, inactive: 0, traffic: t }],
  };
}

function doc(a: Traffic, b: Traffic | undefined, workerCounters: Partial<CounterNumbers>): StatusDocument {
  const servers = [server('10.0.0.11', a), ...(b ? [server('10.0.0.12', b)] : [])];
  return {
    running: true, generation: 2, retiredSnapshots: 0, counters: counters(workerCounters), traffic: servers.map((s) => s.traffic).reduce(sum),
    workers: [{ id: 0, running: true, seenGeneration: 2, connections: 4, counters: counters(workerCounters) }],
    services: [{
      name: 'web', key: '203.0.113.10:80/tcp', vip: '203.0.113.10', port: 80, protocol: 'tcp', scheduler: 'rr', forwarding: 'fullnat',
      active: 0, inactive: 0, traffic: servers.map((s) => s.traffic).reduce(sum), servers,
    }],
  };
}

describe('xvs list --stats', () => {
  it('prints connections, packets and bytes per service and server, exact, then per worker', () => {
    const out = formatStats(doc(traffic(3, 30, 20), traffic(1, 10, 5), { conn_created: 4, rx_packets: 65, drop_no_backend: 2 }), true);
    const lines = out.split('\n');
    assert.match(lines[1]!, /^Prot LocalAddress:Port +Conns +InPkts +OutPkts +InBytes +OutBytes$/);
    assert.equal(lines[2], '  -> RemoteAddress:Port');
    assert.match(out, /^TCP  203\.0\.113\.10:80 +4 +40 +25 +4000 +25000$/m);
    assert.match(out, /^ {2}-> 10\.0\.0\.11:8080 +3 +30 +20 +3000 +20000$/m);
    assert.match(out, /^ {2}-> 10\.0\.0\.12:8080 +1 +10 +5 +1000 +5000$/m);
    assert.match(out, /^0 +4 +4 +65 +0 +0 +0 +0 +2$/m);
    assert.match(out, /^Drops: no_backend 2$/m);
  });
});

describe('xvs list --rate', () => {
  it('prints per-second differences per service and server; a server new in the second sample starts at zero', () => {
    const before = doc(traffic(3, 30, 20), undefined, { conn_created: 3 });
    const after = doc(traffic(7, 70, 40), traffic(5, 50, 50), { conn_created: 12 });
    const r = rates(before, after, 2);
    assert.deepEqual(r.services[0]!.servers.map((s) => s.rate), [
      { cps: 2, inpps: 20, outpps: 10, inbps: 2000, outbps: 10000 },
      { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 },
    ]);
    assert.deepEqual(r.services[0]!.rate, { cps: 2, inpps: 20, outpps: 10, inbps: 2000, outbps: 10000 }, "its servers' rates summed: no jump");
    const out = formatRates(after, r, true);
    assert.match(out, /^Prot LocalAddress:Port +CPS +InPPS +OutPPS +InBPS +OutBPS$/m);
    assert.match(out, /^ {2}-> 10\.0\.0\.11:8080 +2 +20 +10 +2000 +10000$/m);
    assert.match(out, /^total +5 +0 +0 +0 +0 +0$/m);
    assert.match(out, /^\(over 2\.00 s\)$/m);
  });
});
