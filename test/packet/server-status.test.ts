// test/packet/server-status.test.ts — per-server connection counts as the status API reports
// them (engine.serverCounters() through control/status-report.ts), from real connections on
// io/mem: IPVS ActiveConn (ESTABLISHED) and InActConn (other states), and the traffic
// (connections, packets and IP bytes from the client side: dr), per worker and summed per
// server and service, kept across a commit that changes a weight (a runtime override); the
// summed form GET /metrics asks for; and the engine's total (node_ipvs_*), which keeps a removed
// server's traffic.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { serviceStatuses } from '../../src/control/worker/status-report.js';
import { WeightOverrides } from '../../src/control/worker/weight-overrides.js';
import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame, type TcpFlag } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, VIP, portMac } from '../support/rows.js';

const A = '10.0.2.11', B = '10.0.2.12';
const config = `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], conn_table_size: 1024 }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: dr, scheduler: rr, servers: [{ address: ${A}, port: 80 }, { address: ${B}, port: 80 }] }
`;

let ipBytesSent = 0;

function send(lb: MemHarness, sport: number, flags: TcpFlag[]) {
  const frame = tcpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport, dport: 80, flags });
  ipBytesSent = frame.readUInt16BE(14 + 2); // IPv4 total length
  const { out } = lb.send(frame);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.verdict, 'tx');
}

const traffic = (conns: number, inPackets: number) => ({ conns, inPackets, inBytes: inPackets * ipBytesSent, outPackets: 0, outBytes: 0 });

describe('server connection counts and traffic in the status', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());

  const status = (overrides = new WeightOverrides()) =>
    serviceStatuses(lb.config, lb.dataplane.committedModel()!, overrides, lb.dataplane.serverCounters())[0]!;
  const servers = (overrides = new WeightOverrides()) =>
    status(overrides).servers.map((s) => ({
      server: s.server,
      weight: s.weight,
      active: s.active,
      inactive: s.inactive,
      traffic: s.traffic,
      workers: s.workers,
    }));

  it('counts established connections as active and the others as inactive, per server and worker', () => {
    send(lb, 40001, ['SYN']); // A
    send(lb, 40001, ['ACK']); // A, now ESTABLISHED
    send(lb, 40002, ['SYN']); // B
    send(lb, 40003, ['SYN']); // A
    assert.equal(ipBytesSent, 40, 'IPv4 + TCP headers, no payload');
    assert.deepEqual(servers(), [
      { server: `${A}:80`, weight: 1, active: 1, inactive: 1, traffic: traffic(2, 3), workers: [{ worker: 0, active: 1, inactive: 1, traffic: traffic(2, 3) }] },
      { server: `${B}:80`, weight: 1, active: 0, inactive: 1, traffic: traffic(1, 1), workers: [{ worker: 0, active: 0, inactive: 1, traffic: traffic(1, 1) }] },
    ]);
    assert.deepEqual(status().traffic, traffic(3, 4), 'the service: its servers summed');
  });

  it('keeps the counts across a commit that drains a server', async () => {
    const drained = new WeightOverrides().with(lb.config, 'web', `${B}:80`, 0);
    await lb.apply(drained.effective(lb.config));
    assert.ok(lb.dataplane.engine.settle(5000));
    assert.deepEqual(
      servers(drained).map((s) => [s.server, s.weight, s.active, s.inactive, s.traffic]),
      [
        [`${A}:80`, 1, 1, 1, traffic(2, 3)],
        [`${B}:80`, 0, 0, 1, traffic(1, 1)],
      ],
    );
  });

  it('gives the same sums without the per-worker rows (perWorker false)', () => {
    const summed = serviceStatuses(lb.config, lb.dataplane.committedModel()!, new WeightOverrides(), lb.dataplane.serverCounters(), undefined, false)[0]!;
    const full = status();
    assert.deepEqual(
      summed.servers.map((s) => [s.server, s.active, s.inactive, s.traffic, 'workers' in s]),
      full.servers.map((s) => [s.server, s.active, s.inactive, s.traffic, false]),
    );
    assert.deepEqual(summed.traffic, full.traffic);
  });

  it("keeps a removed server's traffic in the engine's total, as IPVS's global statistics do", async () => {
    assert.deepEqual(lb.dataplane.status().traffic, traffic(3, 4));
    const web = lb.config.services[0]!;
    await lb.apply({ ...lb.config, services: [{ ...web, servers: web.servers.filter((s) => s.address === A) }] });
    assert.ok(lb.dataplane.engine.settle(5000));
    lb.dataplane.engine.reclaim(); // B's slot is freed once no worker holds the old snapshot
    assert.deepEqual(status().traffic, traffic(2, 3), 'the service lost B (IPVS: a removed server takes its share)');
    assert.deepEqual(lb.dataplane.status().traffic, traffic(3, 4), 'the total did not');
    send(lb, 40001, ['ACK']); // A's established connection
    assert.deepEqual(lb.dataplane.status().traffic, traffic(3, 5));
  });
});
