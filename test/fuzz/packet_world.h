// test/fuzz/packet_world.h — a live data plane for the fuzz targets, as an engine runs it but
// in one thread: 1-4 workers, each a CoreState with its counter blocks (EngineTables), the
// snapshots built through the real decoder and installed at safe points (a lagging worker
// installs later, in order), frames in AF_XDP-sized chunks with headroom (allocated to the byte,
// so ASan sees any write past them), run through lb::process or lb::process_burst; a redirect is
// followed to the owner as the worker loop does (a second redirect is dropped). Every verdict,
// frame and worker state is checked (frame_checks.h, worker_invariants.h); what went in and
// what was sent are logged for the script to answer.
#pragma once
#include <cstdint>
#include <optional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <set>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_topology.h"
#include "frame_checks.h"
#include "lb/process.h"
#include "lb/sync.h"
#include "snapshot_fixture.h"
#include "worker/worker.h"
#include "worker_invariants.h"

namespace xvs::fuzz {

struct WorldConfig {
  uint32_t workers = 1;
  uint32_t conn_capacity = 64;
  uint32_t clock = 1000;
  uint32_t headroom = 256;
  uint32_t frame_size = 2048;
  lb::LocalPortRange local_ports{1024, 65535};
  HeaderKnobs knobs;
  uint8_t variant = 0;
};

// A frame as it travelled: its bytes, the port it arrived on or left by, and its worker.
struct Logged {
  std::vector<uint8_t> bytes;
  uint8_t port;
  uint32_t worker;
};

class PacketWorld {
 public:
  static constexpr size_t kLogDepth = 32;

  explicit PacketWorld(const WorldConfig& config) : config_(config), tables_(config.workers) {
    for (uint32_t w = 0; w < config.workers; ++w) {
      workers_.push_back(std::make_unique<lb::CoreState>(w, config.workers, config.conn_capacity, kSeed, test::kPortKey,
                                                         tables_.row(w), config.local_ports));
      workers_.back()->now = config.clock;
    }
    state_.resize(config.workers);
    reload(config.variant, 0);
  }

  uint32_t workers() const { return config_.workers; }
  uint32_t now() const { return config_.clock; }
  const std::deque<Logged>& inputs() const { return inputs_; }
  const std::deque<Logged>& sent() const { return sent_; }

  // Frames offered to worker `w` as one receive burst (one frame: lb::process, more: process_burst).
  void offer(uint32_t w, const std::vector<Logged>& frames) {
    std::vector<Arrival> arrivals;
    for (const Logged& f : frames) {
      arrivals.push_back(arrive(f.bytes, f.port));
      log(inputs_, {f.bytes, f.port, w});
    }
    run(w, arrivals, false);
  }

  void advance(uint32_t seconds) {
    config_.clock += seconds;
    for (auto& cs : workers_) cs->now = config_.clock;
  }

  // What worker `w` does at a safe point: installs what was published, then expires connections.
  void safe_point(uint32_t w, uint32_t budget) {
    lb::CoreState& cs = *workers_[w];
    safe_point_installs(w);
    cs.conns.expire(cs.now, budget, [&](lb::Conn& c) { return lb::expire_connection(cs, c); });
  }

  // Builds variant `variant` as the next generation; workers in `lag_mask` install it at their
  // next safe point, the others now.
  void reload(uint8_t variant, uint8_t lag_mask) {
    const uint64_t generation = snaps_.empty() ? 1 : snaps_.back()->generation + 1;
    const std::vector<uint8_t> bytes = build_variant(config_.workers, generation, variant, config_.knobs).bytes();
    std::unique_ptr<lb::Snapshot> snap;
    const control::Status st = test::build(bytes, config_.workers, kPorts, tables_, snap, kSeed, snaps_.empty() ? nullptr : snaps_.back().get());
    XVS_FUZZ_CHECK(st.is_ok(), "variant %u refused: %s", variant, st.message.c_str());
    for (uint32_t w = 0; w < config_.workers; ++w) {
      if (snaps_.empty() || !(lag_mask >> w & 1)) {
        safe_point_installs(w);
        install(w, snap.get());
      } else {
        state_[w].pending.push_back(snap.get());
      }
    }
    snaps_.push_back(std::move(snap));
  }

  // Connection sync (lb/sync.h): the record of worker w's pick-th entry, as another node would
  // send it; nothing when that entry is not synced.
  std::optional<abi::SyncItem> sync_record(uint32_t w, uint32_t pick) {
    lb::CoreState& cs = *workers_[w];
    if (cs.conns.size() == 0) return std::nullopt;
    uint32_t left = pick % cs.conns.size();
    lb::Conn* chosen = nullptr;
    cs.conns.for_each(cs.conns.capacity(), [&](const lb::Conn& c) {
      if (left-- == 0) chosen = const_cast<lb::Conn*>(&c);
    });
    abi::SyncItem r;
    if (chosen == nullptr || !lb::sync_record_of(cs, *chosen, r)) return std::nullopt;
    return r;
  }
  // Another node's record, installed on the worker that would own it (what Engine::sync_install does).
  void sync_install(const abi::SyncItem& r) {
    lb::sync_install(*workers_[lb::sync_owner(r, config_.workers, config_.local_ports)], r);
  }

  void check() {
    for (uint32_t w = 0; w < config_.workers; ++w) check_worker(*workers_[w], state_[w].relaxed);
  }

  // XVS_FUZZ_TRACE=1: every verdict and, at the end, the counters: what a seed reaches.
  static bool tracing() {
    static const bool on = std::getenv("XVS_FUZZ_TRACE") != nullptr;
    return on;
  }
  void print_counters() const {
    for (uint32_t w = 0; w < config_.workers; ++w) {
      std::fprintf(stderr, "worker %u (%u entries):", w, workers_[w]->conns.size());
      for (uint32_t c = 0; c < abi::kCounterCount; ++c)
        if (workers_[w]->counters[c]) std::fprintf(stderr, " %s=%llu", abi::kCounterInfo[c].name, static_cast<unsigned long long>(workers_[w]->counters[c]));
      std::fprintf(stderr, "\n");
    }
  }

 private:
  static constexpr uint64_t kSeed = 0x5eed;

  struct Arrival {
    std::unique_ptr<uint8_t[]> chunk;
    io::Frame frame;
    std::vector<uint8_t> original;  // as it came in (truncated to the chunk)
    bool checksums_ok;
    bool server_syn_ack;  // may come out as the client's held segment instead (SYN proxy)
  };
  struct WorkerState {
    std::deque<const lb::Snapshot*> pending;  // published, not installed yet
    std::set<uint32_t> ever_seen;             // backend ids of every snapshot installed
    std::set<uint32_t> relaxed;               // see worker_invariants.h
    bool stash_tainted = false;               // the stash may hold a segment with a bad checksum
  };

  Arrival arrive(const std::vector<uint8_t>& bytes, uint8_t port) {
    Arrival a;
    a.chunk = std::make_unique<uint8_t[]>(config_.frame_size);
    const uint32_t capacity = config_.frame_size - config_.headroom;
    const auto len = static_cast<uint32_t>(std::min<size_t>(bytes.size(), capacity));
    if (len) std::memcpy(a.chunk.get() + config_.headroom, bytes.data(), len);
    a.frame = io::Frame{a.chunk.get() + config_.headroom, len, config_.headroom, 0, port, 0, capacity};
    a.original.assign(bytes.begin(), bytes.begin() + len);
    a.checksums_ok = checksums_ok(a.original.data(), a.original.size());
    core::PacketView v{};
    std::vector<uint8_t> copy = a.original;
    a.server_syn_ack = core::parse_packet(copy.data(), len, v).status == core::ParseStatus::ok && v.protocol == core::kIpProtoTcp &&
                       (v.tcp_flags & (core::kTcpSyn | core::kTcpAck)) == (core::kTcpSyn | core::kTcpAck);
    return a;
  }

  void run(uint32_t w, std::vector<Arrival>& frames, bool handed_over) {
    lb::CoreState& cs = *workers_[w];
    const uint64_t stashed_before = cs.counters[static_cast<uint32_t>(abi::Counter::syn_proxy_stashed)];
    bool bad_input = false;
    std::vector<io::Frame> burst;
    for (Arrival& a : frames) {
      burst.push_back(a.frame);
      bad_input |= !a.checksums_ok;
    }
    std::vector<lb::Verdict> verdicts(burst.size());
    if (burst.size() == 1) verdicts[0] = lb::process(cs, burst[0]);
    else if (!burst.empty()) lb::process_burst(cs, burst.data(), static_cast<uint32_t>(burst.size()), verdicts.data());
    if (bad_input && cs.counters[static_cast<uint32_t>(abi::Counter::syn_proxy_stashed)] != stashed_before)
      state_[w].stash_tainted = true;
    std::vector<std::vector<Arrival>> handed(config_.workers);
    for (size_t i = 0; i < burst.size(); ++i) {
      io::Frame& f = burst[i];
      const lb::Verdict v = verdicts[i];
      if (tracing())
        std::fprintf(stderr, "  worker %u%s: %u bytes on port %u -> %s (owner %u), %u bytes on port %u\n", w, handed_over ? " (handed over)" : "",
                     static_cast<uint32_t>(frames[i].original.size()), frames[i].frame.port,
                     v.kind == lb::Verdict::tx ? "tx" : v.kind == lb::Verdict::pass ? "pass" : v.kind == lb::Verdict::drop ? "drop" : "redirect",
                     v.owner, f.len, f.port);
      check_verdict(v, w, config_.workers);
      check_frame_bounds(f, {frames[i].chunk.get(), config_.frame_size});
      if (v == lb::Verdict::pass || v.kind == lb::Verdict::redirect) {
        XVS_FUZZ_CHECK(f.data == frames[i].frame.data && f.len == frames[i].original.size() &&
                           std::memcmp(f.data, frames[i].original.data(), f.len) == 0 && f.port == frames[i].frame.port,
                       "a %s verdict changed the frame", v == lb::Verdict::pass ? "pass" : "redirect");
      }
      if (tracing() && v == lb::Verdict::tx) {
        std::fprintf(stderr, "    in :");
        for (uint8_t b : frames[i].original) std::fprintf(stderr, " %02x", b);
        std::fprintf(stderr, "\n    out:");
        for (uint32_t b = 0; b < f.len; ++b) std::fprintf(stderr, " %02x", f.data[b]);
        std::fprintf(stderr, "\n");
      }
      if (v == lb::Verdict::tx) {
        const bool may_be_held_segment = state_[w].stash_tainted && frames[i].server_syn_ack;
        check_tx(f, *cs.snapshot, frames[i].checksums_ok && !may_be_held_segment);
        log(sent_, {std::vector<uint8_t>(f.data, f.data + f.len), f.port, w});
      }
      if (v.kind == lb::Verdict::redirect && !handed_over) {
        frames[i].frame = f;
        handed[v.owner].push_back(std::move(frames[i]));
      }
    }
    if (cs.proxy.stash.in_use() == 0) state_[w].stash_tainted = false;
    for (uint32_t owner = 0; owner < config_.workers; ++owner)
      if (!handed[owner].empty()) run(owner, handed[owner], true);
  }

  void safe_point_installs(uint32_t w) {
    for (; !state_[w].pending.empty(); state_[w].pending.pop_front()) install(w, state_[w].pending.front());
  }

  // A server whose slot changed under this worker (it left and came back, maybe while the worker
  // lagged) may still have connections its new slot never counted.
  void install(uint32_t w, const lb::Snapshot* next) {
    lb::CoreState& cs = *workers_[w];
    WorkerState& s = state_[w];
    for (uint32_t i = 0; i < next->backends.size(); ++i) {
      const uint32_t id = next->backends[i].backend_id;
      const uint32_t before = cs.snapshot ? cs.snapshot->backend_index.find(id) : lb::FlatMap::kMissing;
      const bool same_slot = before != lb::FlatMap::kMissing && cs.snapshot->server_slot[before] == next->server_slot[i];
      if (s.ever_seen.count(id) && !same_slot) s.relaxed.insert(id);
      s.ever_seen.insert(id);
    }
    cs.install(next);
  }

  static void log(std::deque<Logged>& to, Logged f) {
    to.push_front(std::move(f));
    if (to.size() > kLogDepth) to.pop_back();
  }

  WorldConfig config_;
  test::EngineTables tables_;
  std::vector<std::unique_ptr<lb::Snapshot>> snaps_;  // all alive: a lagging worker may hold any
  std::vector<std::unique_ptr<lb::CoreState>> workers_;
  std::vector<WorkerState> state_;
  std::deque<Logged> inputs_, sent_;
};

}  // namespace xvs::fuzz
