// test/unit/port-hold-file.test.ts — the state file of held Full-NAT tuples: what is written is
// read back with its time; no file is no problem; a foreign file is named, not trusted; a missing
// directory is seen before writing; a file larger than this run's tables could hold is not read.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { portHoldDirExists, portHoldPath, readPortHolds, writePortHolds } from '../../src/control/main/port-hold-file.js';

const dir = mkdtempSync(join(tmpdir(), 'xvs-holds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('port-hold file', () => {
  it('reads back what was written, with the time it was saved', () => {
    const file = portHoldPath(dir);
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    writePortHolds(file, { bytes, savedAtMs: 1_765_000_000_123 });
    const read = readPortHolds(file, 1024);
    assert.equal(read.problem, undefined);
    assert.deepEqual(read.holds, { bytes, savedAtMs: 1_765_000_000_123 });
  });

  it('no file: nothing and no problem; a foreign file: a problem naming it', () => {
    assert.deepEqual(readPortHolds(join(dir, 'none'), 1024), {});
    const foreign = join(dir, 'foreign');
    writeFileSync(foreign, 'hello world, not ours');
    assert.match(readPortHolds(foreign, 1024).problem ?? '', /foreign is not an xvs port-hold file/);
  });

  it('a file of more holds than the connection tables hold is not read, and says why', () => {
    const file = join(dir, 'huge');
    writePortHolds(file, { bytes: new Uint8Array(1024 * 128 + 100), savedAtMs: 0 });  // 128: MAX_BYTES_PER_HOLD
    assert.equal(readPortHolds(file, 2048).problem, undefined);
    const r = readPortHolds(file, 1024);
    assert.equal(r.holds, undefined);
    assert.match(r.problem ?? '', /huge is \d+ bytes, more than this run's connection tables could hold \(workers x conn_table_size = 1024, at most \d+ bytes\): not read; remove it$/);
  });

  it('a state directory that does not exist is seen before anything is written', () => {
    assert.equal(portHoldDirExists(portHoldPath(dir)), true);
    assert.equal(portHoldDirExists(portHoldPath(join(dir, 'missing'))), false);
    assert.throws(() => writePortHolds(portHoldPath(join(dir, 'missing')), { bytes: new Uint8Array(), savedAtMs: 0 }), { code: 'ENOENT' });
  });
});
