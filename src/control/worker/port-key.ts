// src/control/worker/port-key.ts — the 16-byte key of the Full-NAT local port choice
// (native/lb/local_port.h), read when the data plane is created. It must survive restarts (a
// client then starts from the server-side tuple it had, which the server may hold in TIME_WAIT)
// and be the same on every node of a cluster, and no outsider may know it:
// - `dataplane.port_key_file`: SHA-256 of the file's bytes (at least 16 of them; the same file on
//   every node of a cluster);
// - else an application-specific hash of /etc/machine-id (machine-id(5) asks exactly this of
//   applications: never expose the ID itself, derive from it with a fixed app key);
// - else a random key, with a warning that restarts then hand out other ports.
// Runs on the control worker thread.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { readSmallFile } from '../../config/small-file.js';
import type { Config } from '../../config/types.js';

const MACHINE_ID = '/etc/machine-id';
// A fixed label, so that the key differs from any other application's derivation of the same ID.
const APPLICATION = 'xvs fullnat local ports v1';
const MIN_FILE_BYTES = 16;

/** A key file is a few random bytes; anything much larger is the wrong file. */
const MAX_FILE_BYTES = 1 << 20;

export interface PortKey {
  key: Buffer; // 16 bytes
  source: string; // where it came from, for the start-up log
  warning?: string;
}

export function portKey(config: Config, machineIdPath = MACHINE_ID): PortKey {
  const file = config.dataplane.port_key_file;
  if (file !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readSmallFile('dataplane.port_key_file', file, MAX_FILE_BYTES);
    } catch (err) {
      throw Object.assign(err as Error, { code: 'XVS_EINVAL' });
    }
    if (bytes.length < MIN_FILE_BYTES)
      throw Object.assign(
        new Error(`dataplane.port_key_file: ${file} holds ${bytes.length} bytes; write at least ${MIN_FILE_BYTES} random ones (head -c 32 /dev/urandom > ${file})`),
        { code: 'XVS_EINVAL' },
      );
    return { key: createHash('sha256').update(bytes).digest().subarray(0, 16), source: file };
  }
  let machineId = '';
  try {
    machineId = readFileSync(machineIdPath, 'utf8').trim();
  } catch {
    // no machine ID: below
  }
  if (machineId !== '')
    return { key: createHmac('sha256', machineId).update(APPLICATION).digest().subarray(0, 16), source: machineIdPath };
  return {
    key: randomBytes(16),
    source: 'random',
    warning: `no ${machineIdPath} and no dataplane.port_key_file: the Full-NAT local port key is random, so after a restart clients get other local ports than before (set dataplane.port_key_file)`,
  };
}
