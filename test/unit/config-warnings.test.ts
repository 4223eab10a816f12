// test/unit/config-warnings.test.ts — configWarnings: a Full-NAT pool that holds fewer
// connections than the connection tables is named, with its capacity and sustained rate; a large
// enough pool, or one no fullnat service uses, is not. An API reachable from other machines
// without a bearer token is named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import { configWarnings } from '../../src/config/warnings.js';

const config = (lips: number, servers: number, table = 1048576, forwarding = 'fullnat', api = '') =>
  parseConfigText(
    `dataplane: { backend: mem, interfaces: [mem0], conn_table_size: ${table} }
${api}
local_address_pools: { lan: [${Array.from({ length: lips }, (_, i) => `10.0.2.${100 + i}`).join(', ')}] }
services:
  - { name: web, vip: 203.0.113.10, port: 80, forwarding: ${forwarding}, ${forwarding === 'fullnat' ? 'local_address_pool: lan,' : ''}
      servers: [${Array.from({ length: servers }, (_, i) => `{ address: 10.0.2.${10 + i}, port: 8080 }`).join(', ')}] }
`,
    'warnings.yaml',
  );

describe('configWarnings', () => {
  it('names a pool smaller than the connection tables, with what it holds and sustains', () => {
    const [warning, ...rest] = configWarnings(config(1, 3));
    assert.deepEqual(rest, []);
    assert.match(warning ?? '', /^local_address_pools\.lan: 1 address x 3 servers hold at most 193 536 Full-NAT connections at once \(about 1 612 new ones\/s sustained/);
    assert.match(warning ?? '', /fewer than the connection tables' 1 048 576: .*drop_lport_exhausted.*add addresses to the pool/);
  });

  it('says nothing when the pool holds at least the tables, or serves no fullnat service', () => {
    assert.deepEqual(configWarnings(config(17, 1)), [], '17 x 64 512 >= 1 048 576');
    assert.deepEqual(configWarnings(config(1, 3, 131072)), []);
    assert.deepEqual(configWarnings(config(1, 1, 1048576, 'nat')), []);
  });

  it('names an API that listens beyond loopback without api.token_file', () => {
    const open = configWarnings(config(3, 1, 131072, 'fullnat', 'api: { listen: 0.0.0.0:9100 }'));
    assert.equal(open.length, 1);
    assert.match(open[0]!, /^api\.listen 0\.0\.0\.0:9100 is reachable from other machines and api\.token_file is not set: .*set api\.token_file, or listen on 127\.0\.0\.1$/);
    assert.deepEqual(configWarnings(config(3, 1, 131072, 'fullnat', 'api: { listen: 0.0.0.0:9100, token_file: /etc/xvs/token }')), []);
    assert.deepEqual(configWarnings(config(3, 1, 131072, 'fullnat', 'api: { listen: "[::1]:9100" }')), []);
    assert.deepEqual(configWarnings(config(3, 1, 131072, 'fullnat', 'api: { listen: localhost:9100 }')), []);
  });
});
