// test/packet/connections.test.ts — the connection listing (`xvs list -c`, GET /connections)
// from the running io/mem engine: the workers list their entries at their next safe point —
// protocol, IPVS state, time left, client, VIP, server and the address the server replies to —
// within the limit asked, with each worker's total; persistence templates under their service's
// protocol; a bad limit is refused; and pages (GET /connections/stream) that list every entry
// once, however small a page, and refuse a malformed start; each server's template count.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { serviceStatuses } from '../../src/control/worker/status-report.js';
import { WeightOverrides } from '../../src/control/worker/weight-overrides.js';
import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame, udpFrame, type TcpFlag } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, VIP, portMac } from '../support/rows.js';

const A = '10.0.2.11', B = '10.0.2.12';
const config = `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], conn_table_size: 1024 }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: dr, scheduler: rr, servers: [{ address: ${A}, port: 80 }, { address: ${B}, port: 80 }] }
  - { name: dns, vip: ${VIP}, port: 53, protocol: udp, forwarding: dr, scheduler: rr, persistence: { timeout: 60 },
      servers: [{ address: ${A}, port: 53 }] }
`;

function send(lb: MemHarness, sport: number, flags: TcpFlag[]) {
  const { out } = lb.send(tcpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport, dport: 80, flags }));
  assert.equal(out[0]?.verdict, 'tx');
}

describe('connection listing', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config)));
  after(() => lb?.close());

  it('lists every entry with its state, endpoints and time left, per worker', () => {
    send(lb, 40001, ['SYN']); // A
    send(lb, 40001, ['ACK']); // A, established
    send(lb, 40002, ['SYN']); // B
    const [w0, ...others] = lb.dataplane.connections(100);
    assert.deepEqual(others, []);
    assert.equal(w0!.worker, 0);
    assert.equal(w0!.total, 2);
    const byPort = new Map(w0!.entries.map((e) => [e.client, e]));
    const established = byPort.get(`${CLIENT}:40001`);
    assert.deepEqual({ ...established, expiresIn: undefined, backendId: undefined }, {
      protocol: 'tcp', state: 'tcp_established', template: false, expiresIn: undefined, backendId: undefined,
      client: `${CLIENT}:40001`, virtual: `${VIP}:80`, server: `${A}:80`, local: `${CLIENT}:40001`,
    });
    assert.ok(established!.expiresIn > 800 && established!.expiresIn <= 900, `established: about 900 s left, got ${established!.expiresIn}`);
    assert.equal(byPort.get(`${CLIENT}:40002`)?.state, 'tcp_syn_recv');
    assert.equal(byPort.get(`${CLIENT}:40002`)?.server, `${B}:80`);
  });

  it('stops at the limit and still gives the total', () => {
    for (let port = 41000; port < 41010; port++) send(lb, port, ['SYN']);
    const [w0] = lb.dataplane.connections(5);
    assert.equal(w0!.entries.length, 5);
    assert.equal(w0!.total, 12);
  });

  it('lists a UDP persistence template as udp (its entry carries the protocol under a template bit)', () => {
    const { out } = lb.send(udpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport: 5000, dport: 53 }));
    assert.equal(out[0]?.verdict, 'tx');
    const [w0] = lb.dataplane.connections(100);
    const templates = w0!.entries.filter((e) => e.template);
    assert.deepEqual(templates.map((e) => [e.protocol, e.state, e.virtual]), [['udp', 'persist_template', `${VIP}:53`]]);
  });

  it('pages through the whole table: every entry once, whatever the page size, until every worker says done', () => {
    for (let port = 42000; port < 42300; port++) send(lb, port, ['SYN']);
    const expected = lb.dataplane.connections(1000)[0]!.entries.map((e) => `${e.client} ${e.virtual}`).sort();
    assert.equal(expected.length, lb.dataplane.connections(1000)[0]!.total);
    for (const pageSize of [1, 7, 64, 1000]) {
      const seen: string[] = [];
      let starts = [0];
      let pages = 0;
      while (starts.some((n) => n !== -1)) {
        const [w0] = lb.dataplane.connectionsPage(starts, pageSize);
        assert.ok(w0!.entries.length <= pageSize);
        seen.push(...w0!.entries.map((e) => `${e.client} ${e.virtual}`));
        assert.ok(w0!.next === -1 || w0!.next! > starts[0]!, `the next page starts further on: ${starts[0]} -> ${w0!.next}`);
        starts = [w0!.next!];
        assert.ok(++pages < 2000, 'pages end');
      }
      assert.deepEqual(seen.sort(), expected, `page size ${pageSize}`);
    }
    // A worker that is done gives nothing more.
    const [done] = lb.dataplane.connectionsPage([-1], 10);
    assert.deepEqual([done!.entries.length, done!.next], [0, -1]);
  });

  it('refuses pages asked for with the wrong number of starts or a bad start', () => {
    assert.throws(() => lb.dataplane.engine.connections(10, 100, [0, 0]), (err: { code?: string; message?: string }) => err.code === 'XVS_EINVAL' && /1 workers, 2 starts/.test(err.message ?? ''));
    assert.throws(() => lb.dataplane.engine.connections(10, 100, [-5]), (err: { code?: string }) => err.code === 'XVS_EINVAL');
    assert.throws(() => lb.dataplane.engine.connections(10, 100, [1.5]), (err: { code?: string }) => err.code === 'XVS_EINVAL');
  });

  it("counts a server's persistence templates (ipvsadm PersistConn) while they live", () => {
    const persistent = () => {
      const dns = serviceStatuses(lb.config, lb.dataplane.committedModel()!, new WeightOverrides(), lb.dataplane.serverCounters()).find((x) => x.name === 'dns')!;
      return dns.servers.map((x) => [x.server, x.persistent, x.active + x.inactive]);
    };
    assert.deepEqual(persistent(), [[`${A}:53`, 1, 1]], 'the template of the UDP flow above, and the flow');
    const { out } = lb.send(udpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport: 5001, dport: 53 }));
    assert.equal(out[0]?.verdict, 'tx');
    assert.deepEqual(persistent(), [[`${A}:53`, 1, 2]], 'a second flow of the same client uses the same template');
    lb.advance(301); // the flows expire (udp 300 s); the template then lives its 60 s
    lb.advance(61);
    assert.deepEqual(persistent(), [[`${A}:53`, 0, 0]]);
  });

  it('refuses a limit the addon cannot honour, with XVS_EINVAL', () => {
    assert.throws(() => lb.dataplane.engine.connections(0, 100), (err: { code?: string }) => err.code === 'XVS_EINVAL');
    assert.throws(() => lb.dataplane.engine.connections(10, Number.NaN), (err: { code?: string }) => err.code === 'XVS_EINVAL');
  });
});

describe('connection listing: a retired persistence template', () => {
  // rr over A and B, persistent: a client's template binds it to A; A drained, the client's next
  // connection retires that template (still bound to the first connection, its tuple unlinked)
  // and gets a new one to B. IPVS lists both templates; so must every listing here.
  const persistent = `
dataplane: { backend: mem, workers: 1, interfaces: [mem0], conn_table_size: 1024 }
services:
  - { name: web, vip: ${VIP}, port: 80, forwarding: dr, scheduler: rr, persistence: { timeout: 300 },
      servers: [{ address: ${A}, port: 80 }, { address: ${B}, port: 80 }] }
`;
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(persistent)));
  after(() => lb?.close());

  it('is listed by the paged listing as by the first-N one, with its server counted', async () => {
    send(lb, 43001, ['SYN']);
    const drained = new WeightOverrides().with(lb.config, 'web', `${A}:80`, 0);
    await lb.apply(drained.effective(lb.config));
    send(lb, 43002, ['SYN']);
    const sampled = lb.dataplane.connections(100)[0]!.entries;
    const templates = sampled.filter((e) => e.template);
    assert.equal(new Set(templates.map((e) => e.backendId)).size, 2, 'the retired template to A and the new one to B');
    const paged = lb.dataplane.connectionsPage([0], 100)[0]!;
    assert.equal(paged.next, -1);
    const key = (e: { client: string; virtual: string; template: boolean; backendId: number }) => `${e.template} ${e.client} ${e.virtual} ${e.backendId}`;
    assert.deepEqual(paged.entries.map(key).sort(), sampled.map(key).sort());
    const web = serviceStatuses(lb.config, lb.dataplane.committedModel()!, drained, lb.dataplane.serverCounters())[0]!;
    assert.deepEqual(web.servers.map((s) => [s.server, s.persistent]), [[`${A}:80`, 1], [`${B}:80`, 1]]);
  });
});
