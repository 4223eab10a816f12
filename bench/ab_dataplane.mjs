// bench/ab_dataplane.mjs — one `xvs bench dataplane` case of two builds, interleaved in one
// process so that both meet the same machine: rounds of A, B, B, A (drift within a round cancels),
// each run the best of its repetitions; prints every round and B/A of each round's sums. This
// VM's speed changes by up to 1.7 x from one minute to the next, so figures from separate runs
// cannot be compared; a ratio from one round can. Consumes two built checkouts (`npm run build`:
// dist/ and the addon); run it pinned, e.g.
//   taskset -c 0 node bench/ab_dataplane.mjs --a /tmp/xvs-base --b . --case fullnat-established --flows 1000000
// Main thread only; sends no traffic.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

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
if (values.a === undefined) {
  console.error('ab_dataplane: --a DIR is required (a built checkout to compare with --b, default .)');
  process.exit(2);
}
const load = async (dir) => import(pathToFileURL(resolve(dir, 'dist/src/bench/dataplane.js')).href);
const [A, B] = await Promise.all([load(values.a), load(values.b)]);
const options = {
  flows: Number(values.flows),
  packets: Number(values.packets),
  repeat: Number(values.repeat),
  cases: [values.case],
};
const run = (m) => {
  const c = m.runDataplaneBench(options).cases[0];
  if (c.error) throw new Error(`${values.case}: ${c.error}`);
  return c.ns_per_packet_best ?? c.ns_per_packet;
};

const ratios = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const a1 = run(A), b1 = run(B), b2 = run(B), a2 = run(A);
  ratios.push((b1 + b2) / (a1 + a2));
  const f = (x) => x.toFixed(1);
  console.log(`round ${round}: A ${f(a1)} ${f(a2)}  B ${f(b1)} ${f(b2)} ns/packet  B/A ${ratios.at(-1).toFixed(3)}`);
}
const sorted = [...ratios].sort((x, y) => x - y);
console.log(
  `${values.case} at ${values.flows} flows: B/A median ${sorted[Math.floor((sorted.length - 1) / 2)].toFixed(3)},` +
    ` range ${sorted[0].toFixed(3)}–${sorted.at(-1).toFixed(3)} (${process.argv.slice(1).join(' ')})`,
);
