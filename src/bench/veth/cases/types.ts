// src/bench/veth/cases/types.ts — what one `xvs bench veth` case is: something that sets up a
// forwarding path through the balancer namespace, lets run.ts measure it, and tears it down
// again (each round sets it up afresh, so cases interleave). Main thread.
import type { VethOptions, CaseName } from '../options.js';
import type { VethTopology } from '../topology.js';

export interface CaseEnv {
  topo: VethTopology;
  options: VethOptions;
}

export interface TornDown {
  /** Facts for the report (connections made, drops), one short phrase each. */
  notes: string[];
  /** Set when the path did not do what it should: the round's figure is void. */
  problem?: string;
}

export interface Prepared {
  /** What reaches the sink: rewritten to the server address (a NAT), or still to the VIP. */
  expect: 'server' | 'vip';
  teardown(): Promise<TornDown>;
}

export interface BenchCase {
  name: CaseName;
  /** One line: what runs on the balancer core. */
  describe: string;
  /** Why the case cannot run on this machine (e.g. a missing tool), or undefined. */
  unavailable?(): string | undefined;
  /** Sets the path up; on failure undoes what it did and throws. */
  setup(env: CaseEnv): Promise<Prepared>;
}
