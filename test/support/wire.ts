// test/support/wire.ts — what the frame builder (packets.ts) and decoder (decode.ts) share:
// address text <-> bytes, protocol numbers and the Internet checksum, written from the RFCs
// (791, 1071) without reference to the data plane.

export type Mac = string; // "02:00:0a:00:02:0b"

export const PROTO = { icmp: 1, ipip: 4, tcp: 6, udp: 17, gre: 47, icmpv6: 58 } as const;

export const macBytes = (mac: Mac): number[] => mac.split(':').map((h) => parseInt(h, 16));
export const macText = (bytes: Uint8Array): Mac => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
export const ipBytes = (ip: string): number[] => ip.split('.').map(Number);
export const ipText = (b: Uint8Array): string => [...b].join('.');

function onesComplementSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length % 2 === 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
export const internetChecksum = (data: Uint8Array, initial = 0): number => ~onesComplementSum(data, initial) & 0xffff;

/** One's-complement sum of the TCP/UDP pseudo-header. */
export function pseudoHeaderSum(src: string, dst: string, protocol: number, length: number): number {
  const p = new Uint8Array(12);
  p.set(ipBytes(src), 0);
  p.set(ipBytes(dst), 4);
  p[9] = protocol;
  p[10] = length >> 8;
  p[11] = length & 0xff;
  return onesComplementSum(p);
}
