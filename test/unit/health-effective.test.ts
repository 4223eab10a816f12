// test/unit/health-effective.test.ts — effectiveConfig (src/health/effective.ts) as tables: down
// servers get weight 0 (inhibit_on_failure) or leave the service, a service below quorum goes to
// its sorry server (or keeps its up servers without one), per-server checks override the
// service's, servers the view does not know are in their initial_state, and services without
// checks come back as the very same objects; EffectiveConfigs computes the same, reusing a
// service's result while its input object and health version stay. Pure.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { ServiceConfig } from '../../src/config/types.js';
import { EffectiveConfigs, effectiveConfig, type ServiceHealthSource } from '../../src/health/effective.js';
import type { HealthState, HealthView, ServiceHealth } from '../../src/health/types.js';
import { check, config, server, service } from '../support/health.js';

const A = server('10.0.0.11', 80);
const B = server('10.0.0.12', 80, { weight: 2 });
const C = server('10.0.0.13', 80, { weight: 3 });
const SORRY = { address: '10.0.0.250', port: 80 };

/** A view of one service: the given server states, and quorum as given. */
function health(name: string, states: Record<string, HealthState>, quorumMet: boolean): ServiceHealth {
  const servers = Object.entries(states).map(([key, state]) => ({
    server: key,
    state,
    successes: 0,
    failures: 0,
    counters: { checks: 0, failures: 0, transitions: 0, errors: 0 },
  }));
  const up = servers.filter((s) => s.state === 'up').length;
  return { name, quorum: 1, hysteresis: 0, quorumMet, alive: up, up, down: servers.length - up, servers };
}

/** "address:port@weight" for each server of the one service that comes out. */
function servers(svc: ServiceConfig, view: HealthView): string[] {
  const out = effectiveConfig(config([svc]), view).services[0];
  assert.ok(out);
  return out.servers.map((s) => `${s.address}:${s.port}@${s.weight}`);
}

describe('down servers', () => {
  const cases: [string, boolean, Record<string, HealthState>, string[]][] = [
    ['all up: unchanged', true, { '10.0.0.11:80': 'up', '10.0.0.12:80': 'up' }, ['10.0.0.11:80@1', '10.0.0.12:80@2']],
    ['inhibit: weight 0, kept in place', true, { '10.0.0.11:80': 'down', '10.0.0.12:80': 'up' }, ['10.0.0.11:80@0', '10.0.0.12:80@2']],
    ['no inhibit: removed', false, { '10.0.0.11:80': 'down', '10.0.0.12:80': 'up' }, ['10.0.0.12:80@2']],
  ];
  for (const [name, inhibit, states, expected] of cases) {
    test(name, () => {
      const svc = service('web', [A, B], { health_check: check('tcp', { inhibit_on_failure: inhibit }) });
      assert.deepEqual(servers(svc, { services: [health('web', states, true)] }), expected);
    });
  }

  test('a per-server check decides for its server; a server without any check is always up', () => {
    const svc = service('web', [server('10.0.0.11', 80, { health_check: check('tcp', { inhibit_on_failure: false }) }), B]);
    const view = { services: [health('web', { '10.0.0.11:80': 'down' }, true)] };
    assert.deepEqual(servers(svc, view), ['10.0.0.12:80@2']);
  });

  test('a server the view does not know yet is in its initial_state', () => {
    const svc = service('web', [A, B], { health_check: check('tcp', { initial_state: 'down', inhibit_on_failure: false }) });
    assert.deepEqual(servers(svc, { services: [health('web', { '10.0.0.12:80': 'up' }, true)] }), ['10.0.0.12:80@2']);
  });
});

describe('quorum', () => {
  const states = { '10.0.0.11:80': 'down', '10.0.0.12:80': 'down', '10.0.0.13:80': 'up' } as const;

  test('below quorum with a sorry server: the sorry server alone, weight 1', () => {
    const svc = service('web', [A, B, C], { quorum: 2, sorry_server: SORRY, health_check: check('tcp') });
    const out = effectiveConfig(config([svc]), { services: [health('web', states, false)] }).services[0];
    assert.deepEqual(out?.servers, [{ address: '10.0.0.250', port: 80, weight: 1, upper_threshold: 0, lower_threshold: 0 }]);
  });

  test('below quorum without a sorry server: the up servers (down ones as usual)', () => {
    const svc = service('web', [A, B, C], { quorum: 2, health_check: check('tcp', { inhibit_on_failure: false }) });
    assert.deepEqual(servers(svc, { services: [health('web', states, false)] }), ['10.0.0.13:80@3']);
  });

  test('quorum met: the servers, never the sorry server', () => {
    const svc = service('web', [A, B, C], { quorum: 1, sorry_server: SORRY, health_check: check('tcp') });
    assert.deepEqual(servers(svc, { services: [health('web', states, true)] }), ['10.0.0.11:80@0', '10.0.0.12:80@0', '10.0.0.13:80@3']);
  });

  test('a service missing from the view: quorum from initial states', () => {
    const svc = service('web', [A, B], { quorum: 1, sorry_server: SORRY, health_check: check('tcp', { initial_state: 'down' }) });
    assert.deepEqual(servers(svc, { services: [] }), ['10.0.0.250:80@1']);
  });
});

describe('untouched', () => {
  test('services without checks are the same objects; a config without any is returned as is', () => {
    const plain = service('plain', [A]);
    const checked = service('web', [B], { health_check: check('tcp', { inhibit_on_failure: false }) });
    const cfg = config([plain, checked]);
    const out = effectiveConfig(cfg, { services: [health('web', { '10.0.0.12:80': 'down' }, true)] });
    assert.notEqual(out, cfg);
    assert.equal(out.services[0], plain);
    assert.deepEqual(out.services[1]?.servers, []);
    assert.deepEqual(cfg.services[1]?.servers, [B], 'the input config is not modified');
    const none = config([plain]);
    assert.equal(effectiveConfig(none, { services: [] }), none);
  });
});

describe('EffectiveConfigs', () => {
  /** A monitor stand-in: a view and a version per service, both settable; counts what is asked. */
  function source(view: HealthView) {
    const versions = new Map(view.services.map((h) => [h.name, 1]));
    const asked: string[] = [];
    const src: ServiceHealthSource = {
      serviceHealth: (name) => (asked.push(name), view.services.find((h) => h.name === name)),
      serviceVersion: (name) => versions.get(name),
    };
    return { src, versions, asked, view };
  }

  test('the same as effectiveConfig; a service keeps its result while input and version stay', () => {
    const web = service('web', [A, B], { health_check: check('tcp', { inhibit_on_failure: false }) });
    const api = service('api', [C], { health_check: check('tcp') });
    const plain = service('plain', [A]);
    const cfg = config([web, api, plain]);
    const s = source({ services: [health('web', { '10.0.0.11:80': 'down', '10.0.0.12:80': 'up' }, true), health('api', { '10.0.0.13:80': 'up' }, true)] });
    const effective = new EffectiveConfigs();

    const first = effective.apply(cfg, s.src);
    assert.deepEqual(first, effectiveConfig(cfg, s.view));
    assert.equal(first.services[2], plain);
    assert.deepEqual(s.asked, ['web', 'api']);

    s.asked.length = 0;
    const again = effective.apply(cfg, s.src);
    assert.equal(again.services[0], first.services[0], 'web reused');
    assert.equal(again.services[1], first.services[1], 'api reused');
    assert.deepEqual(s.asked, [], 'nothing asked of the monitor');

    // api's server goes down: only api is computed again.
    s.view.services[1] = health('api', { '10.0.0.13:80': 'down' }, true);
    s.versions.set('api', 2);
    const later = effective.apply(cfg, s.src);
    assert.deepEqual(s.asked, ['api']);
    assert.equal(later.services[0], first.services[0]);
    assert.deepEqual(later.services[1]?.servers.map((x) => x.weight), [0]);
    assert.deepEqual(later, effectiveConfig(cfg, s.view));

    // A new input object (a reload, a runtime weight) is computed again even at the same version.
    s.asked.length = 0;
    const reweighted = { ...web, servers: [A, { ...B, weight: 5 }] };
    const next = effective.apply(config([reweighted, api, plain]), s.src);
    assert.deepEqual(s.asked, ['web']);
    assert.deepEqual(next.services[0]?.servers.map((x) => x.weight), [5]);
  });
});
