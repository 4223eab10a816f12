// test/unit/local-port-model.test.ts — the packet tests' model of the Full-NAT local port rule
// (test/support/local-port.ts) checked on its own: SipHash-2-4 against the reference vectors, the
// key of a port_key_file as src/control/worker/port-key.ts derives it, each worker's share and a
// stride that visits all of it, and the order of tries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import { portKey } from '../../src/control/worker/port-key.js';
import { PROTO } from '../support/wire.js';
import { keyOfFile, lipOrder, portOrder, share, siphash24, tempKeyFile, TRIES_PER_LIP } from '../support/local-port.js';

describe('local port model', () => {
  it('SipHash-2-4 gives the reference vectors (key 00..0f, message 00..0f of 0, 8 and 16 bytes)', () => {
    const bytes = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
    const key = { k0: bytes.readBigUInt64LE(0), k1: bytes.readBigUInt64LE(8) };
    const words = [bytes.readBigUInt64LE(0), bytes.readBigUInt64LE(8)];
    assert.equal(siphash24(key, []), 0x726fdb47dd0e0e31n);
    assert.equal(siphash24(key, words.slice(0, 1)), 0x93f5f5799a932462n);
    assert.equal(siphash24(key, words), 0x3f2acc7f57c29bdbn);
  });

  it('the key of a port_key_file is the one the data plane is given', () => {
    const file = tempKeyFile(0x33);
    try {
      const config = parseConfigText(`dataplane: { backend: mem, interfaces: [mem0], port_key_file: ${file.path} }\nservices: []\n`, 'k.yaml');
      const given = portKey(config).key;
      assert.deepEqual([given.readBigUInt64LE(0), given.readBigUInt64LE(8)], [file.key.k0, file.key.k1]);
    } finally {
      file.remove();
    }
  });

  it('the shares of 1, 2 and 3 workers split 1024..65535, and each stride visits its whole share', () => {
    for (const workers of [1, 2, 3]) {
      let total = 0;
      for (let w = 0; w < workers; w++) {
        const s = share(w, workers);
        assert.equal(s.first % workers, w);
        assert.ok(s.first >= 1024 && s.first < 1024 + workers);
        assert.ok(s.first + (s.count - 1) * workers <= 65535 && s.first + s.count * workers > 65535);
        const seen = new Set<number>();
        for (let i = 0, k = 0; k < s.count; k++, i = (i + s.stride) % s.count) seen.add(i);
        assert.equal(seen.size, s.count, `${workers} workers, worker ${w}: the stride ${s.stride} visits every port`);
        total += s.count;
      }
      assert.equal(total, 64512);
    }
  });

  it("tries start at the client's own port when it is in the share, go on at a hash of the tuple, and step by the stride", () => {
    const key = keyOfFile(Buffer.alloc(32, 0x5a));
    const one = share(0, 1), odd = share(1, 2);
    const c = { src: '198.51.100.7', dst: '203.0.113.10', sport: 40001, dport: 80, protocol: PROTO.tcp };
    const own = portOrder(key, one, c);
    assert.equal(own.length, TRIES_PER_LIP);
    assert.equal(own[0], 40001);
    const scattered = portOrder(key, one, { ...c, sport: 1000 }); // 1000 is below the share: the hash from the start
    assert.notEqual(own[1], portOrder(key, one, { ...c, src: '198.51.100.8' })[1], 'clients sharing a source port part after it');
    assert.notEqual(own[1], 40001, 'after a taken own port: the hash of the tuple');
    assert.equal(own[2], 1024 + ((own[1]! - 1024 + one.stride) % one.count), 'then the stride');
    assert.equal(scattered[1], 1024 + ((scattered[0]! - 1024 + one.stride) % one.count));
    assert.equal(portOrder(key, odd, c)[0], 40001, 'odd: worker 1 of 2');
    const hashed = portOrder(key, share(0, 2), c);
    assert.ok(hashed.every((p) => p % 2 === 0 && p >= 1024), 'worker 0 of 2 tries its own (even) ports only');
    assert.equal(new Set(hashed).size, TRIES_PER_LIP);
    assert.notEqual(portOrder(key, one, { ...c, sport: 1000 })[0], portOrder(key, one, { ...c, sport: 1001 })[0]);
    const lips = ['10.0.2.100', '10.0.2.101', '10.0.2.102'];
    const order = lipOrder(key, lips, c.src, c.dst);
    assert.deepEqual([...order].sort(), lips, 'every LIP, once');
    assert.equal(lips.indexOf(order[1]!), (lips.indexOf(order[0]!) + 1) % 3, 'then the next ones in turn');
  });
});
