// src/bench/control.ts — `xvs bench control`: what a large table costs the control plane, per
// static scheduler and for a dynamic one (wlc): `services` services of `servers` servers each
// (default 100 x 1 000) — parsing the file (YAML and JSON), building the model cold (every table
// computed), encoding the snapshot, committing it to a running engine (io/mem, one worker) — and
// then the rebuild a health transition or a weight change causes (one server's weight in one
// service), which reuses every other table (src/scheduler/table-cache.ts) and every known next
// hop (src/control/nexthop/reuse.ts), as Dataplane.apply does. Runs on the calling
// thread; prints nothing itself (src/cli/commands/bench.ts does).
import { parseConfigText } from '../config/load.js';
import type { Config, SchedulerName } from '../config/types.js';
import { Dataplane } from '../control/dataplane.js';
import { buildModel } from '../control/model.js';
import { MemNextHops } from '../control/nexthop/mem.js';
import { reusingNextHops } from '../control/nexthop/reuse.js';
import { encodeSnapshot } from '../control/snapshot-encoder.js';
import { StableIds } from '../control/stable-ids.js';
import { SchedulerTables } from '../scheduler/table-cache.js';

export const CONTROL_SCHEDULERS: readonly SchedulerName[] = ['wrr', 'mh', 'sh', 'dh', 'wlc'];

export interface ControlBenchOptions {
  services: number;
  servers: number;
  schedulers: readonly SchedulerName[];
  onCase?: (scheduler: SchedulerName) => void;
}

export interface ControlCaseResult {
  case: string;
  /** Milliseconds. */
  parse_yaml_ms: number;
  parse_json_ms: number;
  build_cold_ms: number;
  encode_ms: number;
  commit_ms: number;
  /** One server's weight changed in one service: build (tables reused) + encode + commit. */
  rebuild_ms: number;
  rebuild_build_ms: number;
  snapshot_bytes: number;
}

function rawConfig(scheduler: SchedulerName, services: number, servers: number): object {
  return {
    dataplane: { backend: 'mem', workers: 1, interfaces: ['mem0'], conn_table_size: 1024 },
    services: Array.from({ length: services }, (_, s) => ({
      name: `s${s}`,
      vip: `10.200.${Math.floor(s / 250)}.${1 + (s % 250)}`,
      port: 80,
      forwarding: 'dr',
      scheduler,
      servers: Array.from({ length: servers }, (_, b) => ({
        address: `10.${1 + Math.floor(b / 62_500)}.${Math.floor(b / 250) % 250}.${1 + (b % 250)}`,
        port: 80,
        weight: 1 + (b % 5),
      })),
    })),
  };
}

/** The same document as YAML, one flow mapping per server, as people write it. */
function yamlText(raw: ReturnType<typeof rawConfig>): string {
  const c = raw as { services: { name: string; vip: string; scheduler: string; servers: { address: string; weight: number }[] }[] };
  const lines = ['dataplane: { backend: mem, workers: 1, interfaces: [mem0], conn_table_size: 1024 }', 'services:'];
  for (const s of c.services) {
    lines.push(`  - name: ${s.name}`, `    vip: ${s.vip}`, '    port: 80', '    forwarding: dr', `    scheduler: ${s.scheduler}`, '    servers:');
    for (const b of s.servers) lines.push(`      - { address: ${b.address}, port: 80, weight: ${b.weight} }`);
  }
  return lines.join('\n') + '\n';
}

const ms = (start: number) => performance.now() - start;

function withOneWeightChanged(config: Config): Config {
  const [first, ...rest] = config.services;
  const [server, ...others] = first!.servers;
  return { ...config, services: [{ ...first!, servers: [{ ...server!, weight: server!.weight + 1 }, ...others] }, ...rest] };
}

export function runControlBench(options: ControlBenchOptions): ControlCaseResult[] {
  const results: ControlCaseResult[] = [];
  for (const scheduler of options.schedulers) {
    options.onCase?.(scheduler);
    const raw = rawConfig(scheduler, options.services, options.servers);
    const yaml = yamlText(raw);
    const json = JSON.stringify(raw);
    let t = performance.now();
    parseConfigText(yaml, 'bench.yaml');
    const parseYaml = ms(t);
    t = performance.now();
    const config = parseConfigText(json, 'bench.json');
    const parseJson = ms(t);

    const resolver = new MemNextHops(1);
    const ids = new StableIds();
    const tables = new SchedulerTables();
    t = performance.now();
    const model = buildModel(config, 1n, resolver, ids, tables);
    const buildCold = ms(t);
    t = performance.now();
    const bytes = encodeSnapshot(model);
    const encode = ms(t);

    const dataplane = Dataplane.create(config);
    try {
      dataplane.start();
      t = performance.now();
      dataplane.engine.commit(bytes);
      const commit = ms(t);
      const changed = withOneWeightChanged(config);
      t = performance.now();
      const next = buildModel(changed, 2n, reusingNextHops(resolver, model), ids, tables);
      const rebuildBuild = ms(t);
      dataplane.engine.commit(encodeSnapshot(next));
      const rebuild = ms(t);
      results.push({
        case: scheduler,
        parse_yaml_ms: parseYaml,
        parse_json_ms: parseJson,
        build_cold_ms: buildCold,
        encode_ms: encode,
        commit_ms: commit,
        rebuild_ms: rebuild,
        rebuild_build_ms: rebuildBuild,
        snapshot_bytes: bytes.byteLength,
      });
    } finally {
      dataplane.stop();
    }
  }
  return results;
}
