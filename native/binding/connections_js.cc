// native/binding/connections_js.cc — see connections_js.h.
#include "binding/connections_js.h"

#include <string>

#include "core/ipv4_text.h"
#include "core/ipv6_text.h"
#include "core/net.h"
#include "lb/conn.h"
#include "lb/persistence.h"

namespace xvs::binding {
namespace {

const char* state_name(lb::ConnState s) {
  switch (s) {
#define XVS_STATE_NAME(name) \
  case lb::ConnState::name:  \
    return #name;
    XVS_CONN_STATES(XVS_STATE_NAME)
#undef XVS_STATE_NAME
    case lb::ConnState::unarmed:
      break;
  }
  return "unknown";
}

std::string endpoint(uint32_t address, uint16_t port_network_order) {
  return core::ipv4_text(address) + ":" + std::to_string(core::ntohs(port_network_order));
}
// ipvsadm's form for IPv6: [address]:port.
std::string endpoint(const core::Ipv6Address& address, uint16_t port_network_order) {
  return "[" + core::ipv6_text(address) + "]:" + std::to_string(core::ntohs(port_network_order));
}

Napi::Object entry_value(Napi::Env env, const worker::ConnDumpEntry& e) {
  Napi::Object o = Napi::Object::New(env);
  const bool tmpl = (e.flags & lb::kTemplate) != 0;
  // A template's entry carries its service's protocol under kTemplateProtocol.
  const uint8_t protocol = tmpl ? static_cast<uint8_t>(e.protocol & ~lb::kTemplateProtocol) : e.protocol;
  o.Set("protocol", protocol == core::kIpProtoUdp ? "udp" : "tcp");
  o.Set("state", state_name(e.state));
  o.Set("template", tmpl);
  o.Set("expiresIn", e.expires_in);
  const auto& a = e.addresses6.tuple;
  o.Set("client", e.ipv6 ? endpoint(a[lb::kFromClient].saddr, e.client.sport) : endpoint(e.client.saddr, e.client.sport));
  o.Set("virtual", e.ipv6 ? endpoint(a[lb::kFromClient].daddr, e.client.dport) : endpoint(e.client.daddr, e.client.dport));
  o.Set("backendId", e.backend_id);
  if (!tmpl) {
    // A NAT64 connection's server side is IPv4.
    const bool server6 = e.ipv6 && !e.nat64;
    o.Set("server", server6 ? endpoint(a[lb::kFromServer].saddr, e.server.sport) : endpoint(e.server.saddr, e.server.sport));
    // The server's destination: the LIP (fullnat) or the client itself (nat, dr, tunnel).
    o.Set("local", server6 ? endpoint(a[lb::kFromServer].daddr, e.server.dport) : endpoint(e.server.daddr, e.server.dport));
  }
  return o;
}

}  // namespace

Napi::Value connections_value(Napi::Env env, const std::vector<control::WorkerConnections>& workers, bool paged) {
  Napi::Array out = Napi::Array::New(env, workers.size());
  for (uint32_t w = 0; w < workers.size(); ++w) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("worker", workers[w].worker);
    o.Set("total", workers[w].total);
    Napi::Array entries = Napi::Array::New(env, workers[w].entries.size());
    for (uint32_t i = 0; i < workers[w].entries.size(); ++i) entries.Set(i, entry_value(env, workers[w].entries[i]));
    o.Set("entries", entries);
    if (paged) o.Set("next", workers[w].next == worker::ConnDump::kEnd ? -1.0 : static_cast<double>(workers[w].next));
    out.Set(w, o);
  }
  return out;
}

}  // namespace xvs::binding
