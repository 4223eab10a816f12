// native/io/neighbour_table.h — xvs's own IPv4 neighbour table, for backends whose ports no
// kernel serves (DPDK): what the next-hop resolver asks (lookup), what the workers saw on the
// wire (observe: the senders of ARP replies and of requests for xvs's addresses), and the timers
// (tick: which addresses to solicit now, which entries changed). Linux's states, simplified:
//
//   incomplete ──reply──▶ reachable ──reachable_ms──▶ stale (still used; probed while in use)
//       │ probes unanswered                               │ probes unanswered
//       ▼                                                 ▼
//     failed (no MAC; solicited again every retry_ms while in use)
//
// An entry nobody looked up for unused_ms goes. A MAC change (a server replaced, a VRRP
// failover) is taken at once from any reply. Control thread only; the backend moves the workers'
// observations here through SPSC rings and sends its solicitations through them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace xvs::io {

struct NeighbourObservation {
  uint32_t address;  // network order
  uint8_t mac[6];
  uint8_t port;
};

struct NeighbourSolicit {
  uint32_t address;
  uint8_t port;
};

class NeighbourTable {
 public:
  struct Timing {
    int64_t reachable_ms = 30'000;   // Linux base_reachable_time
    int64_t probe_interval_ms = 1'000;
    uint32_t probes = 3;              // Linux mcast_solicit / ucast_solicit
    int64_t retry_ms = 5'000;         // a failed neighbour in use is asked again this often
    int64_t unused_ms = 300'000;
    uint32_t capacity = 65'536;
  };
  enum class State : uint8_t { incomplete, reachable, stale, failed };
  // "Never" for the times below: far enough in the past that any interval has passed.
  static constexpr int64_t kNever = INT64_MIN / 4;
  struct Entry {
    uint32_t address;
    uint8_t port;
    State state;
    uint8_t mac[6];
    int64_t confirmed_ms;   // last reply or request seen from it (kNever)
    int64_t probed_ms;      // last solicitation sent (kNever)
    int64_t used_ms;        // last lookup
    uint32_t probes_left;   // in the current round of probes
  };

  NeighbourTable() = default;
  explicit NeighbourTable(const Timing& timing) : timing_(timing) {}

  // The MAC of `address` reached through `port`, if one is known (reachable or stale); false
  // otherwise, and the address is then solicited at the next tick (if it is not being already).
  bool lookup(uint32_t address, uint8_t port, int64_t now_ms, uint8_t mac[6]);
  // A worker saw `o.address` at `o.mac` on `o.port`. Entries are made only for addresses looked up
  // (and for replies, which answer a solicitation), so a flood of requests cannot fill the table.
  void observe(const NeighbourObservation& o, bool reply, int64_t now_ms);
  // Runs the timers: appends what to solicit now to `solicit`, and every address whose MAC
  // appeared, changed or went since the last tick to `changed`.
  void tick(int64_t now_ms, std::vector<NeighbourSolicit>& solicit, std::vector<uint32_t>& changed);

  std::vector<Entry> entries() const;
  size_t size() const { return entries_.size(); }

 private:
  Entry* find(uint32_t address);
  void mark_changed(uint32_t address) { changed_.push_back(address); }

  Timing timing_;
  std::unordered_map<uint32_t, Entry> entries_;
  std::vector<uint32_t> changed_;
};

}  // namespace xvs::io
