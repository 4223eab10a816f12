// native/io/neighbour_table.h — xvs's own neighbour table, for backends whose ports no kernel
// serves (DPDK): what the next-hop resolver asks (lookup), what the workers saw on the wire
// (observe: the senders of ARP replies and of requests for xvs's addresses; for IPv6, neighbour
// advertisements and solicitations), and the timers (tick: which addresses to solicit now, which
// entries changed). One table per family: NeighbourTable (IPv4, ARP), NeighbourTable6 (IPv6,
// neighbour discovery), the same template. Linux's states, simplified:
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
#include <functional>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/ipv6_address.h"

namespace xvs::io {

template <typename Addr>
struct BasicNeighbourObservation {
  Addr address;  // network order
  uint8_t mac[6];
  uint8_t port;
};

template <typename Addr>
struct BasicNeighbourSolicit {
  Addr address;
  uint8_t port;
};

// An entry's key: its address, and for IPv6 its port too — a link-local address (fe80::1, every
// router's favourite) names one neighbour per link, so the same address on two ports is two
// neighbours. An IPv4 address is one neighbour whatever the port (port 0 in the key): a lookup on
// another port means its route moved.
template <typename Addr>
struct NeighbourKey {
  static constexpr bool kPerPort = !std::is_same_v<Addr, uint32_t>;
  Addr address;
  uint8_t port;
  NeighbourKey(const Addr& a, uint8_t p) : address(a), port(kPerPort ? p : 0) {}
  friend bool operator==(const NeighbourKey& a, const NeighbourKey& b) { return a.address == b.address && a.port == b.port; }
};
struct NeighbourKeyHash {
  size_t operator()(const NeighbourKey<uint32_t>& k) const { return std::hash<uint32_t>{}(k.address); }
  size_t operator()(const NeighbourKey<core::Ipv6Address>& k) const {
    return std::hash<uint64_t>{}(k.address.word(0) ^ (k.address.word(1) * 0x9e3779b97f4a7c15ull) ^ k.port);
  }
};

enum class NeighbourState : uint8_t { incomplete, reachable, stale, failed };

template <typename Addr>
class BasicNeighbourTable {
 public:
  struct Timing {
    int64_t reachable_ms = 30'000;   // Linux base_reachable_time
    int64_t probe_interval_ms = 1'000;
    uint32_t probes = 3;              // Linux mcast_solicit / ucast_solicit
    int64_t retry_ms = 5'000;         // a failed neighbour in use is asked again this often
    int64_t unused_ms = 300'000;
    uint32_t capacity = 65'536;
  };
  using State = NeighbourState;
  // "Never" for the times below: far enough in the past that any interval has passed.
  static constexpr int64_t kNever = INT64_MIN / 4;
  using NeighbourObservation = BasicNeighbourObservation<Addr>;
  using NeighbourSolicit = BasicNeighbourSolicit<Addr>;
  struct Entry {
    Addr address;
    uint8_t port;
    State state;
    uint8_t mac[6];
    int64_t confirmed_ms;   // last reply or request seen from it (kNever)
    int64_t probed_ms;      // last solicitation sent (kNever)
    int64_t used_ms;        // last lookup
    uint32_t probes_left;   // in the current round of probes
  };

  BasicNeighbourTable() = default;
  explicit BasicNeighbourTable(const Timing& timing) : timing_(timing) {}

  // The MAC of `address` reached through `port`, if one is known (reachable or stale); false
  // otherwise, and the address is then solicited at the next tick (if it is not being already).
  // Changes are reported by address (a link-local one's on any port: its dependants re-resolve).
  bool lookup(const Addr& address, uint8_t port, int64_t now_ms, uint8_t mac[6]);
  // A worker saw `o.address` at `o.mac` on `o.port`. Entries are made only for addresses looked up
  // (and for replies, which answer a solicitation), so a flood of requests cannot fill the table.
  void observe(const NeighbourObservation& o, bool reply, int64_t now_ms);
  // Runs the timers: appends what to solicit now to `solicit`, and every address whose MAC
  // appeared, changed or went since the last tick to `changed`.
  void tick(int64_t now_ms, std::vector<NeighbourSolicit>& solicit, std::vector<Addr>& changed);

  std::vector<Entry> entries() const;
  size_t size() const { return entries_.size(); }

 private:
  Entry* find(const Addr& address, uint8_t port);
  void mark_changed(const Addr& address) { changed_.push_back(address); }

  Timing timing_;
  std::unordered_map<NeighbourKey<Addr>, Entry, NeighbourKeyHash> entries_;
  std::vector<Addr> changed_;
};

using NeighbourObservation = BasicNeighbourObservation<uint32_t>;
using NeighbourSolicit = BasicNeighbourSolicit<uint32_t>;
using NeighbourTable = BasicNeighbourTable<uint32_t>;
using NeighbourObservation6 = BasicNeighbourObservation<core::Ipv6Address>;
using NeighbourSolicit6 = BasicNeighbourSolicit<core::Ipv6Address>;
using NeighbourTable6 = BasicNeighbourTable<core::Ipv6Address>;

}  // namespace xvs::io
