// native/io/neighbour_table.cc — see neighbour_table.h; both families' tables. Control thread only.
#include "io/neighbour_table.h"

#include <cstring>

namespace xvs::io {

template <typename Addr>
typename BasicNeighbourTable<Addr>::Entry* BasicNeighbourTable<Addr>::find(const Addr& address, uint8_t port) {
  auto it = entries_.find(NeighbourKey<Addr>(address, port));
  return it == entries_.end() ? nullptr : &it->second;
}

template <typename Addr>
bool BasicNeighbourTable<Addr>::lookup(const Addr& address, uint8_t port, int64_t now_ms, uint8_t mac[6]) {
  Entry* e = find(address, port);
  if (e != nullptr && e->port != port) {  // (IPv4) the route moved: what was learnt elsewhere says nothing here
    const bool had_mac = e->state == State::reachable || e->state == State::stale;
    entries_.erase(NeighbourKey<Addr>(address, port));
    e = nullptr;
    if (had_mac) mark_changed(address);
  }
  if (e == nullptr) {
    if (entries_.size() >= timing_.capacity) return false;
    Entry fresh{address, port, State::incomplete, {}, kNever, kNever, now_ms, timing_.probes};
    e = &entries_.emplace(NeighbourKey<Addr>(address, port), fresh).first->second;
  }
  e->used_ms = now_ms;
  if (e->state != State::reachable && e->state != State::stale) return false;
  std::memcpy(mac, e->mac, 6);
  return true;
}

template <typename Addr>
void BasicNeighbourTable<Addr>::observe(const NeighbourObservation& o, bool reply, int64_t now_ms) {
  Entry* e = find(o.address, o.port);
  if (e == nullptr) {
    if (!reply || entries_.size() >= timing_.capacity) return;
    Entry fresh{o.address, o.port, State::incomplete, {}, kNever, kNever, now_ms, timing_.probes};
    e = &entries_.emplace(NeighbourKey<Addr>(o.address, o.port), fresh).first->second;
  }
  if (e->port != o.port) return;  // heard on another port than its route's: not this entry's neighbour
  const bool had_mac = e->state == State::reachable || e->state == State::stale;
  if (!had_mac || std::memcmp(e->mac, o.mac, 6) != 0) mark_changed(o.address);
  std::memcpy(e->mac, o.mac, 6);
  e->state = State::reachable;
  e->confirmed_ms = now_ms;
  e->probes_left = timing_.probes;
}

template <typename Addr>
void BasicNeighbourTable<Addr>::tick(int64_t now_ms, std::vector<NeighbourSolicit>& solicit, std::vector<Addr>& changed) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (now_ms - e.used_ms >= timing_.unused_ms) {
      if (e.state == State::reachable || e.state == State::stale) mark_changed(e.address);
      it = entries_.erase(it);
      continue;
    }
    if (e.state == State::reachable && now_ms - e.confirmed_ms >= timing_.reachable_ms) {
      e.state = State::stale;
      e.probes_left = timing_.probes;
    }
    const bool probing = e.state == State::incomplete || e.state == State::stale;
    if (probing && now_ms - e.probed_ms >= timing_.probe_interval_ms) {
      if (e.probes_left == 0) {
        if (e.state == State::stale) mark_changed(e.address);  // its MAC goes
        e.state = State::failed;
      } else {
        --e.probes_left;
        e.probed_ms = now_ms;
        solicit.push_back({e.address, e.port});
      }
    }
    if (e.state == State::failed && now_ms - e.probed_ms >= timing_.retry_ms) {
      e.state = State::incomplete;
      e.probes_left = timing_.probes - 1;
      e.probed_ms = now_ms;
      solicit.push_back({e.address, e.port});
    }
    ++it;
  }
  changed.insert(changed.end(), changed_.begin(), changed_.end());
  changed_.clear();
}

template <typename Addr>
std::vector<typename BasicNeighbourTable<Addr>::Entry> BasicNeighbourTable<Addr>::entries() const {
  std::vector<Entry> out;
  out.reserve(entries_.size());
  for (const auto& [key, e] : entries_) out.push_back(e);
  return out;
}

template class BasicNeighbourTable<uint32_t>;
template class BasicNeighbourTable<core::Ipv6Address>;

}  // namespace xvs::io
