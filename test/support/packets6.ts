// test/support/packets6.ts — Ethernet / IPv6 / TCP, UDP frames with checksums computed from
// scratch over the IPv6 pseudo-header (RFC 8200 8.1): packets.ts's counterpart for the IPv6 rows
// of the packet tables. Addresses are IPv6 text.
import { ipv6ToBytes } from '../../src/config/ipv6-address.js';
import { ethernet, tcpSegment, udpDatagram, type L2Spec, type TcpFlag } from './packets.js';
import { PROTO, internetChecksum } from './wire.js';

export interface Frame6Spec extends L2Spec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  hopLimit?: number; // 64
  flowLabel?: number; // 0
  payload?: Uint8Array;
  /** UDP only: a zero checksum, which IPv6 forbids outside tunnels. */
  zeroChecksum?: boolean;
}

export interface Tcp6Spec extends Frame6Spec {
  flags: TcpFlag[];
  seq?: number;
  ack?: number;
  tcpOptions?: Uint8Array;
  window?: number; // 65535
}

/** An ICMPv6 error (RFC 4443): `rest` is the 32-bit field after the checksum (a packet too big's MTU). */
export interface Icmp6Spec extends L2Spec {
  src: string;
  dst: string;
  type: number;
  code: number;
  rest?: number;
  body: Uint8Array;
  hopLimit?: number;
}

export const ICMP6 = { destUnreachable: 1, packetTooBig: 2, timeExceeded: 3 } as const;

function bytesOf(address: string): Uint8Array {
  const b = ipv6ToBytes(address);
  if (!b) throw new Error(`not an IPv6 address: ${address}`);
  return b;
}

function ipv6Frame(spec: Pick<Frame6Spec, keyof L2Spec | 'src' | 'dst' | 'hopLimit' | 'flowLabel' | 'zeroChecksum'>, protocol: number, l4: Uint8Array, checksumAt: number): Buffer {
  const pseudo = new Uint8Array(40);
  pseudo.set(bytesOf(spec.src), 0);
  pseudo.set(bytesOf(spec.dst), 16);
  new DataView(pseudo.buffer).setUint32(32, l4.length);
  pseudo[39] = protocol;
  const sum = internetChecksum(l4, internetChecksum(pseudo) ^ 0xffff);
  const checksum = spec.zeroChecksum ? 0 : protocol === PROTO.udp && sum === 0 ? 0xffff : sum;
  l4[checksumAt] = checksum >> 8;
  l4[checksumAt + 1] = checksum & 0xff;
  const ip = Buffer.alloc(40 + l4.length);
  const flow = spec.flowLabel ?? 0;
  ip.writeUInt32BE((6 << 28) | (flow & 0xfffff), 0);
  ip.writeUInt16BE(l4.length, 4);
  ip[6] = protocol;
  ip[7] = spec.hopLimit ?? 64;
  ip.set(bytesOf(spec.src), 8);
  ip.set(bytesOf(spec.dst), 24);
  ip.set(l4, 40);
  return ethernet(spec, 0x86dd, ip);
}

export function tcp6Frame(spec: Tcp6Spec): Buffer {
  return ipv6Frame(spec, PROTO.tcp, tcpSegment({ ...spec, window: spec.window ?? 65535 }), 16);
}

export function udp6Frame(spec: Frame6Spec): Buffer {
  return ipv6Frame(spec, PROTO.udp, udpDatagram(spec), 6);
}

export function icmp6Frame(spec: Icmp6Spec): Buffer {
  const l4 = new Uint8Array(8 + spec.body.length);
  l4[0] = spec.type;
  l4[1] = spec.code;
  new DataView(l4.buffer).setUint32(4, (spec.rest ?? 0) >>> 0);
  l4.set(spec.body, 8);
  return ipv6Frame(spec, PROTO.icmpv6, l4, 2);
}

/**
 * `inner` (an IPv6 packet) inside an outer IPv6 header from `src` to `dst` (next header 41, RFC
 * 2473), its version, traffic class, flow label and hop limit copied from the inner header.
 */
export function ip6ip6Frame(l2: L2Spec, src: string, dst: string, inner: Uint8Array): Buffer {
  const outer = Buffer.alloc(40);
  outer.set(inner.subarray(0, 4), 0);
  outer.writeUInt16BE(inner.length, 4);
  outer[6] = 41;
  outer[7] = inner[7]!;
  outer.set(bytesOf(src), 8);
  outer.set(bytesOf(dst), 24);
  return ethernet(l2, 0x86dd, Buffer.concat([outer, inner]));
}

/** The IPv6 packet of an Ethernet frame (no 802.1Q tag): what an ICMPv6 error quotes. */
export function ip6Of(frame: Uint8Array): Buffer {
  return Buffer.from(frame.subarray(14));
}
