// native/lb/snapshot_ids.h — the ids (lb/address_ids.h) that one worker's connection table
// holds for the IPv6 addresses of its installed snapshot: VIPs by service index, servers by
// backend index, local addresses by LIP index. A new IPv6 connection names its three addresses
// by these instead of looking each up in the table's index (three hash lookups per connection
// otherwise). The snapshot holds one reference to each, so an address that stays in the
// configuration keeps its id across reloads and connections of it only count references.
// Consumes a snapshot and the table's AddressIds at install; produces ids by index (kNone for
// an IPv4 address, or when every id was taken: the insert then looks the address up itself).
// Written and read only by the owning worker (install() runs at its safe point).
#pragma once
#include <cstdint>

#include "abi/records.h"
#include "core/huge_array.h"
#include "lb/address_ids.h"
#include "lb/snapshot.h"

namespace xvs::lb {

class SnapshotIds {
 public:
  static constexpr uint16_t kNone = AddressIds::kNone;

  uint16_t vip(uint32_t service_index) const { return id_of(sets_[current_].vips[service_index]); }
  uint16_t server(uint32_t backend_index) const { return id_of(sets_[current_].servers[backend_index]); }
  uint16_t local(uint32_t lip_index) const { return id_of(sets_[current_].locals[lip_index]); }

  // Memory of both sets when full (they are touched only as far as snapshots reach).
  static size_t bytes() { return 2 * sizeof(uint16_t) * (size_t{abi::kMaxServices} + abi::kMaxBackends + abi::kMaxLips); }

  // Takes `next`'s ids before letting the previous snapshot's go, so an address in both keeps
  // its id. LIPs and VIPs first: few, and named by every connection, they must not be the ones
  // left without an id when a configuration has more IPv6 addresses than there are ids. What
  // found none then tries again once the previous snapshot's are free. O(services + backends +
  // LIPs) lookups, once per reload.
  void install(const Snapshot& next, AddressIds& ids) {
    Held& taken = sets_[current_ ^ 1];
    taken.services = static_cast<uint32_t>(next.services.size());
    taken.backends = static_cast<uint32_t>(next.backends.size());
    taken.lips = static_cast<uint32_t>(next.lips6.size());
    take(next, ids, taken, /*missing_only=*/false);
    release(sets_[current_], ids);
    take(next, ids, taken, /*missing_only=*/true);
    current_ ^= 1;
  }

 private:
  // Stored as id + 1, so that zero-filled (never written) entries read as kNone, not id 0.
  struct Held {
    // Sized for the largest snapshot; small pages, touched only as far as a snapshot reaches.
    core::HugeArray<uint16_t> vips{abi::kMaxServices, false};
    core::HugeArray<uint16_t> servers{abi::kMaxBackends, false};
    core::HugeArray<uint16_t> locals{abi::kMaxLips, false};
    uint32_t services = 0, backends = 0, lips = 0;
  };

  static uint16_t id_of(uint16_t stored) { return static_cast<uint16_t>(stored - 1); }
  static bool is_ipv6(uint8_t family) { return family == static_cast<uint8_t>(abi::AddressFamily::ipv6); }

  // Every IPv6 address of `next` into `h`, or (missing_only) those still without an id.
  static void take(const Snapshot& next, AddressIds& ids, Held& h, bool missing_only) {
    const auto hold = [&](uint16_t& stored, bool ipv6, const core::Ipv6Address& a) {
      if (missing_only && (!ipv6 || stored != 0)) return;
      stored = ipv6 ? static_cast<uint16_t>(ids.acquire(a) + 1) : 0;
    };
    for (uint32_t l = 0; l < h.lips; ++l) hold(h.locals[l], next.lips6[l] != core::Ipv6Address{}, next.lips6[l]);
    for (uint32_t s = 0; s < h.services; ++s)
      hold(h.vips[s], is_ipv6(next.services[s].family), core::Ipv6Address::load(next.services[s].vip6.bytes));
    for (uint32_t b = 0; b < h.backends; ++b)
      hold(h.servers[b], is_ipv6(next.backends[b].family), core::Ipv6Address::load(next.backends[b].address6.bytes));
  }
  static void release(Held& h, AddressIds& ids) {
    const auto release_all = [&ids](const core::HugeArray<uint16_t>& held, uint32_t n) {
      for (uint32_t i = 0; i < n; ++i)
        if (held[i] != 0) ids.release(id_of(held[i]));
    };
    release_all(h.vips, h.services);
    release_all(h.servers, h.backends);
    release_all(h.locals, h.lips);
    h.services = h.backends = h.lips = 0;
  }

  Held sets_[2];          // [current_]: the installed snapshot's; the other: released, the next install's
  uint32_t current_ = 0;
};

}  // namespace xvs::lb
