// src/cluster/sync-wire.ts — the datagrams of connection sync between cluster nodes: a header
// (magic, version, kind, sender node id, sequence number, send time), whole connection records
// (native/abi/sync.h, RECORDS.sync bytes each; opaque here) and an HMAC-SHA256 trailer keyed by
// the cluster's shared port key file, so that only nodes holding that file can install
// connections. Datagrams stay within a 1500-byte MTU. Pure; runs on the control worker thread.
import crypto from 'node:crypto';

import { RECORDS } from '../native/abi.js';

export const SYNC_MAGIC = 0x53535658; // "XVSS" little-endian
export const SYNC_VERSION = 1;
export const HEADER_BYTES = 24;
export const MAC_BYTES = 16;
/** What one datagram may carry: an Ethernet MTU of 1500 minus IPv4 and UDP headers. */
export const MAX_DATAGRAM = 1472;
export const RECORD_BYTES = RECORDS.sync.size;
export const RECORDS_PER_DATAGRAM = Math.floor((MAX_DATAGRAM - HEADER_BYTES - MAC_BYTES) / RECORD_BYTES);

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
  if (records.length % RECORD_BYTES !== 0 || records.length / RECORD_BYTES > RECORDS_PER_DATAGRAM)
    throw new RangeError(`a datagram holds whole records, at most ${RECORDS_PER_DATAGRAM}`);
  const out = Buffer.alloc(HEADER_BYTES + records.length + MAC_BYTES);
  out.writeUInt32LE(SYNC_MAGIC, 0);
  out.writeUInt8(SYNC_VERSION, 4);
  out.writeUInt8(header.kind, 5);
  out.writeUInt16LE(header.node, 6);
  out.writeUInt32LE(header.sequence >>> 0, 8);
  out.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(header.sentMs))), 12);
  out.writeUInt16LE(records.length / RECORD_BYTES, 20);
  out.writeUInt16LE(RECORD_BYTES, 22);
  out.set(records, HEADER_BYTES);
  const mac = crypto.createHmac('sha256', key).update(out.subarray(0, HEADER_BYTES + records.length)).digest();
  mac.copy(out, HEADER_BYTES + records.length, 0, MAC_BYTES);
  return out;
}

export type Decoded = { ok: true; header: SyncHeader; records: Buffer } | { ok: false; reason: 'short' | 'magic' | 'version' | 'length' | 'mac' };

export function decodeDatagram(key: Buffer, data: Buffer): Decoded {
  if (data.length < HEADER_BYTES + MAC_BYTES) return { ok: false, reason: 'short' };
  if (data.readUInt32LE(0) !== SYNC_MAGIC) return { ok: false, reason: 'magic' };
  if (data.readUInt8(4) !== SYNC_VERSION || data.readUInt16LE(22) !== RECORD_BYTES) return { ok: false, reason: 'version' };
  const count = data.readUInt16LE(20);
  const body = HEADER_BYTES + count * RECORD_BYTES;
  if (data.length !== body + MAC_BYTES) return { ok: false, reason: 'length' };
  const mac = crypto.createHmac('sha256', key).update(data.subarray(0, body)).digest().subarray(0, MAC_BYTES);
  if (!crypto.timingSafeEqual(mac, data.subarray(body))) return { ok: false, reason: 'mac' };
  const kind = data.readUInt8(5);
  if (kind !== SyncKind.records && kind !== SyncKind.tableRequest && kind !== SyncKind.tableEnd) return { ok: false, reason: 'version' };
  return {
    ok: true,
    header: { kind, node: data.readUInt16LE(6), sequence: data.readUInt32LE(8), sentMs: Number(data.readBigUInt64LE(12)), count },
    records: data.subarray(HEADER_BYTES, body),
  };
}
