// test/support/decode.ts — decodes frames xvs sent back into fields and verifies every checksum
// they carry (outer, IPIP inner, ICMP, quoted header) by full recomputation. Independent of the
// data plane.
import { PROTO, internetChecksum, ipText, macText, pseudoHeaderSum, type Mac } from './wire.js';

export interface DecodedIp {
  src: string;
  dst: string;
  ttl: number;
  tos: number;
  id: number;
  dontFragment: boolean;
  protocol: number;
  headerLength: number;
  totalLength: number;
  ipChecksumOk: boolean;
  /** TCP/UDP ports; 0 for other protocols. */
  sport: number;
  dport: number;
  /** TCP/UDP checksum verified over the whole segment; true for a UDP checksum of 0 (none). */
  l4ChecksumOk?: boolean;
  icmp?: { type: number; code: number; rest: number; checksumOk: boolean; quoted?: DecodedIp };
  /** IPIP: the encapsulated packet. */
  inner?: DecodedIp;
}

export interface DecodedFrame extends DecodedIp {
  srcMac: Mac;
  dstMac: Mac;
  vlan?: number; // the TCI
}

/**
 * Decodes an IPv4 packet. `quoted`: the packet is what an ICMP error quotes (only its header
 * checksum is verifiable; ports are read when present).
 */
export function decodeIp(ip: Uint8Array, quoted = false): DecodedIp {
  const headerLength = (ip[0]! & 0x0f) * 4;
  const totalLength = (ip[2]! << 8) | ip[3]!;
  const src = ipText(ip.subarray(12, 16));
  const dst = ipText(ip.subarray(16, 20));
  const protocol = ip[9]!;
  const out: DecodedIp = {
    src,
    dst,
    ttl: ip[8]!,
    tos: ip[1]!,
    id: (ip[4]! << 8) | ip[5]!,
    dontFragment: (ip[6]! & 0x40) !== 0,
    protocol,
    headerLength,
    totalLength,
    ipChecksumOk: internetChecksum(ip.subarray(0, headerLength)) === 0,
    sport: 0,
    dport: 0,
  };
  const l4 = ip.subarray(headerLength, quoted ? ip.length : totalLength);
  if ((protocol === PROTO.tcp || protocol === PROTO.udp) && l4.length >= 4) {
    out.sport = (l4[0]! << 8) | l4[1]!;
    out.dport = (l4[2]! << 8) | l4[3]!;
    if (!quoted) {
      const at = protocol === PROTO.tcp ? 16 : 6;
      const sum = (l4[at]! << 8) | l4[at + 1]!;
      out.l4ChecksumOk =
        protocol === PROTO.udp && sum === 0 ? true : internetChecksum(l4, pseudoHeaderSum(src, dst, protocol, l4.length)) === 0;
    }
  } else if (protocol === PROTO.icmp && !quoted && l4.length >= 8) {
    const type = l4[0]!;
    out.icmp = {
      type,
      code: l4[1]!,
      rest: ((l4[4]! << 24) | (l4[5]! << 16) | (l4[6]! << 8) | l4[7]!) >>> 0,
      checksumOk: internetChecksum(l4) === 0,
    };
    if ([3, 4, 11, 12].includes(type) && l4.length >= 28) out.icmp.quoted = decodeIp(l4.subarray(8), true);
  } else if (protocol === PROTO.ipip && !quoted) {
    out.inner = decodeIp(l4);
  }
  return out;
}

/** Decodes an (optionally tagged) IPv4 frame, verifying every checksum by full recomputation. */
export function decodeFrame(buf: Uint8Array): DecodedFrame {
  const tagged = buf[12] === 0x81 && buf[13] === 0x00;
  const ip = decodeIp(buf.subarray(tagged ? 18 : 14));
  return {
    dstMac: macText(buf.subarray(0, 6)),
    srcMac: macText(buf.subarray(6, 12)),
    ...(tagged ? { vlan: (buf[14]! << 8) | buf[15]! } : {}),
    ...ip,
  };
}

/** Every checksum problem of a decoded frame (outer, IPIP inner, ICMP, quoted header), as readable strings. */
export function checksumProblems(d: DecodedIp, where = 'packet'): string[] {
  const out: string[] = [];
  if (!d.ipChecksumOk) out.push(`${where}: IPv4 header checksum`);
  if (d.l4ChecksumOk === false) out.push(`${where}: TCP/UDP checksum`);
  if (d.icmp && !d.icmp.checksumOk) out.push(`${where}: ICMP checksum`);
  if (d.icmp?.quoted && !d.icmp.quoted.ipChecksumOk) out.push(`${where}: quoted IPv4 header checksum`);
  if (d.inner) out.push(...checksumProblems(d.inner, `${where} (inner)`));
  return out;
}
