// test/unit/config-warnings.test.ts — configWarnings: a Full-NAT pool that holds fewer
// connections than the connection tables is named, with its capacity and sustained rate; a large
// enough pool, or one no fullnat service uses, is not. An API reachable from other machines
// without a bearer token is named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import { hostWarnings } from '../../src/config/host-warnings.js';
import { configWarnings } from '../../src/config/warnings.js';

const config = (lips: number, servers: number, table = 1048576, forwarding = 'fullnat', api = '', dataplane = '') =>
  parseConfigText(
    `dataplane: { backend: mem, interfaces: [mem0], conn_table_size: ${table} ${dataplane} }
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
    // 1 x 3 x the 31 744 ports of the default local_port_range, 1024..32767
    assert.match(warning ?? '', /^local_address_pools\.lan: 1 address x 3 servers hold at most 95 232 Full-NAT connections at once \(about 793 new ones\/s sustained/);
    assert.match(warning ?? '', /fewer than the connection tables' 1 048 576: .*drop_lport_exhausted.*add addresses to the pool, widen dataplane\.local_port_range/);
    const [wider] = configWarnings(config(1, 3, 1048576, 'fullnat', '', ', local_port_range: [1024, 65535]'));
    assert.match(wider ?? '', /hold at most 193 536 Full-NAT connections at once \(about 1 612 new ones\/s/);
  });

  it('says nothing when the pool holds at least the tables, or serves no fullnat service', () => {
    assert.deepEqual(configWarnings(config(34, 1)), [], '34 x 31 744 >= 1 048 576');
    assert.deepEqual(configWarnings(config(1, 3, 65536)), []);
    assert.deepEqual(configWarnings(config(1, 1, 1048576, 'nat')), []);
  });

  it('names an API that listens beyond loopback without api.token_file', () => {
    const open = configWarnings(config(5, 1, 131072, 'fullnat', 'api: { listen: 0.0.0.0:9100 }'));
    assert.equal(open.length, 1);
    assert.match(open[0]!, /^api\.listen 0\.0\.0\.0:9100 is reachable from other machines and api\.token_file is not set: .*set api\.token_file, or listen on 127\.0\.0\.1$/);
    assert.deepEqual(configWarnings(config(5, 1, 131072, 'fullnat', 'api: { listen: 0.0.0.0:9100, token_file: /etc/xvs/token }')), []);
    assert.deepEqual(configWarnings(config(5, 1, 131072, 'fullnat', 'api: { listen: "[::1]:9100" }')), []);
    assert.deepEqual(configWarnings(config(5, 1, 131072, 'fullnat', 'api: { listen: localhost:9100 }')), []);
  });
});

describe('hostWarnings', () => {
  const lip = '10.0.2.100'; // the pool's address in config()
  it('names a LIP that is an interface primary address, with the ephemeral ports', () => {
    const warnings = hostWarnings(config(34, 1), { interfaces: { lo: ['127.0.0.1'], eth1: [lip, '10.0.2.200'] }, ephemeralPorts: [32768, 60999] });
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /^local_address_pools\.lan: 10\.0\.2\.100 is the primary address of eth1: .* outside local_port_range 1024\.\.32767 \(its ephemeral ports are 32768\.\.60999\); give the pool an address of its own/,
    );
  });

  it('names a secondary LIP only when local_port_range overlaps the ephemeral ports', () => {
    const host = { interfaces: { eth1: ['10.0.2.1', lip] }, ephemeralPorts: [32768, 60999] as [number, number] };
    assert.deepEqual(hostWarnings(config(34, 1), host), []);
    const wide = hostWarnings(config(34, 1, 1048576, 'fullnat', '', ', local_port_range: [1024, 65535]'), host);
    assert.equal(wide.length, 1);
    assert.match(wide[0]!, /^dataplane\.local_port_range 1024\.\.65535 overlaps this host's ephemeral ports 32768\.\.60999 .* 10\.0\.2\.100 \(pool lan\) is an address of eth1/);
  });

  it('says nothing about LIPs the host does not have, or pools no fullnat service uses', () => {
    assert.deepEqual(hostWarnings(config(34, 1), { interfaces: { eth1: ['10.0.9.1'] }, ephemeralPorts: [1024, 65535] }), []);
    assert.deepEqual(hostWarnings(config(34, 1, 1048576, 'nat'), { interfaces: { eth1: [lip] } }), []);
  });
});
