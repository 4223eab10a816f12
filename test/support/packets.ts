// test/support/packets.ts — builds Ethernet (optionally 802.1Q-tagged) / IPv4 (options,
// fragments, TOS, DF, TTL) / TCP, UDP, ICMP frames with fully computed checksums, ICMP errors
// quoting a packet, IPIP-encapsulated packets, a few frames that are not IPv4, and malformed
// variants of any of them. Decoding lives in decode.ts (re-exported here). The builder never
// shares code with the data plane: expected frames are made independently of what is tested.

import { PROTO, internetChecksum, ipBytes, macBytes, pseudoHeaderSum, type Mac } from './wire.js';

export { PROTO, internetChecksum, macBytes, macText, type Mac } from './wire.js';
export { checksumProblems, decodeFrame, decodeIp, type DecodedFrame, type DecodedIp } from './decode.js';

/** Ethernet header: one optional 802.1Q tag between the source MAC and the ethertype. */
export interface L2Spec {
  srcMac: Mac;
  dstMac: Mac;
  vlan?: number; // 802.1Q TCI: VLAN id in the low 12 bits, priority in the top 3
}

/** IPv4 header fields; everything but the addresses has a default. */
export interface IpSpec {
  src: string;
  dst: string;
  ttl?: number; // 64
  id?: number; // 0x1234
  tos?: number; // 0
  dontFragment?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number; // in 8-byte units
  options?: Uint8Array; // a multiple of 4 bytes
}

export interface FrameSpec extends L2Spec, IpSpec {
  sport: number;
  dport: number;
  payload?: Uint8Array;
  /** UDP only: send no checksum (0). */
  noChecksum?: boolean;
}

export interface TcpSpec extends FrameSpec {
  flags: TcpFlag[];
  seq?: number;
  ack?: number;
  window?: number;
  /** TCP options (a multiple of 4 bytes), e.g. MSS: [2, 4, 0x05, 0xb4]. */
  tcpOptions?: Uint8Array;
}

export type TcpFlag = 'FIN' | 'SYN' | 'RST' | 'PSH' | 'ACK';
const TCP_FLAG_BITS: Record<TcpFlag, number> = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 };

export const ICMP = { echoReply: 0, destUnreachable: 3, echoRequest: 8, timeExceeded: 11 } as const;
export const UNREACH = { port: 3, fragNeeded: 4 } as const;

/** An IPv4 packet (header with checksum + payload). */
export function ipv4Packet(spec: IpSpec, protocol: number, payload: Uint8Array): Buffer {
  const options = spec.options ?? new Uint8Array();
  if (options.length % 4 !== 0) throw new Error('IPv4 options must be a multiple of 4 bytes');
  const ihl = 20 + options.length;
  const ip = Buffer.alloc(ihl + payload.length);
  const total = ip.length;
  ip.set([0x40 | (ihl / 4), spec.tos ?? 0, total >> 8, total & 0xff]);
  const id = spec.id ?? 0x1234;
  const frag = (spec.dontFragment ? 0x4000 : 0) | (spec.moreFragments ? 0x2000 : 0) | (spec.fragmentOffset ?? 0);
  ip.set([id >> 8, id & 0xff, frag >> 8, frag & 0xff], 4);
  ip[8] = spec.ttl ?? 64;
  ip[9] = protocol;
  ip.set(ipBytes(spec.src), 12);
  ip.set(ipBytes(spec.dst), 16);
  ip.set(options, 20);
  const sum = internetChecksum(ip.subarray(0, ihl));
  ip[10] = sum >> 8;
  ip[11] = sum & 0xff;
  ip.set(payload, ihl);
  return ip;
}

/** Ethernet frame around a payload of the given ethertype. */
export function ethernet(l2: L2Spec, ethertype: number, payload: Uint8Array): Buffer {
  const tag = l2.vlan !== undefined ? 4 : 0;
  const out = Buffer.alloc(14 + tag + payload.length);
  out.set(macBytes(l2.dstMac), 0);
  out.set(macBytes(l2.srcMac), 6);
  if (l2.vlan !== undefined) out.set([0x81, 0x00, (l2.vlan >> 8) & 0xff, l2.vlan & 0xff], 12);
  out.set([ethertype >> 8, ethertype & 0xff], 12 + tag);
  out.set(payload, 14 + tag);
  return out;
}

function l4Frame(spec: FrameSpec, protocol: number, l4: Uint8Array, checksumAt: number, zeroIsNone: boolean): Buffer {
  const checksum = internetChecksum(l4, pseudoHeaderSum(spec.src, spec.dst, protocol, l4.length));
  const sum = zeroIsNone && spec.noChecksum ? 0 : zeroIsNone && checksum === 0 ? 0xffff : checksum;
  l4[checksumAt] = sum >> 8;
  l4[checksumAt + 1] = sum & 0xff;
  return ethernet(spec, 0x0800, ipv4Packet(spec, protocol, l4));
}

/** The TCP segment of `spec`, its checksum left zero: what tcpFrame (and packets6.ts) wrap. */
export function tcpSegment(spec: Pick<TcpSpec, 'sport' | 'dport' | 'flags' | 'seq' | 'ack' | 'window' | 'tcpOptions' | 'payload'>): Uint8Array {
  const payload = spec.payload ?? new Uint8Array();
  const options = spec.tcpOptions ?? new Uint8Array();
  if (options.length % 4 !== 0) throw new Error('TCP options must be a multiple of 4 bytes');
  const hlen = 20 + options.length;
  const l4 = new Uint8Array(hlen + payload.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, spec.sport);
  v.setUint16(2, spec.dport);
  v.setUint32(4, spec.seq ?? 1000);
  v.setUint32(8, spec.ack ?? 0);
  l4[12] = (hlen / 4) << 4;
  l4[13] = spec.flags.reduce((bits, f) => bits | TCP_FLAG_BITS[f], 0);
  v.setUint16(14, spec.window ?? 65535);
  l4.set(options, 20);
  l4.set(payload, hlen);
  return l4;
}

/** The UDP datagram of `spec`, its checksum left zero. */
export function udpDatagram(spec: Pick<FrameSpec, 'sport' | 'dport' | 'payload'>): Uint8Array {
  const payload = spec.payload ?? new Uint8Array();
  const l4 = new Uint8Array(8 + payload.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, spec.sport);
  v.setUint16(2, spec.dport);
  v.setUint16(4, l4.length);
  l4.set(payload, 8);
  return l4;
}

export function tcpFrame(spec: TcpSpec): Buffer {
  return l4Frame(spec, PROTO.tcp, tcpSegment(spec), 16, false);
}

export function udpFrame(spec: FrameSpec): Buffer {
  return l4Frame(spec, PROTO.udp, udpDatagram(spec), 6, true);
}

export interface IcmpSpec extends L2Spec, IpSpec {
  type: number;
  code: number;
  /** The 4 bytes after the checksum: identifier/sequence for echo, next-hop MTU (low half) for frag-needed. */
  rest?: number;
  /** What follows the 8-byte header: the quoted packet of an error, the data of an echo. */
  body: Uint8Array;
}

export function icmpFrame(spec: IcmpSpec): Buffer {
  const l4 = new Uint8Array(8 + spec.body.length);
  const v = new DataView(l4.buffer);
  l4[0] = spec.type;
  l4[1] = spec.code;
  v.setUint32(4, spec.rest ?? 0);
  l4.set(spec.body, 8);
  v.setUint16(2, internetChecksum(l4));
  return ethernet(spec, 0x0800, ipv4Packet(spec, PROTO.icmp, l4));
}

/** The IPv4 packet inside a frame (behind one VLAN tag if there is one), without Ethernet padding. */
export function ipOf(frame: Uint8Array): Buffer {
  const l3 = frame[12] === 0x81 && frame[13] === 0x00 ? 18 : 14;
  const total = (frame[l3 + 2]! << 8) | frame[l3 + 3]!;
  return Buffer.from(frame.subarray(l3, l3 + total));
}

/** What an ICMP error quotes of a frame's packet: its IPv4 header and the first `bytes` after it. */
export function quote(frame: Uint8Array, bytes = 8): Buffer {
  const ip = ipOf(frame);
  return ip.subarray(0, (ip[0]! & 0x0f) * 4 + bytes);
}

/** An IPIP packet: an outer IPv4 header (protocol 4) around `inner`, the whole inner IPv4 packet. */
export function ipipFrame(spec: L2Spec & IpSpec, inner: Uint8Array): Buffer {
  return ethernet(spec, 0x0800, ipv4Packet(spec, PROTO.ipip, inner));
}

/** Any other IPv4 protocol, with an opaque payload. */
export function rawIpFrame(spec: L2Spec & IpSpec, protocol: number, payload: Uint8Array): Buffer {
  return ethernet(spec, 0x0800, ipv4Packet(spec, protocol, payload));
}

/** An ARP request (who has `target`? tell `sender`). */
export function arpFrame(l2: L2Spec, sender: string, target: string): Buffer {
  const arp = Buffer.alloc(28);
  arp.set([0, 1, 0x08, 0x00, 6, 4, 0, 1]);
  arp.set(macBytes(l2.srcMac), 8);
  arp.set(ipBytes(sender), 14);
  arp.set(ipBytes(target), 24);
  return ethernet(l2, 0x0806, arp);
}

/**
 * An IPv6 UDP datagram from 2001:db8::1 to 2001:db8::2 (no service's), its checksum computed over
 * the IPv6 pseudo-header (RFC 8200 8.1) unless `zeroChecksum`, which IPv6 forbids.
 */
export function ipv6UdpFrame(l2: L2Spec, sport: number, dport: number, zeroChecksum = false): Buffer {
  const ip6 = Buffer.alloc(40 + 8);
  ip6.set([0x60, 0, 0, 0, 0, 8, PROTO.udp, 64]);
  ip6[23] = 1; // 2001:db8::1 style source ...::1
  ip6[39] = 2; // ...::2
  ip6.set([0x20, 0x01, 0x0d, 0xb8], 8);
  ip6.set([0x20, 0x01, 0x0d, 0xb8], 24);
  ip6.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 8, 0, 0], 40);
  if (!zeroChecksum) {
    const pseudo = Buffer.alloc(40);
    ip6.copy(pseudo, 0, 8, 40); // both addresses
    pseudo.writeUInt32BE(8, 32);
    pseudo[39] = PROTO.udp;
    const sum = internetChecksum(ip6.subarray(40), internetChecksum(pseudo) ^ 0xffff) || 0xffff;
    ip6.writeUInt16BE(sum, 46);
  }
  return ethernet(l2, 0x86dd, ip6);
}

// ---- malformations: change one field of a built frame ------------------------------------

export interface IpPatch {
  version?: number;
  ihl?: number; // in 32-bit words
  totalLength?: number;
  ttl?: number;
}

/** A copy of the frame with IPv4 header fields changed and the header checksum recomputed (over IHL bytes when they fit). */
export function patchIp(frame: Uint8Array, patch: IpPatch): Buffer {
  const out = Buffer.from(frame);
  const l3 = out[12] === 0x81 && out[13] === 0x00 ? 18 : 14;
  const version = patch.version ?? out[l3]! >> 4;
  const ihl = patch.ihl ?? out[l3]! & 0x0f;
  out[l3] = (version << 4) | ihl;
  if (patch.totalLength !== undefined) out.writeUInt16BE(patch.totalLength, l3 + 2);
  if (patch.ttl !== undefined) out[l3 + 8] = patch.ttl;
  const hlen = Math.min(Math.max(ihl, 5) * 4, out.length - l3);
  out.writeUInt16BE(0, l3 + 10);
  out.writeUInt16BE(internetChecksum(out.subarray(l3, l3 + hlen)), l3 + 10);
  return out;
}

/** A copy of a TCP frame with another data offset (in 32-bit words). */
export function patchTcpDataOffset(frame: Uint8Array, words: number): Buffer {
  const out = Buffer.from(frame);
  const l4 = 14 + (out[14]! & 0x0f) * 4;
  out[l4 + 12] = (words << 4) | (out[l4 + 12]! & 0x0f);
  return out;
}

/** The first `length` bytes of the frame with the IPv4 total length cut to match (a consistent but short packet). */
export function cutPacket(frame: Uint8Array, length: number): Buffer {
  return patchIp(frame.subarray(0, length), { totalLength: length - 14 });
}
