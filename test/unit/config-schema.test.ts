// Unit tests of schema-level config messages (src/config/schema*.ts + schema-messages.ts): one
// case per message class, each asserting the field path, line, column and wording, and that one
// mistake yields exactly one problem. Runs under node:test on the main thread; no I/O.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AJV_OPTIONS, CONFIG_SCHEMA, XVS_KEYWORDS } from '../../src/config/schema-definition.js';
import { schemaErrors, validatorOrigin } from '../../src/config/schema.js';
import { text, problemsOf, expectOne } from '../support/config-problems.js';

/** A valid nat service at lines 4-9, with `extra` lines inserted after `forwarding` (line 7). */
function web(extra: string[] = [], server = '      - { address: 10.0.0.11, port: 8080 }'): string {
  return text(
    'dataplane:',
    '  interfaces: [eth0]',
    'services:',
    '  - name: web',
    '    vip: 203.0.113.10',
    '    port: 80',
    '    forwarding: nat',
    ...extra,
    '    servers:',
    server,
  );
}

const dataplane = (...lines: string[]): string => text('dataplane:', '  interfaces: [eth0]', ...lines);

test('the helpers build a valid config', () => {
  assert.deepEqual(problemsOf(web()), []);
  assert.deepEqual(problemsOf(dataplane()), []);
});

test('unknown field: names the allowed fields and the likely one', () => {
  const source = web(['    prot: tcp']);
  expectOne(source, 'services[0].prot', 8, 5, 'unknown field "prot" (allowed: name, vip, port, protocol, scheduler, forwarding, ');
  expectOne(source, 'services[0].prot', 8, 5, '; did you mean "protocol"?');
});

test('unknown field: swapped letters are suggested', () => {
  expectOne(web([], '      - { address: 10.0.0.11, port: 8080, wieght: 2 }'), 'services[0].servers[0].wieght', 9, 43, 'did you mean "weight"?');
});

test('unknown field at the top level', () => {
  expectOne(dataplane('logging: debug'), 'logging', 3, 1, 'unknown field "logging" at the top level (allowed: dataplane, api, log_level, local_address_pools, services, cluster)');
});

test('unknown field inside timeouts', () => {
  expectOne(dataplane('  timeouts: { tcp: 900, syn: 60 }'), 'dataplane.timeouts.syn', 3, 25, 'unknown field "syn" (allowed: tcp, tcp_fin, tcp_syn, udp, server_time_wait)');
});

test('missing required field points at the mapping that lacks it', () => {
  const source = text('dataplane:', '  interfaces: [eth0]', 'services:', '  - name: web', '    vip: 203.0.113.10', '    port: 80', '    servers: [{ address: 10.0.0.11, port: 80 }]');
  expectOne(source, 'services[0].forwarding', 4, 5, 'missing required field "forwarding" (one of dr, nat, tunnel, fullnat)');
});

test('missing required field in a flow mapping', () => {
  expectOne(web([], '      - { address: 10.0.0.11 }'), 'services[0].servers[0].port', 9, 9, 'missing required field "port" (an integer from 1 to 65535)');
});

test('missing dataplane section', () => {
  expectOne(text('log_level: info'), 'dataplane', 1, 1, 'missing required field "dataplane" (a mapping such as { interfaces: [eth0] })');
});

test('missing interfaces', () => {
  expectOne(text('dataplane:', '  workers: 1'), 'dataplane.interfaces', 2, 3, 'missing required field "interfaces"');
});

test('wrong type: a quoted port', () => {
  expectOne(web().replace('port: 80', 'port: "80"'), 'services[0].port', 6, 11, 'must be an integer from 1 to 65535 (got "80")');
});

test('port out of range', () => {
  expectOne(web().replace('port: 80', 'port: 70000'), 'services[0].port', 6, 11, 'must be an integer from 1 to 65535 (got 70000)');
  expectOne(web([], '      - { address: 10.0.0.11, port: 0 }'), 'services[0].servers[0].port', 9, 37, 'must be an integer from 1 to 65535 (got 0)');
  expectOne(web([], '      - { address: 10.0.0.11, port: 80.5 }'), 'services[0].servers[0].port', 9, 37, 'must be an integer from 1 to 65535 (got 80.5)');
});

test('enum: protocol', () => {
  expectOne(web(['    protocol: tcpp']), 'services[0].protocol', 8, 15, 'must be one of tcp, udp (got "tcpp")');
});

test('enum: scheduler', () => {
  expectOne(web(['    scheduler: roundrobin']), 'services[0].scheduler', 8, 16, 'must be one of rr, wrr, lc, wlc, sed, nq, lblc, lblcr, dh, sh, mh, fo (got "roundrobin")');
});

test('enum: forwarding', () => {
  expectOne(web().replace('forwarding: nat', 'forwarding: snat'), 'services[0].forwarding', 7, 17, 'must be one of dr, nat, tunnel, fullnat (got "snat")');
});

test('enum: backend and log_level', () => {
  expectOne(dataplane('  backend: xdp'), 'dataplane.backend', 3, 12, 'must be one of afxdp, dpdk, mem (got "xdp")');
  expectOne(dataplane('  fast_path: on'), 'dataplane.fast_path', 3, 14, 'must be one of xdp, off (got "on")');
  expectOne(dataplane('log_level: verbose'), 'log_level', 3, 12, 'must be one of trace, debug, info, warn, error, fatal, silent (got "verbose")');
});

test('workers range', () => {
  expectOne(dataplane('  workers: 65'), 'dataplane.workers', 3, 12, 'must be an integer from 1 to 64 (got 65)');
});

test('conn_table_size range', () => {
  expectOne(dataplane('  conn_table_size: 100'), 'dataplane.conn_table_size', 3, 20, 'must be an integer from 1024 to 134217728 (got 100)');
});

test('worker_priority range', () => {
  expectOne(dataplane('  worker_priority: 100'), 'dataplane.worker_priority', 3, 20, 'must be an integer from 0 to 99 (got 100)');
  expectOne(dataplane('  worker_priority: -1'), 'dataplane.worker_priority', 3, 20, 'must be an integer from 0 to 99 (got -1)');
});

test('mtu range', () => {
  expectOne(dataplane('  mtu: 9001'), 'dataplane.mtu', 3, 8, 'must be an integer from 576 to 9000 (got 9001)');
});

test('interfaces: one or two', () => {
  expectOne(text('dataplane:', '  interfaces: []'), 'dataplane.interfaces', 2, 15, 'must be a list of 1 or 2 interface names such as [eth0] or [eth0, eth1] (got an empty list)');
  expectOne(text('dataplane:', '  interfaces: [a, b, c]'), 'dataplane.interfaces', 2, 15, '(got a list of 3 items)');
});

test('an empty value points at its key', () => {
  expectOne(dataplane('  mtu:'), 'dataplane.mtu', 3, 3, 'must be an integer from 576 to 9000 (got nothing)');
});

test('duration: not a duration names the accepted forms', () => {
  expectOne(
    dataplane('  timeouts: { tcp: 5 minutes }'),
    'dataplane.timeouts.tcp',
    3,
    20,
    'must be a duration: a number of seconds, or a string such as "900s", "2m", "1h", "1h30m" or "500ms" (got "5 minutes")',
  );
  expectOne(dataplane('  timeouts: { tcp: -5 }'), 'dataplane.timeouts.tcp', 3, 20, '(got -5)');
  expectOne(dataplane('  timeouts: { tcp: "900" }'), 'dataplane.timeouts.tcp', 3, 20, 'must be a duration: ');
});

test('duration: zero is not a timeout', () => {
  expectOne(dataplane('  timeouts: { udp: 0s }'), 'dataplane.timeouts.udp', 3, 20, 'must be a duration greater than 0 (got "0s")');
});

// The data plane keeps expiries as u32 seconds compared as signed differences, Node's timers hold
// at most 2^31 - 1 ms: a duration beyond either wrapped (every connection expired at once) or was
// clamped to 1 ms (a probe storm). Each is bounded, and the message names the largest value.
test('durations are bounded by what the data plane and the health timers can hold', () => {
  expectOne(dataplane('  timeouts: { tcp: 2147483648 }'), 'dataplane.timeouts.tcp', 3, 20,
    'must be at most 1073741823 seconds (about 34 years) (got 2147483648)');
  expectOne(dataplane('  timeouts: { server_time_wait: "400000000h" }'), 'dataplane.timeouts.server_time_wait', 3, 33,
    'must be at most 1073741823 seconds');
  expectOne(web(['    persistence: { timeout: 4294967296 }']), 'services[0].persistence.timeout', 8, 29, 'must be at most 1073741823 seconds');
  expectOne(web(['    health_check: { type: tcp, interval: 2147484 }']), 'services[0].health_check.interval', 8, 42,
    'must be at most 2147483 seconds (about 24 days) (got 2147484)');
  // (A timeout that long also exceeds the interval: that rule speaks too.)
  assert.ok(problemsOf(web(['    health_check: { type: tcp, timeout: 100000h }'])).some((p) =>
    p.path === 'services[0].health_check.timeout' && p.message.startsWith('must be at most 2147483 seconds')));
  assert.deepEqual(problemsOf(dataplane('  timeouts: { tcp: 1073741823 }')), []);
  assert.deepEqual(problemsOf(web(['    health_check: { type: tcp, interval: 2147483 }'])), []);
});

test('service name pattern', () => {
  expectOne(web().replace('name: web', 'name: my web'), 'services[0].name', 4, 11, 'must be a name of 1 to 64 letters, digits, "_", "." or "-" (got "my web")');
});

test('persistence netmask range', () => {
  expectOne(web(['    persistence: { timeout: 300, netmask: 129 }']), 'services[0].persistence.netmask', 8, 43, 'must be an integer from 0 to 128 (got 129)');
  // 33..128 are IPv6 prefix lengths: an IPv4 service refuses them by its family (config-ipv6.test.ts).
  expectOne(web(['    persistence: { timeout: 300, netmask: 33 }']), 'services[0].persistence.netmask', 8, 43, 'is a prefix length of at most 32 for an IPv4 service (got 33)');
});

test('boolean fields take true or false, not yes', () => {
  expectOne(web(['    protocol: udp', '    one_packet: yes']), 'services[0].one_packet', 9, 17, 'must be true or false (got "yes")');
});

test('weight range', () => {
  expectOne(web([], '      - { address: 10.0.0.11, port: 8080, weight: 70000 }'), 'services[0].servers[0].weight', 9, 51, 'must be an integer from 0 to 65535 (got 70000)');
});

test('quorum minimum', () => {
  expectOne(web(['    quorum: 0']), 'services[0].quorum', 8, 13, 'must be an integer of at least 1 (got 0)');
});

test('quorum_hysteresis minimum', () => {
  expectOne(web(['    quorum_hysteresis: -1']), 'services[0].quorum_hysteresis', 8, 24, 'must be a non-negative integer (got -1)');
});

test('servers must not be empty', () => {
  expectOne(web([], '      []').replace('    servers:\n      []', '    servers: []'), 'services[0].servers', 8, 14, 'must be a non-empty list of servers');
});

test('health check: missing type', () => {
  expectOne(web(['    health_check: { interval: 2 }']), 'services[0].health_check.type', 8, 19, 'missing required field "type" (one of tcp, http, udp, exec)');
});

test('health check: http path must be absolute', () => {
  expectOne(web(['    health_check: { type: http, path: healthz }']), 'services[0].health_check.path', 8, 39, 'must be an absolute URL path such as /healthz (got "healthz")');
});

test('health check: expect_status range', () => {
  expectOne(web(['    health_check: { type: http, expect_status: 700 }']), 'services[0].health_check.expect_status', 8, 48, 'must be an integer from 100 to 599 (got 700)');
});

test('health check: exec command must not be empty', () => {
  expectOne(web(['    health_check: { type: exec, command: [] }']), 'services[0].health_check.command', 8, 42, 'must be a non-empty list of program and arguments');
});

test('health check: rise at least 1', () => {
  expectOne(web(['    health_check: { type: tcp, rise: 0 }']), 'services[0].health_check.rise', 8, 38, 'must be an integer of at least 1 (got 0)');
});

test('one mistake is one problem: a mapping where a list belongs', () => {
  expectOne(web().replace('    servers:\n      - { address: 10.0.0.11, port: 8080 }', '    servers: { address: 10.0.0.11, port: 8080 }'), 'services[0].servers', 8, 14, '(got a mapping)');
  expectOne(dataplane('services: web'), 'services', 3, 11, 'must be a list of services (got "web")');
});

test('one mistake is one problem: a string where a bounded integer belongs', () => {
  expectOne(dataplane('  workers: many'), 'dataplane.workers', 3, 12, 'must be an integer from 1 to 64 (got "many")');
});

test('the validator is the one precompiled at build time, and finds what a freshly compiled one finds', async () => {
  assert.equal(validatorOrigin(), 'precompiled', 'npm run build:ts writes dist/src/config/schema-validator.cjs from this schema');
  const { Ajv } = await import('ajv');
  const fresh = new Ajv(AJV_OPTIONS);
  for (const k of XVS_KEYWORDS) fresh.addKeyword({ ...k });
  const validate = fresh.compile(CONFIG_SCHEMA);
  const docs: unknown[] = [
    {},
    { dataplane: { interfaces: ['eth0'], workers: 0, prot: 1 } },
    { dataplane: { interfaces: 'eth0' }, services: [{ name: 'a b', vip: 5, port: 70000, servers: [{}] }] },
    { dataplane: { interfaces: ['eth0'] }, local_address_pools: { lan: ['x'], wan: 3 }, cluster: { node_id: -1 } },
  ];
  const keys = (errors: readonly { keyword: string; instancePath: string }[]) => errors.map((e) => `${e.keyword} ${e.instancePath}`).sort();
  for (const doc of docs) {
    validate(doc);
    const expected = keys(validate.errors ?? []);
    assert.ok(expected.length > 0, `${JSON.stringify(doc)} is invalid`);
    assert.deepEqual(keys(schemaErrors(doc).filter((e) => e.keyword !== 'xvsDuration')), expected, JSON.stringify(doc));
  }
});

test('durations are checked beside the schema: type, zero, maximum, in lists and maps too', () => {
  const errors = schemaErrors({
    dataplane: { interfaces: ['eth0'], timeouts: { tcp: '0s', udp: true, tcp_fin: '5m' } },
    services: [{ name: 'web', vip: '10.0.0.1', port: 80, servers: [], health_check: { interval: '99999d' } }],
  }).filter((e) => e.keyword === 'xvsDuration');
  assert.deepEqual(errors.map((e) => e.instancePath).sort(), ['/dataplane/timeouts/tcp', '/dataplane/timeouts/udp', '/services/0/health_check/interval']);
});
