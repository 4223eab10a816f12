// test/unit/port-key.test.ts — the Full-NAT local port key: from dataplane.port_key_file (the
// same bytes give the same key on every node), else from the machine ID (the same across
// restarts, never the ID itself), else random with a warning; a bad key file is a clear error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import { portKey } from '../../src/control/worker/port-key.js';

const dir = mkdtempSync(join(tmpdir(), 'xvs-port-key-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const config = (keyFile?: string) =>
  parseConfigText(
    `dataplane: { backend: mem, interfaces: [mem0]${keyFile ? `, port_key_file: ${keyFile}` : ''} }\nservices: []\n`,
    'port-key.yaml',
  );

describe('portKey', () => {
  it('a key file: the same bytes give the same 16-byte key, other bytes another', () => {
    const a = join(dir, 'a.key'), b = join(dir, 'b.key');
    writeFileSync(a, Buffer.alloc(32, 7));
    writeFileSync(b, Buffer.alloc(32, 8));
    const first = portKey(config(a)), again = portKey(config(a)), other = portKey(config(b));
    assert.equal(first.key.length, 16);
    assert.deepEqual(first.key, again.key);
    assert.notDeepEqual(first.key, other.key);
    assert.equal(first.source, a);
    assert.equal(first.warning, undefined);
  });

  it('a missing or short key file is refused with XVS_EINVAL naming the field', () => {
    const short = join(dir, 'short.key');
    writeFileSync(short, 'abc');
    assert.throws(() => portKey(config(join(dir, 'none.key'))), { code: 'XVS_EINVAL', message: /dataplane\.port_key_file: cannot read/ });
    assert.throws(() => portKey(config(short)), { code: 'XVS_EINVAL', message: /holds 3 bytes; write at least 16/ });
  });

  it('a device or a huge file is refused before it is read (a start allocates nothing a path says)', () => {
    assert.throws(() => portKey(config('/dev/zero')), { code: 'XVS_EINVAL', message: /^dataplane\.port_key_file: \/dev\/zero is not a regular file$/ });
    const huge = join(dir, 'huge.key');
    writeFileSync(huge, Buffer.alloc((1 << 20) + 1));
    assert.throws(() => portKey(config(huge)), { code: 'XVS_EINVAL', message: /huge\.key is 1048577 bytes; at most 1048576 are expected$/ });
  });

  it('without a file: derived from the machine ID (stable, and not the ID), else random with a warning', () => {
    const id = join(dir, 'machine-id');
    writeFileSync(id, '0123456789abcdef0123456789abcdef\n');
    const first = portKey(config(), id), again = portKey(config(), id);
    assert.deepEqual(first.key, again.key, 'a restart keeps the key');
    assert.ok(!Buffer.from('0123456789abcdef').equals(first.key), 'not the ID itself');
    assert.equal(first.warning, undefined);
    const none = portKey(config(), join(dir, 'no-machine-id'));
    assert.equal(none.source, 'random');
    assert.match(none.warning ?? '', /key is random.*set dataplane\.port_key_file/);
    assert.notDeepEqual(none.key, portKey(config(), join(dir, 'no-machine-id')).key);
  });
});
