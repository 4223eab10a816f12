// Builds and runs the fuzz targets (`npm run fuzz`; native/README.md, "Fuzzing"). The native
// targets (test/fuzz/*_fuzz.cc) are built through cmake-js into build-fuzz/ with clang, ASan and
// UBSan (native/CMakeLists.txt, XVS_FUZZ); node targets are compiled TypeScript run by node.
// Each target runs for --seconds on a scratch copy of its committed corpus
// (test/fuzz/corpus/<name>/), so the committed one only changes with --merge; libFuzzer's final
// statistics are printed per target: executions, coverage (cov: edges, ft: features), corpus.
// Any crash, leak, timeout or out-of-memory fails the run; the input that caused it is kept
// under build-fuzz/findings/<name>/ and its path printed, with the command that reproduces it.
//
//   npm run fuzz                         every target, 600 s each (long runs)
//   npm run fuzz -- --ci                 every target, 45 s each, two at a time (CI)
//   npm run fuzz -- --target packet_path --seconds 3600
//   npm run fuzz -- --merge              also merge inputs that add coverage into the committed corpus
//   npm run fuzz -- --seeds              rewrite the generated seeds (build-fuzz/xvs_fuzz_seeds), then run
//   npm run fuzz -- --no-build           run what build-fuzz/ holds
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build-fuzz');
const findingsDir = path.join(buildDir, 'findings');
const corpusRoot = path.join(root, 'test', 'fuzz', 'corpus');

// name, kind (native: a libFuzzer binary; node: a script taking --seconds N --corpus DIR and
// exiting non-zero on a finding), program, committed corpus, longest input (native).
const targets = [
  { name: 'packet_path', kind: 'native', program: 'build-fuzz/packet_path_fuzz', maxLen: 4096 },
  { name: 'snapshot_decode', kind: 'native', program: 'build-fuzz/snapshot_decode_fuzz', maxLen: 16384 },
  { name: 'netlink_parse', kind: 'native', program: 'build-fuzz/netlink_parse_fuzz', maxLen: 4096 },
  { name: 'frame_parse', kind: 'native', program: 'build-fuzz/frame_parse_fuzz', maxLen: 2048 },
  { name: 'config_loader', kind: 'node', program: 'dist/test/fuzz/config-loader.js', source: 'test/fuzz/config-loader.ts' },
].map((t) => ({ ...t, corpus: path.join(corpusRoot, t.name) }));

function usage(message) {
  if (message) console.error(`fuzz: ${message}`);
  console.error('usage: node scripts/fuzz.mjs [--ci] [--seconds N] [--target NAME]... [--parallel N] [--merge] [--seeds] [--no-build]');
  console.error(`targets: ${targets.map((t) => t.name).join(', ')}`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { seconds: 600, parallel: 1, names: [], merge: false, seeds: false, build: true, ci: false };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--ci') o.ci = true;
    else if (a === '--seconds') o.seconds = Number(value());
    else if (a === '--target') o.names.push(...value().split(','));
    else if (a === '--parallel') o.parallel = Number(value());
    else if (a === '--merge') o.merge = true;
    else if (a === '--seeds') o.seeds = true;
    else if (a === '--no-build') o.build = false;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (o.ci) {
    if (!argv.includes('--seconds')) o.seconds = 45;
    // Two cores on the CI machine: two targets at a time keeps the whole step within ~4 minutes.
    if (!argv.includes('--parallel')) o.parallel = Math.max(1, Math.min(2, os.availableParallelism()));
  }
  if (!Number.isInteger(o.seconds) || o.seconds < 1) usage('--seconds must be a whole number of seconds');
  if (!Number.isInteger(o.parallel) || o.parallel < 1) usage('--parallel must be at least 1');
  for (const n of o.names) if (!targets.some((t) => t.name === n)) usage(`no target named ${n}`);
  return o;
}

function runOrExit(cmd, args, what, env = process.env) {
  console.log(`fuzz: ${what}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`fuzz: ${what} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
    process.exit(1);
  }
}

function build(selected, opts) {
  if (selected.some((t) => t.kind === 'native') || opts.seeds) {
    const cmakeJs = path.join(root, 'node_modules', '.bin', 'cmake-js');
    const jobs = String(Math.max(1, Math.min(2, os.availableParallelism())));
    // cmake-js fetches Node's headers unless told where they are (npm passes its nodedir to
    // scripts; run directly, use the system's): the fuzz build does not use them anyway.
    const env = { ...process.env };
    if (!env.npm_config_nodedir && fs.existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
    runOrExit(cmakeJs, ['build', '--directory', 'native', '--out', 'build-fuzz', '--prefer-clang', '--CDXVS_FUZZ=ON', '--parallel', jobs],
      'building the native fuzz targets (clang, ASan + UBSan)', env);
  }
  // Node targets are compiled TypeScript: compile when a program is older than its source.
  const stale = selected.filter((t) => t.kind === 'node' && fs.existsSync(path.join(root, t.source)) &&
    (!fs.existsSync(path.join(root, t.program)) ||
     fs.statSync(path.join(root, t.program)).mtimeMs < fs.statSync(path.join(root, t.source)).mtimeMs));
  if (stale.length > 0) runOrExit(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], 'compiling TypeScript');
}

// A fresh directory holding a copy of the committed corpus (which may not exist yet).
function scratchCorpus(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `xvs-fuzz-${t.name}-`));
  if (fs.existsSync(t.corpus)) fs.cpSync(t.corpus, dir, { recursive: true });
  return dir;
}

// What libFuzzer printed last: its statistics lines and the newest status line (cov:, ft:, corp:).
function summarize(output) {
  const stat = (name) => output.match(new RegExp(`stat::${name}:\\s*(\\d+)`))?.[1];
  const status = [...output.matchAll(/^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)\/(\S+)/gm)].at(-1);
  const artifact = [...output.matchAll(/Test unit written to (\S+)/g)].at(-1)?.[1];
  return {
    executions: stat('number_of_executed_units') ?? status?.[1],
    execPerSec: stat('average_exec_per_sec'),
    newUnits: stat('new_units_added'),
    peakRssMb: stat('peak_rss_mb'),
    cov: status?.[2],
    ft: status?.[3],
    corpus: status ? `${status[4]} inputs, ${status[5]}` : undefined,
    artifact,
  };
}

// Runs a program to completion, echoing its output with the target's name, and keeping it.
function run(t, cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let pending = '';
    const take = (chunk) => {
      output += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      // libFuzzer's progress lines would drown the rest (the summary reads them from `output`).
      for (const line of lines) if (!/^#\d+\s+(NEW|REDUCE|pulse)|^\s+NEW_FUNC/.test(line)) console.log(`[${t.name}] ${line}`);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code, signal) => resolve({ code, signal, output }));
    child.on('error', (e) => resolve({ code: -1, signal: null, output: `${output}\n${e.message}` }));
  });
}

async function fuzzNative(t, opts) {
  const corpus = scratchCorpus(t);
  const findings = path.join(findingsDir, t.name);
  fs.mkdirSync(findings, { recursive: true });
  const args = [
    `-max_total_time=${opts.seconds}`,
    `-max_len=${t.maxLen}`,
    '-timeout=25',         // one input: a script of hundreds of packets runs in milliseconds
    '-rss_limit_mb=3072',  // per-input tables (connection tables, counter blocks) under ASan
    '-print_final_stats=1',
    `-artifact_prefix=${findings}/`,
    corpus,
  ];
  const r = await run(t, path.join(root, t.program), args);
  const s = summarize(r.output);
  if (r.code === 0 && opts.merge) {
    fs.mkdirSync(t.corpus, { recursive: true });
    const m = await run(t, path.join(root, t.program), ['-merge=1', `-max_len=${t.maxLen}`, t.corpus, corpus]);
    if (m.code !== 0) return { ...s, ok: false, why: 'merge failed' };
  }
  fs.rmSync(corpus, { recursive: true, force: true });
  if (r.code === 0) return { ...s, ok: true };
  const why = /leak/i.test(r.output) && /LeakSanitizer/.test(r.output) ? 'leak'
    : /ERROR: libFuzzer: timeout/.test(r.output) ? 'timeout'
    : /out-of-memory/.test(r.output) ? 'out of memory'
    : 'crash';
  return { ...s, ok: false, why };
}

async function fuzzNode(t, opts) {
  const corpus = scratchCorpus(t);
  const r = await run(t, process.execPath, [path.join(root, t.program), '--seconds', String(opts.seconds), '--corpus', corpus]);
  // Its statistics and findings are printed the way libFuzzer prints them.
  const s = summarize(r.output);
  if (r.code === 0 && opts.merge) fs.cpSync(corpus, t.corpus, { recursive: true });
  if (r.code !== 0 && !s.artifact) {
    // No input named: keep the whole scratch corpus, which holds it.
    s.artifact = path.join(findingsDir, t.name, `corpus-${Date.now()}`);
    fs.cpSync(corpus, s.artifact, { recursive: true });
  }
  fs.rmSync(corpus, { recursive: true, force: true });
  return { ...s, ok: r.code === 0, why: r.code === 0 ? undefined : `exit ${r.code ?? r.signal}` };
}

function report(t, r, opts) {
  const parts = [`executions ${r.executions ?? '?'}`];
  if (r.execPerSec) parts.push(`${r.execPerSec}/s`);
  if (r.cov) parts.push(`cov ${r.cov}`, `ft ${r.ft}`);
  if (r.corpus) parts.push(`corpus ${r.corpus}`);
  if (r.peakRssMb) parts.push(`peak rss ${r.peakRssMb} MB`);
  console.log(`fuzz: ${t.name}: ${r.ok ? 'ok' : `FAILED (${r.why})`} after ${opts.seconds} s: ${parts.join(', ')}`);
  if (!r.ok && r.artifact) {
    console.log(`fuzz: ${t.name}: the input is kept at ${path.relative(root, path.resolve(root, r.artifact))}`);
    const input = path.relative(root, path.resolve(root, r.artifact));
    console.log(`fuzz: ${t.name}: reproduce with: ${t.kind === 'native' ? t.program : 'node bin/xvs.js check --config'} ${input}`);
  }
}

const opts = parseArgs(process.argv.slice(2));
const selected = opts.names.length ? targets.filter((t) => opts.names.includes(t.name)) : targets;
if (opts.build) build(selected, opts);
if (opts.seeds) runOrExit(path.join(buildDir, 'xvs_fuzz_seeds'), [corpusRoot], 'writing the generated seeds');

const missing = selected.filter((t) => !fs.existsSync(path.join(root, t.program)));
for (const t of missing) console.error(`fuzz: ${t.name}: its program ${t.program} does not exist`);
if (missing.length) process.exit(1);

const results = new Map();
const queue = [...selected];
await Promise.all(Array.from({ length: Math.min(opts.parallel, queue.length) }, async () => {
  for (let t = queue.shift(); t; t = queue.shift()) {
    console.log(`fuzz: ${t.name}: ${opts.seconds} s`);
    const r = t.kind === 'native' ? await fuzzNative(t, opts) : await fuzzNode(t, opts);
    results.set(t.name, r);
    report(t, r, opts);
  }
}));

console.log('\nfuzz: summary');
for (const t of selected) report(t, results.get(t.name), opts);
process.exit([...results.values()].every((r) => r.ok) ? 0 : 1);
