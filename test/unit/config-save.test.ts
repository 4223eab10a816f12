// test/unit/config-save.test.ts — `xvs save`'s file (src/config/save.ts) reads back into the same
// Config: every example config, and one with every optional field (health checks of each type
// with their options, a per-server check, persistence, a sorry server, thresholds, cpus, mtu,
// tunnel_source); servers one per line. Pure.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import { savedConfigText } from '../../src/config/save.js';
import type { Config } from '../../src/config/types.js';
import { ROOT } from './xvs-instance.js';

const EVERYTHING = `
dataplane:
  backend: afxdp
  workers: 2
  cpus: [0, 1]
  interfaces: [eth0, eth1]
  conn_table_size: 4096
  mtu: 1500
  tunnel_source: 10.0.0.1
  worker_priority: 5
  timeouts: { tcp: 15m, tcp_fin: 2m, tcp_syn: 500ms, udp: 1h30m }
api: { listen: "127.0.0.1:9200" }
log_level: debug
local_address_pools: { lan: [10.0.2.100, 10.0.2.101] }
services:
  - name: web
    vip: 203.0.113.10
    port: 80
    scheduler: wlc
    forwarding: fullnat
    local_address_pool: lan
    persistence: { timeout: 5m, netmask: 24 }
    quorum: 1
    quorum_hysteresis: 1
    sorry_server: { address: 10.0.2.250, port: 8080 }
    health_check: { type: http, path: /healthz, host: www.example.com, expect_status: 204, expect_body: ok, interval: 2s, timeout: 500ms, rise: 3, fall: 2, inhibit_on_failure: false, initial_state: down, port: 8081 }
    servers:
      - { address: 10.0.2.11, port: 8080, weight: 3, upper_threshold: 100, lower_threshold: 50 }
      - { address: 10.0.2.12, port: 8080, health_check: { type: exec, command: [/usr/local/bin/check, --fast], interval: 5s, timeout: 3s } }
  - name: dns
    vip: 203.0.113.10
    port: 53
    protocol: udp
    scheduler: sh
    forwarding: tunnel
    one_packet: true
    health_check: { type: udp, payload: ping, expect_payload: pong }
    servers: [{ address: 10.0.2.21, port: 53 }]
`;

function roundTrip(config: Config): Config {
  const text = savedConfigText(config, ['a header line']);
  assert.match(text, /^# a header line\n/);
  return parseConfigText(text, 'saved.yaml');
}

describe('xvs save round trip', () => {
  const examples = [...fs.readdirSync(path.join(ROOT, 'config')), ...fs.readdirSync(path.join(ROOT, 'config', 'demo')).map((f) => `demo/${f}`)]
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('covers the example configs', () => assert.ok(examples.length >= 9, examples.join(', ')));

  for (const file of examples)
    it(`config/${file} reads back the same`, () => {
      const config = parseConfigText(fs.readFileSync(path.join(ROOT, 'config', file), 'utf8'), file);
      assert.deepEqual({ ...roundTrip(config), source: config.source }, config);
    });

  it('a config with every optional field reads back the same, one line per server', () => {
    const config = parseConfigText(EVERYTHING, 'everything.yaml');
    assert.deepEqual({ ...roundTrip(config), source: config.source }, config);
    const text = savedConfigText(config);
    assert.match(text, /^ {6}- \{ address: 10\.0\.2\.11, port: 8080, weight: 3, upper_threshold: 100, lower_threshold: 50 \}$/m);
    assert.doesNotMatch(text, /^source:/m, 'where it was read from is not configuration');
  });
});
