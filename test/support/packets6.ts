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
}

function bytesOf(address: string): Uint8Array {
  const b = ipv6ToBytes(address);
  if (!b) throw new Error(`not an IPv6 address: ${address}`);
  return b;
}

function ipv6Frame(spec: Frame6Spec, protocol: number, l4: Uint8Array, checksumAt: number): Buffer {
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
  return ipv6Frame(spec, PROTO.tcp, tcpSegment({ ...spec, window: 65535 }), 16);
}

export function udp6Frame(spec: Frame6Spec): Buffer {
  return ipv6Frame(spec, PROTO.udp, udpDatagram(spec), 6);
}
