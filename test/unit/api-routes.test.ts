// test/unit/api-routes.test.ts — the HTTP control API of a real `xvs run` (mem backend): the
// status document's shape, the Prometheus names, weight and drain committing new generations,
// every malformed call refused with its 4xx and {error: {code, message}} and no state change,
// and POST /reload with a valid and an invalid file (runtime overrides kept or ended per the
// documented rule). Each test starts its own instance and kills it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';

import { freePort, memConfig, postJson, request, startXvs, xvs, type Instance } from './xvs-instance.js';

async function withXvs(fn: (x: Instance) => Promise<void>): Promise<void> {
  const x = await startXvs();
  try {
    await fn(x);
  } finally {
    await x.kill();
  }
}

async function status(x: Instance, headers: Record<string, string> = {}) {
  const r = await request(x.port, 'GET', '/status', { headers });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

function server(doc: { services: { name: string; servers: { server: string }[] }[] }, address: string) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return doc.services.find((s) => s.name === 'web')!.servers.find((s) => s.server === address) as any;
}

const NO_TRAFFIC = { conns: 0, inPackets: 0, inBytes: 0, outPackets: 0, outBytes: 0 };

describe('GET /status and GET /metrics', () => {
  it('reports services, servers, connections and counters, total and per worker', () =>
    withXvs(async (x) => {
      const r = await request(x.port, 'GET', '/status');
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const doc = r.json;
      assert.equal(doc.running, true);
      assert.equal(doc.generation, 1);
      assert.equal(doc.workers.length, 2);
      for (const w of doc.workers) {
        assert.equal(typeof w.counters.rx_packets, 'number');
        assert.ok(w.seenGeneration <= doc.generation, 'a worker takes a snapshot at its next safe point');
      }
      assert.equal(typeof doc.counters.drop_no_backend, 'number');
      assert.equal(doc.services.length, 1);
      const web = doc.services[0];
      assert.deepEqual(
        { name: web.name, key: web.key, scheduler: web.scheduler, forwarding: web.forwarding, active: web.active, inactive: web.inactive },
        { name: 'web', key: '203.0.113.10:80/tcp', scheduler: 'rr', forwarding: 'fullnat', active: 0, inactive: 0 },
      );
      assert.deepEqual(web.servers.map((s: { server: string }) => s.server), ['10.0.0.11:8080', '10.0.0.12:8080', '10.0.0.13:8080']);
      assert.deepEqual(web.servers[0], {
        server: '10.0.0.11:8080',
        address: '10.0.0.11',
        port: 8080,
        weight: 1,
        configuredWeight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
        overridden: false,
        health: 'unchecked',
        nextHopResolved: true,
        active: 0,
        inactive: 0,
        persistent: 0,
        traffic: NO_TRAFFIC,
        workers: [
          { worker: 0, active: 0, inactive: 0, traffic: NO_TRAFFIC },
          { worker: 1, active: 0, inactive: 0, traffic: NO_TRAFFIC },
        ],
      });
      assert.deepEqual(web.traffic, NO_TRAFFIC);
    }));

  it('exposes the documented Prometheus names', () =>
    withXvs(async (x) => {
      const r = await request(x.port, 'GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain/);
      for (const line of [
        /^# TYPE xvs_rx_packets_total counter$/m,
        /^xvs_rx_packets_total\{worker="0"\} 0$/m,
        /^xvs_tx_bytes_total\{worker="1"\} 0$/m,
        /^xvs_conn_created_total\{worker="0"\} 0$/m,
        /^xvs_redirected_total\{worker="0"\} 0$/m,
        /^# TYPE xvs_dropped_packets_total counter$/m,
        /^xvs_dropped_packets_total\{worker="0",reason="no_backend"\} 0$/m,
        /^xvs_dropped_packets_total\{worker="1",reason="handover_full"\} 0$/m,
        /^xvs_generation 1$/m,
        /^xvs_worker_up\{worker="1"\} 1$/m,
        /^xvs_worker_generation\{worker="0"\} [01]$/m,
        /^xvs_worker_connection_entries\{worker="0"\} 0$/m,
        /^xvs_server_configured_weight\{service="web",server="10.0.0.12:8080"\} 1$/m,
        /^xvs_server_next_hop_resolved\{service="web",server="10.0.0.13:8080"\} 1$/m,
        /^xvs_service_info\{service="web",local_address="203.0.113.10",local_port="80",proto="TCP",scheduler="rr",forwarding="fullnat"\} 1$/m,
        /^xvs_build_info\{version="\d+\.\d+\.\d+",abi="\d+",node="v\d+[^"]*",backend="mem"\} 1$/m,
        /^xvs_reloads_total\{result="success"\} 0$/m,
        /^xvs_reloads_total\{result="failure"\} 0$/m,
        /^xvs_config_last_reload_successful 1$/m,
        /^xvs_config_last_reload_success_timestamp_seconds \d+/m,
        // node_exporter's IPVS collector's names, types and labels.
        /^# TYPE node_ipvs_connections_total counter$/m,
        /^node_ipvs_connections_total 0$/m,
        /^node_ipvs_incoming_packets_total 0$/m,
        /^node_ipvs_outgoing_packets_total 0$/m,
        /^node_ipvs_incoming_bytes_total 0$/m,
        /^node_ipvs_outgoing_bytes_total 0$/m,
        /^# TYPE node_ipvs_backend_weight gauge$/m,
        /^node_ipvs_backend_weight\{local_address="203.0.113.10",local_port="80",remote_address="10.0.0.11",remote_port="8080",proto="TCP",local_mark=""\} 1$/m,
        /^node_ipvs_backend_connections_active\{local_address="203.0.113.10",local_port="80",remote_address="10.0.0.12",remote_port="8080",proto="TCP",local_mark=""\} 0$/m,
        /^node_ipvs_backend_connections_inactive\{local_address="203.0.113.10",local_port="80",remote_address="10.0.0.13",remote_port="8080",proto="TCP",local_mark=""\} 0$/m,
        /^# TYPE xvs_server_connections_total counter$/m,
        /^xvs_server_connections_total\{service="web",server="10.0.0.12:8080"\} 0$/m,
        /^xvs_server_packets_total\{service="web",server="10.0.0.11:8080",direction="in"\} 0$/m,
        /^xvs_server_packets_total\{service="web",server="10.0.0.11:8080",direction="out"\} 0$/m,
        /^xvs_server_bytes_total\{service="web",server="10.0.0.13:8080",direction="out"\} 0$/m,
        /^process_cpu_seconds_total /m,
      ])
        assert.match(r.text, line);
      // Every sample line parses as name{labels} value.
      for (const l of r.text.split('\n').filter((l) => l && !l.startsWith('#')))
        assert.match(l, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+-]+$|^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? (NaN|\+Inf)$/, l);
      // Per-server series are summed over the workers: none carries a worker label.
      assert.doesNotMatch(r.text, /^(xvs_server|node_ipvs_backend)_[a-z_]+\{[^}]*worker=/m);
      assert.equal(r.headers['content-encoding'], undefined, 'not compressed unless asked');
    }));

  it('compresses with gzip when asked, and not when gzip is refused', () =>
    withXvs(async (x) => {
      const zipped = await request(x.port, 'GET', '/metrics', { headers: { 'accept-encoding': 'br, gzip;q=0.8' } });
      assert.equal(zipped.status, 200);
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.equal(zipped.headers.vary, 'Accept-Encoding');
      const text = zlib.gunzipSync(zipped.body).toString('utf8');
      assert.match(text, /^node_ipvs_backend_weight\{local_address="203.0.113.10",local_port="80",remote_address="10.0.0.11"/m);
      assert.equal(Number(zipped.headers['content-length']), zipped.body.length);
      const refused = await request(x.port, 'GET', '/metrics', { headers: { 'accept-encoding': 'gzip;q=0, identity' } });
      assert.equal(refused.headers['content-encoding'], undefined);
      assert.match(refused.text, /^node_ipvs_connections_total 0$/m);
    }));

  it('passes `promtool check metrics` (Prometheus\'s own linter)', async (t) => {
    if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error) {
      // The test step installs it (scripts/system-packages.mjs: prometheus); say so loudly elsewhere.
      console.error('SKIPPED: promtool not installed (Debian package prometheus): the metrics lint did not run');
      t.skip('promtool not installed');
      return;
    }
    await withXvs(async (x) => {
      const r = await request(x.port, 'GET', '/metrics');
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
      assert.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
    });
  });
});

describe('GET /connections/stream', () => {
  it('streams every entry as one JSON object per line (none here), and takes no query', () =>
    withXvs(async (x) => {
      let r = await request(x.port, 'GET', '/connections/stream');
      assert.equal(r.status, 200, r.text);
      assert.match(String(r.headers['content-type']), /^application\/x-ndjson/);
      assert.equal(r.text, '');
      r = await request(x.port, 'GET', '/connections/stream?limit=5');
      assert.equal(r.status, 400);
      assert.equal(r.json.error.message, '/connections/stream takes no query');
    }));
});

describe('GET /connections', () => {
  it('lists every worker (no traffic: no entries), with the limit; refuses a bad query with 400', () =>
    withXvs(async (x) => {
      let r = await request(x.port, 'GET', '/connections');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, {
        limit: 1000,
        total: 0,
        shown: 0,
        workers: [
          { worker: 0, total: 0, entries: [] },
          { worker: 1, total: 0, entries: [] },
        ],
      });
      r = await request(x.port, 'GET', '/connections?limit=7');
      assert.equal(r.json.limit, 7);
      for (const [query, message] of [
        ['limit=0', /limit must be an integer from 1 to 100000 entries per worker \(got "0"\)/],
        ['limit=1.5', /limit must be an integer/],
        ['limit=100001', /limit must be an integer/],
        ['lim=3', /unknown query parameter lim: \/connections takes limit/],
      ] as const) {
        r = await request(x.port, 'GET', `/connections?${query}`);
        assert.equal(r.status, 400, query);
        assert.equal(r.json.error.code, 'XVS_EINVAL');
        assert.match(r.json.error.message, message);
      }
      r = await request(x.port, 'POST', '/connections');
      assert.equal(r.status, 405);
    }));
});

describe('POST /weight and POST /drain', () => {
  it('sets a weight, drains, and restores: each change is a new generation', () =>
    withXvs(async (x) => {
      let r = await postJson(x.port, '/weight', { service: 'web', server: '10.0.0.12:8080', weight: 7 });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, {
        generation: 2,
        changed: true,
        service: 'web',
        server: '10.0.0.12:8080',
        weight: 7,
        previousWeight: 1,
        configuredWeight: 1,
      });
      let doc = await status(x);
      assert.equal(doc.generation, 2);
      assert.equal(server(doc, '10.0.0.12:8080').weight, 7);
      assert.equal(server(doc, '10.0.0.12:8080').overridden, true);
      assert.match(
        (await request(x.port, 'GET', '/metrics')).text,
        /^node_ipvs_backend_weight\{local_address="203.0.113.10",local_port="80",remote_address="10.0.0.12",remote_port="8080",proto="TCP",local_mark=""\} 7$/m,
      );

      // By vip:port/proto too; drain is weight 0.
      r = await postJson(x.port, '/drain', { service: '203.0.113.10:80/tcp', server: '10.0.0.11:8080' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.weight, 0);
      assert.equal(r.json.generation, 3);
      doc = await status(x);
      assert.equal(server(doc, '10.0.0.11:8080').weight, 0);

      // The same weight again commits nothing.
      r = await postJson(x.port, '/drain', { service: 'web', server: '10.0.0.11:8080' });
      assert.equal(r.json.changed, false);
      assert.equal((await status(x)).generation, 3);

      // Back to the configured weight: no override left.
      r = await postJson(x.port, '/weight', { service: 'web', server: '10.0.0.11:8080', weight: 1 });
      assert.equal(r.json.generation, 4);
      doc = await status(x);
      assert.equal(server(doc, '10.0.0.11:8080').overridden, false);
      assert.equal(server(doc, '10.0.0.11:8080').weight, 1);
    }));

  it('refuses every malformed call with its 4xx and changes nothing', () =>
    withXvs(async (x) => {
      await postJson(x.port, '/weight', { service: 'web', server: '10.0.0.12:8080', weight: 3 });
      const before = await status(x);
      const json = { 'content-type': 'application/json' };
      const cases: { what: string; send: () => Promise<Awaited<ReturnType<typeof request>>>; status: number; code: string; says: RegExp }[] = [
        { what: 'bad JSON', send: () => request(x.port, 'POST', '/weight', { body: '{"service": "web",', headers: json }), status: 400, code: 'XVS_EINVAL', says: /not valid JSON/ },
        { what: 'an array', send: () => request(x.port, 'POST', '/weight', { body: '[1]', headers: json }), status: 400, code: 'XVS_EINVAL', says: /must be a JSON object/ },
        { what: 'no body', send: () => request(x.port, 'POST', '/weight', { headers: json }), status: 400, code: 'XVS_EINVAL', says: /body required/ },
        { what: 'weight as a string', send: () => postJson(x.port, '/weight', { service: 'web', server: '10.0.0.12:8080', weight: '5' }), status: 400, code: 'XVS_EINVAL', says: /weight must be an integer from 0 to 65535 \(got "5"\)/ },
        { what: 'weight 70000', send: () => postJson(x.port, '/weight', { service: 'web', server: '10.0.0.12:8080', weight: 70000 }), status: 400, code: 'XVS_EINVAL', says: /from 0 to 65535 \(got 70000\)/ },
        { what: 'weight 1.5', send: () => postJson(x.port, '/weight', { service: 'web', server: '10.0.0.12:8080', weight: 1.5 }), status: 400, code: 'XVS_EINVAL', says: /integer/ },
        { what: 'missing weight', send: () => postJson(x.port, '/weight', { service: 'web', server: '10.0.0.12:8080' }), status: 400, code: 'XVS_EINVAL', says: /got nothing/ },
        { what: 'server without port', send: () => postJson(x.port, '/weight', { service: 'web', server: '10.0.0.12', weight: 2 }), status: 400, code: 'XVS_EINVAL', says: /server must be address:port/ },
        { what: 'service as a number', send: () => postJson(x.port, '/drain', { service: 5, server: '10.0.0.12:8080' }), status: 400, code: 'XVS_EINVAL', says: /service must be a service name/ },
        { what: 'an unknown field', send: () => postJson(x.port, '/drain', { service: 'web', server: '10.0.0.12:8080', weight: 0 }), status: 400, code: 'XVS_EINVAL', says: /unknown field "weight" \(allowed: service, server, reason\)/ },
        { what: 'an unknown server', send: () => postJson(x.port, '/weight', { service: 'web', server: '10.0.0.99:8080', weight: 2 }), status: 404, code: 'XVS_ENOENT', says: /service web has no server "10.0.0.99:8080"/ },
        { what: 'an unknown service', send: () => postJson(x.port, '/drain', { service: 'mail', server: '10.0.0.12:8080' }), status: 404, code: 'XVS_ENOENT', says: /no service "mail".*configured: web/ },
        { what: 'an unknown path', send: () => request(x.port, 'GET', '/nope'), status: 404, code: 'XVS_ENOENT', says: /no such endpoint \/nope/ },
        { what: 'GET on /weight', send: () => request(x.port, 'GET', '/weight'), status: 405, code: 'XVS_EMETHOD', says: /\/weight takes POST, not GET/ },
        { what: 'POST on /status', send: () => postJson(x.port, '/status', {}), status: 405, code: 'XVS_EMETHOD', says: /takes GET/ },
        { what: 'a form body', send: () => request(x.port, 'POST', '/weight', { body: 'weight=5', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), status: 415, code: 'XVS_EMEDIA', says: /content-type must be application\/json/ },
        { what: 'a huge declared body', send: () => request(x.port, 'POST', '/weight', { body: Buffer.alloc(1 << 20, 0x20), headers: json }), status: 413, code: 'XVS_ETOOBIG', says: /larger than 16384 bytes/ },
        {
          what: 'a huge chunked body',
          send: () => request(x.port, 'POST', '/weight', { body: Buffer.alloc(64 * 1024, 0x20), headers: { ...json, 'transfer-encoding': 'chunked' } }),
          status: 413,
          code: 'XVS_ETOOBIG',
          says: /larger than/,
        },
        { what: 'a body on /reload', send: () => postJson(x.port, '/reload', { file: '/etc/passwd' }), status: 400, code: 'XVS_EINVAL', says: /unknown field "file" \(allowed: reason\)/ },
      ];
      for (const c of cases) {
        const r = await c.send();
        assert.equal(r.status, c.status, `${c.what}: ${r.text}`);
        assert.equal(r.json?.error?.code, c.code, `${c.what}: ${r.text}`);
        assert.match(r.json.error.message, c.says, c.what);
        if (c.status === 405) assert.ok(r.headers.allow, `${c.what}: Allow header`);
      }
      const after = await status(x);
      assert.equal(after.generation, before.generation, 'no commit happened');
      assert.deepEqual(after.services, before.services);
    }));
});

describe('runtime changes are logged: who, what, why', () => {
  const waitFor = async (x: Instance, event: string) => {
    for (let i = 0; i < 50 && !x.logs.some((l) => l.event === event); i++) await new Promise((r) => setTimeout(r, 50));
    const line = x.logs.find((l) => l.event === event);
    assert.ok(line, `no ${event} line in ${JSON.stringify(x.events)}`);
    return line as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('xvs weight and xvs drain with --reason: the change, the CLI and its address, the reason', () =>
    withXvs(async (x) => {
      let c = xvs('weight', 'web', '10.0.0.12:8080', '5', '--api', x.api, '--reason', 'canary');
      assert.equal(c.code, 0, c.stderr);
      const set = await waitFor(x, 'weight_set');
      assert.equal(set.msg, `server 10.0.0.12:8080 of service web: weight 1 -> 5 (by ${set.by.from}, ${set.by.client}: canary)`);
      assert.match(set.by.from, /^127\.0\.0\.1:\d+$/);
      assert.match(set.by.client, /^xvs-cli\/\d+\.\d+\.\d+/);
      assert.deepEqual([set.previous_weight, set.weight, set.configured_weight, set.by.via, set.by.reason], [1, 5, 1, 'api', 'canary']);
      c = xvs('drain', 'web', '10.0.0.13:8080', '--api', x.api);
      assert.equal(c.code, 0, c.stderr);
      const drained = await waitFor(x, 'server_drained');
      assert.deepEqual([drained.server, drained.weight, drained.by.reason], ['10.0.0.13:8080', 0, undefined]);
    }));

  it('a reload says who asked (SIGHUP, or the API with its reason) and which services it added, removed, changed', () =>
    withXvs(async (x) => {
      fs.writeFileSync(x.file, memConfig(x.port, (t) => t.replace('scheduler: rr', 'scheduler: wrr')));
      x.child.kill('SIGHUP');
      const bySignal = await waitFor(x, 'reloaded');
      assert.deepEqual([bySignal.by, bySignal.services_changed], [{ via: 'SIGHUP' }, ['web']]);
      assert.match(bySignal.msg, /^config reloaded \(by SIGHUP\)$/);
      x.logs.length = 0;
      fs.writeFileSync(x.file, memConfig(x.port, (t) => t.replace('name: web', 'name: www')));
      const r = await postJson(x.port, '/reload', { reason: 'rename web' });
      assert.equal(r.status, 200, r.text);
      const byApi = await waitFor(x, 'reloaded');
      assert.deepEqual([byApi.by.via, byApi.by.reason, byApi.services_added, byApi.services_removed], ['api', 'rename web', ['www'], ['web']]);
      const bad = await postJson(x.port, '/reload', { reason: 'x'.repeat(201) });
      assert.equal(bad.status, 400);
      assert.match(bad.json.error.message, /^reason must be one line of 1 to 200 printable characters/);
    }));
});

describe('POST /reload', () => {
  it('applies a changed file; keeps overrides the file did not touch and ends the others', () =>
    withXvs(async (x) => {
      await postJson(x.port, '/drain', { service: 'web', server: '10.0.0.12:8080' });
      await postJson(x.port, '/weight', { service: 'web', server: '10.0.0.13:8080', weight: 9 });
      assert.equal((await status(x)).generation, 3);
      fs.writeFileSync(
        x.file,
        memConfig(x.port, (t) =>
          t
            .replace('{ address: 10.0.0.13, port: 8080 }', '{ address: 10.0.0.13, port: 8080, weight: 4 }')
            .replace('      - { address: 10.0.0.11, port: 8080 }', '      - { address: 10.0.0.11, port: 8080, weight: 2 }\n      - { address: 10.0.0.14, port: 8080 }'),
        ),
      );
      const r = await request(x.port, 'POST', '/reload', { headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.generation, 4);
      assert.equal(r.json.services, 1);
      assert.deepEqual(r.json.overridesDropped, ['web 10.0.0.13:8080: the file changed its weight from 1 to 4; runtime weight 9 dropped']);
      const doc = await status(x);
      assert.equal(doc.generation, 4);
      assert.equal(server(doc, '10.0.0.11:8080').weight, 2);
      assert.equal(server(doc, '10.0.0.14:8080').weight, 1);
      assert.deepEqual([server(doc, '10.0.0.12:8080').weight, server(doc, '10.0.0.12:8080').overridden], [0, true], 'the drain survives');
      assert.deepEqual([server(doc, '10.0.0.13:8080').weight, server(doc, '10.0.0.13:8080').overridden], [4, false], 'the file wins');
    }));

  it('refuses a foreign Host (DNS rebinding) and a POST not labelled JSON (a cross-site form), changing nothing', () =>
    withXvs(async (x) => {
      const before = await status(x);
      let r = await request(x.port, 'GET', '/status', { headers: { host: 'attacker.example:9100' } });
      assert.equal(r.status, 403, r.text);
      assert.equal(r.json.error.code, 'XVS_EHOST');
      assert.match(r.json.error.message, /^Host "attacker\.example:9100" is not an address of this API \(127\.0\.0\.1 or localhost\)/);
      assert.equal((await request(x.port, 'GET', '/status', { headers: { host: `localhost:${x.port}` } })).status, 200);
      r = await request(x.port, 'POST', '/reload');
      assert.equal(r.status, 415, r.text);
      assert.equal(r.json.error.code, 'XVS_EMEDIA');
      r = await request(x.port, 'POST', '/drain', { body: '{"service":"web","server":"10.0.0.12:8080"}', headers: { 'content-type': 'text/plain' } });
      assert.equal(r.status, 415, r.text);
      assert.equal((await status(x)).generation, before.generation);
    }));

  it('accepts the names of api.hosts as Host, and only those', async () => {
    const x = await startXvs((port) => memConfig(port, (t) => t.replace(`listen: 127.0.0.1:${port}`, `listen: 127.0.0.1:${port}\n  hosts: [lb1.example.net]`)));
    try {
      assert.equal((await request(x.port, 'GET', '/status', { headers: { host: `LB1.example.net:${x.port}` } })).status, 200);
      const r = await request(x.port, 'GET', '/status', { headers: { host: 'lb2.example.net' } });
      assert.equal(r.status, 403, r.text);
      assert.match(r.json.error.message, /nor a name in api\.hosts/);
    } finally {
      await x.kill();
    }
  });

  it('with api.token_file, refuses every request without its bearer token (401), and the CLI sends it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-token-'));
    const tokenFile = path.join(dir, 'token');
    const token = 'c0ffee'.repeat(6);
    fs.writeFileSync(tokenFile, `${token}\n`);
    const x = await startXvs((port) => memConfig(port, (t) => t.replace(`listen: 127.0.0.1:${port}`, `listen: 127.0.0.1:${port}\n  token_file: ${tokenFile}`)));
    try {
      const before = await status(x, { authorization: `Bearer ${token}` });
      let r = await request(x.port, 'GET', '/metrics');
      assert.equal(r.status, 401, r.text);
      assert.equal(r.json.error.code, 'XVS_EAUTH');
      assert.match(r.headers['www-authenticate'] ?? '', /^Bearer /);
      r = await request(x.port, 'POST', '/drain', {
        body: '{"service":"web","server":"10.0.0.12:8080"}',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}x` },
      });
      assert.deepEqual([r.status, r.json.error.message], [401, 'wrong bearer token']);
      r = await request(x.port, 'POST', '/reload', { headers: { 'content-type': 'application/json', authorization: `Basic ${token}` } });
      assert.equal(r.status, 401, r.text);
      assert.equal((await status(x, { authorization: `bearer ${token}` })).generation, before.generation, 'nothing changed');
      // The CLI finds the token through --config, or --token-file with --api.
      let c = xvs('weight', 'web', '10.0.0.12:8080', '3', '--config', x.file);
      assert.equal(c.code, 0, c.stderr);
      c = xvs('list', '-n', '--api', x.api);
      assert.equal(c.code, 1);
      assert.match(c.stderr, /requires a bearer token \(api\.token_file\)/);
      c = xvs('list', '-n', '--api', x.api, '--token-file', tokenFile);
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout, /10\.0\.0\.12:8080 +FullNat 3 /);
    } finally {
      await x.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a change of a field read only at start, naming it, and keeps the running configuration', () =>
    withXvs(async (x) => {
      const before = await status(x);
      fs.writeFileSync(
        x.file,
        memConfig(x.port, (t) => t.replace('workers: 2', 'workers: 3').replace('{ address: 10.0.0.11, port: 8080 }', '{ address: 10.0.0.11, port: 8080, weight: 5 }')),
      );
      const r = await request(x.port, 'POST', '/reload', { headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, 'XVS_EINVAL');
      assert.match(r.json.error.message, /^reload failed; the running configuration stays: dataplane\.workers \(2 -> 3\): read only at start; restart xvs to change it/);
      const after = await status(x);
      assert.equal(after.generation, before.generation);
      assert.equal(server(after, '10.0.0.11:8080').weight, 1, 'nothing of that file was applied');
      assert.ok(x.events.includes('reload_failed'));
      let metrics = (await request(x.port, 'GET', '/metrics')).text;
      assert.match(metrics, /^xvs_reloads_total\{result="failure"\} 1$/m);
      assert.match(metrics, /^xvs_config_last_reload_successful 0$/m);
      const loadedAt = Number(/^xvs_config_last_reload_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
      // The same file without the start-only change: applied, counted, the time moves on.
      fs.writeFileSync(x.file, memConfig(x.port, (t) => t.replace('{ address: 10.0.0.11, port: 8080 }', '{ address: 10.0.0.11, port: 8080, weight: 5 }')));
      assert.equal((await request(x.port, 'POST', '/reload', { headers: { 'content-type': 'application/json' } })).status, 200);
      metrics = (await request(x.port, 'GET', '/metrics')).text;
      assert.match(metrics, /^xvs_reloads_total\{result="success"\} 1$/m);
      assert.match(metrics, /^xvs_reloads_total\{result="failure"\} 1$/m);
      assert.match(metrics, /^xvs_config_last_reload_successful 1$/m);
      assert.ok(Number(/^xvs_config_last_reload_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]) > loadedAt);
    }));

  it('applies log_level and api.listen: the API moves to the new address, the old one stops taking connections', () =>
    withXvs(async (x) => {
      const moved = await freePort();
      fs.writeFileSync(x.file, memConfig(moved, (t) => t.replace('log_level: info', 'log_level: debug')));
      const r = await request(x.port, 'POST', '/reload', { headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 200, r.text);
      const reloaded = x.logs.find((l) => l.event === 'reloaded');
      assert.deepEqual(reloaded?.applied, ['log_level', 'api.listen']);
      assert.equal((await request(moved, 'GET', '/status')).status, 200, 'the API answers on its new address');
      await assert.rejects(request(x.port, 'GET', '/status'), /ECONNREFUSED/, 'the old address takes no connection');
      // debug now: a commit says what it held and cost.
      assert.equal((await postJson(moved, '/weight', { service: 'web', server: '10.0.0.11:8080', weight: 4 })).status, 200);
      for (let i = 0; i < 50 && !x.logs.some((l) => l.event === 'committed'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const committed = x.logs.find((l) => l.event === 'committed') as Record<string, number> | undefined;
      assert.ok(committed, 'a debug line per commit');
      assert.equal(committed.services, 1);
      assert.equal(committed.servers, 3);
      assert.ok(committed.snapshot_bytes! > 0 && committed.encode_ms! >= 0 && committed.commit_ms! >= 0, JSON.stringify(committed));
      // Back, through the new address: the API follows again.
      fs.writeFileSync(x.file, memConfig(x.port));
      assert.equal((await request(moved, 'POST', '/reload', { headers: { 'content-type': 'application/json' } })).status, 200);
      assert.equal((await request(x.port, 'GET', '/status')).status, 200);
    }));

  it('refuses a new api.listen that is in use, and keeps everything (API, data plane) as it was', () =>
    withXvs(async (x) => {
      const taken = net.createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const busy = (taken.address() as net.AddressInfo).port;
      try {
        const before = await status(x);
        fs.writeFileSync(
          x.file,
          memConfig(busy, (t) => t.replace('{ address: 10.0.0.11, port: 8080 }', '{ address: 10.0.0.11, port: 8080, weight: 5 }')),
        );
        const r = await request(x.port, 'POST', '/reload', { headers: { 'content-type': 'application/json' } });
        assert.equal(r.status, 400, r.text);
        assert.match(r.json.error.message, new RegExp(`^cannot serve the API on 127\\.0\\.0\\.1:${busy}: the address is in use; the running configuration stays`));
        const after = await status(x);
        assert.equal(after.generation, before.generation);
        assert.equal(server(after, '10.0.0.11:8080').weight, 1);
      } finally {
        taken.close();
      }
    }));

  it('moves the API to another host on the same port (127.0.0.1:P to 0.0.0.0:P), and back when the reload is refused', () =>
    withXvs(async (x) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-token-'));
      const token = 'feed'.repeat(8);
      fs.writeFileSync(path.join(dir, 'token'), `${token}\n`);
      const auth = { authorization: `Bearer ${token}` };
      const anyHost = (t: string) => t.replace(`listen: 127.0.0.1:${x.port}`, `listen: 0.0.0.0:${x.port}\n  token_file: ${path.join(dir, 'token')}`);
      try {
        // Refused (a start-only change beside it): the old server had stopped listening for the
        // new one, which is closed again; the API is back on 127.0.0.1, without a token.
        fs.writeFileSync(x.file, memConfig(x.port, (t) => anyHost(t).replace('workers: 2', 'workers: 3')));
        let r = await request(x.port, 'POST', '/reload', { headers: { 'content-type': 'application/json' } });
        assert.equal(r.status, 400, r.text);
        assert.equal((await request(x.port, 'GET', '/status')).status, 200, 'the API listens again where it was');
        // Applied: the same port on every host, the token required from now on.
        fs.writeFileSync(x.file, memConfig(x.port, anyHost));
        r = await request(x.port, 'POST', '/reload', { headers: { 'content-type': 'application/json' } });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(x.logs.find((l) => l.event === 'reloaded')?.applied, ['api.listen', 'api.token_file']);
        assert.equal((await request(x.port, 'GET', '/status')).status, 401, 'the new server, with its token');
        assert.equal((await request(x.port, 'GET', '/status', { headers: auth })).status, 200);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }));

  it('refuses an invalid file with its problems and keeps the running configuration', () =>
    withXvs(async (x) => {
      const before = await status(x);
      fs.writeFileSync(x.file, memConfig(x.port, (t) => t.replace('port: 80\n', 'port: 70000\n')));
      const r = await request(x.port, 'POST', '/reload', { headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 409, r.text);
      assert.equal(r.json.error.code, 'XVS_CONFIG_INVALID');
      assert.match(r.json.error.message, /is invalid; the running configuration stays/);
      assert.equal(r.json.error.file, x.file);
      assert.ok(r.json.error.problems.some((p: string) => /services\[0\]\.port: must be an integer from 1 to 65535 \(got 70000\)/.test(p)), r.text);
      const after = await status(x);
      assert.equal(after.generation, before.generation);
      assert.deepEqual(after.services, before.services);
    }));
});
