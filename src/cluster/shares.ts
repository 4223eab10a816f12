// src/cluster/shares.ts — how the nodes of a cluster split every Full-NAT local-address pool
// between them: the i-th address of a pool (in file order) belongs to the (i mod N)-th node in
// ascending id order. Every node computes the same split from the same file, with no per-node
// lists. A node opens connections only from its own share (the snapshot's pools hold it,
// src/control/worker/model.ts), announces its share over BGP, and announces the other nodes'
// shares with a worse preference so that replies to a dead node's addresses reach a live one.
// Pure; runs on the control worker thread.
import type { ClusterConfig } from '../config/types.js';

/** The node ids in share order (ascending). */
export function shareOrder(cluster: ClusterConfig): number[] {
  return cluster.nodes.map((n) => n.id).sort((a, b) => a - b);
}

/** The id of the node that owns the i-th address of a pool. */
export function ownerOfLocalAddress(cluster: ClusterConfig, index: number): number {
  const order = shareOrder(cluster);
  return order[index % order.length]!;
}

/** The addresses of `pool` that `node` owns, in pool order. */
export function localAddressShare(cluster: ClusterConfig, pool: readonly string[], node: number = cluster.node): string[] {
  const order = shareOrder(cluster);
  const position = order.indexOf(node);
  return pool.filter((_, i) => i % order.length === position);
}
