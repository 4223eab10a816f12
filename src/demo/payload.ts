// src/demo/payload.ts — the deterministic byte stream behind the real servers' `/bytes/N` (the
// download check): chunk k of the stream is a xorshift32 sequence seeded by k, so any consumer
// can recompute the expected SHA-256 of N bytes without a copy of the data. Any thread.
import crypto from 'node:crypto';

export const PAYLOAD_CHUNK = 64 * 1024;

/** Bytes [k * PAYLOAD_CHUNK, (k + 1) * PAYLOAD_CHUNK) of the stream. */
export function payloadChunk(k: number): Buffer {
  const words = new Uint32Array(PAYLOAD_CHUNK / 4);
  let x = (k * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer);
}

/** The stream's first `bytes` bytes, chunk by chunk. */
export function* payload(bytes: number): Generator<Buffer> {
  for (let k = 0, left = bytes; left > 0; k++, left -= PAYLOAD_CHUNK) {
    const chunk = payloadChunk(k);
    yield left >= PAYLOAD_CHUNK ? chunk : chunk.subarray(0, left);
  }
}

/** SHA-256 (hex) of the stream's first `bytes` bytes. */
export function payloadDigest(bytes: number): string {
  const hash = crypto.createHash('sha256');
  for (const chunk of payload(bytes)) hash.update(chunk);
  return hash.digest('hex');
}
