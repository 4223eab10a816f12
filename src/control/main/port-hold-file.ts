// src/control/main/port-hold-file.ts — the file in `dataplane.state_dir` where `xvs run` leaves
// the Full-NAT server-side tuples its servers may still hold when it stops, and finds them when it
// starts (native/lb/port_holds.h: a restarted xvs hands none of them to another client). The bytes
// are the engine's own (it checks them); this file adds the time they were saved, so that the next
// run ages them. Missing, unreadable or foreign files cost a warning, never the start or the stop.
// The directory is the operator's (systemd's StateDirectory=xvs makes /var/lib/xvs): xvs does not
// create it, and says so when a Full-NAT config runs without it. Main thread.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { SavedPortHolds } from '../protocol.js';

export const PORT_HOLD_FILE = 'fullnat-port-holds';
const MAGIC = 'XVSP';
const HEADER_BYTES = 12; // magic, saved-at milliseconds (u64 little-endian)

export function portHoldPath(stateDir: string): string {
  return path.join(stateDir, PORT_HOLD_FILE);
}

export interface ReadOutcome {
  holds?: SavedPortHolds;
  problem?: string;
}

/** Bytes one held tuple takes at most in the file (native/lb/port_holds.h PortHold: 112). */
const MAX_BYTES_PER_HOLD = 128;

/**
 * What the previous run left in `file`; no file is no problem. `tableEntries`: what this run's
 * connection tables hold (workers x conn_table_size): a file of more holds than that is not read
 * (a start must not allocate whatever a file on disk says).
 */
export function readPortHolds(file: string, tableEntries: number): ReadOutcome {
  const limit = HEADER_BYTES + 64 + tableEntries * MAX_BYTES_PER_HOLD;
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > limit)
      return {
        problem: `${file} is ${size} bytes, more than this run's connection tables could hold (workers x conn_table_size = ${tableEntries}, at most ${limit} bytes): not read; remove it`,
      };
    bytes = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: `cannot read ${file}: ${(err as Error).message}` };
  }
  if (bytes.length < HEADER_BYTES || bytes.toString('latin1', 0, 4) !== MAGIC) return { problem: `${file} is not an xvs port-hold file` };
  const savedAtMs = Number(bytes.readBigUInt64LE(4));
  return { holds: { bytes: new Uint8Array(bytes.subarray(HEADER_BYTES)), savedAtMs } };
}

/** Whether `file` can be kept: its directory exists. */
export function portHoldDirExists(file: string): boolean {
  return existsSync(path.dirname(file));
}

/** Writes `holds` to `file` by rename, so that a reader never sees half of it. */
export function writePortHolds(file: string, holds: SavedPortHolds): void {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeBigUInt64LE(BigInt(Math.round(holds.savedAtMs)), 4);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, Buffer.concat([header, holds.bytes]), { mode: 0o600 });
  renameSync(temporary, file);
}
