// test/support/fullnat-flow.ts — one client's TCP connection through a fullnat service on io/mem,
// in either family, for the packet tests of what rides on such a connection (client-address*.test.ts):
// the specs of its legs (client → VIP, server → LIP) and the frames the balancer makes of them
// (LIP → server, VIP → client, one hop less), TCP options those tests write, and the handshake
// whose SYN-ACK MSS the balancer may lower. The client's port is also its local port (one
// worker, free tuple). Test thread.
import type { MemHarness } from './mem-harness.js';
import { tcpFrame, type TcpFlag, type TcpSpec } from './packets.js';
import { tcp6Frame, type Tcp6Spec } from './packets6.js';
import { CLIENT_MAC, expectExchange, portMac, rsMac } from './rows.js';

/** What both families' TCP specs have. */
type Segment = TcpSpec | Tcp6Spec;

/** A family's frame builder and what one routed hop changes. */
export interface FlowFamily<Spec extends Segment> {
  frame: (spec: Spec) => Buffer;
  routed: Partial<Spec>;
}
export const IPV4_FLOW: FlowFamily<TcpSpec> = { frame: tcpFrame, routed: { ttl: 63 } };
export const IPV6_FLOW: FlowFamily<Tcp6Spec> = { frame: tcp6Frame, routed: { hopLimit: 63 } };

export interface FlowAddresses {
  client: string;
  vip: string;
  lip: string;
  server: string;
  vport: number;
  rport: number;
}

export function fullnatFlow<Spec extends Segment>(family: FlowFamily<Spec>, a: FlowAddresses, cport: number) {
  const leg = (spec: Omit<Segment, 'flags'> & { flags: TcpFlag[] }, extra: Partial<Spec>) => ({ ...spec, ...extra }) as Spec;
  const fromClient = (flags: TcpFlag[], seq: number, ack = 0, extra: Partial<Spec> = {}): Spec =>
    leg({ srcMac: CLIENT_MAC, dstMac: portMac(0), src: a.client, dst: a.vip, sport: cport, dport: a.vport, flags, seq, ack }, extra);
  const toServer = (spec: Spec): Buffer =>
    family.frame({
      ...spec, srcMac: portMac(0), dstMac: rsMac(a.server), src: a.lip, dst: a.server, sport: cport, dport: a.rport, ...family.routed,
    });
  const fromServer = (flags: TcpFlag[], seq: number, ack: number, extra: Partial<Spec> = {}): Spec =>
    leg({ srcMac: rsMac(a.server), dstMac: portMac(0), src: a.server, dst: a.lip, sport: a.rport, dport: cport, flags, seq, ack }, extra);
  const toClient = (spec: Spec): Buffer =>
    family.frame({
      ...spec, srcMac: portMac(0), dstMac: CLIENT_MAC, src: a.vip, dst: a.client, sport: a.vport, dport: cport, ...family.routed,
    });
  return { cport, frame: family.frame, fromClient, toServer, fromServer, toClient };
}
export type FullnatFlow<Spec extends Segment> = ReturnType<typeof fullnatFlow<Spec>>;

export const mssOption = (value: number) => Uint8Array.from([2, 4, value >> 8, value & 0xff]);

/** NOP, NOP, then a SACK block [left, right). */
export function sackOption(left: number, right: number): Uint8Array {
  const o = Buffer.from([1, 1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0]);
  o.writeUInt32BE(left >>> 0, 4);
  o.writeUInt32BE(right >>> 0, 8);
  return Uint8Array.from(o);
}

/** SYN (ISN `clientIsn`) and SYN-ACK (ISN `serverIsn`) of `f`: the server's MSS reaches the client lowered by `added`. */
export function handshake<Spec extends Segment>(
  lb: MemHarness, f: FullnatFlow<Spec>, added: number, serverMss: number, clientIsn: number, serverIsn: number,
): void {
  const withMss = (spec: Spec, mss: number) => ({ ...spec, tcpOptions: mssOption(mss) });
  const syn = f.frame(withMss(f.fromClient(['SYN'], clientIsn), serverMss));
  expectExchange(lb.send(syn), syn, {
    verdict: 'tx', output: f.toServer(withMss(f.fromClient(['SYN'], clientIsn), serverMss)), port: 0,
    moved: { rx_packets: 1, tx_packets: 1, conn_created: 1, lport_client_port: 1 },
  });
  const synAck = f.frame(withMss(f.fromServer(['SYN', 'ACK'], serverIsn, clientIsn + 1), serverMss));
  expectExchange(lb.send(synAck), synAck, {
    verdict: 'tx', output: f.toClient(withMss(f.fromServer(['SYN', 'ACK'], serverIsn, clientIsn + 1), serverMss - added)), port: 0,
    moved: { rx_packets: 1, tx_packets: 1, client_mss_clamped: 1 },
  });
}
