// src/cluster/sync-wire.ts — the datagrams of connection sync between cluster nodes: a header
// (magic, version, kind, sender node id, sequence number, send time), whole connection records
// end to end (native/abi/sync.h: an IPv4 record of RECORDS.sync bytes or an IPv6/NAT64 one of
// RECORDS.sync6, each starting with its family byte, 4 or 6; opaque here beyond that) and an
// HMAC-SHA256 trailer keyed by
// the cluster's shared port key file, so that only nodes holding that file can install
// connections. Datagrams stay within a 1500-byte MTU. Pure; runs on the control worker thread.
import crypto from 'node:crypto';

import { RECORDS } from '../native/abi.js';

export const SYNC_MAGIC = 0x53535658; // "XVSS" little-endian
/** 2: records of both families (version 1 carried IPv4 records without a family byte). */
export const SYNC_VERSION = 2;
export const HEADER_BYTES = 24;
export const MAC_BYTES = 16;
/** What one datagram may carry: an Ethernet MTU of 1500 minus IPv4 and UDP headers. */
export const MAX_DATAGRAM = 1472;
/** An IPv4 record; an IPv6 (or NAT64) one is RECORD6_BYTES. */
export const RECORD_BYTES = RECORDS.sync.size;
export const RECORD6_BYTES = RECORDS.sync6.size;
/** Record bytes one datagram carries at most. */
export const DATAGRAM_RECORD_BYTES = MAX_DATAGRAM - HEADER_BYTES - MAC_BYTES;
/** IPv4 records per datagram (fewer when IPv6 ones are among them). */
export const RECORDS_PER_DATAGRAM = Math.floor(DATAGRAM_RECORD_BYTES / RECORD_BYTES);

/** The size of the record whose first byte is `family`, 0 for none. */
export function recordSize(family: number): number {
  return family === 4 ? RECORD_BYTES : family === 6 ? RECORD6_BYTES : 0;
}

/** How many whole records `bytes` holds end to end, or undefined when it is not such a stream. */
export function countRecords(bytes: Uint8Array): number | undefined {
  let count = 0;
  for (let at = 0; at < bytes.length; count++) {
    const size = recordSize(bytes[at]!);
    if (size === 0 || at + size > bytes.length) return undefined;
    at += size;
  }
  return count;
}

/** `records` (a stream of whole records) cut into chunks that fit one datagram each, never inside a record. */
export function* datagramChunks(records: Buffer): Generator<Buffer> {
  let start = 0;
  let at = 0;
  while (at < records.length) {
    const size = recordSize(records[at]!);
    if (size === 0) throw new RangeError(`byte ${at}: not the start of a sync record`);
    if (at + size - start > DATAGRAM_RECORD_BYTES) {
      yield records.subarray(start, at);
      start = at;
    }
    at += size;
  }
  if (at > start) yield records.subarray(start, at);
}

export enum SyncKind {
  /** Connection records. */
  records = 1,
  /** A node that starts asks for every peer's table. */
  tableRequest = 2,
  /** The whole table asked for has been sent. */
  tableEnd = 3,
}

export interface SyncHeader {
  kind: SyncKind;
  node: number;
  sequence: number;
  /** Sender's clock, ms since the epoch (the receiver's lag estimate). */
  sentMs: number;
  count: number;
}

/** The key every node derives from the shared port key (dataplane.port_key_file). */
export function syncKey(portKey: Uint8Array): Buffer {
  return crypto.createHash('sha256').update('xvs connection sync v1').update(portKey).digest();
}

export function encodeDatagram(key: Buffer, header: Omit<SyncHeader, 'count'>, records: Uint8Array = new Uint8Array(0)): Buffer {
  const count = countRecords(records);
  if (count === undefined || records.length > DATAGRAM_RECORD_BYTES)
    throw new RangeError(`a datagram holds whole records, at most ${DATAGRAM_RECORD_BYTES} bytes of them`);
  const out = Buffer.alloc(HEADER_BYTES + records.length + MAC_BYTES);
  out.writeUInt32LE(SYNC_MAGIC, 0);
  out.writeUInt8(SYNC_VERSION, 4);
  out.writeUInt8(header.kind, 5);
  out.writeUInt16LE(header.node, 6);
  out.writeUInt32LE(header.sequence >>> 0, 8);
  out.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(header.sentMs))), 12);
  out.writeUInt16LE(count, 20);
  out.writeUInt16LE(records.length, 22);
  out.set(records, HEADER_BYTES);
  const mac = crypto.createHmac('sha256', key).update(out.subarray(0, HEADER_BYTES + records.length)).digest();
  mac.copy(out, HEADER_BYTES + records.length, 0, MAC_BYTES);
  return out;
}

export type Decoded = { ok: true; header: SyncHeader; records: Buffer } | { ok: false; reason: 'short' | 'magic' | 'version' | 'length' | 'mac' };

export function decodeDatagram(key: Buffer, data: Buffer): Decoded {
  if (data.length < HEADER_BYTES + MAC_BYTES) return { ok: false, reason: 'short' };
  if (data.readUInt32LE(0) !== SYNC_MAGIC) return { ok: false, reason: 'magic' };
  if (data.readUInt8(4) !== SYNC_VERSION) return { ok: false, reason: 'version' };
  const count = data.readUInt16LE(20);
  const body = HEADER_BYTES + data.readUInt16LE(22);
  if (data.length !== body + MAC_BYTES) return { ok: false, reason: 'length' };
  const mac = crypto.createHmac('sha256', key).update(data.subarray(0, body)).digest().subarray(0, MAC_BYTES);
  if (!crypto.timingSafeEqual(mac, data.subarray(body))) return { ok: false, reason: 'mac' };
  const kind = data.readUInt8(5);
  if (kind !== SyncKind.records && kind !== SyncKind.tableRequest && kind !== SyncKind.tableEnd) return { ok: false, reason: 'version' };
  // Signed, so a peer's: whole records of known families (else a newer format), as many as it says.
  const records = countRecords(data.subarray(HEADER_BYTES, body));
  if (records === undefined) return { ok: false, reason: 'version' };
  if (records !== count) return { ok: false, reason: 'length' };
  return {
    ok: true,
    header: { kind, node: data.readUInt16LE(6), sequence: data.readUInt32LE(8), sentMs: Number(data.readBigUInt64LE(12)), count },
    records: data.subarray(HEADER_BYTES, body),
  };
}
