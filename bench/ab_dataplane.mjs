// bench/ab_dataplane.mjs — one `xvs bench dataplane` case of two builds, interleaved so that both
// meet the same machine: rounds of A, B, B, A (drift within a round cancels), each run the best
// of its repetitions; prints every round and B/A of each round's sums. This VM's speed changes by
// up to 1.7 x from one minute to the next, so figures from separate runs cannot be compared; a
// ratio from one round can. Each run is a child process of its own: two addons loaded into one
// process share their GNU-unique constant tables (the TCP state table, the counter list), so B
// would run with A's. Consumes two built checkouts (`npm run build`: dist/ and the addon); run
// it pinned (the children inherit the CPU), e.g.
//   taskset -c 0 node bench/ab_dataplane.mjs --a /tmp/xvs-base --b . --case fullnat-established --flows 1000000
// Sends no traffic.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: '.' },
    case: { type: 'string', default: 'fullnat-established' },
    flows: { type: 'string', default: '1000000' },
    packets: { type: 'string', default: '2000000' },
    repeat: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '4' },
  },
});
const fail = (message) => {
  console.error(`ab_dataplane: ${message}`);
  process.exit(2);
};
const positive = (name) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a whole number ≥ 1, not "${values[name]}"`);
  return n;
};
if (values.a === undefined) fail('--a DIR is required: a built checkout to compare with --b (default .)');
const builds = [values.a, values.b].map((dir) => {
  const module = resolve(dir, 'dist/src/bench/dataplane.js');
  if (!existsSync(module)) fail(`${dir} has no ${module}: build it first (npm run build)`);
  return pathToFileURL(module).href;
});
const { DATAPLANE_CASES } = await import(builds[1]);
if (!DATAPLANE_CASES.includes(values.case)) fail(`--case must be one of ${DATAPLANE_CASES.join(', ')}; not "${values.case}"`);
const options = { flows: positive('flows'), packets: positive('packets'), repeat: positive('repeat'), cases: [values.case] };
const rounds = positive('rounds');

// One run in a child: the case's best ns per packet and the hash batch it ran (a build older than
// the report's machine has none), or the reason it has no figure.
const child = `
  const { runDataplaneBench } = await import(process.argv[1]);
  let out;
  try {
    const report = runDataplaneBench(JSON.parse(process.argv[2]));
    const c = report.cases[0];
    const ns = c.ns_per_packet_best ?? c.ns_per_packet;
    out = typeof ns === 'number' ? { ns, hashBatch: report.machine?.hash_batch ?? '-' } : { error: c.error ?? c.skipped ?? 'no figure' };
  } catch (e) {
    out = { error: e.message };
  }
  console.log(JSON.stringify(out));`;
const run = (build) => {
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', child, build, JSON.stringify(options)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1));
  if (result.error !== undefined) fail(`${values.case} (${build}): ${result.error}`);
  hashBatch.set(build, result.hashBatch);
  return result.ns;
};
const hashBatch = new Map();

const ratios = [];
for (let round = 0; round < rounds; round++) {
  const a1 = run(builds[0]), b1 = run(builds[1]), b2 = run(builds[1]), a2 = run(builds[0]);
  ratios.push((b1 + b2) / (a1 + a2));
  const f = (x) => x.toFixed(1);
  console.log(`round ${round}: A ${f(a1)} ${f(a2)}  B ${f(b1)} ${f(b2)} ns/packet  B/A ${ratios.at(-1).toFixed(3)}`);
}
const sorted = [...ratios].sort((x, y) => x - y);
console.log(
  `${values.case} at ${options.flows} flows: B/A median ${sorted[Math.floor((sorted.length - 1) / 2)].toFixed(3)},` +
    ` range ${sorted[0].toFixed(3)}–${sorted.at(-1).toFixed(3)} (${process.argv.slice(1).join(' ')})`,
);
// What it ran on (the same pair of builds gives other ratios on other CPUs), if either build can
// say, and each build's hash batch variant.
const machineModule = [values.b, values.a].map((dir) => resolve(dir, 'dist/src/bench/machine.js')).find(existsSync);
if (machineModule !== undefined) {
  const { describeMachine, machineText } = await import(pathToFileURL(machineModule).href);
  console.log(`machine: ${machineText(describeMachine())}`);
}
console.log(`hash batch: A ${hashBatch.get(builds[0])}, B ${hashBatch.get(builds[1])}`);
