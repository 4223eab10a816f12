// native/bench/dataplane_bench.cc — see dataplane_bench.h. Setup (templates, flows, visit
// order, per-packet header patches, the fill) is untimed; only whole loops of
// restore-frame + lb::process are timed. Runs on the calling thread only.
#include "bench/dataplane_bench.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include "abi/counters.h"
#include "abi/records.h"
#include "bench/frame_gen.h"
#include "control/server_slots.h"
#include "control/snapshot_build.h"
#include "core/net.h"
#include "io/frame.h"
#include "lb/core_state.h"
#include "lb/process.h"
#include "worker/worker.h"

namespace xvs::bench {
namespace {

using control::Status;
using namespace frames;

// splitmix64: fixed seed, same sequence on every run.
struct Prng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }
};

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

size_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

struct Tally {
  uint64_t tx = 0, pass = 0, drop = 0;
  void add(lb::Verdict v) {
    if (v == lb::Verdict::tx) ++tx;
    else if (v == lb::Verdict::pass) ++pass;
    else ++drop;
  }
};

// n packets from patches[0..count) cyclically, in bursts through lb::process_burst as a worker
// runs them; returns elapsed ns. Without kProcess: the restore alone (the copy cost), kept from
// being optimised away by a compiler barrier.
constexpr uint32_t kBenchBurst = worker::Worker::kBurst;  // as a worker receives them

struct Buffers {
  FrameBuffer frames[kBenchBurst];
};

template <bool kProcess>
uint64_t timed_loop(lb::CoreState* cs, const Template* tmpls, const Patch* patches, uint64_t count, uint64_t n,
                    Buffers& bufs, Tally& tally) {
  io::Frame frames[kBenchBurst];
  lb::Verdict verdicts[kBenchBurst];
  uint64_t idx = 0;
  const uint64_t start = now_ns();
  for (uint64_t i = 0; i < n;) {
    const auto burst = static_cast<uint32_t>(std::min<uint64_t>(kBenchBurst, n - i));
    for (uint32_t k = 0; k < burst; ++k) {
      const Patch& p = patches[idx];
      idx = idx + 1 == count ? 0 : idx + 1;
      const Template& t = tmpls[p.tmpl];
      restore(bufs.frames[k].data(), t, p);
      if constexpr (kProcess) set_frame(frames[k], bufs.frames[k], t, p);
    }
    if constexpr (kProcess) {
      lb::process_burst(*cs, frames, burst, verdicts);
      for (uint32_t k = 0; k < burst; ++k) tally.add(verdicts[k]);
    } else {
      asm volatile("" : : "r"(bufs.frames) : "memory");
    }
    i += burst;
  }
  return now_ns() - start;
}

// One worker's worth of data plane: its counter blocks, snapshot and core state.
struct Rig {
  control::ServerSlots servers{1};
  std::unique_ptr<lb::CookieClock[]> cookie_clocks = std::make_unique<lb::CookieClock[]>(abi::kMaxWorkers);
  std::unique_ptr<lb::Snapshot> snapshot;
  std::unique_ptr<lb::CoreState> core;
};

Status build_rig(const uint8_t* data, size_t len, const Params& p, std::unique_ptr<Rig>& out) {
  auto rig = std::make_unique<Rig>();
  abi::SnapshotHeader h{};
  if (len >= sizeof h) std::memcpy(&h, data, sizeof h);
  const control::BuildContext ctx{1, h.port_count, p.seed, nullptr, rig->servers};
  Status st = control::build_snapshot(data, len, ctx, rig->snapshot);
  if (!st.is_ok()) return st;
  const lb::CoreTables tables{rig->servers.counters(0), rig->servers.peer_loads(0), rig->cookie_clocks.get()};
  Prng prng{p.seed};
  const uint64_t hash_seed = prng.next();
  const core::SipKey port_key{prng.next(), prng.next()};
  rig->core = std::make_unique<lb::CoreState>(0, 1, p.conn_capacity, hash_seed, port_key, tables);
  rig->core->install(rig->snapshot.get());
  rig->core->now = p.now;
  out = std::move(rig);
  return Status::ok();
}

std::vector<uint64_t> counters_of(const lb::CoreState& cs) {
  return std::vector<uint64_t>(cs.counters, cs.counters + abi::kCounterCount);
}

// "rx 10, drop_lport_exhausted 3, ..." — the core's non-zero counters, for problem reports.
std::string nonzero_counters(const lb::CoreState& cs) {
  std::string out;
  for (uint32_t i = 0; i < abi::kCounterCount; ++i) {
    if (cs.counters[i] == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::string(abi::kCounterInfo[i].name) + " " + std::to_string(cs.counters[i]);
  }
  return out.empty() ? "no counter moved" : out;
}

std::string not_forwarded(const char* what, uint64_t expected, const Tally& t, const lb::CoreState& cs) {
  return std::string(what) + ": " + std::to_string(expected - t.tx) + " of " + std::to_string(expected) +
         " packets were not forwarded (pass " + std::to_string(t.pass) + ", drop " + std::to_string(t.drop) +
         "; counters: " + nonzero_counters(cs) + ")";
}

Status run_established(const uint8_t* snap, size_t len, const Templates& tp, const Params& p, Result& out) {
  Template tmpls[3];  // syn (fill), ack, reply
  Status st;
  if (!(st = parse_template(tp.syn, "syn", tmpls[0])).is_ok()) return st;
  if (!(st = parse_template(tp.ack, "ack", tmpls[1])).is_ok()) return st;
  if (p.replies && !(st = parse_template(tp.reply, "reply", tmpls[2])).is_ok()) return st;

  // Bench memory first (touched), so that the RSS figures below are the data plane's.
  const uint64_t visits = static_cast<uint64_t>(p.flows) * (p.replies ? 2 : 1);
  const uint64_t count = std::min<uint64_t>(p.packets, visits);
  std::vector<Patch> patches(count);
  std::vector<Tuple> reply_tuple(p.replies ? p.flows : 0);
  std::vector<uint8_t> reply_port(p.replies ? p.flows : 0);
  std::vector<uint32_t> order(visits);
  auto bufs = std::make_unique<Buffers>();
  FrameBuffer* buf = &bufs->frames[0];

  out.rss_before = rss_bytes();
  std::unique_ptr<Rig> rig;
  if (!(st = build_rig(snap, len, p, rig)).is_ok()) return st;
  lb::CoreState& cs = *rig->core;
  out.rss_built = rss_bytes();

  // Fill: one SYN per flow. What each SYN became names the flow's server side.
  Tally fill;
  const uint64_t fill_start = now_ns();
  for (uint32_t i = 0; i < p.flows; ++i) {
    const Patch patch = make_patch(tmpls[0], 0, 0, client_flow(tmpls[0], i));
    restore(buf->data(), tmpls[0], patch);
    io::Frame f = frame_for(*buf, tmpls[0], patch);
    const lb::Verdict v = lb::process(cs, f);
    fill.add(v);
    if (v == lb::Verdict::tx && p.replies) {
      // The SYN as sent is of the server side's family, the reply template's (NAT64: IPv4).
      const Template& server_side = tmpls[2];
      const uint8_t* l4 = f.data + server_side.l4;
      reply_tuple[i] = {load32(f.data + server_side.daddr_at), load32(f.data + server_side.saddr_at), load16(l4 + 2),
                        load16(l4)};
      reply_port[i] = f.port;
    }
  }
  out.fill_seconds = static_cast<double>(now_ns() - fill_start) / 1e9;
  out.rss_filled = rss_bytes();
  out.flows = p.flows;
  out.packets = p.packets;
  out.bytes_per_connection = lb::ConnTable::bytes_per_connection(p.conn_capacity);
  if (fill.tx != p.flows || cs.conns.size() != p.flows) {
    out.problem = not_forwarded("fill (one SYN per flow)", p.flows, fill, cs) + "; " +
                  std::to_string(cs.conns.size()) + " connections in the table";
    out.counters = counters_of(cs);
    return Status::ok();
  }

  // Visit order: every (flow, direction) once, shuffled; the loops cycle through it.
  for (uint64_t i = 0; i < visits; ++i) order[i] = static_cast<uint32_t>(i);
  Prng prng{p.seed};
  for (uint64_t i = visits - 1; i > 0; --i) std::swap(order[i], order[prng.below(i + 1)]);
  for (uint64_t i = 0; i < count; ++i) {
    const uint32_t v = order[i];
    const uint32_t flow = p.replies ? v >> 1 : v;
    if (p.replies && (v & 1)) patches[i] = make_patch(tmpls[2], 2, reply_port[flow], reply_tuple[flow]);
    else patches[i] = make_patch(tmpls[1], 1, 0, client_flow(tmpls[1], flow));
  }
  std::vector<uint32_t>().swap(order);
  std::vector<Tuple>().swap(reply_tuple);

  // Untimed warm-up pass: moves the visited flows from SYN to ESTABLISHED (a timer relink each)
  // so that the timed passes see the steady state.
  Tally warm;
  if (p.sync != nullptr) p.sync->arrive_and_wait();
  timed_loop<true>(&cs, tmpls, patches.data(), count, count, *bufs, warm);
  if (warm.tx != count) {
    out.problem = not_forwarded("warm-up pass", count, warm, cs);
    out.counters = counters_of(cs);
    return Status::ok();
  }

  Tally timed, copy, alone;
  const uint64_t created_before = cs.counters[static_cast<uint32_t>(abi::Counter::conn_created)];
  for (uint32_t r = 0; r < p.repeat; ++r) {
    if (p.sync != nullptr) p.sync->arrive_and_wait();
    const uint64_t ns = timed_loop<true>(&cs, tmpls, patches.data(), count, p.packets, *bufs, timed);
    const uint64_t copy_ns = timed_loop<false>(&cs, tmpls, patches.data(), count, p.packets, *bufs, copy);
    out.ns_per_packet.push_back(static_cast<double>(ns) / static_cast<double>(p.packets));
    out.copy_ns_per_packet.push_back(static_cast<double>(copy_ns) / static_cast<double>(p.packets));
    // Then each worker alone, in turn: the rate two workers would add up to if nothing were shared.
    for (uint32_t turn = 0; p.sync != nullptr && turn < p.workers; ++turn) {
      p.sync->arrive_and_wait();
      if (turn != p.worker) continue;
      const uint64_t alone_ns = timed_loop<true>(&cs, tmpls, patches.data(), count, p.packets, *bufs, alone);
      out.alone_ns_per_packet.push_back(static_cast<double>(alone_ns) / static_cast<double>(p.packets));
    }
  }
  out.tx = timed.tx;
  out.pass = timed.pass;
  out.drop = timed.drop;
  out.conn_created = cs.counters[static_cast<uint32_t>(abi::Counter::conn_created)] - created_before;
  out.connections = cs.conns.size();
  out.counters = counters_of(cs);
  if (timed.tx != p.packets * p.repeat) out.problem = not_forwarded("timed passes", p.packets * p.repeat, timed, cs);
  else if (alone.tx != p.packets * out.alone_ns_per_packet.size())
    out.problem = not_forwarded("timed passes alone", p.packets * out.alone_ns_per_packet.size(), alone, cs);
  return Status::ok();
}

// The SYNs of client flows 0..count-1.
std::vector<Patch> syn_patches(const Template& syn, uint64_t count) {
  std::vector<Patch> patches(count);
  for (uint64_t i = 0; i < count; ++i) patches[i] = make_patch(syn, 0, 0, client_flow(syn, static_cast<uint32_t>(i)));
  return patches;
}

// Lets every connection of the core time out as a running worker's do (its expiry pass, local
// ports and interned addresses released, port holds ended), so the next batch meets a table
// whose memory is already in use: a running engine's, not one paying first touches. False if
// entries remain after three passes (a second ends the port holds the first may leave).
bool expire_all(lb::CoreState& cs) {
  // The longest configurable timeout (kMaxTimeout, control/snapshot_build.cc) is 2^30 - 1 s; a
  // step below 2^31 keeps the timers' wrap-around comparisons right.
  constexpr uint32_t kPastEveryTimeout = 1u << 30;
  for (int pass = 0; pass < 3 && cs.conns.size() != 0; ++pass) {
    cs.now += kPastEveryTimeout;
    cs.conns.expire(cs.now, UINT32_MAX, [&cs](lb::Conn& c) { return lb::expire_connection(cs, c); });
  }
  return cs.conns.size() == 0;
}

Status run_new_connections(const uint8_t* snap, size_t len, const Templates& tp, const Params& p, Result& out) {
  Template tmpls[1];
  Status st;
  if (!(st = parse_template(tp.syn, "syn", tmpls[0])).is_ok()) return st;
  // Every SYN of a batch is a flow the table does not hold; batches of at most `flows`, each
  // into the table the previous one used once its connections have expired (untimed). One
  // untimed batch first, so no timed one pays the table's first touches.
  const uint64_t count = std::min<uint64_t>(p.packets, p.flows);
  const std::vector<Patch> patches = syn_patches(tmpls[0], count);
  auto bufs = std::make_unique<Buffers>();
  out.flows = p.flows;
  out.packets = p.packets;
  out.bytes_per_connection = lb::ConnTable::bytes_per_connection(p.conn_capacity);

  std::unique_ptr<Rig> rig;
  if (!(st = build_rig(snap, len, p, rig)).is_ok()) return st;
  lb::CoreState& cs = *rig->core;
  const auto run_batch = [&](uint64_t batch, Tally& t) -> uint64_t {
    const uint64_t ns = timed_loop<true>(&cs, tmpls, patches.data(), batch, batch, *bufs, t);
    out.counters = counters_of(cs);
    out.connections = cs.conns.size();
    if (t.tx != batch || cs.conns.size() != batch)
      out.problem = not_forwarded("new connections", batch, t, cs) + "; " + std::to_string(cs.conns.size()) +
                    " connections created";
    else if (!expire_all(cs))
      out.problem = std::to_string(cs.conns.size()) + " connections left after every timeout passed";
    return ns;
  };
  Tally warm, timed, copy;
  run_batch(count, warm);
  for (uint32_t r = 0; r < p.repeat && out.problem.empty(); ++r) {
    uint64_t ns = 0;
    for (uint64_t done = 0; done < p.packets && out.problem.empty();) {
      const uint64_t batch = std::min<uint64_t>(p.packets - done, count);
      Tally t;
      ns += run_batch(batch, t);
      timed.tx += t.tx;
      timed.pass += t.pass;
      timed.drop += t.drop;
      out.conn_created += batch;
      done += batch;
    }
    if (!out.problem.empty()) return Status::ok();
    const uint64_t copy_ns = timed_loop<false>(nullptr, tmpls, patches.data(), count, p.packets, *bufs, copy);
    out.ns_per_packet.push_back(static_cast<double>(ns) / static_cast<double>(p.packets));
    out.copy_ns_per_packet.push_back(static_cast<double>(copy_ns) / static_cast<double>(p.packets));
  }
  out.tx = timed.tx;
  out.pass = timed.pass;
  out.drop = timed.drop;
  return Status::ok();
}

Status run_syn_cookies(const uint8_t* snap, size_t len, const Templates& tp, const Params& p, Result& out) {
  Template tmpls[1];
  Status st;
  if (!(st = parse_template(tp.syn, "syn", tmpls[0])).is_ok()) return st;
  const uint64_t count = std::min<uint64_t>(p.packets, p.flows);
  const std::vector<Patch> patches = syn_patches(tmpls[0], count);
  auto bufs = std::make_unique<Buffers>();
  std::unique_ptr<Rig> rig;
  if (!(st = build_rig(snap, len, p, rig)).is_ok()) return st;
  out.flows = p.flows;
  out.packets = p.packets;
  Tally warm, timed, copy;
  timed_loop<true>(rig->core.get(), tmpls, patches.data(), count, count, *bufs, warm);
  for (uint32_t r = 0; r < p.repeat; ++r) {
    Tally t;
    const uint64_t ns = timed_loop<true>(rig->core.get(), tmpls, patches.data(), count, p.packets, *bufs, t);
    timed.tx += t.tx;
    timed.pass += t.pass;
    timed.drop += t.drop;
    if (t.tx != p.packets || rig->core->conns.size() != 0) {
      out.problem = not_forwarded("SYNs answered with cookies", p.packets, t, *rig->core) + "; " +
                    std::to_string(rig->core->conns.size()) + " connections stored";
      out.counters = counters_of(*rig->core);
      return Status::ok();
    }
    const uint64_t copy_ns = timed_loop<false>(nullptr, tmpls, patches.data(), count, p.packets, *bufs, copy);
    out.ns_per_packet.push_back(static_cast<double>(ns) / static_cast<double>(p.packets));
    out.copy_ns_per_packet.push_back(static_cast<double>(copy_ns) / static_cast<double>(p.packets));
  }
  out.counters = counters_of(*rig->core);
  out.tx = timed.tx;
  out.pass = timed.pass;
  out.drop = timed.drop;
  out.connections = 0;
  return Status::ok();
}

}  // namespace

Status run_dataplane(const uint8_t* snapshot, size_t snapshot_len, const Templates& templates, const Params& params,
                     Result& out) {
  out = Result{};
  if (params.flows == 0) return invalid("flows must be at least 1");
  if (params.flows > params.conn_capacity)
    return invalid("flows (" + std::to_string(params.flows) + ") exceed the connection table capacity (" +
                   std::to_string(params.conn_capacity) + ")");
  if (params.packets == 0 || params.packets > (1ull << 40)) return invalid("packets must be from 1 to 2^40");
  if (params.repeat == 0 || params.repeat > 1000) return invalid("repeat must be from 1 to 1000");
  switch (params.workload) {
    case Workload::established: return run_established(snapshot, snapshot_len, templates, params, out);
    case Workload::new_connections: return run_new_connections(snapshot, snapshot_len, templates, params, out);
    case Workload::syn_cookies: return run_syn_cookies(snapshot, snapshot_len, templates, params, out);
  }
  return invalid("unknown workload");
}

Status run_dataplane_workers(const uint8_t* snapshot, size_t snapshot_len, const Templates& templates, const Params& params,
                             uint32_t workers, std::vector<Result>& out) {
  out.assign(workers, Result{});
  if (workers == 0 || workers > 64) return invalid("workers must be from 1 to 64");
  if (params.workload != Workload::established) return invalid("several workers run the established workload only");
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return invalid("cannot read this process's CPUs");
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  std::barrier<> sync(workers);
  std::vector<Status> status(workers);
  std::vector<std::thread> threads;
  for (uint32_t w = 0; w < workers; ++w)
    threads.emplace_back([&, w] {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpus[w % cpus.size()], &one);
      pthread_setaffinity_np(pthread_self(), sizeof one, &one);
      Params p = params;
      p.seed = params.seed + w;
      p.sync = &sync;
      p.worker = w;
      p.workers = workers;
      status[w] = run_dataplane(snapshot, snapshot_len, templates, p, out[w]);
      // Whatever it passed, it waits no more: the others' barriers count it out from here.
      sync.arrive_and_drop();
    });
  for (std::thread& t : threads) t.join();
  for (const Status& st : status)
    if (!st.is_ok()) return st;
  return Status::ok();
}

}  // namespace xvs::bench
