// test/support/packets.ts — builds Ethernet/IPv4/TCP/UDP frames with fully computed checksums,
// and decodes frames back into fields with their checksums verified. The builder never shares
// code with the data plane: expected frames are made independently of what is tested.

export type Mac = string; // "02:00:0a:00:02:0b"

export interface FrameSpec {
  srcMac: Mac;
  dstMac: Mac;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  ttl?: number;
  id?: number;
  dontFragment?: boolean;
  payload?: Uint8Array;
}

export interface TcpSpec extends FrameSpec {
  flags: TcpFlag[];
  seq?: number;
  ack?: number;
  window?: number;
}

export type TcpFlag = 'FIN' | 'SYN' | 'RST' | 'PSH' | 'ACK';
const TCP_FLAG_BITS: Record<TcpFlag, number> = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 };

export const macBytes = (mac: Mac): number[] => mac.split(':').map((h) => parseInt(h, 16));
export const macText = (bytes: Uint8Array): Mac => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
const ipBytes = (ip: string): number[] => ip.split('.').map(Number);

function onesComplementSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length % 2 === 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
export const internetChecksum = (data: Uint8Array, initial = 0): number => ~onesComplementSum(data, initial) & 0xffff;

function pseudoHeaderSum(src: string, dst: string, protocol: number, length: number): number {
  const p = new Uint8Array(12);
  p.set(ipBytes(src), 0);
  p.set(ipBytes(dst), 4);
  p[9] = protocol;
  p[10] = length >> 8;
  p[11] = length & 0xff;
  return onesComplementSum(p);
}

function frame(spec: FrameSpec, protocol: number, l4: Uint8Array, checksumAt: number, zeroChecksumIsNone: boolean): Buffer {
  const checksum = internetChecksum(l4, pseudoHeaderSum(spec.src, spec.dst, protocol, l4.length));
  const sum = zeroChecksumIsNone && checksum === 0 ? 0xffff : checksum;
  l4[checksumAt] = sum >> 8;
  l4[checksumAt + 1] = sum & 0xff;

  const ip = new Uint8Array(20);
  const total = 20 + l4.length;
  ip.set([0x45, 0, total >> 8, total & 0xff]);
  const id = spec.id ?? 0x1234;
  ip.set([id >> 8, id & 0xff, spec.dontFragment ? 0x40 : 0, 0], 4);
  ip[8] = spec.ttl ?? 64;
  ip[9] = protocol;
  ip.set(ipBytes(spec.src), 12);
  ip.set(ipBytes(spec.dst), 16);
  const ipSum = internetChecksum(ip);
  ip[10] = ipSum >> 8;
  ip[11] = ipSum & 0xff;

  const out = Buffer.alloc(14 + total);
  out.set(macBytes(spec.dstMac), 0);
  out.set(macBytes(spec.srcMac), 6);
  out.set([0x08, 0x00], 12);
  out.set(ip, 14);
  out.set(l4, 34);
  return out;
}

export function tcpFrame(spec: TcpSpec): Buffer {
  const payload = spec.payload ?? new Uint8Array();
  const l4 = new Uint8Array(20 + payload.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, spec.sport);
  v.setUint16(2, spec.dport);
  v.setUint32(4, spec.seq ?? 1000);
  v.setUint32(8, spec.ack ?? 0);
  l4[12] = 5 << 4;
  l4[13] = spec.flags.reduce((bits, f) => bits | TCP_FLAG_BITS[f], 0);
  v.setUint16(14, spec.window ?? 65535);
  l4.set(payload, 20);
  return frame(spec, 6, l4, 16, false);
}

export function udpFrame(spec: FrameSpec): Buffer {
  const payload = spec.payload ?? new Uint8Array();
  const l4 = new Uint8Array(8 + payload.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, spec.sport);
  v.setUint16(2, spec.dport);
  v.setUint16(4, l4.length);
  l4.set(payload, 8);
  return frame(spec, 17, l4, 6, true);
}

export interface DecodedFrame {
  srcMac: Mac;
  dstMac: Mac;
  src: string;
  dst: string;
  ttl: number;
  protocol: number;
  sport: number;
  dport: number;
  ipChecksumOk: boolean;
  l4ChecksumOk: boolean;
}

/** Decodes an untagged IPv4 TCP/UDP frame and verifies both checksums by full recomputation. */
export function decodeFrame(buf: Uint8Array): DecodedFrame {
  const ip = buf.subarray(14, 34);
  const total = (ip[2]! << 8) | ip[3]!;
  const l4 = buf.subarray(34, 14 + total);
  const protocol = ip[9]!;
  const src = [...ip.subarray(12, 16)].join('.');
  const dst = [...ip.subarray(16, 20)].join('.');
  const l4Sum = (l4[protocol === 6 ? 16 : 6]! << 8) | l4[protocol === 6 ? 17 : 7]!;
  const l4Ok = protocol === 17 && l4Sum === 0 ? true : internetChecksum(l4, pseudoHeaderSum(src, dst, protocol, l4.length)) === 0;
  return {
    dstMac: macText(buf.subarray(0, 6)),
    srcMac: macText(buf.subarray(6, 12)),
    src,
    dst,
    ttl: ip[8]!,
    protocol,
    sport: (l4[0]! << 8) | l4[1]!,
    dport: (l4[2]! << 8) | l4[3]!,
    ipChecksumOk: internetChecksum(ip) === 0,
    l4ChecksumOk: l4Ok,
  };
}
