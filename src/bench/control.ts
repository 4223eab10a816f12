// src/bench/control.ts — `xvs bench control`: what a large table costs the control plane, per
// static scheduler and for a dynamic one (wlc): `services` services of `servers` servers each
// (default 100 x 1 000), every service health-checked — parsing the file (YAML and JSON),
// building the model cold (every table computed), encoding the snapshot, committing it to a
// running engine (io/mem, one worker) — and then the changes the control worker commits while
// it runs, computed and committed as the control worker does (health over the file with the
// runtime weights, EffectiveConfigs, Dataplane.apply in slices): one server's weight (`xvs
// weight`), one server of one service going down (a health transition), a server every service
// shares going down, and a reload of an unchanged file (parsed beforehand, as `xvs run` parses on
// another thread). For each: the time to commit and how long the event loop was held at most (a
// 1 ms timer's longest gap), which is what health results, peer loads and the status API wait.
// Runs on the calling thread; prints nothing itself (src/cli/commands/bench-control.ts does).
import { serverKey } from '../config/keys.js';
import { parseConfigText } from '../config/load.js';
import type { Config, SchedulerName } from '../config/types.js';
import { Dataplane } from '../control/worker/dataplane.js';
import { buildModel } from '../control/worker/model.js';
import { MemNextHops } from '../control/worker/nexthop/mem.js';
import { encodeSnapshot } from '../control/worker/snapshot-encoder.js';
import { StableIds } from '../control/worker/stable-ids.js';
import { runAtOnce, runInSlices, type SliceStats, type Steps } from '../time-slices.js';
import { WeightOverrides } from '../control/worker/weight-overrides.js';
import { EffectiveConfigs, type ServiceHealthSource } from '../health/index.js';
import type { ServiceHealth } from '../health/types.js';
import { SchedulerTables } from '../scheduler/table-cache.js';

export const CONTROL_SCHEDULERS: readonly SchedulerName[] = ['wrr', 'mh', 'sh', 'dh', 'wlc'];

export interface ControlBenchOptions {
  services: number;
  servers: number;
  schedulers: readonly SchedulerName[];
  onCase?: (scheduler: SchedulerName) => void;
}

/** One change committed while the engine runs. Milliseconds. */
export interface ControlChangeResult {
  change: ChangeName;
  /** From the change's start (effective config, for health) to its commit returning. */
  total_ms: number;
  /** The longest gap between turns of a 1 ms timer meanwhile: what other work waited at most. */
  held_ms: number;
  slices: number;
}

export type ChangeName = 'weight' | 'server_down' | 'shared_server_down' | 'reload_unchanged';

export interface ControlCaseResult {
  case: string;
  /** Milliseconds. */
  parse_yaml_ms: number;
  parse_json_ms: number;
  build_cold_ms: number;
  encode_ms: number;
  commit_ms: number;
  snapshot_bytes: number;
  changes: ControlChangeResult[];
}

/** How long the control worker gives the event loop back after, at most, in a rebuild (its REBUILD_SLICE_MS). */
export const BENCH_SLICE_MS = 8;

function rawConfig(scheduler: SchedulerName, services: number, servers: number): object {
  return {
    dataplane: { backend: 'mem', workers: 1, interfaces: ['mem0'], conn_table_size: 1024 },
    services: Array.from({ length: services }, (_, s) => ({
      name: `s${s}`,
      vip: `10.200.${Math.floor(s / 250)}.${1 + (s % 250)}`,
      port: 80,
      forwarding: 'dr',
      scheduler,
      health_check: { type: 'tcp', interval: 5 },
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
    lines.push(`  - name: ${s.name}`, `    vip: ${s.vip}`, '    port: 80', '    forwarding: dr', `    scheduler: ${s.scheduler}`, '    health_check: { type: tcp, interval: 5 }', '    servers:');
    for (const b of s.servers) lines.push(`      - { address: ${b.address}, port: 80, weight: ${b.weight} }`);
  }
  return lines.join('\n') + '\n';
}

const ms = (start: number) => performance.now() - start;

/**
 * The health checks as the control worker's EffectiveConfigs sees them (HealthMonitor's view of
 * one service and its version), with servers the bench takes down; every service is checked.
 */
class BenchHealth implements ServiceHealthSource {
  private readonly down = new Map<string, Set<number>>();
  private readonly versions = new Map<string, number>();
  private version = 0;

  constructor(private config: Config) {}

  takeDown(service: string, index: number): void {
    const set = this.down.get(service) ?? new Set();
    set.add(index);
    this.down.set(service, set);
    this.versions.set(service, ++this.version);
  }

  /** As HealthMonitor.update with new service objects: every version changes, states stay. */
  reloaded(config: Config): void {
    this.config = config;
    for (const s of config.services) this.versions.set(s.name, ++this.version);
  }

  serviceVersion(name: string): number {
    return this.versions.get(name) ?? 0;
  }

  serviceHealth(name: string): ServiceHealth | undefined {
    const s = this.config.services.find((x) => x.name === name);
    if (!s) return undefined;
    const down = this.down.get(name) ?? new Set();
    const servers = s.servers.map((server, i) => ({
      server: serverKey(server), state: down.has(i) ? ('down' as const) : ('up' as const), successes: 0, failures: 0,
      counters: { checks: 0, failures: 0, transitions: 0, errors: 0 },
    }));
    const up = servers.length - down.size;
    return { name, quorum: s.quorum, hysteresis: s.quorum_hysteresis, quorumMet: true, alive: up, up, down: down.size, servers };
  }
}

/**
 * The longest gap between turns of a 1 ms timer while it runs: how long anything else queued on
 * this event loop (a probe result, a status request) waited at most. (monitorEventLoopDelay
 * misses a single long block: it measures against the loop's cached clock.)
 */
function loopWatcher(): { stop(): number } {
  let last = performance.now();
  let longest = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return {
    stop() {
      clearTimeout(timer);
      return Math.max(longest, performance.now() - last); // the gap up to now counts too
    },
  };
}

async function measureChange(change: ChangeName, dataplane: Dataplane, next: () => Steps<Config>): Promise<ControlChangeResult> {
  const stats: SliceStats = { slices: 0 };
  const watcher = loopWatcher();
  const start = performance.now();
  await dataplane.apply(await runInSlices(next(), BENCH_SLICE_MS, stats), { sliceMs: BENCH_SLICE_MS, stats });
  const total = ms(start);
  return { change, total_ms: total, held_ms: watcher.stop(), slices: stats.slices };
}

export async function runControlBench(options: ControlBenchOptions): Promise<ControlCaseResult[]> {
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

    t = performance.now();
    const model = buildModel(config, 1n, new MemNextHops(1), new StableIds(), new SchedulerTables());
    const buildCold = ms(t);
    t = performance.now();
    const bytes = encodeSnapshot(model);
    const encode = ms(t);

    const cold = Dataplane.create(config);
    let commit: number;
    try {
      t = performance.now();
      await cold.engine.commit(bytes);
      commit = ms(t);
    } finally {
      cold.stop();
    }

    const dataplane = Dataplane.create(config);
    try {
      // What the control worker commits: health over the file with the runtime weights
      // (Controller.commitDesired in src/control/worker/controller.ts), each step as it does it.
      const health = new BenchHealth(config);
      const effective = new EffectiveConfigs();
      let file = config;
      let overrides = new WeightOverrides();
      const desired = () => effective.steps(overrides.effective(file), health);
      await dataplane.apply(runAtOnce(desired()));
      dataplane.start();
      // Parsed beforehand: `xvs run` parses a reloaded file on another thread.
      const reparsed = parseConfigText(json, 'bench.json');
      const middle = config.services[Math.floor(config.services.length / 2)]!.name;
      const first = config.services[0]!;
      const changes = [
        await measureChange('weight', dataplane, () => {
          const server = first.servers[0]!;
          overrides = overrides.with(file, first.name, serverKey(server), server.weight + 1);
          return desired();
        }),
        await measureChange('server_down', dataplane, () => {
          health.takeDown(middle, 0);
          return desired();
        }),
        await measureChange('shared_server_down', dataplane, () => {
          for (const s of config.services) health.takeDown(s.name, 1);
          return desired();
        }),
        await measureChange('reload_unchanged', dataplane, () => {
          overrides = overrides.reconciled(reparsed).kept;
          file = reparsed;
          health.reloaded(reparsed);
          return desired();
        }),
      ];
      results.push({
        case: scheduler,
        parse_yaml_ms: parseYaml,
        parse_json_ms: parseJson,
        build_cold_ms: buildCold,
        encode_ms: encode,
        commit_ms: commit,
        snapshot_bytes: bytes.byteLength,
        changes,
      });
    } finally {
      dataplane.stop();
    }
  }
  return results;
}
