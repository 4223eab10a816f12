// native/lb/schedule.h — picks the server for a new connection with IPVS semantics. Static
// schedulers use the table TypeScript computed (src/scheduler): rr/wrr walk it with a per-worker
// cursor, sh/mh/dh index it by a hash of the client or destination address, fo takes its first
// usable entry. Dynamic schedulers (lc, wlc, sed, nq, lblc, lblcr) compare cluster-wide
// per-server loads (this worker's own, plus the other workers' as last published). Quiescent (weight 0) and overloaded servers take no new connections.
// Runs on the data-plane workers.
#pragma once
#include <cstdint>
#include <type_traits>

#include "abi/records.h"
#include "core/hash.h"
#include "lb/core_state.h"
#include "lb/flat_map.h"
#include "lb/server_counters.h"

namespace xvs::lb {

inline constexpr uint32_t kNoBackend = FlatMap::kMissing;

// The key the hashing schedulers (sh, mh, dh, lblc, lblcr) read for an address: an IPv4 address
// itself; an IPv6 one folded to a word, then keyed as an IPv4 address is (IPVS folds an IPv6
// address too, by XOR of its words, for sh and lblc).
inline uint64_t sched_key(uint32_t address) { return address; }
inline uint64_t sched_key(const core::Ipv6Address& address) { return core::mix_u64(address.word(0), address.word(1)); }

namespace sched_detail {

inline bool usable(const CoreState& cs, uint32_t index) {
  return cs.snapshot->backends[index].weight > 0 && !cs.counters_of(index).load.overloaded;
}

// A server's load across the cluster: this worker's own count (exact) plus the other workers'
// (PeerLoad, at most one aggregation interval old). IPVS decides on one global count; each
// worker here knows its own at once and the others' within the interval.
inline BackendLoad cluster_load(const CoreState& cs, uint32_t index) {
  const PeerLoad& peers = cs.peer_load_of(index);
  BackendLoad out = cs.counters_of(index).load;
  out.active += load_relaxed(peers.active);
  out.inactive += load_relaxed(peers.inactive);
  return out;
}

// IPVS ip_vs_dest_conn_overhead: active connections weigh 256 times an inactive one.
inline uint64_t overhead(const BackendLoad& l) { return (static_cast<uint64_t>(l.active) << 8) + l.inactive; }

// The least loaded usable server by cost(load), divided by the weight when Weighted; ties go to
// the earlier server.
template <bool Weighted, typename Cost>
uint32_t least_loaded(const CoreState& cs, const abi::ServiceRecord& svc, Cost cost) {
  uint32_t best = kNoBackend;
  uint64_t best_cost = 0, best_weight = 1;
  for (uint32_t i = svc.backend_first; i < svc.backend_first + svc.backend_count; ++i) {
    if (!usable(cs, i)) continue;
    const uint64_t c = cost(cluster_load(cs, i));
    const uint64_t w = Weighted ? cs.snapshot->backends[i].weight : 1;
    if (best == kNoBackend || c * best_weight < best_cost * w) {
      best = i;
      best_cost = c;
      best_weight = w;
    }
  }
  return best;
}

inline uint32_t weighted_least_connection(const CoreState& cs, const abi::ServiceRecord& svc) {
  return least_loaded<true>(cs, svc, overhead);
}

// ip_vs_lblc.c is_overloaded(): busier than its weight while another server is under half of its.
inline bool locality_overloaded(const CoreState& cs, const abi::ServiceRecord& svc, uint32_t index) {
  if (cluster_load(cs, index).active <= cs.snapshot->backends[index].weight) return false;
  for (uint32_t i = svc.backend_first; i < svc.backend_first + svc.backend_count; ++i)
    if (usable(cs, i) && cluster_load(cs, i).active * 2 < cs.snapshot->backends[i].weight) return true;
  return false;
}

inline uint32_t locality(CoreState& cs, const abi::ServiceRecord& svc, uint64_t destination, bool replicated) {
  const Snapshot& snap = *cs.snapshot;
  LocalityEntry& e =
      cs.locality[core::hash_u64(cs.table_key, (static_cast<uint64_t>(svc.service_id) << 32) ^ destination) &
                  (CoreState::kLocalityEntries - 1)];
  if (e.service_id != svc.service_id || e.destination != destination) e = LocalityEntry{svc.service_id, destination, {}, 0, 0};
  // The set's least loaded usable member (lblc keeps a set of one).
  uint32_t best = kNoBackend;
  for (uint32_t k = 0; k < e.count; ++k) {
    const uint32_t i = snap.backend_index.find(e.backend_ids[k]);
    if (i == FlatMap::kMissing || i < svc.backend_first || i >= svc.backend_first + svc.backend_count || !usable(cs, i))
      continue;
    if (best == kNoBackend || overhead(cluster_load(cs, i)) * snap.backends[best].weight <
                                  overhead(cluster_load(cs, best)) * snap.backends[i].weight)
      best = i;
  }
  if (best == kNoBackend || locality_overloaded(cs, svc, best)) {
    const uint32_t fresh = weighted_least_connection(cs, svc);
    if (fresh == kNoBackend) return best;
    // lblcr's set holds each server once (ip_vs_dest_set_insert): wlc may pick a member again.
    bool member = false;
    for (uint32_t k = 0; replicated && k < e.count; ++k) member |= e.backend_ids[k] == snap.backends[fresh].backend_id;
    if (member) {
      // already in the set
    } else if (!replicated || e.count == 0) {
      e.backend_ids[0] = snap.backends[fresh].backend_id;
      e.count = 1;
    } else if (e.count < LocalityEntry::kServers) {
      e.backend_ids[e.count++] = snap.backends[fresh].backend_id;
    } else {
      e.backend_ids[cs.now % LocalityEntry::kServers] = snap.backends[fresh].backend_id;
    }
    best = fresh;
  }
  e.last_used = cs.now;
  return best;
}

// sh, mh, dh: one table lookup; the same client (or destination) lands on the same entry on
// every worker and every balancer sharing the port key, so the key is derived, not random.
inline uint32_t hashed(const CoreState& cs, const abi::ServiceRecord& svc, uint64_t address) {
  if (svc.sched_count == 0) return kNoBackend;
  const auto h = static_cast<uint32_t>(core::hash_u64(cs.scheduler_key, address));
  const uint32_t slot = static_cast<uint32_t>((static_cast<uint64_t>(h) * svc.sched_count) >> 32);
  const uint32_t index = cs.snapshot->sched[svc.sched_first + slot];
  return usable(cs, index) ? index : kNoBackend;
}

inline uint32_t sequence(CoreState& cs, const abi::ServiceRecord& svc, uint32_t service_index) {
  const Snapshot& snap = *cs.snapshot;
  uint32_t& cursor = cs.sched_cursor[service_index];
  for (uint32_t tried = 0; tried < svc.sched_count; ++tried) {
    const uint32_t index = snap.sched[svc.sched_first + cursor];
    cursor = cursor + 1 == svc.sched_count ? 0 : cursor + 1;
    if (usable(cs, index)) return index;
  }
  return kNoBackend;
}

inline uint32_t first_usable(const CoreState& cs, const abi::ServiceRecord& svc) {
  for (uint32_t k = 0; k < svc.sched_count; ++k) {
    const uint32_t index = cs.snapshot->sched[svc.sched_first + k];
    if (usable(cs, index)) return index;
  }
  return kNoBackend;
}

}  // namespace sched_detail

// Index of the chosen server in the snapshot's backends, or kNoBackend. Addr: uint32_t (IPv4,
// network order) or core::Ipv6Address; only the schedulers that hash an address fold it
// (sched_key), so an IPv6 client costs the others nothing.
template <typename Addr>
inline uint32_t schedule(CoreState& cs, const abi::ServiceRecord& svc, const Addr& saddr, const Addr& daddr) {
  // A folded key (a uint64_t, as this took once) would reach sched_key(uint32_t) cut in half.
  static_assert(std::is_same_v<Addr, uint32_t> || std::is_same_v<Addr, core::Ipv6Address>,
                "schedule() takes the addresses themselves: uint32_t (IPv4) or core::Ipv6Address");
  using namespace sched_detail;
  const auto service_index = static_cast<uint32_t>(&svc - cs.snapshot->services.data());
  switch (static_cast<abi::Scheduler>(svc.scheduler)) {
    case abi::Scheduler::rr:
    case abi::Scheduler::wrr: return sequence(cs, svc, service_index);
    case abi::Scheduler::sh:
    case abi::Scheduler::mh: return hashed(cs, svc, sched_key(saddr));
    case abi::Scheduler::dh: return hashed(cs, svc, sched_key(daddr));
    case abi::Scheduler::fo: return first_usable(cs, svc);
    case abi::Scheduler::lc: return least_loaded<false>(cs, svc, overhead);
    case abi::Scheduler::wlc: return weighted_least_connection(cs, svc);
    case abi::Scheduler::sed:
      return least_loaded<true>(cs, svc, [](const BackendLoad& l) { return static_cast<uint64_t>(l.active) + 1; });
    case abi::Scheduler::nq:
      for (uint32_t i = svc.backend_first; i < svc.backend_first + svc.backend_count; ++i)
        if (usable(cs, i) && cluster_load(cs, i).active == 0) return i;
      return least_loaded<true>(cs, svc, [](const BackendLoad& l) { return static_cast<uint64_t>(l.active) + 1; });
    case abi::Scheduler::lblc: return locality(cs, svc, sched_key(daddr), false);
    case abi::Scheduler::lblcr: return locality(cs, svc, sched_key(daddr), true);
  }
  return kNoBackend;
}

}  // namespace xvs::lb
