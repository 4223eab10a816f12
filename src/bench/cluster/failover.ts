// src/bench/cluster/failover.ts — what a node's death costs a cluster, measured end to end in
// namespaces (src/demo/cluster-topology.ts: a BIRD 2 router with ECMP, two xvs nodes, real
// servers, needs root and BIRD): under load (long-lived connections exchanging a line every
// 100 ms, a new connection every 10 ms) node 1 is killed with SIGKILL; the figures are the time
// until the router's kernel table no longer names it, the new connections that failed and when
// the last of them had started, the first new connection answered after the kill, and the
// established connections that failed (0 is the goal). Node 1 is started again between rounds.
// Main thread; prints figures, asserts nothing.
import { CLUSTER_VIP, ClusterTopology, type ClusterMode, type ClusterNodeProcess } from '../../demo/cluster-topology.js';

export interface FailoverRound {
  round: number;
  /** SIGKILL → the router's route to the VIP without node 1 (polled every 5 ms). */
  withdrawn_ms: number;
  /** New connections that failed, and when the last of them started (ms after the kill). */
  new_failed: number;
  last_failed_ms: number | null;
  /** The first new connection answered that started after the kill (ms after it). */
  first_answered_ms: number | null;
  new_answered: number;
  established: number;
  established_failed: number;
}

export interface FailoverResult {
  mode: ClusterMode;
  rounds: FailoverRound[];
}

const LOAD_MS = 5000;
const KILL_AT_MS = 2000;

export async function runFailoverBench(options: { mode: ClusterMode; rounds: number; onRound?: (r: FailoverRound) => void }): Promise<FailoverResult> {
  const { mode } = options;
  const t = ClusterTopology.create({ nodes: 2, servers: 2, directReturn: mode === 'dr' || mode === 'tunnel' });
  const rounds: FailoverRound[] = [];
  try {
    await t.startRouter({ natReplies: mode === 'nat' });
    await t.startServers();
    if (mode === 'tunnel') t.decapOnServers();
    const nodes: ClusterNodeProcess[] = [];
    for (const id of [1, 2]) nodes.push(await t.startNode(id, t.nodeConfig(id, mode)));
    const vip = `${CLUSTER_VIP}/32`;
    for (let round = 1; round <= options.rounds; round++) {
      await t.waitForRoutes((r) => r.get(vip)?.length === 2, 20_000, 'the VIP over both nodes');
      const load = t.startLoad(LOAD_MS, { newEveryMs: 10 });
      await new Promise((resolve) => setTimeout(resolve, KILL_AT_MS));
      const killedAt = Date.now();
      nodes[0]!.child.kill('SIGKILL');
      await t.waitForRoutes((r) => r.get(vip)?.length === 1, 10_000, 'node 1 withdrawn', 5);
      const withdrawn = Date.now() - killedAt;
      await new Promise<void>((resolve) => (nodes[0]!.child.exitCode !== null || nodes[0]!.child.signalCode !== null ? resolve() : nodes[0]!.child.once('exit', () => resolve())));
      const r = await load;
      const afterKill = (at: number) => at - killedAt;
      const failedStarts = r.fresh.failures.map((f) => afterKill(f.atMs));
      const answeredAfter = r.fresh.okAt.map(afterKill).filter((ms) => ms >= 0);
      const result: FailoverRound = {
        round,
        withdrawn_ms: withdrawn,
        new_failed: r.fresh.failures.length,
        last_failed_ms: failedStarts.length ? Math.max(...failedStarts) : null,
        first_answered_ms: answeredAfter.length ? Math.min(...answeredAfter) : null,
        new_answered: r.fresh.ok,
        established: r.established.opened,
        established_failed: r.established.failures.length,
      };
      rounds.push(result);
      options.onRound?.(result);
      if (round < options.rounds) nodes[0] = await t.startNode(1, t.nodeConfig(1, mode));
    }
    return { mode, rounds };
  } finally {
    await t.destroy();
  }
}
