// src/bench/veth/generators/index.ts — the registry of `xvs bench veth` generators, by the name
// `--generator` takes (GENERATOR_NAMES in options.ts). Main thread.
import type { GeneratorName } from '../options.js';
import { dpdkGenerator } from './dpdk.js';
import type { VethGenerator } from './types.js';
import { xdpGenerator } from './xdp.js';

export const GENERATORS: Record<GeneratorName, VethGenerator> = {
  xdp: xdpGenerator,
  dpdk: dpdkGenerator,
};
