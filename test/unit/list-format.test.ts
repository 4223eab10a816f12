// test/unit/list-format.test.ts — `xvs list`'s tables against ipvsadm 1.31's formats, golden:
// the expected text below is what ipvsadm's printf formats (print_title, print_service_entry,
// print_largenum in ipvsadm.c) write for the same table, trailing spaces included — sorted by
// protocol, address and port (libipvs), K/M/G/T above 8 digits unless --exact, the persistence
// mask and the ops flag, --thresholds, one service alone (-t), the configuration's order with
// --nosort; then xvs's --workers extras and the rates computation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { CounterNumbers, StatusDocument } from '../../src/api/status-document.js';
import type { ServerStatus, ServiceStatus, Traffic } from '../../src/control/protocol.js';
import { emptyCounters } from '../../src/stats/counters.js';
import { COUNTERS } from '../../src/native/abi.js';
import { largeNumber } from '../../src/cli/ipvsadm-format.js';
import { formatRates, formatServices, formatStats, rates, type ListView } from '../../src/cli/list-format.js';

const counters = (c: Partial<CounterNumbers>): CounterNumbers =>
  ({ ...Object.fromEntries(COUNTERS.map((n) => [n, Number(emptyCounters()[n])])), ...c }) as CounterNumbers;
const traffic = (conns: number, inPackets: number, outPackets: number, inBytes = inPackets * 100, outBytes = outPackets * 1000): Traffic => ({
  conns, inPackets, outPackets, inBytes, outBytes,
});
const sum = (a: Traffic, b: Traffic): Traffic => ({
  conns: a.conns + b.conns, inPackets: a.inPackets + b.inPackets, outPackets: a.outPackets + b.outPackets, inBytes: a.inBytes + b.inBytes, outBytes: a.outBytes + b.outBytes,
});

function server(address: string, port: number, weight: number, active: number, inactive: number, t: Traffic, thresholds = [0, 0]): ServerStatus {
  return {
    server: `${address}:${port}`, address, port, weight, configuredWeight: weight, upperThreshold: thresholds[0]!, lowerThreshold: thresholds[1]!,
    overridden: false, health: 'unchecked', nextHopResolved: true, active, inactive, persistent: active + inactive > 0 ? 1 : 0, traffic: t,
  };
}

function service(s: Pick<ServiceStatus, 'name' | 'vip' | 'port' | 'protocol' | 'scheduler' | 'forwarding' | 'servers'> & Partial<ServiceStatus>): ServiceStatus {
  return {
    key: `${s.vip}:${s.port}/${s.protocol}`, onePacket: false, active: 0, inactive: 0,
    traffic: s.servers.map((x) => x.traffic).reduce(sum), ...s,
  };
}

/** Configuration order: the UDP service first, its servers out of address order. */
function table(): StatusDocument {
  const services = [
    service({
      name: 'dns', vip: '203.0.113.10', port: 53, protocol: 'udp', scheduler: 'wrr', forwarding: 'dr', onePacket: true,
      servers: [server('10.0.0.21', 53, 3, 0, 7, traffic(7, 7, 0))],
    }),
    service({
      name: 'web', vip: '203.0.113.10', port: 80, protocol: 'tcp', scheduler: 'rr', forwarding: 'nat', persistence: { timeout: 300, netmask: 24 },
      servers: [
        server('10.0.0.12', 8080, 2, 5, 1, traffic(6, 123_456_789, 10, 12_345_678_901_234, 98_765_432_109), [100, 80]),
        server('10.0.0.11', 8080, 1, 0, 0, traffic(0, 0, 0)),
      ],
    }),
    service({
      name: 'api', vip: '198.51.100.1', port: 443, protocol: 'tcp', scheduler: 'wlc', forwarding: 'fullnat',
      servers: [server('10.0.1.1', 443, 1, 1, 0, traffic(1, 2, 3))],
    }),
  ];
  return {
    running: true, generation: 2, retiredSnapshots: 0, counters: counters({ conn_created: 14, rx_packets: 65, drop_no_backend: 2 }),
    traffic: services.map((s) => s.traffic).reduce(sum),
    workers: [{ id: 0, running: true, seenGeneration: 2, connections: 4, counters: counters({ conn_created: 14, rx_packets: 65, drop_no_backend: 2 }) }],
    services,
  };
}

const view = (v: Partial<ListView> = {}): ListView => ({ kind: 'plain', numeric: true, exact: false, sort: true, workers: false, ...v });
const lines = (...l: string[]) => `${l.join('\n')}\n`;
const BANNER = 'xvs (generation 2, 1 worker, running)';

describe('xvs list: ipvsadm -L', () => {
  it('prints the plain table sorted by protocol, address and port, with persistence, mask and ops', () => {
    assert.equal(
      formatServices(table(), view()),
      lines(
        BANNER,
        'Prot LocalAddress:Port Scheduler Flags',
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
        'TCP  198.51.100.1:443 wlc',
        '  -> 10.0.1.1:443                 FullNat 1      1          0         ',
        'TCP  203.0.113.10:80 rr persistent 300 mask 255.255.255.0',
        '  -> 10.0.0.11:8080               Masq    1      0          0         ',
        '  -> 10.0.0.12:8080               Masq    2      5          1         ',
        'UDP  203.0.113.10:53 wrr ops',
        '  -> 10.0.0.21:53                 Route   3      0          7         ',
      ),
    );
  });

  it('--nosort keeps the configuration order; -t lists one service without the banner', () => {
    assert.deepEqual(
      formatServices(table(), view({ sort: false })).split('\n').filter((l) => /^(TCP|UDP) /.test(l)),
      ['UDP  203.0.113.10:53 wrr ops', 'TCP  203.0.113.10:80 rr persistent 300 mask 255.255.255.0', 'TCP  198.51.100.1:443 wlc'],
    );
    assert.deepEqual(
      formatServices(table(), view({ sort: false })).split('\n').filter((l) => l.startsWith('  -> 10.0.0.1')),
      ['  -> 10.0.0.12:8080               Masq    2      5          1         ', '  -> 10.0.0.11:8080               Masq    1      0          0         '],
    );
    const doc = table();
    assert.equal(
      formatServices(doc, view({ only: doc.services[2] })),
      lines(
        'Prot LocalAddress:Port Scheduler Flags',
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
        'TCP  198.51.100.1:443 wlc',
        '  -> 10.0.1.1:443                 FullNat 1      1          0         ',
      ),
    );
  });

  it('--thresholds', () => {
    const doc = table();
    assert.equal(
      formatServices(doc, view({ kind: 'thresholds', only: doc.services[1] })),
      lines(
        'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ',
        '  -> RemoteAddress:Port',
        'TCP  203.0.113.10:80 rr persistent 300 mask 255.255.255.0',
        '  -> 10.0.0.11:8080               0          0          0          0         ',
        '  -> 10.0.0.12:8080               100        80         5          1         ',
      ),
    );
  });

  it('--persistent-conn', () => {
    const doc = table();
    assert.equal(
      formatServices(doc, view({ kind: 'persistent', only: doc.services[1] })),
      lines(
        'Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn ',
        '  -> RemoteAddress:Port',
        'TCP  203.0.113.10:80 rr persistent 300 mask 255.255.255.0',
        '  -> 10.0.0.11:8080               1         0           0          0         ',
        '  -> 10.0.0.12:8080               2         1           5          1         ',
      ),
    );
  });

  it('--stats: 9 columns, K/M/G/T above 8 digits; --exact: whole numbers', () => {
    const doc = table();
    assert.equal(
      formatStats(doc, view({ kind: 'stats', only: doc.services[1] })),
      lines(
        'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes',
        '  -> RemoteAddress:Port',
        'TCP  203.0.113.10:80                     6  123456K       10   12345G   98765M',
        '  -> 10.0.0.11:8080                      0        0        0        0        0',
        '  -> 10.0.0.12:8080                      6  123456K       10   12345G   98765M',
      ),
    );
    assert.equal(
      formatStats(doc, view({ kind: 'stats', exact: true, only: doc.services[1] })).split('\n')[4],
      '  -> 10.0.0.12:8080                      6 123456789       10 12345678901234 98765432109',
    );
  });

  it('print_largenum at its boundaries', () => {
    const cases: [number, string, string][] = [
      [0, '        0', '        0'],
      [99_999_999, ' 99999999', ' 99999999'],
      [100_000_000, '  100000K', ' 100000000'],
      [999_999_999, '  999999K', ' 999999999'],
      [1_000_000_000, '    1000M', ' 1000000000'],
      [99_999_999_999, '   99999M', ' 99999999999'],
      [100_000_000_000, '     100G', ' 100000000000'],
      [100_000_000_000_000, '     100T', ' 100000000000000'],
    ];
    for (const [n, scaled, exact] of cases) assert.deepEqual([largeNumber(n, false), largeNumber(n, true)], [scaled, exact], String(n));
  });

  it('--stats --workers adds the per-worker counters and the drops', () => {
    const out = formatStats(table(), view({ kind: 'stats', workers: true }));
    assert.match(out, /^Worker +Conns +Entries +InPkts +OutPkts +InBytes +OutBytes +Passed +Dropped$/m);
    assert.match(out, /^0 +14 +4 +65 +0 +0 +0 +0 +2$/m);
    assert.match(out, /^Drops: no_backend 2$/m);
    assert.doesNotMatch(formatStats(table(), view({ kind: 'stats' })), /^Worker/m, 'not without --workers: ipvsadm has no such lines');
  });
});

describe('xvs list: IPv6 services', () => {
  it('prints [address]:port, sorts IPv4 services before IPv6 ones (then protocol, as libipvs), and an IPv6 mask as a prefix length', () => {
    const doc = table();
    doc.services.push(
      service({
        name: 'web6', vip: '2001:db8:100::10', port: 80, protocol: 'tcp', scheduler: 'rr', forwarding: 'fullnat', persistence: { timeout: 300, netmask: 64 },
        servers: [server('fd00:2::12', 8080, 1, 0, 0, traffic(0, 0, 0)), server('fd00:2::11', 8080, 1, 0, 0, traffic(0, 0, 0))],
      }),
      service({
        name: 'dns6', vip: '2001:db8:100::9', port: 53, protocol: 'tcp', scheduler: 'rr', forwarding: 'nat', persistence: { timeout: 60, netmask: 128 },
        servers: [server('fd00:2::21', 53, 1, 0, 0, traffic(0, 0, 0))],
      }),
    );
    assert.deepEqual(
      formatServices(doc, view()).split('\n').filter((l) => /^(TCP|UDP) |^  -> fd00|^  -> \[/.test(l)),
      [
        'TCP  198.51.100.1:443 wlc',
        'TCP  203.0.113.10:80 rr persistent 300 mask 255.255.255.0',
        'UDP  203.0.113.10:53 wrr ops',
        'TCP  [2001:db8:100::9]:53 rr persistent 60',
        '  -> [fd00:2::21]:53              Masq    1      0          0         ',
        'TCP  [2001:db8:100::10]:80 rr persistent 300 mask 64',
        '  -> [fd00:2::11]:8080            FullNat 1      0          0         ',
        '  -> [fd00:2::12]:8080            FullNat 1      0          0         ',
      ],
    );
  });
});

describe('xvs list --rate', () => {
  it('prints per-second differences in ipvsadm --rate columns; a server new in the second sample starts at zero', () => {
    const before = table();
    before.services[1]!.servers = [before.services[1]!.servers[1]!];
    const after = table();
    after.services[1]!.servers[1]!.traffic = traffic(4, 40, 20);
    const r = rates(before, after, 2);
    const web = r.services.find((s) => s.key === '203.0.113.10:80/tcp')!;
    assert.deepEqual(web.servers.map((s) => s.rate), [
      { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 },
      { cps: 2, inpps: 20, outpps: 10, inbps: 2000, outbps: 10000 },
    ]);
    assert.deepEqual(web.rate, { cps: 2, inpps: 20, outpps: 10, inbps: 2000, outbps: 10000 }, "its servers' rates summed: no jump");
    assert.equal(
      formatRates(after, r, view({ kind: 'rate', only: after.services[1] })),
      lines(
        'Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS',
        '  -> RemoteAddress:Port',
        'TCP  203.0.113.10:80                     2       20       10     2000    10000',
        '  -> 10.0.0.11:8080                      2       20       10     2000    10000',
        '  -> 10.0.0.12:8080                      0        0        0        0        0',
      ),
    );
    const withWorkers = formatRates(after, r, view({ kind: 'rate', workers: true }));
    assert.match(withWorkers, /^Worker +CPS +InPPS +OutPPS +InBPS +OutBPS +DropPPS$/m);
    assert.match(withWorkers, /^\(over 2\.00 s\)$/m);
  });
});
