// test/fuzz/config-loader.ts — the config loader's fuzz target (`npm run fuzz`, scripts/fuzz.mjs:
// config_loader). Consumes the YAML seeds of --corpus DIR and mutates them for --seconds:
// byte flips, lines spliced from other seeds, numbers at the edges (2^31, 2^53, -1, 1e309),
// values of the wrong type, the config's own keys and values put where they do not belong.
// Checks, for every input, what `xvs check` and `xvs run` promise:
//   - parseConfigText returns a Config or throws ConfigError, whose every problem names its
//     place (file:line:column: path: message) — anything else thrown is a finding;
//   - an accepted config gets its warnings (configWarnings, hostWarnings) without throwing, is
//     modelled and encoded (buildModel, encodeSnapshot), and the data plane builds that snapshot
//     (a mem engine of the config's workers and interfaces, its tables shrunk to 1024 entries):
//     a file `xvs check` accepts is one `xvs run` starts with.
// An input that finds something is written to build-fuzz/findings/config_loader/ and the
// process exits 1. Inputs with a new outcome (the accepted shape, or the set of problem kinds)
// join the corpus, the way libFuzzer keeps inputs with new coverage; the statistics it prints
// mimic libFuzzer's so that scripts/fuzz.mjs reports them alike (cov: distinct outcomes).
// Runs on the main thread of its own node process.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { hostWarnings } from '../../src/config/host-warnings.js';
import { parseConfigText } from '../../src/config/load.js';
import { ConfigError, type Config } from '../../src/config/types.js';
import { configWarnings } from '../../src/config/warnings.js';
import { Dataplane } from '../../src/control/worker/dataplane.js';
import { buildModel } from '../../src/control/worker/model.js';
import { MemNextHops } from '../../src/control/worker/nexthop/mem.js';
import { encodeSnapshot } from '../../src/control/worker/snapshot-encoder.js';
import { StableIds } from '../../src/control/worker/stable-ids.js';

const TOKENS = [
  'dataplane', 'backend', 'mem', 'afxdp', 'dpdk', 'workers', 'cpus', 'interfaces', 'conn_table_size', 'timeouts', 'tcp', 'udp',
  'tcp_fin', 'tcp_syn', 'server_time_wait', 'mtu', 'tunnel_source', 'local_port_range', 'syn_proxy_above', 'half_open_limit',
  'api', 'listen', 'hosts', 'token_file', 'log_level', 'local_address_pools', 'services', 'name', 'vip', 'port', 'protocol',
  'scheduler', 'forwarding', 'fullnat', 'nat', 'dr', 'tunnel', 'local_address_pool', 'servers', 'address', 'weight',
  'persistence', 'timeout', 'netmask', 'health_check', 'type', 'http', 'exec', 'command', 'interval', 'rise', 'fall',
  'quorum', 'sorry_server', 'syn_proxy', 'on', 'off', 'auto', 'rr', 'wrr', 'mh', 'sh', 'dh', 'fo', 'lblc', 'wlc',
  '0', '-1', '1', '65535', '65536', '2147483648', '4294967296', '9007199254740993', '1e309', '-0', '0x10', '.5', '1.5',
  '2h', '1d', '99999999999d', '10.0.0.1', '0.0.0.0', '255.255.255.255', '::1', '[::1]:9100', '127.0.0.1:0', '[]', '{}',
  'null', '~', 'true', '""', "''", '&a', '*a', '<<: *a', '!!binary', '- ', ': ', '#', '\n', '\n  ', '\t', '{', '}', '[', ']', ',',
];

/** One input taking longer than this is a finding (the native targets run with -timeout=25). */
const SLOW_MS = 25_000;
/** Inputs kept in memory and in the corpus directory, at most. */
const MAX_CORPUS = 4000;

interface Options {
  seconds: number;
  corpus: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: 60, corpus: '' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seconds') o.seconds = Number(argv[++i]);
    else if (argv[i] === '--corpus') o.corpus = argv[++i] ?? '';
    else throw new Error(`config-loader fuzz: unknown argument ${argv[i]} (takes --seconds N --corpus DIR)`);
  }
  if (!(o.seconds > 0) || o.corpus === '') throw new Error('config-loader fuzz: needs --seconds N and --corpus DIR');
  return o;
}

/** A small deterministic generator: a finding's input is saved, so runs need not repeat. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function mutate(text: string, corpus: readonly string[], random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let out = text;
  const steps = 1 + Math.floor(random() * 4);
  for (let s = 0; s < steps; s++) {
    const at = Math.floor(random() * (out.length + 1));
    switch (Math.floor(random() * 7)) {
      case 0: // flip a character
        if (out.length > 0) out = out.slice(0, at) + String.fromCharCode(Math.floor(random() * 128)) + out.slice(at + 1);
        break;
      case 1: // insert a token
        out = out.slice(0, at) + pick(TOKENS) + out.slice(at);
        break;
      case 2: // replace a word with a token
        out = out.replace(new RegExp(`\\b${pick(out.match(/[A-Za-z0-9_.]+/g) ?? ['x']).replace(/\./g, '\\.')}\\b`), pick(TOKENS));
        break;
      case 3: {
        // splice a line from another seed
        const lines = out.split('\n');
        const other = pick(corpus).split('\n');
        lines.splice(Math.floor(random() * (lines.length + 1)), 0, pick(other));
        out = lines.join('\n');
        break;
      }
      case 4: {
        // duplicate or drop a line
        const lines = out.split('\n');
        const i = Math.floor(random() * lines.length);
        if (random() < 0.5) lines.splice(i, 0, lines[i] ?? '');
        else lines.splice(i, 1);
        out = lines.join('\n');
        break;
      }
      case 5: // a number at an edge
        out = out.replace(/\b\d+\b/, pick(['0', '-1', '65536', '2147483648', '4294967296', '1e309', '9007199254740993', '1.5']));
        break;
      default: // cut
        out = out.slice(0, at);
    }
  }
  return out.length > 64 * 1024 ? out.slice(0, 64 * 1024) : out;
}

class Finding extends Error {}

/** One input through the loader and, when accepted, everything `xvs run` builds from it. Returns its outcome signature. */
async function runOne(text: string): Promise<string> {
  let config: Config;
  try {
    config = parseConfigText(text, 'fuzz.yaml');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw new Finding(`the loader threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.stack ?? err}`);
    for (const line of err.message.split('\n'))
      if (!/^fuzz\.yaml(:\d+:\d+)?: /.test(line)) throw new Finding(`a problem without its place: ${JSON.stringify(line)}`);
    // The kinds of problem, without the names and numbers that vary.
    return `refused:${[...new Set(err.problems.map((p) => p.message.replace(/[\d"'(].*$/, '')))].sort().join('|')}`;
  }
  try {
    configWarnings(config);
    hostWarnings(config, { interfaces: { eth0: ['10.0.2.100'] }, ephemeralPorts: [32768, 60999] });
    const model = buildModel(config, 1n, new MemNextHops(config.dataplane.interfaces.length), new StableIds());
    encodeSnapshot(model);
    // The files a config names (port_key_file) are the host's business, not the loader's; an
    // afxdp port has its address, a mem port needs tunnel_source instead.
    const { port_key_file: _keyFile, ...dp } = config.dataplane;
    const memConfig: Config = {
      ...config,
      dataplane: {
        ...dp,
        backend: 'mem',
        conn_table_size: 1024,
        half_open_limit: 1024,
        syn_proxy_above: Math.min(dp.syn_proxy_above, 1024),
        ...(dp.backend !== 'mem' && dp.tunnel_source === undefined ? { tunnel_source: '192.0.2.1' } : {}),
      },
    };
    const dataplane = Dataplane.create(memConfig, { memFrames: 64 });
    try {
      await dataplane.apply(memConfig);
    } finally {
      dataplane.stop();
    }
  } catch (err) {
    throw new Finding(`xvs check accepts it, but building it failed: ${(err as Error)?.stack ?? err}`);
  }
  const c = config;
  return `accepted:${c.dataplane.workers}:${c.dataplane.interfaces.length}:${c.services.map((s) => `${s.forwarding}/${s.scheduler}/${s.protocol}/${s.servers.length > 1}`).sort().join(',')}`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(o.corpus, { recursive: true });
  const corpus = fs.readdirSync(o.corpus).map((f) => fs.readFileSync(path.join(o.corpus, f), 'utf8'));
  if (corpus.length === 0) throw new Error(`config-loader fuzz: no seeds in ${o.corpus}`);
  const random = rng(Date.now());
  const seen = new Set<string>();
  let executions = 0;
  let added = 0;
  const started = Date.now();
  const deadline = started + o.seconds * 1000;
  const seeds = [...corpus];
  while (Date.now() < deadline) {
    const input = seeds.shift() ?? mutate(corpus[Math.floor(random() * corpus.length)]!, corpus, random);
    executions++;
    let outcome: string;
    const t0 = Date.now();
    try {
      outcome = await runOne(input);
      // As libFuzzer's -timeout: one input that long is a hang in the making.
      if (Date.now() - t0 > SLOW_MS) throw new Finding(`one input took ${Date.now() - t0} ms (limit ${SLOW_MS})`);
    } catch (err) {
      const dir = path.resolve('build-fuzz', 'findings', 'config_loader');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `crash-${createHash('sha1').update(input).digest('hex')}.yaml`);
      fs.writeFileSync(file, input);
      console.log(`==config-loader== FINDING: ${(err as Error).message}\nTest unit written to ${file}`);
      console.log(`reproduce: xvs check --config ${file}`);
      process.exit(1);
    }
    if (!seen.has(outcome) && corpus.length < MAX_CORPUS) {
      seen.add(outcome);
      corpus.push(input);
      added++;
      fs.writeFileSync(path.join(o.corpus, createHash('sha1').update(input).digest('hex')), input);
    }
    if (executions % 2000 === 0) console.log(`#${executions}\tpulse  cov: ${seen.size} ft: ${seen.size} corp: ${corpus.length}/${corpus.length}`);
  }
  const bytes = corpus.reduce((n, t) => n + t.length, 0);
  console.log(`#${executions}\tDONE   cov: ${seen.size} ft: ${seen.size} corp: ${corpus.length}/${bytes}b`);
  console.log(`stat::number_of_executed_units: ${executions}`);
  console.log(`stat::average_exec_per_sec:     ${Math.round(executions / ((Date.now() - started) / 1000))}`);
  console.log(`stat::new_units_added:          ${added}`);
  console.log(`stat::peak_rss_mb:              ${Math.round(process.memoryUsage().rss / 2 ** 20)}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
