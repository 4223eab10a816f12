// src/native/decap-types.ts — the shapes the addon's decap functions (native/binding/decap_js.cc)
// take and return: `xvs decap` attaching, detaching and reading the real server's IPIP and
// ip6ip6 decapsulation program. Types and the counter order only; src/native/addon.ts re-exports them.

/** The per-CPU counters of the decap program (native/bpf/decap.bpf.c), in its order. */
export const DECAP_COUNTERS = [
  'decapsulated',
  'not_ipip',
  'not_local',
  'inner_not_local',
  'malformed_outer',
  'bad_outer_checksum',
  'outer_fragment',
  'inner_truncated',
  'inner_not_ipv4',
  'adjust_failed',
  'inner_not_ipv6',
] as const;
export type DecapCounterName = (typeof DECAP_COUNTERS)[number];

/** What attachDecap did: the program stays attached after this process exits. */
export interface DecapAttachResult {
  mode: 'native' | 'generic';
  /** Kernel program id. */
  id: number;
  /** Local routes (addresses, 127.0.0.0/8, AnyIP prefixes) copied into the program's map. */
  localPrefixes: number;
  /** "id N": an xvs_decap already on the interface was replaced. */
  replacedStale?: string;
  /** Why native mode failed (mode is then 'generic'). */
  nativeError?: string;
}

export interface DecapDetachResult {
  detached: boolean;
  /** The detached program's id. */
  id?: number;
  /** When nothing was detached: "'name' (id N)" of another XDP program, left alone. */
  other?: string;
}

export type DecapCountersResult =
  | { attached: false; other?: string }
  | {
      attached: true;
      id: number;
      mode: 'native' | 'generic';
      localPrefixes: number;
      /** Sums over all CPUs. */
      counters: Record<DecapCounterName, bigint>;
    };
