// test/support/packets6.ts — Ethernet / IPv6 / TCP, UDP frames with checksums computed from
// scratch over the IPv6 pseudo-header (RFC 8200 8.1): packets.ts's counterpart for the IPv6 rows
// of the packet tables. Addresses are IPv6 text.
import { ipv6ToBytes } from '../../src/config/ipv6-address.js';
import { ethernet, type L2Spec, type TcpFlag } from './packets.js';
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

const FLAG_BITS: Record<TcpFlag, number> = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 };

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
  const payload = spec.payload ?? new Uint8Array();
  const l4 = new Uint8Array(20 + payload.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, spec.sport);
  v.setUint16(2, spec.dport);
  v.setUint32(4, spec.seq ?? 1000);
  v.setUint32(8, spec.ack ?? 0);
  l4[12] = 5 << 4;
  l4[13] = spec.flags.reduce((bits, f) => bits | FLAG_BITS[f], 0);
  v.setUint16(14, 65535);
  l4.set(payload, 20);
  return ipv6Frame(spec, PROTO.tcp, l4, 16);
}

export function udp6Frame(spec: Frame6Spec): Buffer {
  const payload = spec.payload ?? new Uint8Array();
  const l4 = new Uint8Array(8 + payload.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, spec.sport);
  v.setUint16(2, spec.dport);
  v.setUint16(4, l4.length);
  l4.set(payload, 8);
  return ipv6Frame(spec, PROTO.udp, l4, 6);
}
