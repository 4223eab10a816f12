// test/unit/port-hold-file.test.ts — the state file of held Full-NAT tuples: what is written is
// read back with its time; no file is no problem; a foreign file is named, not trusted; a missing
// directory is seen before writing.
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
    const read = readPortHolds(file);
    assert.equal(read.problem, undefined);
    assert.deepEqual(read.holds, { bytes, savedAtMs: 1_765_000_000_123 });
  });

  it('no file: nothing and no problem; a foreign file: a problem naming it', () => {
    assert.deepEqual(readPortHolds(join(dir, 'none')), {});
    const foreign = join(dir, 'foreign');
    writeFileSync(foreign, 'hello world, not ours');
    assert.match(readPortHolds(foreign).problem ?? '', /foreign is not an xvs port-hold file/);
  });

  it('a state directory that does not exist is seen before anything is written', () => {
    assert.equal(portHoldDirExists(portHoldPath(dir)), true);
    assert.equal(portHoldDirExists(portHoldPath(join(dir, 'missing'))), false);
    assert.throws(() => writePortHolds(portHoldPath(join(dir, 'missing')), { bytes: new Uint8Array(), savedAtMs: 0 }), { code: 'ENOENT' });
  });
});
