// src/config/small-file.ts — reading a small file a config field names (dataplane.port_key_file,
// api.token_file): a regular file of at most `maxBytes`, so that a path to /dev/zero or to a
// multi-gigabyte file fails with the field's name instead of hanging or exhausting memory.
// Throws an Error whose message starts with the field. Any thread.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export function readSmallFile(field: string, file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new Error(`${field}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${field}: ${file} is not a regular file`);
    if (stat.size > maxBytes) throw new Error(`${field}: ${file} is ${stat.size} bytes; at most ${maxBytes} are expected`);
    const bytes = Buffer.alloc(stat.size);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return bytes.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
