// test/support/local-port.ts — the Full-NAT local address and port a new connection should get,
// computed from the rule as config/README.md ("Full-NAT local ports") and native/lb/local_port.h
// state it, without the data plane: the key of a dataplane.port_key_file (SHA-256 of its bytes),
// SipHash-2-4 (checked against the reference vectors in test/unit/local-port-model.test.ts), each
// worker's share of a local_port_range and the stride through it, the LIP a client address hashes
// to, and the tries in order. Packet tests use it to write exact expected frames for ports the
// engine hashes; which tuples are taken is theirs to say (`taken`).
//
// The hash inputs are the words the engine hashes: addresses and ports as they lie in the packet
// (network order) read as integers by a little-endian host, which is what every supported target is.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ipBytes } from './wire.js';

const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & MASK;

export interface SipKey {
  k0: bigint;
  k1: bigint;
}

/** SipHash-2-4 of a message of 8-byte little-endian words. */
export function siphash24(key: SipKey, words: readonly bigint[]): bigint {
  let v0 = key.k0 ^ 0x736f6d6570736575n, v1 = key.k1 ^ 0x646f72616e646f6dn;
  let v2 = key.k0 ^ 0x6c7967656e657261n, v3 = key.k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const word = (m: bigint) => {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  };
  for (const w of words) word(w);
  word(BigInt(words.length * 8) << 56n); // no tail bytes: the last block is the length alone
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

/** The key of the local port choice from the bytes of a port_key_file: the first 16 bytes of their SHA-256. */
export function keyOfFile(bytes: Uint8Array): SipKey {
  const digest = createHash('sha256').update(bytes).digest();
  return { k0: digest.readBigUInt64LE(0), k1: digest.readBigUInt64LE(8) };
}

/** A temporary port_key_file with fixed bytes, its key, and its removal. */
export function tempKeyFile(fill = 0x5a): { path: string; key: SipKey; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'xvs-port-key-'));
  const bytes = Buffer.alloc(32, fill);
  const path = join(dir, 'port.key');
  writeFileSync(path, bytes);
  return { path, key: keyOfFile(bytes), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Every port a local port may be (dataplane.local_port_range at its widest). The packet tests
 * that follow the port rules configure it, so that their clients' ports (40000 and up) are in range.
 */
export const ALL_LOCAL_PORTS: readonly [number, number] = [1024, 65535];
/** Tries per LIP before the next one. */
export const TRIES_PER_LIP = 64;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** One worker's ports: first + i * workers for i < count; the stride visits all of them. */
export interface Share {
  worker: number;
  workers: number;
  first: number;
  count: number;
  stride: number;
}

export function share(worker: number, workers: number, range: readonly [number, number] = ALL_LOCAL_PORTS): Share {
  let first = range[0];
  while (first % workers !== worker) first++;
  const count = first > range[1] ? 0 : Math.floor((range[1] - first) / workers) + 1;
  // Near the golden section of the share, lowered until it is coprime with the share's size.
  let stride = count > 1 ? Math.floor((count * 5) / 8) : 1;
  while (stride > 1 && gcd(stride, count) !== 1) stride--;
  return { worker, workers, first, count, stride };
}

const indexOf = (s: Share, port: number): number =>
  port >= s.first && (port - s.first) % s.workers === 0 ? (port - s.first) / s.workers : s.count;

/** An address or port as the engine's hash reads it: its network-order bytes as a little-endian integer. */
const wireAddress = (ip: string): bigint => BigInt(Buffer.from(ipBytes(ip)).readUInt32LE(0));
const wirePort = (port: number): bigint => BigInt(((port & 0xff) << 8) | (port >> 8));

export interface ClientTuple {
  src: string;
  dst: string; // the VIP
  sport: number;
  dport: number;
  protocol: number;
}

/** The order in which local ports of `s` are tried for this client (the first TRIES_PER_LIP of it are tried on each LIP). */
export function portOrder(key: SipKey, s: Share, c: ClientTuple): number[] {
  const own = indexOf(s, c.sport);
  const a = (wireAddress(c.src) << 32n) | wireAddress(c.dst);
  const b = (wirePort(c.sport) << 32n) | (wirePort(c.dport) << 16n) | BigInt(c.protocol);
  const scattered = Number(siphash24(key, [a, b]) % BigInt(s.count));
  // The client's own port first where it is this worker's; then from the hash of the tuple on.
  let index = own < s.count ? own : scattered;
  const out: number[] = [];
  for (let t = 0; t < Math.min(TRIES_PER_LIP, s.count); t++) {
    out.push(s.first + index * s.workers);
    index = t === 0 && own < s.count ? scattered : (index + s.stride) % s.count;
    if (index === own) index = (index + s.stride) % s.count; // tried first: passed over
  }
  return out;
}

/** The pool's LIPs in the order they are tried for a client address and VIP. */
export function lipOrder(key: SipKey, lips: readonly string[], src: string, vip: string): string[] {
  const a = (wireAddress(src) << 32n) | wireAddress(vip);
  const first = Number(siphash24(key, [a, 0n]) % BigInt(lips.length));
  return lips.map((_, l) => lips[(first + l) % lips.length]!);
}

export interface Choice {
  lip: string;
  port: number;
  /** Tuples found taken before this one (what lport_busy counts). */
  busy: number;
}

/**
 * The (LIP, port) a new connection from `c` gets on worker `s.worker`: the first try not `taken`
 * (towards the chosen server), or undefined when every try is.
 */
export function chooseLocal(
  key: SipKey, s: Share, lips: readonly string[], c: ClientTuple, taken: (lip: string, port: number) => boolean = () => false,
): Choice | undefined {
  const ports = portOrder(key, s, c);
  let busy = 0;
  for (const lip of lipOrder(key, lips, c.src, c.dst)) {
    for (const port of ports) {
      if (!taken(lip, port)) return { lip, port, busy };
      busy++;
    }
  }
  return undefined;
}
