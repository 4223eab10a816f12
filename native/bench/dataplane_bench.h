// native/bench/dataplane_bench.h — `xvs bench dataplane`, native half: the real packet path
// (lb::process) in timed loops on one core, on frames generated from templates in memory.
//
// Consumes snapshot bytes (encoded by TypeScript from a config), template frames and loop
// parameters. Builds its own snapshot (one worker) and lb::CoreState, fills
// the connection table when the workload needs it, then times whole loops with
// clock_gettime(CLOCK_MONOTONIC) — never single packets. Each iteration restores the frame
// from its template (lb::process rewrites in place); the same restore loop without
// lb::process is timed too, so readers can subtract it. Produces per-repetition timings,
// verdict counts, the core's counters and memory figures.
//
// run_dataplane runs synchronously on the calling thread (the JS thread through
// binding/bench_js.cc); it starts no thread and shares nothing, so that thread is the "one core".
// run_dataplane_workers runs it on several threads at once, one per CPU, each with its own
// snapshot, core state and table (what several workers are), their timed repetitions started
// together. No napi.h here.
#pragma once
#include <barrier>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "control/status.h"

namespace xvs::bench {

enum class Workload : uint8_t {
  // Fill the table with one SYN per flow (untimed), move every flow to ESTABLISHED with one
  // untimed pass, then time ACKs of existing flows visited in a shuffled order.
  established,
  // Time SYNs of flows the table does not hold: each one creates a connection. Batches of at
  // most `flows` SYNs go into one core state, emptied between them by expiring every connection
  // (untimed), after one untimed batch: the memory a running engine's table has in use.
  new_connections,
  // Time SYNs of `flows` flows for a service whose SYN proxy is on: each is answered with a cookie
  // SYN-ACK and nothing is stored (what a SYN flood costs a core).
  syn_cookies,
};

struct Templates {
  // Client -> VIP bare SYN. Flows are made from it by varying the client address and port.
  std::vector<uint8_t> syn;
  // Client -> VIP ACK: established packets from the client (established only).
  std::vector<uint8_t> ack;
  // Server -> balancer ACK: established packets from the server (established with replies).
  // Addresses and ports are replaced per flow by the reverse of what the flow's SYN became.
  std::vector<uint8_t> reply;
};

struct Params {
  Workload workload = Workload::established;
  uint32_t conn_capacity = 1u << 20;  // the core's connection table
  uint32_t flows = 1000000;           // distinct client flows
  uint64_t packets = 2000000;         // timed packets per repetition
  uint32_t repeat = 5;
  uint64_t seed = 1;                  // PRNG (visit order) and the table's hash seed
  bool replies = false;               // established: half the visits are server replies
  uint32_t now = 1000;                // the core's clock, fixed while timed: nothing expires mid-run
  // run_dataplane_workers: every worker waits here before its warm-up and each timed
  // repetition (established only), so that all time the same moments; after each repetition
  // the workers also run one at a time (worker `worker` of `workers`), the others waiting, for
  // what each does alone on its CPU in the same run.
  std::barrier<>* sync = nullptr;
  uint32_t worker = 0, workers = 1;
};

struct Result {
  uint64_t packets = 0;            // timed packets per repetition
  uint32_t flows = 0;
  std::vector<double> ns_per_packet;       // per repetition: restore + lb::process
  std::vector<double> copy_ns_per_packet;  // per repetition: restore only
  std::vector<double> alone_ns_per_packet;  // several workers: per repetition, this one alone
  uint64_t tx = 0, pass = 0, drop = 0;     // verdicts of the timed loops, all repetitions
  uint64_t conn_created = 0;               // by the timed loops, all repetitions
  uint64_t connections = 0;                // in the table after the last repetition (new_connections:
                                           // made by its last batch, before they expired)
  double fill_seconds = 0;                 // established: the untimed fill, for information
  size_t bytes_per_connection = 0;         // lb::ConnTable::bytes_per_connection(capacity)
  // Resident set size (bytes) before the core state existed, after building it (the table is
  // allocated up front) and after the fill; 0 when not measured (new_connections).
  size_t rss_before = 0, rss_built = 0, rss_filled = 0;
  std::vector<uint64_t> counters;  // the core's counters (abi order) after the last repetition
  // Why the figures cannot be trusted (the fill did not create every connection, or a timed
  // packet was not forwarded); empty when all went through. Never paired with a figure.
  std::string problem;
};

// Errors: XVS_EINVAL for bad parameters or templates; the snapshot builder's own codes
// (XVS_ENOTSUP for a forwarding mode this data plane does not implement yet, XVS_ESNAPSHOT).
control::Status run_dataplane(const uint8_t* snapshot, size_t snapshot_len, const Templates& templates,
                              const Params& params, Result& out);
// The established workload on `workers` threads at once (thread i on CPU i mod the CPUs this
// process may use, seed + i); one Result per worker. XVS_EINVAL for another workload.
control::Status run_dataplane_workers(const uint8_t* snapshot, size_t snapshot_len, const Templates& templates,
                                      const Params& params, uint32_t workers, std::vector<Result>& out);

}  // namespace xvs::bench
