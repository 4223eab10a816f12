// test/packet/cluster-load.test.ts — the dynamic schedulers decide on cluster-wide loads (issue 5):
// with 2 workers (queue q is worker q) and a wlc service over servers A and B, worker 0 opens 10
// connections while only A takes new ones, then B comes back (a weight change, committed). Once
// the control thread has published the workers' loads to each other (Dataplane.publishPeerLoads,
// every 100 ms in `xvs run`), worker 1's next 10 new connections all go to B, which evens the
// cluster out at 10 and 10; without the publication worker 1 sees only its own, empty, row and
// splits 5 and 5, leaving A with 15 and B with 5. dr, so that the chosen server shows in the
// output frame's destination MAC.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MemHarness } from '../support/mem-harness.js';
import { tcpFrame } from '../support/packets.js';
import { CLIENT, CLIENT_MAC, portMac, rsMac } from '../support/rows.js';

const VIP = '203.0.113.20';
const A = '10.0.2.11';
const B = '10.0.2.12';
const config = (weightB: number) => `
dataplane: { backend: mem, workers: 2, interfaces: [mem0], conn_table_size: 1024 }
services:
  - name: web
    vip: ${VIP}
    port: 80
    forwarding: dr
    scheduler: wlc
    servers: [{ address: ${A}, port: 80 }, { address: ${B}, port: 80, weight: ${weightB} }]
`;

const syn = (sport: number) => tcpFrame({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: CLIENT, dst: VIP, sport, dport: 80, flags: ['SYN'] });

/** Opens `count` connections on `worker`; returns how many went to A and to B. */
function open(h: MemHarness, worker: number, firstPort: number, count: number): { A: number; B: number } {
  const split = { A: 0, B: 0 };
  for (let i = 0; i < count; i++) {
    const { out } = h.send(syn(firstPort + i), { port: 0, queue: worker });
    assert.equal(out.length, 1, 'one frame out per SYN');
    const mac = [...out[0]!.data.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
    if (mac === rsMac(A)) split.A++;
    else if (mac === rsMac(B)) split.B++;
    else assert.fail(`unexpected destination MAC ${mac}`);
  }
  return split;
}

describe('cluster-wide loads for the dynamic schedulers', () => {
  for (const published of [true, false])
    it(published ? 'a worker takes the other workers\' connections into account once loads are published' : 'without publication each worker sees only its own connections', async () => {
      const h = await MemHarness.start(config(0));
      try {
        assert.deepEqual(open(h, 0, 41000, 10), { A: 10, B: 0 }, 'B is quiescent: all to A');
        await h.reload(config(1));
        if (published) h.dataplane.publishPeerLoads();
        const split = open(h, 1, 42000, 10);
        assert.deepEqual(split, published ? { A: 0, B: 10 } : { A: 5, B: 5 });
      } finally {
        h.close();
      }
    });
});
