// src/bench/veth/run.ts — `xvs bench veth` end to end: checks the machine (root, two CPUs,
// built programs), builds the topology, then runs `rounds` rounds; each round sets up every
// selected case in turn (starting one case later each round, so no case always follows the
// same one), pins the NAPI threads, measures, and tears the case down. A case that fails in a
// round voids that round's figure and the run goes on. The topology is removed at the end,
// also on failure (Ctrl-C: NetnsLab's signal hook). Produces the raw samples report.ts
// summarises. Main thread.
import fs from 'node:fs';
import os from 'node:os';

import { netnsUnavailable } from '../../netns/lab.js';
import { CASES } from './cases/index.js';
import { GENERATORS } from './generators/index.js';
import type { CaseName, GeneratorName, VethOptions } from './options.js';
import { measure } from './measure.js';
import { lipCount } from './cases/xvs-process.js';
import { BALANCER_CPU, GENERATOR_CPU, VethTopology, bpfObjects } from './topology.js';
import { steeringProgramPath } from '../../native/addon.js';

export interface RoundSample {
  mpps: number | null;
  offeredMpps: number | null;
  notes: string[];
  problem?: string;
}

export interface CaseRun {
  case: CaseName;
  describe: string;
  skipped?: string;
  samples: RoundSample[];
}

/** Why the bench cannot run here with this generator (a one-line runtime error), or undefined. */
export function vethUnavailable(generator: GeneratorName): string | undefined {
  return vethHostUnavailable() ?? GENERATORS[generator].unavailable();
}

/** What every generator needs: root and namespaces, two CPUs, the built BPF objects. */
export function vethHostUnavailable(): string | undefined {
  const why = netnsUnavailable(false);
  if (why) return why;
  if (os.cpus().length < 2) return `needs two CPUs (generator on cpu ${GENERATOR_CPU}, balancer on cpu ${BALANCER_CPU}); this machine has ${os.cpus().length}`;
  for (const file of [...Object.values(bpfObjects()), steeringProgramPath()])
    if (!fs.existsSync(file)) return `${file} is missing: build it with npm run build`;
  return undefined;
}

export async function runVethBench(options: VethOptions, progress?: (line: string) => void): Promise<CaseRun[]> {
  const runs: CaseRun[] = options.cases.map((name) => {
    const skipped = CASES[name].unavailable?.();
    return { case: name, describe: CASES[name].describe, ...(skipped ? { skipped } : {}), samples: [] };
  });
  const active = runs.filter((r) => !r.skipped);
  const topo = VethTopology.create(lipCount(options.flows));
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < active.length; i++) {
        const r = active[(i + round) % active.length]!;
        progress?.(`round ${round + 1}/${options.rounds}: ${r.case}`);
        r.samples.push(await runOnce(topo, options, r.case));
      }
    }
  } finally {
    await topo.destroy();
  }
  return runs;
}

async function runOnce(topo: VethTopology, options: VethOptions, name: CaseName): Promise<RoundSample> {
  let prepared;
  try {
    prepared = await CASES[name].setup({ topo, options });
  } catch (err) {
    return { mpps: null, offeredMpps: null, notes: [], problem: `setup failed: ${(err as Error).message}` };
  }
  let sample: RoundSample;
  try {
    const notes = topo.pinNapiThreads();
    const m = await measure(topo, options, prepared.expect);
    sample = { mpps: m.mpps, offeredMpps: m.offeredMpps, notes, ...(m.problem ? { problem: m.problem } : {}) };
  } catch (err) {
    sample = { mpps: null, offeredMpps: null, notes: [], problem: `measurement failed: ${(err as Error).message}` };
  }
  try {
    const down = await prepared.teardown();
    sample.notes.push(...down.notes);
    if (down.problem && !sample.problem) sample.problem = down.problem;
  } catch (err) {
    if (!sample.problem) sample.problem = `teardown failed: ${(err as Error).message}`;
  }
  if (sample.problem) sample.mpps = null;
  return sample;
}
