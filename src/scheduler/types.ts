// src/scheduler/types.ts — the interface of a scheduler computed in TypeScript. A static
// scheduler turns the servers' weights into a table of server indices; it runs on the control
// thread whenever weights, health or the server set change, never on the fast path. The table is
// shipped to the data plane in the snapshot with the service's scheduler, which reads it as
// native/lb/schedule.h does for that scheduler:
//
//   sequence    rr, wrr. Walk the table in order with a per-worker cursor: each new connection
//               takes table[cursor] and advances cursor = (cursor + 1) mod table.length
//               (an overloaded server's entry is passed over, as IPVS rr/wrr do).
//   hash        mh, sh, dh. Pick table[(hash32(key) * table.length) >> 32] (multiply-shift: a
//               uniform reduction to [0, length) without a division), where key is the packet's
//               client source address (sh, mh) or its destination address (dh), and hash32 is the
//               data plane's keyed address hash (SipHash-1-3 under a key derived from the Full-NAT
//               port key, native/lb/schedule.h): every worker, restart and balancer given the same
//               port_key_file maps a client to the same entry, and clients cannot predict it. It is unrelated to the hash that places servers here.
//               A non-empty table has a fixed length per scheduler (mh 65 537, sh and
//               dh 256).
//   ordered     fo. Take the first entry whose server is not overloaded (upper connection
//               threshold reached); the table is already in order of preference.
//
// For every kind an empty table means that no server may take a new connection. Servers with
// weight 0 (quiescent) never appear in a table; their existing connections continue.

export interface SchedulerServer {
  /**
   * Stable identity of the server within its service, the server's "address:port" (e.g.
   * "10.0.0.11:8080"). Hash-based schedulers place servers by it, so their tables depend on the
   * set of servers and their weights, not on the order of the configuration. rr and wrr ignore it.
   */
  key: string;
  weight: number; // 0 = quiescent: no new connections
}

export interface StaticScheduler {
  readonly name: string;
  /** Indices into `servers`; empty when no server may take new connections. */
  table(servers: readonly SchedulerServer[]): number[];
  /** table(servers).length, without building it (the validator bounds the snapshot with it). */
  length(servers: readonly SchedulerServer[]): number;
}
