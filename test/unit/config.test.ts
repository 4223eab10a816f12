// Unit tests of the config loader as a whole (src/config): normalisation and defaults, durations,
// and many problems in one file. Files, formats and the shipped examples: config-files.test.ts;
// field-level messages: config-schema.test.ts, config-rules.test.ts. Runs under node:test on the
// main thread; no I/O.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration } from '../../src/config/duration.js';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { text, problemsOf } from '../support/config-problems.js';

const DESIGN_EXAMPLE = text(
  'dataplane:',
  '  backend: afxdp',
  '  workers: 2',
  '  cpus: [0, 1]',
  '  interfaces: [eth0]',
  '  conn_table_size: 1048576',
  '  timeouts: { tcp: 900, tcp_fin: 120, tcp_syn: 60, udp: 300 }',
  '  mtu: 1500',
  '  tunnel_source: 10.0.2.1',
  'api:',
  '  listen: 127.0.0.1:9475',
  'log_level: info',
  'local_address_pools:',
  '  lan: [10.0.2.100, 10.0.2.101]',
  'services:',
  '  - name: web',
  '    vip: 203.0.113.10',
  '    port: 80',
  '    protocol: tcp',
  '    scheduler: wlc',
  '    forwarding: fullnat',
  '    local_address_pool: lan',
  '    persistence: { timeout: 300, netmask: 32 }',
  '    quorum: 1',
  '    sorry_server: { address: 10.0.2.250, port: 80 }',
  '    health_check: { type: http, path: /healthz, expect_status: 200,',
  '                    interval: 2, timeout: 1, rise: 2, fall: 3, inhibit_on_failure: true }',
  '    servers:',
  '      - { address: 10.0.2.11, port: 8080, weight: 1 }',
  '      - { address: 10.0.2.12, port: 8080, weight: 2, upper_threshold: 0, lower_threshold: 0 }',
);

describe('normalisation', () => {
  test('the DESIGN §5 example loads unchanged', () => {
    const c = parseConfigText(DESIGN_EXAMPLE, 'design.yaml');
    assert.deepEqual(c.dataplane, {
      backend: 'afxdp',
      workers: 2,
      cpus: [0, 1],
      interfaces: ['eth0'],
      conn_table_size: 1048576,
      timeouts: { tcp: 900, tcp_fin: 120, tcp_syn: 60, udp: 300, server_time_wait: 60 },
      state_dir: '/var/lib/xvs',
      syn_proxy_above: 1024,
      half_open_limit: 1048576,
      local_port_range: [1024, 32767],
      fast_path: 'xdp',
      mtu: 1500,
      tunnel_source: '10.0.2.1',
    });
    assert.equal(c.services[0]?.syn_proxy, 'auto');
    const web = c.services[0];
    assert.equal(web?.health_check?.path, '/healthz');
    assert.deepEqual(web?.servers[1], { address: '10.0.2.12', port: 8080, weight: 2, upper_threshold: 0, lower_threshold: 0 });
  });

  test('a minimal config gets every default', () => {
    const c = parseConfigText(
      text(
        'dataplane:',
        '  interfaces: [eth0]',
        'services:',
        '  - name: web',
        '    vip: 203.0.113.10',
        '    port: 80',
        '    forwarding: nat',
        '    health_check: { type: http }',
        '    persistence: {}',
        '    servers:',
        '      - address: 10.0.0.11',
        '        port: 8080',
        '        health_check: { type: exec, command: [/bin/check] }',
      ),
      'min.yaml',
    );
    const expected: Config = {
      source: 'min.yaml',
      dataplane: {
        backend: 'afxdp',
        workers: 1,
        interfaces: ['eth0'],
        conn_table_size: 1048576,
        timeouts: { tcp: 900, tcp_fin: 120, tcp_syn: 60, udp: 300, server_time_wait: 60 },
        state_dir: '/var/lib/xvs',
        syn_proxy_above: 1024,
        half_open_limit: 1048576,
        local_port_range: [1024, 32767],
        fast_path: 'xdp',
      },
      api: { listen: '127.0.0.1:9475' },
      log_level: 'info',
      local_address_pools: {},
      services: [
        {
          name: 'web',
          vip: '203.0.113.10',
          port: 80,
          protocol: 'tcp',
          scheduler: 'wlc',
          forwarding: 'nat',
          persistence: { timeout: 300, netmask: 32 },
          one_packet: false,
          syn_proxy: 'auto',
          client_address: 'none',
          quorum: 1,
          quorum_hysteresis: 0,
          health_check: {
            type: 'http',
            interval: 2,
            timeout: 1,
            rise: 2,
            fall: 3,
            inhibit_on_failure: true,
            initial_state: 'up',
            path: '/',
            expect_status: 200,
          },
          servers: [
            {
              address: '10.0.0.11',
              port: 8080,
              weight: 1,
              upper_threshold: 0,
              lower_threshold: 0,
              health_check: {
                type: 'exec',
                interval: 2,
                timeout: 1,
                rise: 2,
                fall: 3,
                inhibit_on_failure: true,
                initial_state: 'up',
                command: ['/bin/check'],
                user: 'nobody',
              },
            },
          ],
        },
      ],
    };
    assert.deepEqual(c, expected);
  });

  test('no services is a valid, idle balancer', () => {
    const c = parseConfigText(text('dataplane: { interfaces: [eth0] }'), 'idle.yaml');
    assert.deepEqual(c.services, []);
  });

  test('quorum_hysteresis is kept as given', () => {
    const c = parseConfigText(
      text(
        'dataplane: { interfaces: [eth0] }',
        'services:',
        '  - { name: web, vip: 203.0.113.10, port: 80, forwarding: nat, quorum: 2, quorum_hysteresis: 1,',
        '      servers: [{ address: 10.0.0.11, port: 80 }, { address: 10.0.0.12, port: 80 }, { address: 10.0.0.13, port: 80 }] }',
      ),
      'q.yaml',
    );
    assert.deepEqual([c.services[0]?.quorum, c.services[0]?.quorum_hysteresis], [2, 1]);
  });

  test('duration strings become seconds in the Config', () => {
    const c = parseConfigText(
      text('dataplane:', '  interfaces: [eth0]', '  timeouts: { tcp: 15m, tcp_fin: "2m", tcp_syn: 500ms, udp: 1h30m, server_time_wait: 2m }'),
      'd.yaml',
    );
    assert.deepEqual(c.dataplane.timeouts, { tcp: 900, tcp_fin: 120, tcp_syn: 0.5, udp: 5400, server_time_wait: 120 });
  });

  test('timeouts left out take their defaults, server_time_wait 60 s among them', () => {
    const c = parseConfigText(text('dataplane:', '  interfaces: [eth0]', '  timeouts: { tcp: 15m }'), 'd.yaml');
    assert.deepEqual(c.dataplane.timeouts, { tcp: 900, tcp_fin: 120, tcp_syn: 60, udp: 300, server_time_wait: 60 });
  });

  test('YAML merge keys share settings between services', () => {
    const c = parseConfigText(
      text(
        'dataplane: { interfaces: [eth0] }',
        'services:',
        '  - &web',
        '    name: web',
        '    vip: 203.0.113.10',
        '    port: 80',
        '    forwarding: dr',
        '    servers: [{ address: 10.0.0.11, port: 80 }]',
        '  - <<: *web',
        '    name: web-udp',
        '    protocol: udp',
      ),
      'merge.yaml',
    );
    assert.equal(c.services[1]?.name, 'web-udp');
    assert.equal(c.services[1]?.vip, '203.0.113.10');
    assert.equal(c.services[1]?.protocol, 'udp');
  });
});

describe('durations', () => {
  test('accepted forms', () => {
    const cases: [unknown, number][] = [
      [0, 0],
      [900, 900],
      [1.5, 1.5],
      ['900s', 900],
      ['2m', 120],
      ['1h', 3600],
      ['500ms', 0.5],
      ['1h30m', 5400],
      ['1m30s', 90],
      ['0.25s', 0.25],
      [' 2m ', 120],
    ];
    for (const [input, seconds] of cases) assert.equal(parseDuration(input), seconds, `parseDuration(${JSON.stringify(input)})`);
  });

  test('rejected forms', () => {
    for (const input of [-1, Infinity, NaN, '', '900', '5 minutes', '2 m', '1d', 'm', '1h-5m', '.5s', true, null, [1], {}]) {
      assert.equal(parseDuration(input), undefined, `parseDuration(${JSON.stringify(input)})`);
    }
  });
});

test('several problems in one file are all reported, in file order', () => {
  const ps = problemsOf(
    text(
      'dataplane:',
      '  interfaces: [eth0]',
      '  workers: 2',
      '  cpus: [0]',
      'services:',
      '  - name: web',
      '    vip: 10.0.0.256',
      '    port: 80',
      '    prot: tcp',
      '    forwarding: dr',
      '    servers:',
      '      - { address: 10.0.0.11, port: 8080 }',
      '      - { address: 10.0.0.12, port: 70000 }',
    ),
  );
  assert.deepEqual(
    ps.map((p) => [p.line, p.column, p.path]),
    [
      [4, 9, 'dataplane.cpus'],
      [7, 10, 'services[0].vip'],
      [9, 5, 'services[0].prot'],
      [12, 37, 'services[0].servers[0].port'],
      [13, 37, 'services[0].servers[1].port'],
    ],
  );
  assert.match(ps[4]?.message ?? '', /must be an integer from 1 to 65535 \(got 70000\)/);
});
