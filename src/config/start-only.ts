// src/config/start-only.ts — the fields `xvs run` reads only when it starts: the engine's shape
// (backend, workers and their cores, interfaces, table sizes, local port range, fast path, the
// port key, DPDK's EAL), where state lives, and the cluster. A reload that changes one is refused
// as a whole, with one line naming each such field and its two values, rather than silently
// keeping the old value. Everything else (services, pools, timeouts, MTU, SYN proxy thresholds,
// log_level, api) a reload applies. Pure; the control worker runs it on every reload.
import type { Config } from './types.js';

/** Dotted paths into Config, in the order the message lists them. */
export const START_ONLY_FIELDS = [
  'dataplane.backend',
  'dataplane.workers',
  'dataplane.cpus',
  'dataplane.worker_priority',
  'dataplane.interfaces',
  'dataplane.conn_table_size',
  'dataplane.local_port_range',
  'dataplane.fast_path',
  'dataplane.port_key_file',
  'dataplane.state_dir',
  'dataplane.dpdk',
  'cluster',
] as const;

function at(config: Config, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split('.')) node = node === null || typeof node !== 'object' ? undefined : (node as Record<string, unknown>)[key];
  return node;
}

const show = (value: unknown): string => (value === undefined ? 'unset' : JSON.stringify(value));

/** "field (old -> new)" for each start-only field the next config changes. */
export function startOnlyChanges(running: Config, next: Config): string[] {
  const changes: string[] = [];
  for (const field of START_ONLY_FIELDS) {
    const before = at(running, field);
    const after = at(next, field);
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    // A cluster section is long: name it, do not print it.
    changes.push(field === 'cluster' ? 'cluster (its section changed)' : `${field} (${show(before)} -> ${show(after)})`);
  }
  return changes;
}

/** The one line a refused reload logs and answers, or undefined when nothing start-only changed. */
export function startOnlyRefusal(running: Config, next: Config): string | undefined {
  const changes = startOnlyChanges(running, next);
  if (changes.length === 0) return undefined;
  return `${changes.join(', ')}: read only at start; restart xvs to change ${changes.length === 1 ? 'it' : 'them'} (the running configuration stays)`;
}
