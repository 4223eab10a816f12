// src/bench/veth/cases/index.ts — the registry of `xvs bench veth` cases, by name (the order
// of options.ts's CASE_NAMES is the order of a round). Main thread.
import type { CaseName } from '../options.js';
import { ioLoop } from './io-loop.js';
import { linuxForward } from './linux-forward.js';
import { nftDnat } from './nft-dnat.js';
import { nftFlowtable } from './nft-flowtable.js';
import type { BenchCase } from './types.js';
import { xdpRedirect } from './xdp-redirect.js';
import { xvsDr } from './xvs-dr.js';
import { xvsFullnat } from './xvs-fullnat.js';
import { xvsFullnatDpdk } from './xvs-fullnat-dpdk.js';

export const CASES: Record<CaseName, BenchCase> = {
  'xvs-fullnat': xvsFullnat,
  'xvs-fullnat-dpdk': xvsFullnatDpdk,
  'xvs-dr': xvsDr,
  'io-loop': ioLoop,
  'nft-dnat': nftDnat,
  'nft-flowtable': nftFlowtable,
  'linux-forward': linuxForward,
  'xdp-redirect': xdpRedirect,
};

export type { BenchCase, CaseEnv, Prepared, TornDown } from './types.js';
