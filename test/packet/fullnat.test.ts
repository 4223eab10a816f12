// test/packet/fullnat.test.ts — Full-NAT through the real addon on io/mem: a table of frames,
// each with the verdict, the exact output frame and the counters it must move. The local port is
// the client's own when it is free towards the chosen server (one worker: every port from 1024),
// else a keyed hash of its tuple into the share, then the next tries (native/lb/local_port.h,
// modelled in test/support/local-port.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { memPortMac, memServerMac } from '../../src/control/worker/nexthop/mem.js';
import { chooseLocal, portOrder, share, tempKeyFile } from '../support/local-port.js';
import { PROTO, decodeFrame, macText, tcpFrame, udpFrame, type TcpSpec } from '../support/packets.js';
import { MemHarness } from '../support/mem-harness.js';

const CLIENT_MAC = '02:cc:00:00:00:07';
const PORT_MAC = macText(memPortMac(0));
const rsMac = (ip: string) => macText(memServerMac(ip));

const CLIENT = '198.51.100.7';
const VIP = '203.0.113.10';
const LIP = '10.0.2.100';

const config = (workers: number, dataplane = 'local_port_range: [1024, 65535]') => `
dataplane: { backend: mem, workers: ${workers}, interfaces: [mem0], ${dataplane}, conn_table_size: 4096 }
local_address_pools: { lan: [${LIP}] }
services:
  - name: web
    vip: ${VIP}
    port: 80
    scheduler: rr
    forwarding: fullnat
    local_address_pool: lan
    servers:
      - { address: 10.0.2.11, port: 8080 }
      - { address: 10.0.2.12, port: 8080 }
  - name: dns
    vip: ${VIP}
    port: 53
    protocol: udp
    scheduler: rr
    forwarding: fullnat
    local_address_pool: lan
    servers:
      - { address: 10.0.2.21, port: 5353 }
`;

const fromClient = (over: Partial<TcpSpec> = {}): TcpSpec => ({
  srcMac: CLIENT_MAC, dstMac: PORT_MAC, src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: ['SYN'], ...over,
});
const NEIGHBOUR = '198.51.100.8', THIRD = '198.51.100.9';

describe('fullnat on io/mem, one worker', () => {
  let lb: MemHarness;
  const keyFile = tempKeyFile();
  // The second try for a client whose own port (40000) is taken: the keyed hash of its tuple into
  // the one worker's share.
  const secondTry = portOrder(keyFile.key, share(0, 1), { src: NEIGHBOUR, dst: VIP, sport: 40000, dport: 80, protocol: PROTO.tcp })[1]!;
  before(async () => (lb = await MemHarness.start(config(1, `local_port_range: [1024, 65535], port_key_file: ${keyFile.path}`))));
  after(() => {
    lb?.close();
    keyFile.remove();
  });

  // Rows run in order against one engine: later rows rely on connections made by earlier ones.
  const rows: {
    name: string;
    input: () => Buffer;
    verdict: 'tx' | 'pass' | 'drop';
    output?: () => Buffer;
    moved: Record<string, number>;
  }[] = [
    {
      name: "a client SYN to the VIP leaves as LIP:40000 (the client's own port) -> first server, TTL 63, from the port MAC to the server MAC",
      input: () => tcpFrame(fromClient()),
      verdict: 'tx',
      output: () => tcpFrame({ srcMac: PORT_MAC, dstMac: rsMac('10.0.2.11'), src: LIP, dst: '10.0.2.11', sport: 40000, dport: 8080, flags: ['SYN'], ttl: 63 }),
      moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1 },
    },
    {
      name: "the server's SYN-ACK to LIP:40000 returns as VIP:80 -> client:40000 towards the client's MAC",
      input: () => tcpFrame({ srcMac: rsMac('10.0.2.11'), dstMac: PORT_MAC, src: '10.0.2.11', dst: LIP, sport: 8080, dport: 40000, flags: ['SYN', 'ACK'], seq: 5000, ack: 1001 }),
      verdict: 'tx',
      output: () => tcpFrame({ srcMac: PORT_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: 40000, flags: ['SYN', 'ACK'], seq: 5000, ack: 1001, ttl: 63 }),
      moved: { rx_packets: 1, tx_packets: 1 },
    },
    {
      name: "the client's ACK with data follows the same connection",
      input: () => tcpFrame(fromClient({ flags: ['ACK', 'PSH'], seq: 1001, ack: 5001, payload: Buffer.from('GET / HTTP/1.0\r\n\r\n') })),
      verdict: 'tx',
      output: () => tcpFrame({ srcMac: PORT_MAC, dstMac: rsMac('10.0.2.11'), src: LIP, dst: '10.0.2.11', sport: 40000, dport: 8080, flags: ['ACK', 'PSH'], seq: 1001, ack: 5001, ttl: 63, payload: Buffer.from('GET / HTTP/1.0\r\n\r\n') }),
      moved: { rx_packets: 1, tx_packets: 1 },
    },
    {
      name: 'a second client connection goes round-robin to the second server from its own port, 40001',
      input: () => tcpFrame(fromClient({ sport: 40001 })),
      verdict: 'tx',
      output: () => tcpFrame({ srcMac: PORT_MAC, dstMac: rsMac('10.0.2.12'), src: LIP, dst: '10.0.2.12', sport: 40001, dport: 8080, flags: ['SYN'], ttl: 63 }),
      moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1 },
    },
    {
      name: 'a UDP datagram to VIP:53 is translated to LIP:5000 -> 10.0.2.21:5353 with a valid UDP checksum',
      input: () => udpFrame({ srcMac: CLIENT_MAC, dstMac: PORT_MAC, src: CLIENT, dst: VIP, sport: 5000, dport: 53, payload: Buffer.from('query') }),
      verdict: 'tx',
      output: () => udpFrame({ srcMac: PORT_MAC, dstMac: rsMac('10.0.2.21'), src: LIP, dst: '10.0.2.21', sport: 5000, dport: 5353, ttl: 63, payload: Buffer.from('query') }),
      moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1 },
    },
    {
      name: "another client's SYN from port 40000, scheduled to the first server too, finds LIP:40000 taken towards it and gets the next try of the share",
      input: () => tcpFrame(fromClient({ src: NEIGHBOUR })),
      verdict: 'tx',
      output: () => tcpFrame({ srcMac: PORT_MAC, dstMac: rsMac('10.0.2.11'), src: LIP, dst: '10.0.2.11', sport: secondTry, dport: 8080, flags: ['SYN'], ttl: 63 }),
      moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_busy: 1 },
    },
    {
      name: "the server's SYN-ACK to that port returns to that client's own port 40000",
      input: () => tcpFrame({ srcMac: rsMac('10.0.2.11'), dstMac: PORT_MAC, src: '10.0.2.11', dst: LIP, sport: 8080, dport: secondTry, flags: ['SYN', 'ACK'], seq: 6000, ack: 1001 }),
      verdict: 'tx',
      output: () => tcpFrame({ srcMac: PORT_MAC, dstMac: CLIENT_MAC, src: VIP, dst: NEIGHBOUR, sport: 80, dport: 40000, flags: ['SYN', 'ACK'], seq: 6000, ack: 1001, ttl: 63 }),
      moved: { rx_packets: 1, tx_packets: 1 },
    },
    {
      name: 'a third client from port 40000, scheduled to the second server, keeps its own port: a local port is unique per server, not per LIP',
      input: () => tcpFrame(fromClient({ src: THIRD })),
      verdict: 'tx',
      output: () => tcpFrame({ srcMac: PORT_MAC, dstMac: rsMac('10.0.2.12'), src: LIP, dst: '10.0.2.12', sport: 40000, dport: 8080, flags: ['SYN'], ttl: 63 }),
      moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1 },
    },
    {
      name: 'a packet for an address that is no VIP passes to the kernel unchanged',
      input: () => tcpFrame(fromClient({ dst: '203.0.113.99' })),
      verdict: 'pass',
      output: () => tcpFrame(fromClient({ dst: '203.0.113.99' })),
      moved: { rx_packets: 1, pass_packets: 1 },
    },
    {
      name: 'a packet for the VIP on a port with no service passes to the kernel',
      input: () => tcpFrame(fromClient({ dport: 443 })),
      verdict: 'pass',
      output: () => tcpFrame(fromClient({ dport: 443 })),
      moved: { rx_packets: 1, pass_packets: 1 },
    },
    {
      name: 'a frame cut inside the IPv4 header is dropped as drop_truncated_ip',
      input: () => tcpFrame(fromClient()).subarray(0, 30),
      verdict: 'drop',
      moved: { rx_packets: 1, drop_truncated_ip: 1 },
    },
    {
      name: 'a frame cut inside the TCP header (IPv4 total length says more) is dropped as drop_bad_ip_length',
      input: () => tcpFrame(fromClient()).subarray(0, 40),
      verdict: 'drop',
      moved: { rx_packets: 1, drop_bad_ip_length: 1 },
    },
    {
      name: 'a frame shorter than an Ethernet header is dropped as drop_truncated_l2',
      input: () => tcpFrame(fromClient()).subarray(0, 10),
      verdict: 'drop',
      moved: { rx_packets: 1, drop_truncated_l2: 1 },
    },
    {
      name: 'a non-SYN segment to the VIP without a connection is dropped as drop_tcp_no_conn',
      input: () => tcpFrame(fromClient({ sport: 40999, flags: ['ACK'] })),
      verdict: 'drop',
      moved: { rx_packets: 1, drop_tcp_no_conn: 1 },
    },
    {
      name: 'a SYN arriving with TTL 1 is dropped as drop_ttl_expired (xvs routes: it would leave with TTL 0)',
      input: () => tcpFrame(fromClient({ sport: 40998, ttl: 1 })),
      verdict: 'drop',
      moved: { rx_packets: 1, drop_ttl_expired: 1 },
    },
  ];

  for (const row of rows) {
    it(row.name, () => {
      const input = row.input();
      const { out, moved, bytes } = lb.send(input);
      assert.deepEqual(moved, row.moved);
      assert.equal(bytes.rx, input.length);
      assert.equal(bytes.tx, row.verdict === 'tx' ? row.output!().length : 0);
      if (row.verdict === 'drop') {
        assert.equal(out.length, 0);
        return;
      }
      assert.equal(out.length, 1, 'exactly one frame out');
      const [frame] = out;
      assert.equal(frame!.verdict, row.verdict);
      const expected = row.output!();
      if (row.verdict === 'tx') {
        const d = decodeFrame(frame!.data);
        assert.ok(d.ipChecksumOk, 'IPv4 header checksum verifies');
        assert.ok(d.l4ChecksumOk, 'TCP/UDP checksum verifies');
      }
      assert.equal(frame!.data.toString('hex'), expected.toString('hex'));
    });
  }

  it('reports one live connection per accepted flow', () => {
    const status = lb.dataplane.status();
    assert.equal(status.workers[0]!.connections, 5);
    assert.equal(status.generation, 1n);
  });
});

describe('fullnat on io/mem, two workers', () => {
  let lb: MemHarness;
  before(async () => (lb = await MemHarness.start(config(2))));
  after(() => lb?.close());

  it('a SYN on queue 1 gets a local port of worker 1 (odd), and the reply on queue 1 comes back', () => {
    const syn = lb.send(tcpFrame(fromClient()), { queue: 1 });
    assert.equal(syn.out.length, 1);
    const out = decodeFrame(syn.out[0]!.data);
    assert.equal(out.src, LIP);
    assert.equal(out.sport % 2, 1, `local port ${out.sport} belongs to worker 1`);
    // Worker 1's round robin starts half-way through the sequence: the second server.
    assert.equal(out.dst, '10.0.2.12');

    const reply = lb.send(
      tcpFrame({ srcMac: rsMac(out.dst), dstMac: PORT_MAC, src: out.dst, dst: LIP, sport: 8080, dport: out.sport, flags: ['SYN', 'ACK'] }),
      { queue: 1 },
    );
    assert.equal(reply.out.length, 1);
    const back = decodeFrame(reply.out[0]!.data);
    assert.deepEqual([back.src, back.sport, back.dst, back.dport], [VIP, 80, CLIENT, 40000]);
  });

  it('a reply that lands on the worker not owning its local port is handed to its owner, which sends it to the client', () => {
    const syn = lb.send(tcpFrame(fromClient({ sport: 41000 })), { queue: 1 });
    const out = decodeFrame(syn.out[0]!.data);
    const stray = lb.send(
      tcpFrame({ srcMac: rsMac(out.dst), dstMac: PORT_MAC, src: out.dst, dst: LIP, sport: 8080, dport: out.sport, flags: ['SYN', 'ACK'] }),
      { queue: 0 },
    );
    assert.equal(stray.out.length, 1);
    assert.equal(stray.out[0]!.queue, 1, 'sent by worker 1, the owner of its local port');
    const back = decodeFrame(stray.out[0]!.data);
    assert.deepEqual([back.src, back.sport, back.dst, back.dport], [VIP, 80, CLIENT, 41000]);
    assert.deepEqual(stray.moved, { rx_packets: 1, redirected: 1, tx_packets: 1 });
  });
});

// Without local_port_range (1024..32767 by default), a client from an ephemeral port (40000)
// gets a keyed port in the range; a packet to the LIP outside the range is the host's: passed
// untouched on io/mem, never stolen (on AF_XDP the steering program does not even hand it over).
describe('fullnat with the default local_port_range, two workers', () => {
  let lb: MemHarness;
  const keyFile = tempKeyFile();
  before(async () => (lb = await MemHarness.start(config(2, `port_key_file: ${keyFile.path}`))));
  after(() => {
    lb?.close();
    keyFile.remove();
  });

  it('a client from port 40000 gets the keyed port of the model, in 1024..32767, of the receiving worker', () => {
    const client = { src: CLIENT, dst: VIP, sport: 40000, dport: 80, protocol: PROTO.tcp };
    const expected = chooseLocal(keyFile.key, share(0, 2, [1024, 32767]), [LIP], client)!;
    const syn = lb.send(tcpFrame(fromClient()), { queue: 0 });
    assert.equal(syn.out.length, 1);
    const out = decodeFrame(syn.out[0]!.data);
    assert.deepEqual([out.src, out.sport], [LIP, expected.port]);
    assert.ok(out.sport >= 1024 && out.sport <= 32767 && out.sport % 2 === 0, `${out.sport}`);
    assert.deepEqual(syn.moved, { rx_packets: 1, tx_packets: 1, conn_created: 1 });
  });

  it("packets to the LIP on the host's ports (an ephemeral one, 22) pass to the kernel on either worker; a range port goes to its owner", () => {
    for (const [dport, queue] of [[40001, 0], [40002, 1], [22, 0], [32768, 1]] as const) {
      const r = lb.send(tcpFrame({ srcMac: rsMac('10.0.2.11'), dstMac: PORT_MAC, src: '10.0.2.11', dst: LIP, sport: 8080, dport, flags: ['SYN', 'ACK'] }), { queue });
      assert.equal(r.out.length, 1, `${dport}`);
      assert.equal(r.out[0]!.verdict, 'pass', `${dport}`);
      assert.deepEqual(r.moved, { rx_packets: 1, pass_packets: 1 }, `${dport}`);
    }
    const stray = lb.send(tcpFrame({ srcMac: rsMac('10.0.2.11'), dstMac: PORT_MAC, src: '10.0.2.11', dst: LIP, sport: 8080, dport: 32767, flags: ['ACK'] }), { queue: 0 });
    assert.deepEqual(stray.moved.redirected, 1, 'an unmatched reply to a range port is its owner\'s to judge');
  });
});
