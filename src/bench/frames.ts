// src/bench/frames.ts — builds the template frames of `xvs bench dataplane`: Ethernet + IPv4 +
// TCP with both checksums computed in full, padded to the 60 bytes of a minimum-size Ethernet
// frame without its FCS (what a NIC hands over for a "64-byte" packet), and Ethernet + IPv6 + TCP
// (74 bytes, the smallest an IPv6 TCP segment makes). Pure; main thread.
import { ipv6ToBytes } from '../config/ipv6-address.js';

export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;
export type TcpFlag = keyof typeof TCP_FLAGS;

export interface TcpFrameSpec {
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  flags: TcpFlag[];
  ttl?: number;
}

const MIN_FRAME = 60;

function ipv4(address: string): number[] {
  return address.split('.').map(Number);
}

function sum16(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

const checksum = (bytes: Uint8Array, initial = 0): number => ~sum16(bytes, initial) & 0xffff;

/** A 20-byte TCP header of `spec`, its checksum over `pseudo` (the family's pseudo-header). */
function tcpSegment(spec: TcpFrameSpec, pseudo: (length: number) => Uint8Array): Uint8Array {
  const tcp = new Uint8Array(20);
  const t = new DataView(tcp.buffer);
  t.setUint16(0, spec.sport);
  t.setUint16(2, spec.dport);
  t.setUint32(4, 1000);
  t.setUint32(8, spec.flags.includes('ACK') ? 5001 : 0);
  tcp[12] = 5 << 4;
  tcp[13] = spec.flags.reduce((bits, f) => bits | TCP_FLAGS[f], 0);
  t.setUint16(14, 65535);
  t.setUint16(16, checksum(tcp, sum16(pseudo(tcp.length))));
  return tcp;
}

export function tcpFrame(spec: TcpFrameSpec): Uint8Array {
  const tcp = tcpSegment(spec, (length) => Uint8Array.from([...ipv4(spec.src), ...ipv4(spec.dst), 0, 6, 0, length]));

  const ip = new Uint8Array(20);
  const total = ip.length + tcp.length;
  ip.set([0x45, 0, total >> 8, total & 0xff, 0x12, 0x34, 0x40, 0, spec.ttl ?? 64, 6]);
  ip.set(ipv4(spec.src), 12);
  ip.set(ipv4(spec.dst), 16);
  new DataView(ip.buffer).setUint16(10, checksum(ip));

  const frame = new Uint8Array(Math.max(MIN_FRAME, 14 + total));
  frame.set(spec.dstMac, 0);
  frame.set(spec.srcMac, 6);
  frame.set([0x08, 0x00], 12);
  frame.set(ip, 14);
  frame.set(tcp, 34);
  return frame;
}

export function tcp6Frame(spec: TcpFrameSpec): Uint8Array {
  const src = ipv6ToBytes(spec.src);
  const dst = ipv6ToBytes(spec.dst);
  if (!src || !dst) throw new Error(`tcp6Frame: ${spec.src} -> ${spec.dst} is not IPv6`);
  const tcp = tcpSegment(spec, (length) => {
    const pseudo = new Uint8Array(40);
    pseudo.set(src, 0);
    pseudo.set(dst, 16);
    pseudo[35] = length;
    pseudo[39] = 6;
    return pseudo;
  });

  const frame = new Uint8Array(14 + 40 + tcp.length);
  frame.set(spec.dstMac, 0);
  frame.set(spec.srcMac, 6);
  frame.set([0x86, 0xdd], 12);
  frame.set([0x60, 0, 0, 0, 0, tcp.length, 6, spec.ttl ?? 64], 14);
  frame.set(src, 22);
  frame.set(dst, 38);
  frame.set(tcp, 54);
  return frame;
}
