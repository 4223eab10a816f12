// native/lb/persistence.h — IPVS persistence templates: a client network (address & netmask)
// keeps its server for a service while its template lives. A template lives while it binds
// connections and `timeout` seconds after the last of them (IPVS n_control), and is replaced
// when its server is quiescent or gone (IPVS expire_quiescent_template), so health-checked-out
// servers lose their persistent clients. Templates sit in the worker's connection table under a
// protocol value no packet carries; an IPv6 client network (address and prefix length) is the
// key of an IPv6 template. Runs on the owning worker.
#pragma once
#include <cstdint>

#include "abi/records.h"
#include "lb/conn.h"
#include "lb/core_state.h"
#include "lb/family.h"
#include "lb/load.h"
#include "lb/schedule.h"

namespace xvs::lb {

// kTemplateProtocol is lb/conn.h's: the connection table tells templates by it (they stay paired).

inline bool template_alive(const CoreState& cs, const Conn& t) {
  return t.controlled > 0 || static_cast<int32_t>(t.expires - cs.now) > 0;
}

inline void arm_template(CoreState& cs, Conn& t) {
  cs.conns.touch(&t, ConnState::persist_template, cs.now, t.tuple[kFromServer].daddr);
}

// A template replaced while connections still name it (its server left or went quiescent)
// cannot be found by its key any more, but stays in the table until the last of them detaches
// and its timeout runs out: its place must not pass to the client network's next template,
// which those connections would then count themselves out of (detach_template recognises a
// template by its index and key), arming it while its own connections live.
inline void retire_template(CoreState& cs, Conn& t) {
  if (t.controlled == 0) {
    unbind_backend(cs, t);
    cs.conns.remove(&t);
  } else {
    cs.conns.unlink_client_tuple(&t);
  }
}

// The live template of this client network, if any; a stale one is retired (its connections
// stay with their server). Addr: uint32_t (IPv4) or core::Ipv6Address.
template <typename Addr>
inline Conn* find_template(CoreState& cs, const abi::ServiceRecord& svc, const Addr& saddr) {
  using F = typename FamilyOf<Addr>::type;
  const ConnLookup found = cs.conns.lookup(kTemplateProtocol | svc.protocol, F::masked(saddr, F::persist_mask(svc)), F::vip(svc), 0, svc.port);
  Conn* t = found.conn;
  if (t == nullptr) return nullptr;
  const uint32_t index = backend_of(cs, *t);
  if (template_alive(cs, *t) && index != kNoBackend && cs.snapshot->backends[index].weight > 0) return t;
  retire_template(cs, *t);
  return nullptr;
}

// A template for the client network of `saddr`, bound to server `index`; nullptr if the table is
// full (the connection then goes without one).
template <typename Addr>
inline Conn* create_template(CoreState& cs, const abi::ServiceRecord& svc, const Addr& saddr, uint32_t index) {
  using F = typename FamilyOf<Addr>::type;
  const typename F::Tuple key{F::masked(saddr, F::persist_mask(svc)), F::vip(svc), 0, svc.port};
  Conn* t = cs.conns.insert(kTemplateProtocol | svc.protocol, key, typename F::Tuple{}, kLinkClient);
  if (t == nullptr) return nullptr;
  // The settings live in the never-linked server tuple's IPv4 fields, which an IPv6 entry leaves free.
  t->tuple[kFromServer] = {F::persist_mask(svc), svc.persist_timeout, 0, 0};
  t->flags |= kTemplate;
  t->forwarding = svc.forwarding;  // its service's, as its connections' (a synced template is checked against it)
  t->controlled = 0;
  bind_backend(cs, *t, index);
  return t;
}

inline void attach_template(CoreState& cs, Conn& c, Conn& t) {
  ++t.controlled;
  c.flags |= kPersistent;
  c.template_index = cs.conns.index_of(&t);
  arm_template(cs, t);
}

// The connection goes: its template binds one connection fewer, and lives `timeout` seconds
// from now when that was the last. A template replaced meanwhile is recognised by its key.
inline void detach_template(CoreState& cs, const Conn& c) {
  if (!(c.flags & kPersistent)) return;
  Conn* t = cs.conns.at(c.template_index);
  if (t == nullptr || !(t->flags & kTemplate) || t->state == ConnState::unarmed) return;
  if (t->ipv6 != c.ipv6) return;
  if (c.ipv6) {
    const ConnTuple6 key = cs.conns.tuple6(*t, kFromClient), client = cs.conns.tuple6(c, kFromClient);
    if (key.daddr != client.daddr || key.dport != client.dport || key.saddr != V6::masked(client.saddr, t->tuple[kFromServer].saddr))
      return;
  } else {
    const ConnTuple& key = t->tuple[kFromClient];
    const ConnTuple& client = c.tuple[kFromClient];
    if (key.daddr != client.daddr || key.dport != client.dport || key.saddr != (client.saddr & t->tuple[kFromServer].saddr))
      return;
  }
  if (t->controlled > 0 && --t->controlled == 0) arm_template(cs, *t);
}

// At expiry: a template that still binds connections is kept and re-armed.
inline bool template_expires(CoreState& cs, Conn& t) {
  if (t.controlled == 0) return true;
  arm_template(cs, t);
  return false;
}

}  // namespace xvs::lb
